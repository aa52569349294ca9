// Shared machinery of the benchmarks (`pnpm bench` in packages/udp, test-session, control, daemon):
// child processes that are always killed, the C reference tool (blast.c) compiled into a temporary
// directory, per-process CPU and memory from /proc, the doubling-then-bisecting rate search, and
// small statistics helpers. Children run in the process's directory, or the one setChildDirectory names.

import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';
const kitDir = dirname(fileURLToPath(import.meta.url));
export const tsxNode: readonly string[] = [process.execPath, '--conditions=@twamp/source', '--import', 'tsx'];

/**
 * The command that runs a built script the way its installed bin does: the Node.js options of its
 * interpreter line (`#!/usr/bin/env -S node --flag …`, which npm's and pnpm's shims honour too)
 * before the script. A plain `#!/usr/bin/env node` gives just node and the script.
 */
export function interpreterCommand(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\s*\/usr\/bin\/env\s+(?:-S\s+)?node((?:\s+--\S+)*)\s*$/.exec(first);
  if (match === null) throw new Error(`${script}: the first line is not a node interpreter line: ${first}`);
  const flags = (match[1] ?? '').trim();
  return [process.execPath, ...(flags === '' ? [] : flags.split(/\s+/)), script];
}

// ------------------------------------------------------------------------------ child processes

const children = new Set<ChildProcess>();
const workDir = mkdtempSync(join(tmpdir(), 'twamp-ts-bench-'));

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}
process.on('exit', () => {
  killAll();
  rmSync(workDir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`bench: ${signal}, killing children\n`);
    killAll();
    process.exit(130);
  });
}

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process whose output is collected and which is killed when the bench exits. */
export interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<Exited>;
  /** stdout so far (stderr appended after a marker). */
  output(): string;
  stdout(): string;
}

/** Where children run (relative paths in their commands resolve from it); the process's cwd until set. */
let childDirectory = process.cwd();

/** Run children in `dir` (a benchmark names its helper scripts relative to its package). */
export function setChildDirectory(dir: string): void {
  childDirectory = dir;
}

export function start(command: readonly string[]): Child {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('start: empty command');
  const child = spawn(file, args, { cwd: childDirectory, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<Exited>((done) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    });
    child.once('error', () => {
      children.delete(child);
      done({ code: -1, signal: null });
    });
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return { process: child, exited, output: () => out + (err === '' ? '' : `\n[stderr] ${err.trim()}`), stdout: () => out };
}

/** Run a command to completion, bounded in time; returns stdout, throws on failure. */
export async function run(command: readonly string[], timeoutMs: number): Promise<string> {
  const child = start(command);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command.join(' ')} failed (${signal ?? code}): ${child.output().trim()}`);
  return child.stdout();
}

/** Stop a child: SIGTERM, then SIGKILL after 3 s. */
export async function stop(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 3000);
  await child.exited;
  clearTimeout(timer);
}

/** Wait (bounded) until the child's stdout matches; returns the match. */
export async function waitFor(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  const state = { dead: false };
  void child.exited.then(() => (state.dead = true));
  for (;;) {
    const match = pattern.exec(child.stdout());
    if (match !== null) return match;
    if (state.dead || Date.now() > deadline) throw new Error(`no ${String(pattern)} from child: ${child.output().trim().slice(-2000)}`);
    await sleep(25);
  }
}

/** The last JSON object printed on a line starting with `prefix ` (or a bare JSON line when prefix is ''). */
export function lastJson(text: string, prefix = ''): Record<string, unknown> | undefined {
  const lines = text.split('\n').filter((line) => (prefix === '' ? line.startsWith('{') : line.startsWith(`${prefix} {`)));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  return JSON.parse(prefix === '' ? last : last.slice(prefix.length + 1)) as Record<string, unknown>;
}

// ------------------------------------------------------------------------------ blast.c

function findRepoRoot(from: string): string {
  let dir = from;
  for (let i = 0; i < 20; i += 1) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`no pnpm-workspace.yaml above ${from}`);
}

export const repoRoot = findRepoRoot(kitDir);
export const blastSource = resolve(repoRoot, '..', 'shared', 'tools', 'blast.c');
export const blast = join(workDir, 'blast');
export const compileCommand: readonly string[] = ['cc', '-O2', '-pthread', blastSource, '-o', blast];

export async function compileBlast(): Promise<void> {
  if (!existsSync(blastSource)) {
    throw new Error(`${blastSource} is missing: the shared folder must sit beside the repository (<repo>/../shared/tools/blast.c)`);
  }
  await run(compileCommand, 60_000);
}

export interface BlastResult {
  readonly sent: number;
  readonly received: number;
  readonly loss_pct: number;
  readonly offered_pps: number;
  readonly reflected_pps: number;
  readonly rtt_us: { readonly min: number; readonly p50: number; readonly p99: number };
  readonly short_replies: number;
}

export async function blastSend(port: number, rate: number, seconds: number, size: number): Promise<BlastResult> {
  const out = await run([blast, 'send', HOST, String(port), String(rate), String(seconds), String(size)], (seconds + 15) * 1000);
  const parsed = JSON.parse(out.trim()) as Partial<BlastResult> | null;
  if (typeof parsed?.loss_pct !== 'number' || typeof parsed.offered_pps !== 'number') throw new Error(`unexpected blast output: ${out}`);
  return parsed as BlastResult;
}

/** A free UDP port on loopback (for `blast reflect`, which needs one given). */
export async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((ok, fail) => {
    socket.once('error', fail);
    socket.bind(0, HOST, ok);
  });
  const { port } = socket.address();
  await new Promise<void>((ok) => socket.close(ok));
  return port;
}

/** Send 41-octet probes until one comes back (bounded, 10 s): the reflector really answers. */
export async function probe(port: number): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((ok) => socket.bind(0, HOST, ok));
  const state = { answered: false };
  socket.on('message', () => (state.answered = true));
  try {
    for (let i = 0; i < 100 && !state.answered; i += 1) {
      socket.send(Buffer.alloc(41), port, HOST);
      await sleep(100);
    }
  } finally {
    socket.close();
  }
  if (!state.answered) throw new Error(`no reply on port ${port} within 10 s`);
}

/** `blast reflect` (the C reference reflector) on a free port, answering before this resolves. */
export async function startBlastReflector(): Promise<{ readonly child: Child; readonly port: number }> {
  const port = await freePort();
  const child = start([blast, 'reflect', String(port)]);
  try {
    await probe(port);
    return { child, port };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

// ------------------------------------------------------------------------------ /proc

/** On-CPU time of every thread of a process, ns (/proc/PID/task/TID/schedstat, summed). */
export function cpuNanos(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return total;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size and its peak, bytes (/proc/PID/status VmRSS, VmHWM). */
export function memory(pid: number | undefined): { readonly rss: number; readonly peak: number } {
  if (pid === undefined) return { rss: Number.NaN, peak: Number.NaN };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/** CPU share (CPU-seconds per second) of a process over a window of wall time. */
export async function cpuShareOver(pid: number | undefined, ms: number): Promise<number> {
  const before = cpuNanos(pid);
  const t0 = performance.now();
  await sleep(ms);
  return (cpuNanos(pid) - before) / 1e6 / (performance.now() - t0);
}

// ------------------------------------------------------------------------------ rate search

export interface SearchOptions {
  readonly start: number;
  readonly max: number;
  readonly bisections: number;
  readonly settleMs: number;
}

/**
 * The highest passing rate: double from `start` until a step fails (or `max` passes), then bisect
 * geometrically between the last pass and the first failure. Returns every step taken.
 */
export async function searchRate<S extends { readonly pass: boolean }>(
  options: SearchOptions,
  step: (rate: number) => Promise<S>,
): Promise<{ readonly best: number; readonly steps: (S & { readonly rate: number })[] }> {
  const steps: (S & { readonly rate: number })[] = [];
  const attempt = async (rate: number): Promise<boolean> => {
    const result = await step(rate);
    steps.push({ ...result, rate });
    await sleep(options.settleMs);
    return result.pass;
  };
  let lo = 0;
  let hi = 0;
  for (let rate = Math.min(options.start, options.max); ; rate = Math.min(rate * 2, options.max)) {
    if (await attempt(rate)) {
      lo = rate;
      if (rate >= options.max) break;
    } else {
      hi = rate;
      break;
    }
  }
  for (let i = 0; i < options.bisections && hi > 0; i += 1) {
    const mid = Math.max(1000, Math.round((lo > 0 ? Math.sqrt(lo * hi) : hi / 2) / 1000) * 1000);
    if (mid <= lo || mid >= hi) break;
    if (await attempt(mid)) lo = mid;
    else hi = mid;
  }
  return { best: lo, steps };
}

// ------------------------------------------------------------------------------ statistics

export function median(values: readonly number[]): number | undefined {
  const finite = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (finite.length === 0) return undefined;
  const m = finite.length >> 1;
  const upper = finite[m] ?? Number.NaN;
  return finite.length % 2 === 1 ? upper : ((finite[m - 1] ?? Number.NaN) + upper) / 2;
}

/** Nearest-rank percentile of a typed array's first `count` values (sorted in place). */
export function percentileOf(values: Float64Array, count: number, p: number): number {
  if (count === 0) return Number.NaN;
  const sorted = values.subarray(0, count).sort();
  return sorted[Math.min(count - 1, Math.max(0, Math.ceil((p / 100) * count) - 1))] ?? Number.NaN;
}

export function positiveNumber(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not ${text}`);
  return n;
}

// ------------------------------------------------------------------------------ result tables

/** One row of a bench's results: what was measured, ours beside the reference, the ratio, the target. */
export interface ResultRow<Section extends string = string> {
  readonly section: Section;
  readonly measure: string;
  readonly ours: string;
  readonly reference: string;
  readonly ratio: string;
  readonly target: string;
}

/** The rows as a Markdown table (BENCHMARKS.md's shape), with the two measured columns named. */
export function resultTable(rows: readonly ResultRow[], oursHeader: string, referenceHeader: string): string[] {
  return [
    `| section | measure | ${oursHeader} | ${referenceHeader} | ratio | target |`,
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.section} | ${r.measure} | ${r.ours} | ${r.reference} | ${r.ratio} | ${r.target} |`),
  ];
}

/** Packets per second as kpps, 'n/a' when not measured. */
export function kpps(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x / 1000).toFixed(1)} kpps`;
}

/** ours / reference as "1.23 ×", 'n/a' when either is missing or the reference is 0. */
export function ratio(ours: number | undefined, reference: number | undefined): string {
  return ours === undefined || reference === undefined || !Number.isFinite(ours) || !Number.isFinite(reference) || reference === 0 ? 'n/a' : `${(ours / reference).toFixed(2)} ×`;
}

/** Bytes as whole MiB, 'n/a' when not measured. */
export function mib(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x / 1048576).toFixed(0)} MiB`;
}
