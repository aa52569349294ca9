/**
 * @twamp/test-session benchmarks, each side by side with the C reference (blast.c) in the same run:
 *
 *   reflector   SessionReflector process (bench/reflector.ts, the `twamp responder` equivalent) vs
 *               `blast reflect`: highest offered rate at ≤ 0.1 % loss, 41-octet packets, 2-s steps
 *               of `blast send` (double from 10 kpps, then bisect), rounds interleaved.
 *   sender      SessionSender, one session (bench/sender.ts) vs `blast send`, both against
 *               `blast reflect`: highest rate at ≤ 0.1 % loss that is really offered (≥ 95 %).
 *   schedule    SessionSender at 1 kpps: p50/p99/max |actual − planned| send time (onSendTiming hook).
 *   turnaround  T3 − T2 median (read by a native SessionSender) of the native reflector vs
 *               turnaround-reflector.c (the same quantity in C: T2 from SO_TIMESTAMPNS, T3 just before
 *               sendmmsg, sleeping in epoll), at 1 and 20 kpps after a 1-s 20-kpps warm-up, with each
 *               side's decomposition (wake-up vs own work); --turnaround-spin-us N adds busy-polling
 *               variants of both.
 *   scale       10 000 reflector sessions (STAMP SSIDs at 1 packet/s, bench/session-load.ts) in one
 *               reflector process vs `blast reflect` under the same load; and 10 000 SessionSenders at
 *               1 packet/s in one process (bench/many-senders.mjs, on the built package): RSS and CPU.
 *
 *   pnpm --filter @twamp/test-session bench [-- --only reflector,sender,schedule,turnaround,scale
 *        --rounds 3 --quick --budget 1200]
 *
 * --quick is the smoke version (one round, 1-s steps, short runs, 1 000 sessions: under a minute).
 * Prints a markdown table, the machine, the exact commands, and one JSON line.
 */
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  blast,
  type BlastResult,
  blastSend,
  type Child,
  compileBlast,
  compileCommand,
  cpuNanos,
  cpuShareOver,
  HOST,
  kpps,
  lastJson,
  median,
  memory,
  mib,
  positiveNumber,
  probe,
  ratio,
  resultTable,
  type ResultRow,
  run,
  searchRate,
  start,
  stop,
  tsxNode,
  waitFor,
  startBlastReflector as startCReflector,
} from './harness.js';

// ------------------------------------------------------------------------------ options

const SECTIONS = ['reflector', 'sender', 'schedule', 'turnaround', 'scale'] as const;
type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const { values: opts } = parseArgs({
  args: argv,
  options: {
    only: { type: 'string', default: SECTIONS.join(',') },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'step-seconds': { type: 'string' },
    'loss-pct': { type: 'string', default: '0.1' },
    start: { type: 'string', default: '10000' },
    max: { type: 'string', default: '400000' },
    bisections: { type: 'string' },
    'schedule-seconds': { type: 'string' },
    'turnaround-seconds': { type: 'string' },
    /** Packet rates of the turnaround section (comma-separated pps). */
    'turnaround-rates': { type: 'string', default: '1000,20000' },
    /** With N > 0 the turnaround section adds busy-polling variants (ours: --spin-us N; C: --spin). */
    'turnaround-spin-us': { type: 'string', default: '0' },
    'scale-sessions': { type: 'string' },
    'scale-seconds': { type: 'string' },
    implementation: { type: 'string', default: 'native' },
    /** SessionSender burst in the sender search (packets per scheduled time); 1 = one packet per interval. */
    'sender-burst': { type: 'string', default: '1' },
    budget: { type: 'string', default: '1500' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opts.help) {
  process.stdout.write(`usage: pnpm --filter @twamp/test-session bench [-- --only ${SECTIONS.join(',')} --rounds N --quick --budget SECONDS]\n`);
  process.exit(0);
}
const quick = opts.quick;
const pick = (value: string | undefined, full: number, smoke: number, name: string): number =>
  value === undefined ? (quick ? smoke : full) : positiveNumber(value, name);
const ROUNDS = pick(opts.rounds, 3, 1, 'rounds');
const STEP_SECONDS = pick(opts['step-seconds'], 2, 1, 'step-seconds');
const BISECTIONS = Math.min(pick(opts.bisections, 3, 1, 'bisections'), 8);
const SCHEDULE_SECONDS = pick(opts['schedule-seconds'], 10, 2, 'schedule-seconds');
const TURNAROUND_SECONDS = pick(opts['turnaround-seconds'], 5, 2, 'turnaround-seconds');
const TURNAROUND_RATES = opts['turnaround-rates'].split(',').map((r) => positiveNumber(r.trim(), 'turnaround-rates'));
const TURNAROUND_SPIN_US = Number(opts['turnaround-spin-us']) > 0 ? positiveNumber(opts['turnaround-spin-us'], 'turnaround-spin-us') : 0;
const SCALE_SESSIONS = pick(opts['scale-sessions'], 10_000, 1000, 'scale-sessions');
const SCALE_SECONDS = pick(opts['scale-seconds'], 20, 6, 'scale-seconds');
const LOSS_PCT = Number(opts['loss-pct']);
const START_PPS = positiveNumber(opts.start, 'start');
const MAX_PPS = Math.min(positiveNumber(opts.max, 'max'), 400_000); // never more than 400 kpps
const BUDGET_MS = positiveNumber(opts.budget, 'budget') * 1000;
const IMPLEMENTATION = opts.implementation === 'dgram' ? 'dgram' : 'native';
const SENDER_BURST = Math.floor(positiveNumber(opts['sender-burst'], 'sender-burst'));
const SIZE = 41;
/** A step passes only when the sender really offered this share of the nominal rate. */
const OFFERED_SHARE = 0.95;
const SEARCH = { start: START_PPS, max: MAX_PPS, bisections: BISECTIONS, settleMs: 300 };

const wanted = new Set(opts.only.split(',').map((s) => s.trim()));
for (const name of wanted) if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section ${name} (${SECTIONS.join(', ')})`);
const enabled = (section: Section): boolean => wanted.has(section);

const startedAt = Date.now();
const log = (line: string): void => {
  process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};
const overBudget = (): boolean => Date.now() - startedAt > BUDGET_MS;

// ------------------------------------------------------------------------------ processes under test

const reflectorCommand = (protocol: 'twamp-light' | 'stamp'): string[] => [
  ...tsxNode,
  'bench/reflector.ts',
  '--port',
  '0',
  '--protocol',
  protocol,
  '--implementation',
  IMPLEMENTATION,
  '--max-sessions',
  String(Math.max(20_000, SCALE_SESSIONS * 2)),
];

interface Reflector {
  readonly child: Child;
  readonly port: number;
  readonly label: string;
}

async function startOurReflector(protocol: 'twamp-light' | 'stamp'): Promise<Reflector> {
  const child = start(reflectorCommand(protocol));
  try {
    const match = await waitFor(child, /^listening (\S+):(\d+) (\S+)$/m, 30_000);
    if (match[3] !== IMPLEMENTATION) throw new Error(`asked for ${IMPLEMENTATION}, got ${match[3]}`);
    const port = Number(match[2]);
    await probe(port);
    return { child, port, label: `SessionReflector (${IMPLEMENTATION})` };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function startBlastReflector(): Promise<Reflector> {
  return { ...(await startCReflector()), label: 'C blast reflect' };
}

interface SenderRun {
  readonly implementation: string;
  readonly sent: number;
  readonly received: number;
  readonly lossPct: number;
  readonly offeredPps: number;
  readonly sendErrors: number;
  readonly rttUs: { readonly p50: number; readonly p99: number };
  readonly turnaroundUs: { readonly p50: number; readonly p99: number };
  readonly scheduleErrorUs?: { readonly count: number; readonly p50: number; readonly p99: number; readonly max: number };
}

const senderCommand = (port: number, rate: number, seconds: number, timing: boolean, burst = 1): string[] => [
  ...tsxNode,
  'bench/sender.ts',
  '--port',
  String(port),
  '--rate',
  String(rate),
  '--seconds',
  String(seconds),
  '--implementation',
  IMPLEMENTATION,
  ...(timing ? ['--timing'] : []),
  ...(burst > 1 ? ['--burst', String(burst)] : []),
];

async function runSender(port: number, rate: number, seconds: number, timing = false, burst = 1): Promise<SenderRun> {
  const out = await run(senderCommand(port, rate, seconds, timing, burst), (seconds * 3 + 30) * 1000);
  const parsed = lastJson(out) as SenderRun | undefined;
  if (parsed === undefined) throw new Error(`sender printed no result: ${out}`);
  return parsed;
}

// ------------------------------------------------------------------------------ results

const rows: ResultRow<Section>[] = [];
const json: Record<string, unknown> = {};
const errors: string[] = [];
const fmt = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));

async function guarded(section: Section, body: () => Promise<void>): Promise<void> {
  if (!enabled(section)) return;
  if (overBudget()) {
    errors.push(`${section}: skipped, the ${BUDGET_MS / 1000} s budget is spent`);
    log(errors.at(-1)!);
    return;
  }
  log(`${section} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  try {
    await body();
  } catch (error) {
    errors.push(`${section}: ${(error as Error).message}`);
    log(`  ${section} failed: ${(error as Error).message}`);
  }
}

const blastPasses = (rate: number, r: BlastResult): boolean => r.loss_pct <= LOSS_PCT && r.offered_pps >= rate * OFFERED_SHARE && r.short_replies === 0;

// ------------------------------------------------------------------------------ (a) reflector max rate

async function reflectorSection(): Promise<void> {
  const best: Record<'ours' | 'c', number[]> = { ours: [], c: [] };
  const cpu: Record<'ours' | 'c', number[]> = { ours: [], c: [] };
  for (let round = 1; round <= ROUNDS && !overBudget(); round += 1) {
    for (const key of ['c', 'ours'] as const) {
      const reflector = key === 'c' ? await startBlastReflector() : await startOurReflector('twamp-light');
      try {
        const { best: rate, steps } = await searchRate(SEARCH, async (rate) => {
          const before = cpuNanos(reflector.child.process.pid);
          const result = await blastSend(reflector.port, rate, STEP_SECONDS, SIZE);
          const cpuUs = (cpuNanos(reflector.child.process.pid) - before) / 1e3 / Math.max(1, result.received);
          const pass = blastPasses(rate, result);
          log(`  round ${round} ${key.padEnd(4)} ${String(rate).padStart(6)} pps → offered ${result.offered_pps.toFixed(0)}, loss ${result.loss_pct.toFixed(3)} %, ${fmt(cpuUs, 2)} µs CPU/pkt ${pass ? 'ok' : 'FAIL'}`);
          return { pass, result, cpuUs };
        });
        const passing = steps.find((s) => s.pass && s.rate === rate);
        best[key].push(passing === undefined ? 0 : passing.result.offered_pps);
        if (passing !== undefined) cpu[key].push(passing.cpuUs);
      } finally {
        await stop(reflector.child);
      }
    }
  }
  const ours = median(best.ours);
  const c = median(best.c);
  rows.push({
    section: 'reflector',
    measure: `max rate at ≤ ${LOSS_PCT} % loss, ${SIZE}-octet, ${STEP_SECONDS}-s steps (rounds: ours ${best.ours.map((x) => (x / 1000).toFixed(0)).join('/')}, C ${best.c.map((x) => (x / 1000).toFixed(0)).join('/')} kpps)`,
    ours: kpps(ours),
    reference: kpps(c),
    ratio: ratio(ours, c),
    target: '—',
  });
  rows.push({
    section: 'reflector',
    measure: 'reflector CPU per packet at its max rate',
    ours: `${fmt(median(cpu.ours), 2)} µs`,
    reference: `${fmt(median(cpu.c), 2)} µs`,
    ratio: ratio(median(cpu.ours), median(cpu.c)),
    target: '—',
  });
  json['reflector'] = { ours: best.ours, c: best.c, cpuUsPerPacket: cpu };
}

// ------------------------------------------------------------------------------ (b) sender max rate

async function senderSection(): Promise<void> {
  const best: Record<'ours' | 'c', number[]> = { ours: [], c: [] };
  for (let round = 1; round <= ROUNDS && !overBudget(); round += 1) {
    const target = await startBlastReflector();
    try {
      for (const key of ['c', 'ours'] as const) {
        const { best: rate, steps } = await searchRate(SEARCH, async (rate) => {
          if (key === 'c') {
            const result = await blastSend(target.port, rate, STEP_SECONDS, SIZE);
            const pass = blastPasses(rate, result);
            log(`  round ${round} C    ${String(rate).padStart(6)} pps → offered ${result.offered_pps.toFixed(0)}, loss ${result.loss_pct.toFixed(3)} % ${pass ? 'ok' : 'FAIL'}`);
            return { pass, offered: result.offered_pps };
          }
          const result = await runSender(target.port, rate, STEP_SECONDS, false, SENDER_BURST);
          const pass = result.lossPct <= LOSS_PCT && result.offeredPps >= rate * OFFERED_SHARE && result.sendErrors === 0;
          log(`  round ${round} ours ${String(rate).padStart(6)} pps → offered ${result.offeredPps.toFixed(0)}, loss ${result.lossPct.toFixed(3)} %, send errors ${result.sendErrors} ${pass ? 'ok' : 'FAIL'}`);
          return { pass, offered: result.offeredPps };
        });
        const passing = steps.find((s) => s.pass && s.rate === rate);
        best[key].push(passing === undefined ? 0 : passing.offered);
      }
    } finally {
      await stop(target.child);
    }
  }
  const ours = median(best.ours);
  const c = median(best.c);
  rows.push({
    section: 'sender',
    measure: `one session's max rate at ≤ ${LOSS_PCT} % loss against blast reflect, burst ${SENDER_BURST} (rounds: ours ${best.ours.map((x) => (x / 1000).toFixed(0)).join('/')}, C ${best.c.map((x) => (x / 1000).toFixed(0)).join('/')} kpps)`,
    ours: kpps(ours),
    reference: `${kpps(c)} (blast send)`,
    ratio: ratio(ours, c),
    target: `≥ 100 kpps: ${ours === undefined ? 'n/a' : ours >= 100_000 ? 'met' : 'not met'}`,
  });
  json['sender'] = best;
}

// ------------------------------------------------------------------------------ (c) schedule accuracy

async function scheduleSection(): Promise<void> {
  const p50: number[] = [];
  const p99: number[] = [];
  const max: number[] = [];
  for (let round = 1; round <= ROUNDS && !overBudget(); round += 1) {
    const target = await startBlastReflector();
    try {
      const result = await runSender(target.port, 1000, SCHEDULE_SECONDS, true);
      const error = result.scheduleErrorUs;
      if (error === undefined) throw new Error('the sender reported no schedule timing');
      log(`  round ${round}: ${error.count} sends, |actual − planned| p50 ${fmt(error.p50)} µs, p99 ${fmt(error.p99)} µs, max ${fmt(error.max)} µs`);
      p50.push(error.p50);
      p99.push(error.p99);
      max.push(error.max);
    } finally {
      await stop(target.child);
    }
  }
  rows.push({
    section: 'schedule',
    measure: `send-schedule accuracy at 1 kpps for ${SCHEDULE_SECONDS} s: \\|actual − planned\\| p50 / p99 / max`,
    ours: `${fmt(median(p50))} / ${fmt(median(p99))} / ${fmt(median(max))} µs`,
    reference: 'n/a (blast send has no schedule hook)',
    ratio: '—',
    target: '—',
  });
  json['schedule'] = { p50, p99, max };
}

// ------------------------------------------------------------------------------ (d) turnaround

/** The C reference that measures what we measure: T2 from SO_TIMESTAMPNS, T3 just before sendmmsg. */
// Relative: children run in the package directory.
const turnaroundSource = 'bench/turnaround-reflector.c';
const turnaroundBinary = join(dirname(blast), 'turnaround-reflector');
const turnaroundCompile: readonly string[] = ['cc', '-O2', turnaroundSource, '-o', turnaroundBinary];
const TURNAROUND_WARMUP = { rate: 20_000, seconds: 1 };
type TurnaroundVariant = 'c' | 'ours' | 'c-spin' | 'ours-spin';
const turnaroundVariants: readonly TurnaroundVariant[] = TURNAROUND_SPIN_US > 0 ? ['c', 'ours', 'c-spin', 'ours-spin'] : ['c', 'ours'];

const turnaroundReflectorCommand = (variant: TurnaroundVariant): string[] =>
  variant === 'c' || variant === 'c-spin'
    ? [turnaroundBinary, '--port', '0', '--max-seconds', '300', ...(variant === 'c-spin' ? ['--spin'] : [])]
    : [...reflectorCommand('twamp-light'), '--trace', ...(variant === 'ours-spin' ? ['--spin-us', String(TURNAROUND_SPIN_US)] : [])];

interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}
/** One measurement: the sender's T3 − T2 and the reflector's own decomposition (µs). */
interface TurnaroundRun {
  readonly senderUs: Percentiles;
  /** delivery − T2: wake-up, libuv/epoll, recvmmsg (and for ours the N-API call into JavaScript). */
  readonly wakeUs: Percentiles;
  /** T3 − delivery: ours = JavaScript until the replies are queued + the native flush up to T3. */
  readonly userUs: Percentiles;
  readonly jsUs?: Percentiles;
  readonly flushUs?: Percentiles;
  readonly reflectorCpu: number;
  /** The rate the sender really offered (under load it falls behind the nominal one). */
  readonly offeredPps: number;
}

async function turnaroundRun(variant: TurnaroundVariant, rate: number): Promise<TurnaroundRun> {
  const ours = variant === 'ours' || variant === 'ours-spin';
  const child = start(turnaroundReflectorCommand(variant));
  try {
    const match = await waitFor(child, /^listening (\S+):(\d+) (\S+)$/m, 30_000);
    const port = Number(match[2]);
    await probe(port);
    // Warm-up (JIT, caches) that neither side counts: the sample after it starts the counts again.
    await runSender(port, TURNAROUND_WARMUP.rate, TURNAROUND_WARMUP.seconds);
    const before = child.stdout().length;
    child.process.kill('SIGUSR2');
    await waitFor({ ...child, stdout: () => child.stdout().slice(before) }, ours ? /^sample /m : /^stats /m, 5000);
    const cpuBefore = cpuNanos(child.process.pid);
    const wallBefore = performance.now();
    const sender = await runSender(port, rate, TURNAROUND_SECONDS);
    const reflectorCpu = (cpuNanos(child.process.pid) - cpuBefore) / 1e6 / (performance.now() - wallBefore);
    const after = child.stdout().length;
    await stop(child);
    const tail = child.stdout().slice(after);
    if (ours) {
      const trace = lastJson(tail, 'trace') as { wakeUs: Percentiles; jsUs: Percentiles; flushUs: Percentiles; totalUs: Percentiles } | undefined;
      if (trace === undefined) throw new Error(`the reflector printed no trace: ${child.output().slice(-2000)}`);
      return {
        senderUs: sender.turnaroundUs,
        wakeUs: trace.wakeUs,
        userUs: { p50: trace.totalUs.p50 - trace.wakeUs.p50, p99: Number.NaN },
        jsUs: trace.jsUs,
        flushUs: trace.flushUs,
        reflectorCpu,
        offeredPps: sender.offeredPps,
      };
    }
    const stats = lastJson(tail, 'stats') as { wakeUs: Percentiles; userUs: Percentiles } | undefined;
    if (stats === undefined) throw new Error(`the C reflector printed no stats: ${child.output().slice(-2000)}`);
    return { senderUs: sender.turnaroundUs, wakeUs: stats.wakeUs, userUs: stats.userUs, reflectorCpu, offeredPps: sender.offeredPps };
  } finally {
    await stop(child);
  }
}

/** Another build may be replacing the native addon under us: a failed run is tried again (bounded). */
async function turnaroundRetried(variant: TurnaroundVariant, rate: number): Promise<TurnaroundRun> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await turnaroundRun(variant, rate);
    } catch (error) {
      if (attempt >= 4) throw error;
      log(`  ${variant} at ${rate} pps failed (${(error as Error).message.split('\n')[0]?.slice(0, 160)}), again in 10 s`);
      await sleep(10_000);
    }
  }
}

async function turnaroundSection(): Promise<void> {
  await run(turnaroundCompile, 60_000);
  const results = new Map<string, TurnaroundRun[]>();
  const key = (variant: TurnaroundVariant, rate: number): string => `${variant}@${rate}`;
  // Rounds interleaved: every variant at every rate once per round, so slow drifts in the machine's
  // load fall on all of them alike.
  for (let round = 1; round <= ROUNDS && !overBudget(); round += 1) {
    for (const rate of TURNAROUND_RATES) {
      for (const variant of turnaroundVariants) {
        const r = await turnaroundRetried(variant, rate);
        const list = results.get(key(variant, rate)) ?? [];
        list.push(r);
        results.set(key(variant, rate), list);
        log(
          `  round ${round} ${String(rate).padStart(5)} pps ${variant.padEnd(9)} T3 − T2 p50 ${fmt(r.senderUs.p50, 2)} µs (p99 ${fmt(r.senderUs.p99)}): ` +
            `wake ${fmt(r.wakeUs.p50, 2)}${r.jsUs === undefined ? '' : `, js ${fmt(r.jsUs.p50, 2)}, flush ${fmt(r.flushUs?.p50, 2)}`}, user ${fmt(r.userUs.p50, 2)} µs; reflector CPU ${(r.reflectorCpu * 100).toFixed(0)} %, offered ${kpps(r.offeredPps)}`,
        );
      }
    }
  }
  const med = (variant: TurnaroundVariant, rate: number, pick: (r: TurnaroundRun) => number | undefined): number | undefined => {
    const values = (results.get(key(variant, rate)) ?? []).map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return median(values);
  };
  const us = (x: number | undefined): string => `${fmt(x, 2)} µs`;
  for (const rate of TURNAROUND_RATES) {
    const perRound = (variant: TurnaroundVariant): string => (results.get(key(variant, rate)) ?? []).map((r) => fmt(r.senderUs.p50, 1)).join('/');
    const ours = med('ours', rate, (r) => r.senderUs.p50);
    const c = med('c', rate, (r) => r.senderUs.p50);
    rows.push({
      section: 'turnaround',
      measure: `T3 − T2 median at ${rate / 1000} kpps, sleeping in epoll (T2 kernel SO_TIMESTAMPNS, T3 just before sendmmsg; read by the SessionSender; rounds: ours ${perRound('ours')}, C ${perRound('c')} µs)`,
      ours: us(ours),
      reference: `${us(c)} (turnaround-reflector.c)`,
      ratio: ratio(ours, c),
      target: `≤ 10 µs: ours ${ours !== undefined && ours <= 10 ? 'met' : 'not met'}, C ${c !== undefined && c <= 10 ? 'met' : 'not met'}`,
    });
    rows.push({
      section: 'turnaround',
      measure: `decomposition at ${rate / 1000} kpps (medians): wake = delivery − T2 (scheduler wake-up, epoll, recvmmsg; ours also libuv + N-API); user = T3 − delivery (ours: JavaScript to the queued reply + native flush to the T3 stamp)`,
      ours: `wake ${us(med('ours', rate, (r) => r.wakeUs.p50))}, js ${us(med('ours', rate, (r) => r.jsUs?.p50))} + flush ${us(med('ours', rate, (r) => r.flushUs?.p50))}; CPU ${fmt((med('ours', rate, (r) => r.reflectorCpu) ?? Number.NaN) * 100, 0)} %`,
      reference: `wake ${us(med('c', rate, (r) => r.wakeUs.p50))}, user ${us(med('c', rate, (r) => r.userUs.p50))}; CPU ${fmt((med('c', rate, (r) => r.reflectorCpu) ?? Number.NaN) * 100, 0)} %`,
      ratio: '—',
      target: '—',
    });
    if (TURNAROUND_SPIN_US > 0) {
      const oursSpin = med('ours-spin', rate, (r) => r.senderUs.p50);
      const cSpin = med('c-spin', rate, (r) => r.senderUs.p50);
      rows.push({
        section: 'turnaround',
        measure: `T3 − T2 median at ${rate / 1000} kpps, never sleeping (ours: bench/reflector.ts --spin-us ${TURNAROUND_SPIN_US}, a setImmediate chain after each batch; C: --spin, recvmmsg busy loop; rounds: ours ${perRound('ours-spin')}, C ${perRound('c-spin')} µs)`,
        ours: `${us(oursSpin)} (wake ${us(med('ours-spin', rate, (r) => r.wakeUs.p50))}, js ${us(med('ours-spin', rate, (r) => r.jsUs?.p50))}); CPU ${fmt((med('ours-spin', rate, (r) => r.reflectorCpu) ?? Number.NaN) * 100, 0)} %`,
        reference: `${us(cSpin)} (wake ${us(med('c-spin', rate, (r) => r.wakeUs.p50))}); CPU ${fmt((med('c-spin', rate, (r) => r.reflectorCpu) ?? Number.NaN) * 100, 0)} %`,
        ratio: ratio(oursSpin, cSpin),
        target: '—',
      });
    }
  }
  json['turnaround'] = Object.fromEntries(results);
}

// ------------------------------------------------------------------------------ (e) scale

interface Footprint {
  readonly rss: number;
  readonly peak: number;
  readonly cpuShare: number;
  readonly lossPct: number;
  readonly sessions?: number;
}

async function reflectorScale(key: 'ours' | 'c'): Promise<Footprint> {
  const reflector = key === 'c' ? await startBlastReflector() : await startOurReflector('stamp');
  try {
    const pid = reflector.child.process.pid;
    const load = start([...tsxNode, 'bench/session-load.ts', '--port', String(reflector.port), '--sessions', String(SCALE_SESSIONS), '--seconds', String(SCALE_SECONDS)]);
    // Measure after every session exists (one second of load), for most of the run.
    await sleep(2000);
    const cpuShare = await cpuShareOver(pid, Math.max(1000, (SCALE_SECONDS - 4) * 1000));
    const mem = memory(pid);
    let sessions: number | undefined;
    if (key === 'ours') {
      const before = reflector.child.stdout().length;
      reflector.child.process.kill('SIGUSR2');
      const sample = await waitFor({ ...reflector.child, stdout: () => reflector.child.stdout().slice(before) }, /^sample (\{.*\})$/m, 5000);
      sessions = (JSON.parse(sample[1]!) as { sessionsActive: number }).sessionsActive;
    }
    const { code } = await load.exited;
    const result = lastJson(load.stdout()) as { lossPct: number } | undefined;
    if (code !== 0 || result === undefined) throw new Error(`session load failed: ${load.output()}`);
    return { rss: mem.rss, peak: mem.peak, cpuShare, lossPct: result.lossPct, ...(sessions === undefined ? {} : { sessions }) };
  } finally {
    await stop(reflector.child);
  }
}

/** Where a process's memory is, from its own `sample` line (process.memoryUsage() and the malloc heap). */
interface MemoryBreakdown {
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly mallocHeap: number;
}

async function senderScale(): Promise<Footprint & { readonly breakdown: MemoryBreakdown | undefined }> {
  const target = await startBlastReflector();
  try {
    const senders = start([process.execPath, 'bench/many-senders.mjs', '--port', String(target.port), '--sessions', String(SCALE_SESSIONS), '--seconds', String(SCALE_SECONDS)]);
    // Opening 10 000 sessions takes 10-20 s on a quiet machine, minutes on a loaded one.
    await waitFor(senders, /^ready /m, 600_000);
    const pid = senders.process.pid;
    await sleep(1000);
    const cpuShare = await cpuShareOver(pid, Math.max(1000, (SCALE_SECONDS - 4) * 1000));
    const mem = memory(pid);
    const before = senders.stdout().length;
    senders.process.kill('SIGUSR2');
    let breakdown: MemoryBreakdown | undefined;
    try {
      const sample = await waitFor({ ...senders, stdout: () => senders.stdout().slice(before) }, /^sample (\{.*\})$/m, 5000);
      const parsed = JSON.parse(sample[1] ?? '{}') as { memory: NodeJS.MemoryUsage; mallocHeapBytes: number };
      const { heapUsed, heapTotal, external, arrayBuffers } = parsed.memory;
      breakdown = { heapUsed, heapTotal, external, arrayBuffers, mallocHeap: parsed.mallocHeapBytes };
    } catch {
      breakdown = undefined;
    }
    const timer = setTimeout(() => senders.process.kill('SIGKILL'), (SCALE_SECONDS * 2 + 60) * 1000);
    const { code } = await senders.exited;
    clearTimeout(timer);
    const result = lastJson(senders.stdout()) as { lossPct: number } | undefined;
    if (code !== 0 || result === undefined) throw new Error(`many-senders failed: ${senders.output().slice(-2000)}`);
    return { rss: mem.rss, peak: mem.peak, cpuShare, lossPct: result.lossPct, breakdown };
  } finally {
    await stop(target.child);
  }
}

async function scaleSection(): Promise<void> {
  const describe = (f: Footprint): string => `RSS ${mib(f.rss)} (peak ${mib(f.peak)}), CPU ${(f.cpuShare * 100).toFixed(1)} %, loss ${f.lossPct.toFixed(2)} %${f.sessions === undefined ? '' : `, ${f.sessions} sessions (one is the start-up probe's)`}`;
  const ours = await reflectorScale('ours');
  log(`  reflector, ${SCALE_SESSIONS} sessions: ${describe(ours)}`);
  const c = await reflectorScale('c');
  log(`  blast reflect, same load: ${describe(c)}`);
  rows.push({
    section: 'scale',
    measure: `${SCALE_SESSIONS} reflector sessions at 1 packet/s (STAMP SSIDs), one process, ${SCALE_SECONDS} s`,
    ours: describe(ours),
    reference: describe(c),
    ratio: `RSS ${ratio(ours.rss, c.rss)}, CPU ${ratio(ours.cpuShare, c.cpuShare)}`,
    target: '—',
  });
  const senders = await senderScale();
  const b = senders.breakdown;
  const where = b === undefined ? '' : `; JS heap ${mib(b.heapUsed)} used of ${mib(b.heapTotal)}, array buffers ${mib(b.arrayBuffers)}, malloc heap ${mib(b.mallocHeap)}`;
  log(`  ${SCALE_SESSIONS} senders: ${describe(senders)}${where}`);
  rows.push({
    section: 'scale',
    measure: `${SCALE_SESSIONS} SessionSenders at 1 packet/s, one process, against blast reflect, ${SCALE_SECONDS} s (RSS ≤ 300 MB; reflector row above for comparison)`,
    ours: `${describe(senders)}${where}`,
    reference: 'n/a (blast send runs one session)',
    ratio: '—',
    target: '—',
  });
  json['scale'] = { reflector: ours, blastReflect: c, senders };
}

// ------------------------------------------------------------------------------ main

const loadBefore = loadavg();
log(`compiling: ${compileCommand.join(' ')}`);
await compileBlast();
await guarded('reflector', reflectorSection);
await guarded('sender', senderSection);
await guarded('schedule', scheduleSection);
await guarded('turnaround', turnaroundSection);
await guarded('scale', scaleSection);
const loadAfter = loadavg();

const cpu = cpus();
const tmp = (text: string): string => text.replace(blast, '$TMP/blast').replace(process.execPath, 'node');
const lines = [
  '',
  `## @twamp/test-session benchmarks${quick ? ' (smoke run: --quick)' : ''}`,
  '',
  ...resultTable(rows, '@twamp/test-session', 'C reference'),
  '',
  `Rounds ${ROUNDS} (medians), ${IMPLEMENTATION} socket. Machine: nproc ${cpu.length} (${cpu[0]?.model ?? 'unknown'}), Linux ${release()}, node ${process.version}; ` +
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; took ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`,
  ...(errors.length > 0 ? ['', 'Errors:', ...errors.map((e) => `- ${e}`)] : []),
  '',
  'Commands (from packages/test-session):',
  '```',
  tmp(compileCommand.join(' ')),
  tmp(reflectorCommand('twamp-light').join(' ')),
  `$TMP/blast reflect PORT`,
  `$TMP/blast send ${HOST} PORT RATE ${STEP_SECONDS} ${SIZE}`,
  tmp(senderCommand(0, 1000, SCHEDULE_SECONDS, true).join(' ')).replace('--port 0', '--port PORT'),
  tmp(senderCommand(0, 0, STEP_SECONDS, false, SENDER_BURST).join(' ')).replace('--port 0', '--port PORT').replace('--rate 0', '--rate RATE'),
  ...(enabled('turnaround')
    ? [
        tmp(turnaroundCompile.join(' ')).replace(turnaroundBinary, '$TMP/turnaround-reflector'),
        ...turnaroundVariants.map((v) => tmp(turnaroundReflectorCommand(v).join(' ')).replace(turnaroundBinary, '$TMP/turnaround-reflector')),
        tmp(senderCommand(0, 0, TURNAROUND_SECONDS, false).join(' ')).replace('--port 0', '--port PORT').replace('--rate 0', `--rate ${TURNAROUND_RATES.join('|')}`),
      ]
    : []),
  tmp([...tsxNode, 'bench/session-load.ts', '--port', 'PORT', '--sessions', String(SCALE_SESSIONS), '--seconds', String(SCALE_SECONDS)].join(' ')),
  tmp([process.execPath, 'bench/many-senders.mjs', '--port', 'PORT', '--sessions', String(SCALE_SESSIONS), '--seconds', String(SCALE_SECONDS)].join(' ')),
  '```',
  '',
];
process.stdout.write(lines.join('\n'));
process.stdout.write(`${JSON.stringify({ machine: { nproc: cpu.length, loadBefore, loadAfter, node: process.version }, quick, rounds: ROUNDS, results: json, errors })}\n`);
process.exitCode = errors.length > 0 ? 1 : 0;
