/**
 * @twamp/control benchmarks:
 *
 *   cycles   control sessions set up and torn down per second (connect → greeting → setup →
 *            Request-TW-Session → Start-Sessions → Stop-Sessions → close), open and encrypted mode,
 *            over loopback TCP sequentially and with N parallel clients; side by side in the same run
 *            with two in-memory references: our sans-IO ClientConnection ↔ ServerConnection (no
 *            sockets), and the bare @twamp/wire exchange (the protocol's own cost).
 *   idle     RSS and heap of a ControlServer process (bench/idle-server.ts) holding 1 000 idle
 *            control connections that completed Server-Start, against the same process idle.
 *
 * No external reference exists here: perfSONAR's twampd is not installed on this machine and
 * publishes no comparable figures, so the references are the in-memory ones above.
 *
 *   pnpm --filter @twamp/control bench [-- --only cycles,idle --seconds 5 --parallel 16 --idle 1000 --quick]
 *
 * --quick is the smoke version (1-s phases, 200 idle connections: about 15 s). Prints a markdown
 * table, the machine and one JSON line.
 */
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeSetUpResponse, Mode, SERVER_GREETING_LENGTH, SERVER_START_LENGTH } from '@twamp/wire';
import { ControlServer } from '../src/index.js';
import { RecordingHandler } from '../test/support/recording-handler.js';
import { BENCH_KEYS, type BenchMode, PBKDF2_COUNT, sansIoCycle, tcpCycle, wireCycle } from './cycles.js';

const SECTIONS = ['cycles', 'idle'] as const;
type Section = (typeof SECTIONS)[number];

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    only: { type: 'string', default: SECTIONS.join(',') },
    seconds: { type: 'string' },
    parallel: { type: 'string', default: '16' },
    idle: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) {
    process.stderr.write(`--${name} must be a positive number, got ${text}\n`);
    process.exit(2);
  }
  return value;
}

const only = new Set(opts.only.split(',').map((s) => s.trim()));
for (const name of only) {
  if (!SECTIONS.includes(name as Section)) {
    process.stderr.write(`--only: unknown section ${name} (known: ${SECTIONS.join(', ')})\n`);
    process.exit(2);
  }
}
const seconds = positive('seconds', opts.seconds ?? (opts.quick ? '1' : '5'));
const parallel = Math.floor(positive('parallel', opts.parallel));
const idleCount = Math.floor(positive('idle', opts.idle ?? (opts.quick ? '200' : '1000')));
const MODES: readonly BenchMode[] = ['open', 'encrypted'];
const MB = 1024 * 1024;

interface Rate {
  readonly cycles: number;
  readonly seconds: number;
  readonly perSecond: number;
}

function syncRate(cycle: () => void): Rate {
  for (let i = 0; i < 20; i++) cycle();
  const begun = performance.now();
  const until = begun + seconds * 1000;
  let cycles = 0;
  while (performance.now() < until) {
    cycle();
    cycles += 1;
  }
  const elapsed = (performance.now() - begun) / 1000;
  return { cycles, seconds: elapsed, perSecond: cycles / elapsed };
}

async function asyncRate(workers: number, cycle: () => Promise<void>): Promise<Rate> {
  for (let i = 0; i < 10; i++) await cycle();
  const begun = performance.now();
  const until = begun + seconds * 1000;
  let cycles = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) {
        await cycle();
        cycles += 1;
      }
    }),
  );
  const elapsed = (performance.now() - begun) / 1000;
  return { cycles, seconds: elapsed, perSecond: cycles / elapsed };
}

interface CycleRow {
  readonly mode: BenchMode;
  readonly wire: Rate;
  readonly sansIo: Rate;
  readonly tcpSequential: Rate;
  readonly tcpParallel: Rate;
}

async function cycles(): Promise<CycleRow[]> {
  const handler = new RecordingHandler({ countOnly: true });
  const limit = parallel + 64;
  const server = await ControlServer.listen({
    modes: Mode.Unauthenticated | Mode.Encrypted,
    keys: BENCH_KEYS,
    pbkdf2Count: PBKDF2_COUNT,
    handler,
    address: '127.0.0.1',
    port: 0,
    limits: { maxConnections: limit, maxConnectionsPerClient: limit, maxSessionsTotal: limit * 4 },
  });
  const rows: CycleRow[] = [];
  try {
    for (const mode of MODES) {
      process.stderr.write(`cycles: ${mode} …\n`);
      const wire = syncRate(() => {
        wireCycle(mode);
      });
      const sansIo = syncRate(() => {
        sansIoCycle(mode);
      });
      const tcpSequential = await asyncRate(1, () => tcpCycle(mode, server.port));
      const tcpParallel = await asyncRate(parallel, () => tcpCycle(mode, server.port));
      rows.push({ mode, wire, sansIo, tcpSequential, tcpParallel });
    }
  } finally {
    await server.close(0);
  }
  return rows;
}

interface Memory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly connections: number;
}

interface IdleResult {
  readonly connections: number;
  readonly before: Memory;
  readonly after: Memory;
  readonly rssPerConnection: number;
  readonly heapPerConnection: number;
}

/** Opens one connection and completes the open-mode handshake; leaves it idle. */
function idleConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = 0;
    let sentSetUp = false;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!sentSetUp && received >= SERVER_GREETING_LENGTH) {
        sentSetUp = true;
        socket.write(encodeSetUpResponse({ mode: Mode.Unauthenticated }));
      }
      if (received >= SERVER_GREETING_LENGTH + SERVER_START_LENGTH) resolve(socket);
    });
  });
}

async function idle(): Promise<IdleResult> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = fork(join(here, 'idle-server.ts'), [], {
    execArgv: ['--conditions=@twamp/source', '--import', 'tsx'],
    env: { ...process.env, IDLE_CONNECTIONS: String(idleCount) },
  });
  const next = <T>(): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('the idle server did not answer within 30 s')); }, 30_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as T);
      });
    });
  const sockets: Socket[] = [];
  try {
    const { port } = await next<{ port: number }>();
    // Warm up the server's code paths so JIT and first-use allocations are not counted per connection.
    for (let i = 0; i < 20; i++) sockets.push(await idleConnection(port));
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.send('measure');
    const before = await next<Memory>();
    process.stderr.write(`idle: opening ${idleCount} connections …\n`);
    for (let i = 0; i < idleCount; i += 50) {
      sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, idleCount - i) }, () => idleConnection(port)))));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.send('measure');
    const after = await next<Memory>();
    if (after.connections < idleCount) throw new Error(`the server holds ${after.connections} of ${idleCount} connections`);
    return {
      connections: idleCount,
      before,
      after,
      rssPerConnection: (after.rss - before.rss) / idleCount,
      heapPerConnection: (after.heapUsed - before.heapUsed) / idleCount,
    };
  } finally {
    for (const socket of sockets) socket.destroy();
    child.send('exit');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

// ------------------------------------------------------------------------------ report

const fmt = (rate: Rate): string => `${rate.perSecond.toFixed(rate.perSecond < 100 ? 1 : 0)}/s`;
const results: { cycles?: CycleRow[]; idle?: IdleResult } = {};
if (only.has('cycles')) results.cycles = await cycles();
if (only.has('idle')) results.idle = await idle();

const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? '?', kernel: release(), node: process.version, loadavg: loadavg().map((l) => Number(l.toFixed(2))) };
const lines: string[] = [];
lines.push(`machine: ${machine.cpus} × ${machine.model}, Linux ${machine.kernel}, Node ${machine.node}, load ${machine.loadavg.join(' ')}`);
lines.push(`phases of ${seconds} s; PBKDF2 Count ${PBKDF2_COUNT}; ${parallel} parallel clients; client and server in one process for cycles`);
if (results.cycles !== undefined) {
  lines.push('');
  lines.push('| mode | wire in memory (reference) | sans-IO pair in memory | TCP, 1 client | TCP, ' + String(parallel) + ' clients |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const row of results.cycles) {
    lines.push(`| ${row.mode} | ${fmt(row.wire)} | ${fmt(row.sansIo)} | ${fmt(row.tcpSequential)} | ${fmt(row.tcpParallel)} |`);
  }
}
if (results.idle !== undefined) {
  const { before, after, connections, rssPerConnection, heapPerConnection } = results.idle;
  lines.push('');
  lines.push(`| ControlServer process | RSS | heap used | external |`);
  lines.push('|---|---:|---:|---:|');
  lines.push(`| idle, no connection | ${(before.rss / MB).toFixed(1)} MB | ${(before.heapUsed / MB).toFixed(1)} MB | ${(before.external / MB).toFixed(1)} MB |`);
  lines.push(`| ${connections} idle connections | ${(after.rss / MB).toFixed(1)} MB | ${(after.heapUsed / MB).toFixed(1)} MB | ${(after.external / MB).toFixed(1)} MB |`);
  lines.push(`| per connection | ${(rssPerConnection / 1024).toFixed(1)} KiB | ${(heapPerConnection / 1024).toFixed(1)} KiB | |`);
}
process.stdout.write(`${lines.join('\n')}\n\n`);
process.stdout.write(`${JSON.stringify({ bench: '@twamp/control', machine, seconds, parallel, pbkdf2Count: PBKDF2_COUNT, ...results })}\n`);
