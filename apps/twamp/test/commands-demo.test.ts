// `twamp demo` as a real process (from source, the way `pnpm demo` runs it), and `pnpm demo` itself:
// the README's first command prints a summary with zero loss and exits 0.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTwamp } from './support.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface DemoJson {
  readonly protocol: string;
  readonly packets: { readonly sent: number; readonly received: number; readonly lost: number };
}

describe('twamp demo', () => {
  it('prints the sender summary with zero loss and exits 0 (defaults: 200 packets, 5 ms apart)', async () => {
    const { code, stdout, stderr } = await runTwamp(['demo'], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^TWAMP Light 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+: 200 sent, 200 received in /m);
    expect(stdout).toMatch(/^round trip +\d+\.\d{3} .* 0\/200 \(0\.00%\)$/m);
    expect(stderr).toMatch(/twamp demo: TWAMP Light reflector on 127\.0\.0\.1:\d+\/udp \(stateful, /);
    expect(stderr).toContain('twamp demo: the reflector received 200 and sent 200 packets');
  });

  it('passes --stamp, -c, -i and --json through (STAMP over ::1)', async () => {
    const { code, stdout, stderr } = await runTwamp(['demo', '--stamp', '-6', '-c', '50', '-i', '1', '--json'], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as DemoJson;
    expect(json.protocol).toBe('stamp');
    expect(json.packets).toMatchObject({ sent: 50, received: 50, lost: 0 });
    expect(stderr).toMatch(/twamp demo: STAMP reflector on \[::1\]:\d+\/udp/);
  });

  it('runs from the repository root as `pnpm demo`, with nothing built', async () => {
    const child = spawn('pnpm', ['--silent', 'demo', '-c', '20', '-i', '1'], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`pnpm demo did not exit; stderr: ${stderr}`));
      }, 60_000);
      child.on('error', reject);
      // 'close': every byte of stdout and stderr has been read ('exit' may come first).
      child.on('close', (exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/: 20 sent, 20 received in /);
    expect(stdout).toMatch(/^round trip .* 0\/20 \(0\.00%\)$/m);
  });
});
