// One SessionSender in its own process, for the sender-side benchmarks.
//
//   node --conditions=@twamp/source --import tsx bench/sender.ts --port PORT --rate PPS --seconds S
//        [--host 127.0.0.1] [--protocol twamp-light|stamp] [--implementation auto|native|dgram] [--timing] [--burst N]
//
// Prints one JSON line: what was sent and received, the achieved rate, RTT and reflector turnaround
// (T3 − T2) medians, and with --timing the send-schedule error |actual − planned| from the sender's
// onSendTiming hook, and the process's garbage collections (count, total and longest pause, ms): a
// collection during a busy wait is a late send.

import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SessionSender } from '../src/index.js';
import { percentileOf } from './harness.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '2' },
    protocol: { type: 'string', default: 'twamp-light' },
    implementation: { type: 'string', default: 'auto' },
    timing: { type: 'boolean', default: false },
    /** Packets sent back to back at each scheduled time (the interval grows to match). */
    burst: { type: 'string', default: '1' },
  },
  strict: true,
});

const rate = Number(values.rate);
const burst = Math.max(1, Math.floor(Number(values.burst)));
const seconds = Number(values.seconds);
const expected = Math.ceil(rate * seconds);
// Schedule error per packet, ns (bounded: one slot per planned packet, plus margin).
const errors = new Float64Array(values.timing ? expected + 1024 : 0);
let timed = 0;
// First and last actual send times (ns): the achieved rate is measured over the sending phase only.
let firstSendNs = Number.NaN;
let lastSendNs = Number.NaN;
const controller = new AbortController();
// Bounded: never more than twice the planned time plus the loss timeout.
const guard = setTimeout(() => {
  controller.abort();
}, seconds * 2000 + 5000);

const gc = { count: 0, totalMs: 0, maxMs: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

const started = performance.now();
const sender = await SessionSender.open({
  target: { address: values.host, port: Number(values.port) },
  family: 4,
  protocol: values.protocol === 'stamp' ? 'stamp' : 'twamp-light',
  schedule: { kind: 'periodic', intervalMs: (1000 * burst) / rate },
  burst,
  count: expected,
  lossTimeoutMs: 500,
  implementation: values.implementation === 'native' || values.implementation === 'dgram' ? values.implementation : 'auto',
  signal: controller.signal,
  onSendTiming: (plannedNs: number, actualNs: number) => {
    if (Number.isNaN(firstSendNs)) firstSendNs = actualNs;
    lastSendNs = actualNs;
    if (timed < errors.length) errors[timed++] = Math.abs(actualNs - plannedNs);
  },
});
const report = await sender.done;
clearTimeout(guard);
const wallMs = performance.now() - started;
gcObserver.disconnect();
const { loss, roundTrip, processing } = report.summary;
const sendSeconds = (lastSendNs - firstSendNs) / 1e9;
process.stdout.write(
  `${JSON.stringify({
    implementation: report.capabilities.implementation,
    sent: loss.sent,
    received: loss.received,
    lossPct: loss.sent > 0 ? (100 * loss.lost) / loss.sent : Number.NaN,
    offeredPps: sendSeconds > 0 ? (report.packetsSent - 1) / sendSeconds : Number.NaN,
    durationMs: report.durationMs,
    wallMs,
    sendErrors: report.sendErrors,
    schedule: report.schedule,
    timestamps: report.timestamps,
    gc,
    rttUs: { p50: (roundTrip.median ?? Number.NaN) / 1e3, p99: (roundTrip.percentiles[99] ?? Number.NaN) / 1e3 },
    turnaroundUs: { p50: (processing.median ?? Number.NaN) / 1e3, p99: (processing.percentiles[99] ?? Number.NaN) / 1e3 },
    ...(values.timing
      ? {
          scheduleErrorUs: {
            count: timed,
            p50: percentileOf(errors, timed, 50) / 1e3,
            p99: percentileOf(errors, timed, 99) / 1e3,
            max: percentileOf(errors, timed, 100) / 1e3,
          },
        }
      : {}),
  })}\n`,
);
