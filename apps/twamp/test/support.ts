// Runs the real `twamp` executable as a child process and reads its output as it comes. With
// TWAMP_E2E_BUILT=1 (CI, after `pnpm build`) it is the built binary, dist/bin.js, exactly as installed;
// otherwise the source through tsx, the way `pnpm twamp` runs it, so a contributor needs no build.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const APP = join(import.meta.dirname, '..');
const BUILT = join(APP, 'dist', 'bin.js');
const USE_BUILT = process.env['TWAMP_E2E_BUILT'] === '1';
if (USE_BUILT && !existsSync(BUILT)) throw new Error(`TWAMP_E2E_BUILT=1 but ${BUILT} is missing: run pnpm build first`);
/** The node arguments that start twamp: the built binary or the source. */
export const ENTRY: readonly string[] = USE_BUILT ? [BUILT] : ['--conditions=@twamp/source', '--import', 'tsx', join(APP, 'src', 'bin.ts')];

export interface TwampProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in the stream, or rejects after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process is gone; rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | string>;
}

/** Starts `twamp ...args` with its working directory in apps/twamp (where tsx resolves). */
export function startTwamp(args: readonly string[], env: Readonly<Record<string, string>> = {}): TwampProcess {
  const child = spawn(process.execPath, [...ENTRY, ...args], {
    cwd: APP,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes, and a
  // test that reads stderr right after the exit then sees nothing (seen once in CI).
  const exit = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk: string) => {
      text[stream] += chunk;
      for (const waiter of waiters) waiter();
    });
  }
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (stream, pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(text[stream]);
          if (match !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${String(pattern)} on ${stream} within ${timeoutMs} ms; stdout: ${text.stdout}; stderr: ${text.stderr}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    exited: (timeoutMs = 30_000) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) => {
          setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`twamp ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${text.stderr}`));
          }, timeoutMs).unref();
        }),
      ]),
  };
}

/** Runs `twamp ...args` to the end. */
export async function runTwamp(
  args: readonly string[],
  options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const run = startTwamp(args, options.env);
  const timeoutMs = options.timeoutMs;
  const code = await run.exited(timeoutMs);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Starts a responder on an ephemeral port of `address` and returns it with the port it got. */
export async function startResponder(address: string, extra: readonly string[] = []): Promise<{ responder: TwampProcess; port: number }> {
  const bracketed = address.includes(':') ? `[${address}]:0` : `${address}:0`;
  const responder = startTwamp(['responder', bracketed, ...extra]);
  const match = await responder.waitFor('stderr', /listening on \S+:(\d+)\/udp/);
  return { responder, port: Number(match[1]) };
}

export interface RunningServer {
  readonly process: TwampProcess;
  /** The TCP port it listens on (the system chose it). */
  readonly port: number;
}

/** Starts `twamp server` on a free TCP port of `address`, reflector ports from the system, plus `extra` options. */
export async function startServer(address: string, extra: readonly string[] = []): Promise<RunningServer> {
  const local = address.includes(':') ? `[${address}]:0` : `${address}:0`;
  const server = startTwamp(['server', local, '--port-range', 'ephemeral', ...extra]);
  const match = await server.waitFor('stderr', /listening on \S+:(\d+)\/tcp/);
  return { process: server, port: Number(match[1]) };
}
