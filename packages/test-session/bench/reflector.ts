// The `twamp responder` equivalent used by the benchmarks: one SessionReflector in its own process.
//
//   node --conditions=@twamp/source --import tsx bench/reflector.ts [--port 0] [--protocol twamp-light|stamp]
//        [--implementation auto|native|dgram] [--max-sessions N] [--trace] [--spin-us N]
//
// Prints `listening ADDR:PORT IMPL` once bound; `sample {stats}` on SIGUSR2 (with --trace, after
// `trace {...}`, whose samples then start again); `stats {stats}` on SIGTERM/SIGINT, then exits. Bounded: exits by itself after --max-seconds (default 900).
//
// --trace times every batch through the reflector's bench-only probe (traceTurnaround) and adds
// `trace {...}` before `stats`: per packet, wake = delivery to JavaScript − T2 (kernel receive
// timestamp → epoll wake-up → libuv → recvmmsg → N-API call), js = replies queued − delivery (our
// JavaScript: lookup, reflectInto, reply()), flush = T3 − queued (the native flush up to the T3
// stamp before sendmmsg), total = T3 − T2; medians and p99 in µs. Every time is read from the
// socket's clock (CLOCK_REALTIME, like T2 and T3); the probe's own clock reads add about 0.1 µs each.
//
// --spin-us N (experiment, not a reflector option): after each batch keep the event loop from
// sleeping for N µs (a setImmediate chain, so libuv polls with a zero timeout): a packet arriving
// within that window is picked up without the scheduler's wake-up. Costs one CPU at 100 % while it
// spins; at 1 kpps a window above 1 000 µs spins all the time.

import { parseArgs } from 'node:util';
import type { ReceiveBatch } from '@twamp/udp';
import { SessionReflector } from '../src/index.js';
import { traceTurnaround } from '../src/reflector/reflector.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    protocol: { type: 'string', default: 'twamp-light' },
    implementation: { type: 'string', default: 'auto' },
    'max-sessions': { type: 'string', default: '10000' },
    'max-seconds': { type: 'string', default: '900' },
    trace: { type: 'boolean', default: false },
    'spin-us': { type: 'string', default: '0' },
  },
  strict: true,
});

const protocol = values.protocol === 'stamp' ? 'stamp' : 'twamp-light';
const implementation = values.implementation === 'native' || values.implementation === 'dgram' ? values.implementation : 'auto';
const reflector = await SessionReflector.open({
  family: 4,
  address: '127.0.0.1',
  port: Number(values.port),
  protocol,
  implementation,
  maxSessions: Number(values['max-sessions']),
  // The scale load is one socket standing for N senders (STAMP SSIDs 1..N): lift the per-source
  // share (default 256) to the table's size, or the source would churn through 256 sessions.
  maxSessionsPerSource: Number(values['max-sessions']),
});

// ---- --trace and --spin-us

const NTP_UNIX_OFFSET = 2_208_988_800;
const SAMPLES = 1 << 20; // bounded: the first million packets
const wake = new Float32Array(SAMPLES);
const js = new Float32Array(SAMPLES);
const flush = new Float32Array(SAMPLES);
const total = new Float32Array(SAMPLES);
let samples = 0;
// Times are ns since `base` (a whole Unix second), so doubles keep them exact enough (< 2^53).
let base = -1;
const ntpNs = (stamp: Uint32Array): number => ((stamp[0] ?? 0) - NTP_UNIX_OFFSET - base) * 1e9 + ((stamp[1] ?? 0) * 1e9) / 2 ** 32;
let current: ReceiveBatch | undefined;
let deliveredNs = 0;
let queuedNs = 0;

const spinMs = Number(values['spin-us']) / 1000;
let lastBatchMs = 0;
let spinning = false;
const spin = (): void => {
  if (performance.now() - lastBatchMs < spinMs) setImmediate(spin);
  else spinning = false;
};

if (values.trace || spinMs > 0) {
  traceTurnaround(reflector, {
    delivered(batch, stamp) {
      if (!values.trace) return;
      if (base < 0) base = batch.timeSeconds(0);
      current = batch;
      deliveredNs = ntpNs(stamp);
    },
    queued(stamp) {
      if (values.trace) queuedNs = ntpNs(stamp);
    },
    flushed(stamp) {
      if (spinMs > 0) {
        lastBatchMs = performance.now();
        if (!spinning) {
          spinning = true;
          setImmediate(spin);
        }
      }
      const batch = current;
      current = undefined;
      if (batch === undefined) return;
      const t3 = ntpNs(stamp);
      for (let i = 0; i < batch.count && samples < SAMPLES; i++, samples++) {
        const t2 = (batch.timeSeconds(i) - base) * 1e9 + batch.timeNanos(i);
        wake[samples] = (deliveredNs - t2) / 1e3;
        js[samples] = (queuedNs - deliveredNs) / 1e3;
        flush[samples] = (t3 - queuedNs) / 1e3;
        total[samples] = (t3 - t2) / 1e3;
      }
    },
  });
}

const summary = (values: Float32Array): { p50: number; p99: number } => {
  const sorted = values.slice(0, samples).sort();
  const at = (p: number): number => sorted[Math.min(samples - 1, Math.round((p / 100) * (samples - 1)))] ?? Number.NaN;
  return { p50: at(50), p99: at(99) };
};
const traceLine = (): string =>
  `trace ${JSON.stringify({ packets: samples, wakeUs: summary(wake), jsUs: summary(js), flushUs: summary(flush), totalUs: summary(total) })}\n`;

const snapshot = (): string => JSON.stringify({ ...reflector.stats, memory: process.memoryUsage() });
process.stdout.write(`listening ${reflector.localAddress}:${reflector.localPort} ${reflector.capabilities.implementation}\n`);
process.on('SIGUSR2', () => {
  if (values.trace) {
    process.stdout.write(traceLine());
    samples = 0;
  }
  process.stdout.write(`sample ${snapshot()}\n`);
});
const finish = (): void => {
  if (values.trace) process.stdout.write(traceLine());
  process.stdout.write(`stats ${snapshot()}\n`);
  reflector.close();
  process.exit(0);
};
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
setTimeout(finish, Number(values['max-seconds']) * 1000).unref();
// Keep the process alive while the socket is open (the timer above is unref'd).
setInterval(() => undefined, 1 << 30);
