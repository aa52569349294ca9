// The README runs a responder in the background with `pnpm twamp responder … &` and stops it with
// `kill $!`, the pid of pnpm. That must stop the twamp process under pnpm and free its port: before the
// root scripts exec'd node, pnpm died and node kept the port (the next start failed with EADDRINUSE).
// The process is also named `twamp`, so pidof, ps and top find it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..', '..');

/** The pids whose parent is `parent`, with their kernel (comm) names, read from /proc. */
function childrenOf(parent: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split at the last ')'.
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    if (ppid === parent) found.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => {
      socket.close();
      resolve(true);
    });
  });
}

describe('pnpm twamp responder in the background', () => {
  it('stops, with its port freed and nothing left behind, when pnpm\'s pid gets SIGTERM', async () => {
    const pnpm: ChildProcess = spawn('pnpm', ['--silent', 'twamp', 'responder', '127.0.0.1:0'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    pnpm.stdout?.on('data', collect);
    pnpm.stderr?.on('data', collect);
    const closed = new Promise<void>((resolve) => {
      pnpm.on('close', () => {
        resolve();
      });
    });
    try {
      const port = await until('the listening line', () => {
        const match = /listening on 127\.0\.0\.1:(\d+)\/udp/.exec(output);
        return match === null ? undefined : Number(match[1]);
      });
      const pnpmPid = pnpm.pid ?? 0;
      const tool = await until('the twamp process under pnpm', () => childrenOf(pnpmPid).find((child) => child.comm === 'twamp'));

      process.kill(pnpmPid, 'SIGTERM'); // what `kill $!` sends
      await closed;
      await until('the twamp process to end', () => (alive(tool.pid) ? undefined : true), 10_000);
      expect(await portIsFree(port)).toBe(true);
      expect(output).toMatch(/twamp responder: stopped after/);
    } finally {
      pnpm.kill('SIGKILL');
    }
  });
});
