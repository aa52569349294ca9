// Runs the real `twampd` and `twamp` executables as child processes and reads their output as it
// comes. With TWAMP_E2E_BUILT=1 (CI, after `pnpm build`) both are the built binaries (dist/bin.js),
// exactly as installed; otherwise their sources through tsx, the way `pnpm twampd` and `pnpm twamp`
// run them, so a contributor needs no build. The twamp CLI is found through this app's node_modules
// (it is a devDependency) and its package.json's bin, never through a relative path into another app.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const USE_BUILT = process.env['TWAMP_E2E_BUILT'] === '1';

interface Program {
  readonly name: string;
  /** Working directory (where tsx and the package's own dependencies resolve). */
  readonly dir: string;
  /** The node arguments that start it. */
  readonly entry: readonly string[];
}

function program(name: string, dir: string, bin: string): Program {
  const built = join(dir, bin);
  if (USE_BUILT && !existsSync(built)) throw new Error(`TWAMP_E2E_BUILT=1 but ${built} is missing: run pnpm build first`);
  const source = join(dir, 'src', 'bin.ts');
  return { name, dir, entry: USE_BUILT ? [built] : ['--conditions=@twamp/source', '--import', 'tsx', source] };
}

const APP = join(import.meta.dirname, '..');
// The twamp CLI is this app's devDependency: its directory is the node_modules link, its bin is what its package.json says.
const TWAMP_DIR = realpathSync(join(APP, 'node_modules', 'twamp'));
const twampBin = (JSON.parse(readFileSync(join(TWAMP_DIR, 'package.json'), 'utf8')) as { bin: { twamp: string } }).bin.twamp;

export const TWAMPD = program('twampd', APP, 'dist/bin.js');
export const TWAMP = program('twamp', TWAMP_DIR, twampBin);

export interface RunningProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in the stream, or rejects after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process is gone; kills it and rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Kills whatever a test left running (call from afterAll). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function start(what: Program, args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningProcess {
  const child = spawn(process.execPath, [...what.entry, ...args], {
    cwd: what.dir,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  // 'close', not 'exit': 'exit' can come before the last output has been read from the pipes, and a
  // test that reads stderr right after the exit then sees nothing (seen once in CI).
  const exit = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
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
  const describe = (): string => `${what.name} ${args.join(' ')}\n--- stdout:\n${text.stdout}\n--- stderr:\n${text.stderr}`;
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
          reject(new Error(`no ${String(pattern)} on ${stream} within ${timeoutMs} ms: ${describe()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    exited: (timeoutMs = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        exit.finally(() => {
          clearTimeout(timer);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`did not exit within ${timeoutMs} ms: ${describe()}`));
          }, timeoutMs);
        }),
      ]);
    },
  };
}

export interface Finished {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end. */
export async function runToEnd(what: Program, args: readonly string[], timeoutMs = 60_000): Promise<Finished> {
  const run = start(what, args);
  const code = await run.exited(timeoutMs);
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** `twamp ...args` to its end. */
export function twamp(args: readonly string[], timeoutMs?: number): Promise<Finished> {
  return runToEnd(TWAMP, args, timeoutMs);
}

/** A scratch directory for one test file's configs, keys and results. */
export function scratchDir(): { readonly dir: string; write(name: string, text: string, mode?: number): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'twampd-e2e-'));
  return {
    dir,
    write(name, text, mode = 0o600) {
      const path = join(dir, name);
      writeFileSync(path, text, { mode });
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One parsed pino line of twampd. */
export type LogLine = Readonly<Record<string, unknown>> & { readonly event?: string; readonly msg?: string };

/** twampd's JSON log lines so far (non-JSON lines are skipped). */
export function logLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

export interface Endpoint {
  readonly name: string;
  readonly kind: string;
  readonly address: string;
  readonly port: number;
}

export interface Twampd {
  readonly process: RunningProcess;
  /** Bound listeners by name (`control`, or a reflector's name). */
  readonly listeners: ReadonlyMap<string, Endpoint>;
  readonly metricsPort: number | undefined;
  port(name: string): number;
  /** Log lines with this event so far. */
  events(event: string): LogLine[];
  /** Waits for the `count`-th log line with this event. */
  waitForEvent(event: string, count?: number, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then the exit code. */
  stop(timeoutMs?: number): Promise<number | string>;
}

/** Starts twampd with `configPath` and waits for its `ready` line (logging must go to stderr). */
export async function startTwampd(configPath: string, timeoutMs = 45_000): Promise<Twampd> {
  const proc = start(TWAMPD, ['--config', configPath]);
  const events = (event: string): LogLine[] => logLines(proc.stderr()).filter((line) => line.event === event);
  const waitForEvent = async (event: string, count = 1, wait = 30_000): Promise<LogLine> => {
    const pattern = new RegExp(`("event":"${event}"[\\s\\S]*){${count}}`);
    await Promise.race([
      proc.waitFor('stderr', pattern, wait),
      proc.exited(wait).then((code) => {
        throw new Error(`twampd exited (${code}) before ${event}: ${proc.stderr()}`);
      }),
    ]);
    const found = events(event)[count - 1];
    if (found === undefined) throw new Error(`no ${event} line #${count} in ${proc.stderr()}`);
    return found;
  };
  const ready = await waitForEvent('ready', 1, timeoutMs);
  const listeners = new Map((ready['listeners'] as Endpoint[]).map((endpoint) => [endpoint.name, endpoint]));
  const metrics = ready['metrics'] as { port: number } | undefined;
  return {
    process: proc,
    listeners,
    metricsPort: metrics?.port,
    port(name) {
      const endpoint = listeners.get(name);
      if (endpoint === undefined) throw new Error(`no listener ${name} in ${JSON.stringify([...listeners.keys()])}`);
      return endpoint.port;
    },
    events,
    waitForEvent,
    async stop(wait = 30_000) {
      proc.child.kill('SIGTERM');
      return proc.exited(wait);
    },
  };
}

/** A perfSONAR-style key file line: identity and a hex secret. */
export const KEY_ID = 'e2e';
export const KEY_HEX = '00112233445566778899aabbccddeeff';
export const KEY_FILE_TEXT = `${KEY_ID} ${KEY_HEX}\n`;

/** Text of GET http://127.0.0.1:port/path, with its status. */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** A port free on 127.0.0.1 right now (bound and released), for a listener that a config's own target must name. */
export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const { createSocket } = await import('node:dgram');
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port } = socket.address();
        socket.close(() => {
          resolve(port);
        });
      });
    });
  }
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

/** Runs `promtool check metrics` on `text`; undefined when promtool is not installed (and not required). */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string } | undefined> {
  const { spawnSync } = await import('node:child_process');
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    if (process.env['TWAMP_REQUIRE_PROMTOOL'] === '1') throw new Error('TWAMP_REQUIRE_PROMTOOL=1 but promtool is not installed (Debian: prometheus)');
    return undefined;
  }
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** One sample of a Prometheus text exposition: the value of `name{labels...}` (labels matched as a subset). */
export function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (match?.[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}
