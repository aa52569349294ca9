/**
 * Reflector benchmark for @twamp/udp, side by side in one run:
 *   - C            `blast reflect PORT` (recvmmsg/sendmmsg, the C limit)
 *   - native       bench/raw-reflector.ts on openUdpSocket({ implementation: 'native' })
 *   - dgram impl   bench/raw-reflector.ts on openUdpSocket({ implementation: 'dgram' })
 *   - node:dgram   bench/dgram-reflector.ts, the straightforward Node reflector
 *
 * For each: the highest offered rate at ≤ 0.1 % loss with 41-octet packets in 2-second steps
 * (`blast send 127.0.0.1 PORT RATE 2 41`: double from 10 kpps up to the cap, then bisect), 3 times,
 * round by round (C, native, dgram, node:dgram, C, ...), each search against a freshly started
 * reflector process on its own port that is killed afterwards; then the RTT through each reflector
 * at 1 kpps for 5 s. Prints a markdown table, the machine, and the exact commands.
 *
 *   pnpm --filter @twamp/udp bench [-- --rounds 3 --only c,native --budget 480]
 *
 * blast.c lives in the shared folder beside the repository (<repo>/../shared/tools/blast.c).
 */
import { cpus, loadavg, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  blast,
  type BlastResult,
  blastSend as blastSendKit,
  type Child,
  compileBlast,
  compileCommand,
  cpuNanos,
  freePort,
  HOST,
  kpps,
  probe,
  setChildDirectory,
  start,
  stop,
  tsxNode,
  waitFor,
} from '@twamp/bench-kit';

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const { values: opts } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'c,native,dgram,node-dgram' },
    start: { type: 'string', default: '10000' },
    max: { type: 'string', default: '400000' },
    'step-seconds': { type: 'string', default: '2' },
    size: { type: 'string', default: '41' },
    'loss-pct': { type: 'string', default: '0.1' },
    bisections: { type: 'string', default: '3' },
    'latency-rate': { type: 'string', default: '1000' },
    'latency-seconds': { type: 'string', default: '5' },
    /** Wall-clock bound for the whole bench; searches not started by then are skipped. */
    budget: { type: 'string', default: '540' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opts.help) {
  process.stdout.write('usage: pnpm --filter @twamp/udp bench [-- --rounds N --only c,native,dgram,node-dgram --budget SECONDS]\n');
  process.exit(0);
}

const ROUNDS = positiveInt(opts.rounds, 'rounds');
const START_PPS = positiveInt(opts.start, 'start');
const MAX_PPS = Math.min(positiveInt(opts.max, 'max'), 400_000); // never more than 400 kpps
const STEP_SECONDS = positiveInt(opts['step-seconds'], 'step-seconds');
const SIZE = positiveInt(opts.size, 'size');
const LOSS_PCT = Number(opts['loss-pct']);
const BISECTIONS = Math.min(positiveInt(opts.bisections, 'bisections'), 8);
const LATENCY_PPS = positiveInt(opts['latency-rate'], 'latency-rate');
const LATENCY_SECONDS = positiveInt(opts['latency-seconds'], 'latency-seconds');
const BUDGET_MS = positiveInt(opts.budget, 'budget') * 1000;
/** A step passes only when the sender really offered this share of the nominal rate. */
const OFFERED_SHARE = 0.95;
const SETTLE_MS = 300;

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not ${text}`);
  return n;
}

// ---------------------------------------------------------------- paths, blast

const benchDir = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(benchDir, '..');

setChildDirectory(packageDir);
/** Where blast was compiled (printed as $TMP in the commands). */
const workDir = dirname(blast);

// ---------------------------------------------------------------- reflectors

interface ReflectorSpec {
  readonly key: string;
  readonly label: string;
  /** The command; PORT is replaced by the port when the reflector needs one chosen for it. */
  readonly command: readonly string[];
  /** Prints `listening ADDR:PORT IMPL` and takes --port 0 (an ephemeral port chosen by the kernel). */
  readonly announces: boolean;
  /** The implementation the announcement must name. */
  readonly expect?: string;
}

const node = process.execPath;
const ALL: readonly ReflectorSpec[] = [
  { key: 'c', label: 'C `blast reflect` (recvmmsg/sendmmsg)', command: [blast, 'reflect', 'PORT'], announces: false },
  {
    key: 'native',
    label: '@twamp/udp native (raw reflector)',
    command: [...tsxNode, 'bench/raw-reflector.ts', '--port', '0', '--implementation', 'native'],
    announces: true,
    expect: 'native',
  },
  {
    key: 'dgram',
    label: '@twamp/udp dgram fallback (raw reflector)',
    command: [...tsxNode, 'bench/raw-reflector.ts', '--port', '0', '--implementation', 'dgram'],
    announces: true,
    expect: 'dgram',
  },
  {
    key: 'node-dgram',
    label: 'plain node:dgram reflector',
    command: [...tsxNode, 'bench/dgram-reflector.ts', '--port', '0'],
    announces: true,
    expect: 'node:dgram',
  },
];
const wanted = new Set(opts.only.split(',').map((s) => s.trim()));
const SPECS = ALL.filter((s) => wanted.has(s.key));
if (SPECS.length === 0) throw new Error(`--only names none of ${ALL.map((s) => s.key).join(', ')}`);

interface Reflector {
  readonly spec: ReflectorSpec;
  readonly port: number;
  readonly child: Child;
}

async function startReflector(spec: ReflectorSpec): Promise<Reflector> {
  const port = spec.announces ? 0 : await freePort();
  const command = spec.command.map((a) => (a === 'PORT' ? String(port) : a));
  const child = start(command);
  try {
    let bound = port;
    if (spec.announces) {
      const match = await waitFor(child, /^listening (\S+):(\d+) (\S+)$/m, 20_000);
      if (spec.expect !== undefined && match[3] !== spec.expect) {
        throw new Error(`asked for ${spec.expect}, got ${match[3]}`);
      }
      bound = Number(match[2]);
    }
    await probe(bound);
    return { spec, port: bound, child };
  } catch (error) {
    child.process.kill('SIGKILL');
    await child.exited;
    throw new Error(`${spec.key}: ${(error as Error).message} (${command.join(' ')}) ${child.output().trim()}`);
  }
}

/** SIGTERM (stats are printed), then SIGKILL after 3 s. Returns the stats line when there is one. */
async function stopReflector(r: Reflector): Promise<Record<string, unknown> | undefined> {
  await stop(r.child);
  const line = /^stats (\{.*\})$/m.exec(r.child.output());
  if (line?.[1] === undefined) return undefined;
  return JSON.parse(line[1]) as Record<string, unknown>;
}

interface Sample {
  readonly cpuNs: number;
  /** The reflector's own counters (our reflectors answer SIGUSR2); undefined for blast reflect. */
  readonly stats: Record<string, unknown> | undefined;
}

async function sample(r: Reflector): Promise<Sample> {
  const cpuNs = cpuNanos(r.child.process.pid);
  if (!r.spec.announces || r.child.process.exitCode !== null) return { cpuNs, stats: undefined };
  const count = (): number => r.child.output().split('\nsample ').length;
  const before = count();
  r.child.process.kill('SIGUSR2');
  for (let i = 0; i < 40 && count() === before; i++) await sleep(25);
  const lines = [...r.child.output().matchAll(/^sample (\{.*\})$/gm)];
  const last = lines.at(-1)?.[1];
  if (count() === before || last === undefined) return { cpuNs, stats: undefined };
  return { cpuNs, stats: JSON.parse(last) as Record<string, unknown> };
}

const num = (stats: Record<string, unknown> | undefined, key: string): number => {
  const v = stats?.[key];
  return typeof v === 'number' ? v : Number.NaN;
};

/** A blast run with the reflector's CPU time and batching measured around it. */
interface Measured {
  readonly result: Blast;
  /** Reflector CPU per reflected packet, µs. */
  readonly cpuUsPerPacket: number;
  /** Reflector CPU seconds per wall second of the run (its share of a CPU). */
  readonly cpuShare: number;
  /** Packets per receive callback during the run (NaN for blast reflect). */
  readonly meanBatch: number;
}

async function measured(r: Reflector, rate: number, seconds: number): Promise<Measured> {
  const a = await sample(r);
  const t0 = performance.now();
  const result = await blastSend(r.port, rate, seconds);
  const wall = (performance.now() - t0) / 1000;
  const b = await sample(r);
  const cpu = (b.cpuNs - a.cpuNs) / 1e9;
  const packets = num(b.stats, 'packetsReceived') - num(a.stats, 'packetsReceived');
  const batches = num(b.stats, 'batches') - num(a.stats, 'batches');
  return {
    result,
    cpuUsPerPacket: result.received > 0 ? (cpu * 1e6) / result.received : Number.NaN,
    cpuShare: cpu / wall,
    meanBatch: batches > 0 ? packets / batches : Number.NaN,
  };
}

// ---------------------------------------------------------------- blast send

type Blast = BlastResult;

function blastSend(port: number, rate: number, seconds: number): Promise<Blast> {
  return blastSendKit(port, rate, seconds, SIZE);
}

interface Step extends Measured {
  readonly rate: number;
  readonly pass: boolean;
}

function passes(rate: number, r: Blast): boolean {
  return r.loss_pct <= LOSS_PCT && r.offered_pps >= rate * OFFERED_SHARE && r.short_replies === 0;
}

const roundRate = (x: number): number => Math.max(1000, Math.round(x / 1000) * 1000);
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—');

/** Double from START_PPS to MAX_PPS until a step fails, then bisect (geometrically) BISECTIONS times. */
async function search(r: Reflector): Promise<{ best: Step | undefined; steps: Step[] }> {
  const steps: Step[] = [];
  const step = async (rate: number): Promise<boolean> => {
    const m = await measured(r, rate, STEP_SECONDS);
    const pass = passes(rate, m.result);
    steps.push({ ...m, rate, pass });
    log(
      `  ${r.spec.key.padEnd(10)} ${String(rate).padStart(6)} pps → offered ${m.result.offered_pps.toFixed(0).padStart(6)}, ` +
        `loss ${m.result.loss_pct.toFixed(3).padStart(7)} %, p50 ${m.result.rtt_us.p50} µs, ` +
        `cpu ${f1(m.cpuUsPerPacket)} µs/pkt (share ${m.cpuShare.toFixed(2)}), batch ${f1(m.meanBatch)} ${pass ? 'ok' : 'FAIL'}`,
    );
    await sleep(SETTLE_MS);
    return pass;
  };
  let lo = 0;
  let hi = 0;
  let rate = Math.min(START_PPS, MAX_PPS);
  for (;;) {
    if (await step(rate)) {
      lo = rate;
      if (rate >= MAX_PPS) break;
      rate = Math.min(rate * 2, MAX_PPS);
    } else {
      hi = rate;
      break;
    }
  }
  for (let i = 0; i < BISECTIONS && hi > 0; i++) {
    const mid = roundRate(lo > 0 ? Math.sqrt(lo * hi) : hi / 2);
    if (mid <= lo || mid >= hi) break;
    if (await step(mid)) lo = mid;
    else hi = mid;
  }
  return { best: steps.find((s) => s.pass && s.rate === lo), steps };
}

// ---------------------------------------------------------------- main

const startedAt = Date.now();
const log = (line: string): void => {
  process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

/** Per reflector, one entry per round. */
interface Outcome {
  readonly rates: number[];
  readonly p50: number[];
  readonly p99: number[];
  readonly latencyLoss: number[];
  /** CPU µs per packet: at 1 kpps (latency run), at the common ramp rate, at the best passing step. */
  readonly cpuAtLatency: number[];
  readonly cpuAtCommon: number[];
  readonly cpuAtBest: number[];
  /** Share of a CPU the reflector got at the first failing step (overload). */
  readonly shareAtOverload: number[];
  readonly batchAtCommon: number[];
  readonly batchAtBest: number[];
  readonly batchAtOverload: number[];
  readonly errors: string[];
  readonly searches: { round: number; steps: { rate: number; pass: boolean; loss: number; offered: number; cpuUs: number; share: number; batch: number }[] }[];
  stats: Record<string, unknown> | undefined;
}
/** Every search's ramp runs this rate (START × 4), so all reflectors are compared at it. */
const COMMON_PPS = Math.min(START_PPS * 4, MAX_PPS);
const outcomes = new Map<string, Outcome>(
  SPECS.map((s) => [
    s.key,
    {
      rates: [], p50: [], p99: [], latencyLoss: [], cpuAtLatency: [], cpuAtCommon: [], cpuAtBest: [], shareAtOverload: [],
      batchAtCommon: [], batchAtBest: [], batchAtOverload: [], errors: [], searches: [], stats: undefined,
    },
  ]),
);

const loadBefore = loadavg();
log(`compiling: ${compileCommand.join(' ')}`);
await compileBlast();

let skipped = 0;
for (let round = 1; round <= ROUNDS; round++) {
  for (const spec of SPECS) {
    const o = outcomes.get(spec.key)!;
    if (Date.now() - startedAt > BUDGET_MS) {
      skipped++;
      log(`round ${round} ${spec.key}: skipped, the ${BUDGET_MS / 1000} s budget is spent`);
      continue;
    }
    log(`round ${round}/${ROUNDS} ${spec.key} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    let reflector: Reflector | undefined;
    try {
      reflector = await startReflector(spec);
      const { best, steps } = await search(reflector);
      o.rates.push(best === undefined ? 0 : Math.round(best.result.offered_pps));
      o.searches.push({
        round,
        steps: steps.map((x) => ({
          rate: x.rate, pass: x.pass, loss: x.result.loss_pct, offered: Math.round(x.result.offered_pps),
          cpuUs: Number(x.cpuUsPerPacket.toFixed(2)), share: Number(x.cpuShare.toFixed(2)), batch: Number(x.meanBatch.toFixed(1)),
        })),
      });
      const common = steps.find((x) => x.rate === COMMON_PPS);
      if (common !== undefined) {
        o.cpuAtCommon.push(common.cpuUsPerPacket);
        o.batchAtCommon.push(common.meanBatch);
      }
      if (best !== undefined) {
        o.cpuAtBest.push(best.cpuUsPerPacket);
        o.batchAtBest.push(best.meanBatch);
      }
      const overload = steps.filter((x) => !x.pass).sort((x, y) => y.rate - x.rate)[0];
      if (overload !== undefined) {
        o.shareAtOverload.push(overload.cpuShare);
        o.batchAtOverload.push(overload.meanBatch);
      }
      const lat = await measured(reflector, LATENCY_PPS, LATENCY_SECONDS);
      log(
        `  ${spec.key.padEnd(10)} ${LATENCY_PPS} pps × ${LATENCY_SECONDS} s: p50 ${lat.result.rtt_us.p50} µs, ` +
          `p99 ${lat.result.rtt_us.p99} µs, loss ${lat.result.loss_pct} %, cpu ${f1(lat.cpuUsPerPacket)} µs/pkt`,
      );
      o.p50.push(lat.result.rtt_us.p50);
      o.p99.push(lat.result.rtt_us.p99);
      o.latencyLoss.push(lat.result.loss_pct);
      o.cpuAtLatency.push(lat.cpuUsPerPacket);
    } catch (error) {
      const message = (error as Error).message;
      o.errors.push(message);
      log(`  ${spec.key}: ${message}`);
    } finally {
      if (reflector !== undefined) {
        const stats = await stopReflector(reflector);
        if (stats !== undefined) o.stats = stats;
      }
    }
  }
}
const loadAfter = loadavg();

// ---------------------------------------------------------------- report

function median(xs: readonly number[]): number | undefined {
  const finite = xs.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return undefined;
  const s = [...finite].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}
const us = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(1)} µs`);
const fx = (x: number | undefined, digits = 1): string => (x === undefined ? '—' : x.toFixed(digits));

const c = outcomes.get('c');
const cRate = median(c?.rates ?? []);
const cP50 = median(c?.p50 ?? []);
const cCpuBest = median(c?.cpuAtBest ?? []);
const rows: string[] = [
  `| reflector | max rate at ≤ ${LOSS_PCT} % loss (median) | runs (kpps) | ratio to C | RTT p50 / p99 at ${LATENCY_PPS / 1000} kpps | added p50 vs C |`,
  '|---|---|---|---|---|---|',
];
const effRows: string[] = [
  `| reflector | CPU µs/pkt at ${LATENCY_PPS / 1000} kpps | at ${COMMON_PPS / 1000} kpps | at max rate | pkts per CPU-second at max (vs C) | CPU share at first failing step | mean batch at ${COMMON_PPS / 1000} kpps / max / overload |`,
  '|---|---|---|---|---|---|---|',
];
const summary: Record<string, unknown> = {};
for (const spec of SPECS) {
  const o = outcomes.get(spec.key)!;
  const rate = median(o.rates);
  const p50 = median(o.p50);
  const p99 = median(o.p99);
  const ratio = rate !== undefined && cRate !== undefined && cRate > 0 ? rate / cRate : undefined;
  const added = p50 !== undefined && cP50 !== undefined ? p50 - cP50 : undefined;
  rows.push(
    `| ${spec.label} | ${kpps(rate)} | ${o.rates.map((r) => (r / 1000).toFixed(0)).join(', ') || '—'} | ` +
      `${ratio === undefined ? 'n/a' : `${ratio.toFixed(2)} ×`} | ${us(p50)} / ${us(p99)} | ` +
      `${spec.key === 'c' ? '—' : added === undefined ? 'n/a' : `${added >= 0 ? '+' : ''}${added.toFixed(1)} µs`} |`,
  );
  const cpuBest = median(o.cpuAtBest);
  const perCpuSecond = cpuBest === undefined ? undefined : 1e6 / cpuBest;
  const effRatio = cpuBest !== undefined && cCpuBest !== undefined ? cCpuBest / cpuBest : undefined;
  effRows.push(
    `| ${spec.label} | ${fx(median(o.cpuAtLatency))} | ${fx(median(o.cpuAtCommon), 2)} | ${fx(cpuBest, 2)} | ` +
      `${perCpuSecond === undefined ? '—' : `${(perCpuSecond / 1000).toFixed(0)} k`}${effRatio === undefined ? '' : ` (${effRatio.toFixed(2)} ×)`} | ` +
      `${fx(median(o.shareAtOverload), 2)} | ${fx(median(o.batchAtCommon))} / ${fx(median(o.batchAtBest))} / ${fx(median(o.batchAtOverload))} |`,
  );
  summary[spec.key] = { ...o, medianRate: rate, ratioToC: ratio };
}

const fmtLoad = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
const cpu = cpus();
const lines = [
  '',
  '## @twamp/udp reflector benchmark',
  '',
  ...rows,
  '',
  `Max rate: the sender's offered rate at the highest ${STEP_SECONDS}-s step that lost ≤ ${LOSS_PCT} % (and offered ≥ ${OFFERED_SHARE * 100} % of nominal), ` +
    `${SIZE}-octet packets, doubling from ${START_PPS / 1000} kpps (cap ${MAX_PPS / 1000} kpps) then ${BISECTIONS} geometric bisections; ` +
    `${ROUNDS} rounds interleaved (${SPECS.map((x) => x.key).join(', ')}, then again), each search on a fresh reflector process; ` +
    `RTT: ${LATENCY_PPS} pps for ${LATENCY_SECONDS} s through the same process after its search, median over rounds.`,
  `Target: native ≥ 0.8 × C.${skipped > 0 ? ` ${skipped} searches skipped (time budget).` : ''}`,
  '',
  'Efficiency (medians over rounds; reflector CPU from /proc/PID/task/TID/schedstat summed over threads, per packet the sender got back):',
  '',
  ...effRows,
  '',
  `Machine: nproc ${cpu.length} (${cpu[0]?.model ?? 'unknown'}), Linux ${release()}, node ${process.version}; ` +
    `load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)}; took ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`,
  '',
  'Commands (run from packages/udp; PORT is the reflector\'s port):',
  '```',
  compileCommand.join(' ').replace(workDir, '$TMP'),
  ...SPECS.map((x) => x.command.join(' ').replace(workDir, '$TMP').replace(node, 'node')),
  `$TMP/blast send ${HOST} PORT RATE ${STEP_SECONDS} ${SIZE}        # each search step`,
  `$TMP/blast send ${HOST} PORT ${LATENCY_PPS} ${LATENCY_SECONDS} ${SIZE}      # RTT at ${LATENCY_PPS / 1000} kpps`,
  '```',
  '',
];
process.stdout.write(lines.join('\n'));
process.stdout.write(
  `${JSON.stringify({ machine: { nproc: cpu.length, loadBefore, loadAfter, node: process.version }, results: summary })}\n`,
);
const failed = [...outcomes.values()].some((o) => o.errors.length > 0);
process.exitCode = failed ? 1 : 0;
