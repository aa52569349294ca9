/**
 * Reflector hot-path benchmark: decode a Session-Sender packet and encode the Session-Reflector reply.
 * Compares reflectInto (reused reply buffer, reused context) with the straightforward reference
 * (typed objects, a new Buffer per reply), in the same process, same inputs, interleaved runs.
 *
 * Allocation is measured two ways, both reported:
 *  - GC events (PerformanceObserver 'gc') whose start falls inside the timed loops;
 *  - heap growth per op: used heap before/after chunks of ops after a full gc(), median over chunks
 *    (a chunk that contains a scavenge shows a drop and is discarded rather than counted as negative),
 *    minus the same measurement around an empty loop (reading the heap statistics allocates a little).
 *    Buffer backing stores live outside the V8 heap, so this column undercounts the reference's
 *    Buffer.alloc per reply; the GC count is the signal that covers both.
 *
 * Run: pnpm bench (from packages/wire). Prints a markdown table; the last stdout line is JSON.
 */
import { type PerformanceEntry, PerformanceObserver, performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import {
  createStampReflectContext,
  createTwampReflectContext,
  encodeStampSender,
  encodeStampTlvs,
  encodeTwampSender,
  type ReflectContext,
  reflectInto,
  type StampSecurity,
  type TwampLayout,
  twampLayout,
} from '../src/packets/index.js';
import { type ReferenceClock, referenceStampReflect, referenceTwampReflect } from './reference.js';

const OPS = Number(process.env['BENCH_OPS'] ?? 2_000_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
/**
 * The reference is several times slower (about 5-25× since its decoders stopped spreading objects, 30-50×
 * before); a tenth of the ops per run keeps the whole benchmark near a minute while each reference
 * run still spans hundreds of thousands of packets and many GC cycles.
 */
const REFERENCE_OPS = Math.max(100_000, Math.floor(OPS / 10));
const CHUNK = 10_000;
const CHUNKS = 40;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  throw new Error('run with --expose-gc (pnpm bench does)');
}

interface Scenario {
  readonly name: string;
  readonly request: Buffer;
  readonly fast: (reply: Buffer, ctx: ReflectContext) => number;
  readonly reference: (clock: ReferenceClock) => Buffer;
  readonly ctx: ReflectContext;
}

const TS = { seconds: 0xe8c1a2b3, fraction: 0x80000000 };

function twampScenario(name: string, layout: TwampLayout, padding: number): Scenario {
  const hmac = layout.sender.hmac >= 0 ? { hmac: new Uint8Array(16) } : {};
  const request = encodeTwampSender({ sequence: 1, timestamp: TS, errorEstimate: 0x8001, padding: new Uint8Array(padding).fill(0x5a), ...hmac }, layout);
  return {
    name,
    request,
    ctx: createTwampReflectContext({ layout, stateful: true }),
    fast: (reply, ctx) => reflectInto(request, request.length, reply, ctx),
    reference: (clock) => referenceTwampReflect(request, layout, clock),
  };
}

function stampScenario(name: string, security: StampSecurity): Scenario {
  const tlvs = encodeStampTlvs([
    { kind: 'extra-padding', flags: 0x80, padding: new Uint8Array(8) },
    { kind: 'unknown', flags: 0x80, type: 250, value: new Uint8Array(4) },
  ]);
  const hmac = security === 'authenticated' ? { hmac: new Uint8Array(16) } : {};
  const request = encodeStampSender({ sequence: 1, timestamp: TS, errorEstimate: 0x8001, ssid: 0x1234, tlvs, ...hmac }, security);
  return {
    name,
    request,
    ctx: createStampReflectContext({ security, stateful: true }),
    fast: (reply, ctx) => reflectInto(request, request.length, reply, ctx),
    reference: (clock) => referenceStampReflect(request, security, clock),
  };
}

const scenarios: Scenario[] = [
  twampScenario('TWAMP open, 41-octet request (27 padding)', twampLayout({ security: 'open' }), 27),
  twampScenario('TWAMP authenticated, 112-octet request', twampLayout({ security: 'authenticated' }), 64),
  stampScenario('STAMP open, 44 + 2 TLVs (64 octets)', 'open'),
];

// ---- GC observation -------------------------------------------------------------------------

const gcEntries: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => {
  gcEntries.push(...list.getEntries());
});
observer.observe({ entryTypes: ['gc'] });

async function flushObserver(): Promise<void> {
  // GC entries are delivered asynchronously; give the observer a turn before counting.
  await new Promise((resolve) => setTimeout(resolve, 20));
}

function gcEventsBetween(start: number, end: number): number {
  return gcEntries.filter((e) => e.startTime >= start && e.startTime <= end).length;
}

// ---- the two loops ----------------------------------------------------------------------------

let sink = 0;

/** reflectInto: the caller sets T2/T3 per packet, as a real reflector would; nothing else per op. */
function runFast(s: Scenario, reply: Buffer, ops: number): void {
  const ctx = s.ctx;
  const request = s.request;
  let acc = 0;
  for (let i = 0; i < ops; i++) {
    request[3] = i; // a different sender sequence each op
    ctx.receiveSeconds = TS.seconds;
    ctx.receiveFraction = i;
    ctx.sendSeconds = TS.seconds;
    ctx.sendFraction = i + 1;
    acc += s.fast(reply, ctx) + (reply[27] ?? 0);
  }
  sink += acc;
}

function runReference(s: Scenario, clock: ReferenceClock, ops: number): void {
  const request = s.request;
  let acc = 0;
  for (let i = 0; i < ops; i++) {
    request[3] = i;
    clock.receiveSeconds = TS.seconds;
    clock.receiveFraction = i;
    clock.sendSeconds = TS.seconds;
    clock.sendFraction = i + 1;
    const out = s.reference(clock);
    acc += out.length + (out[27] ?? 0);
  }
  sink += acc;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function heapUsed(): number {
  return getHeapStatistics().used_heap_size;
}

/** Median heap growth per op over chunks without a collection (see the header comment). */
function rawHeapBytesPerOp(run: (ops: number) => void): { bytesPerOp: number; cleanChunks: number } {
  gc?.();
  const deltas: number[] = [];
  for (let c = 0; c < CHUNKS; c++) {
    const before = heapUsed();
    run(CHUNK);
    const after = heapUsed();
    if (after >= before) {
      deltas.push((after - before) / CHUNK);
    }
  }
  return { bytesPerOp: deltas.length === 0 ? Number.NaN : median(deltas), cleanChunks: deltas.length };
}

let baseline = Number.NaN;

function heapBytesPerOp(run: (ops: number) => void): { bytesPerOp: number; cleanChunks: number } {
  if (Number.isNaN(baseline)) {
    baseline = rawHeapBytesPerOp((n) => {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += i;
      }
      sink += acc;
    }).bytesPerOp;
  }
  const measured = rawHeapBytesPerOp(run);
  return { bytesPerOp: Math.max(0, measured.bytesPerOp - baseline), cleanChunks: measured.cleanChunks };
}

interface Result {
  readonly scenario: string;
  readonly implementation: 'reflectInto' | 'reference';
  readonly opsPerRun: number;
  readonly nsPerOp: number;
  readonly nsPerOpMin: number;
  readonly nsPerOpMax: number;
  readonly gcEvents: number;
  readonly gcEventsPerMillionOps: number;
  readonly heapBytesPerOp: number;
  readonly heapCleanChunks: number;
}

async function measure(s: Scenario): Promise<[Result, Result]> {
  const reply = Buffer.alloc(2048);
  const clock: ReferenceClock = { sequence: 0, receiveSeconds: 0, receiveFraction: 0, sendSeconds: 0, sendFraction: 0, errorEstimate: 1, receivedTtl: 255 };
  s.ctx.errorEstimate = 1;

  // Both implementations must produce the same octets before their speed means anything.
  s.ctx.sequence = 5;
  clock.sequence = 5;
  const length = s.fast(reply, s.ctx);
  s.ctx.receiveSeconds = 0;
  const expected = s.reference(clock);
  if (length !== expected.length || !reply.subarray(0, length).equals(expected)) {
    throw new Error(`${s.name}: reflectInto and the reference disagree`);
  }

  // Warm up both so the timed runs see optimised code.
  runFast(s, reply, 300_000);
  runReference(s, clock, 300_000);

  const fastTimes: number[] = [];
  const refTimes: number[] = [];
  let fastGc = 0;
  let refGc = 0;
  for (let r = 0; r < RUNS; r++) {
    // Interleave the two so machine noise hits both alike.
    gc?.();
    let t0 = performance.now();
    let h0 = process.hrtime.bigint();
    runFast(s, reply, OPS);
    fastTimes.push(Number(process.hrtime.bigint() - h0) / OPS);
    let t1 = performance.now();
    await flushObserver();
    fastGc += gcEventsBetween(t0, t1);

    gc?.();
    t0 = performance.now();
    h0 = process.hrtime.bigint();
    runReference(s, clock, REFERENCE_OPS);
    refTimes.push(Number(process.hrtime.bigint() - h0) / REFERENCE_OPS);
    t1 = performance.now();
    await flushObserver();
    refGc += gcEventsBetween(t0, t1);
  }
  const fastHeap = heapBytesPerOp((n) => { runFast(s, reply, n); });
  const refHeap = heapBytesPerOp((n) => { runReference(s, clock, n); });
  const result = (implementation: Result['implementation'], times: number[], events: number, heap: { bytesPerOp: number; cleanChunks: number }): Result => ({
    scenario: s.name,
    implementation,
    opsPerRun: implementation === 'reflectInto' ? OPS : REFERENCE_OPS,
    nsPerOp: round(median(times)),
    nsPerOpMin: round(Math.min(...times)),
    nsPerOpMax: round(Math.max(...times)),
    gcEvents: events,
    gcEventsPerMillionOps: round((events * 1e6) / ((implementation === 'reflectInto' ? OPS : REFERENCE_OPS) * RUNS)),
    heapBytesPerOp: round(heap.bytesPerOp),
    heapCleanChunks: heap.cleanChunks,
  });
  return [result('reflectInto', fastTimes, fastGc, fastHeap), result('reference', refTimes, refGc, refHeap)];
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function main(): Promise<void> {
  const results: Result[] = [];
  for (const s of scenarios) {
    results.push(...(await measure(s)));
  }
  observer.disconnect();

  const lines = [
    `Reflector hot path (decode sender + encode reply), ${RUNS} interleaved runs per implementation, median reported;`,
    `Node ${process.version}, ${process.arch}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    '| scenario | implementation | ops/run | ns/op (median) | min–max | GC events in timed loops | GC / 1M ops | heap B/op |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) =>
      `| ${r.scenario} | ${r.implementation} | ${r.opsPerRun.toLocaleString('en-US')} | ${r.nsPerOp} | ${r.nsPerOpMin}–${r.nsPerOpMax} | ${r.gcEvents} | ${r.gcEventsPerMillionOps} | ${r.heapBytesPerOp} |`),
    '',
  ];
  const ratios = scenarios.map((s) => {
    const fast = results.find((r) => r.scenario === s.name && r.implementation === 'reflectInto')!;
    const ref = results.find((r) => r.scenario === s.name && r.implementation === 'reference')!;
    return { scenario: s.name, speedup: round(ref.nsPerOp / fast.nsPerOp) };
  });
  for (const r of ratios) {
    lines.push(`- ${r.scenario}: reference / reflectInto = ${r.speedup}×`);
  }
  const headline = results[0]!;
  const pass = results.filter((r) => r.implementation === 'reflectInto').every((r) => r.nsPerOp < 300 && r.gcEvents === 0 && r.heapBytesPerOp < 1);
  lines.push(`- target (< 300 ns/op, no GC and < 1 heap byte per op on every fast-path row): ${pass ? 'met' : 'NOT met'}`);
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ ops: OPS, referenceOps: REFERENCE_OPS, runs: RUNS, loadAverage: loadavg(), node: process.version, headline, results, ratios, targetMet: pass, sink: sink % 1000 })}\n`);
}

await main();
