// Smoke benchmark of the per-packet path: recordSent + recordReply + expire for N packets, 100 kpps
// timing, a few percent reordering. Run: node --conditions=@twamp/source --import tsx bench/per-packet.ts [packets]
import { PerformanceObserver } from 'node:perf_hooks';
import { SessionStatistics } from '../src/index.js';

const packets = Number(process.argv[2] ?? 2_000_000);
const interval = 10_000; // ns between sends: 100 kpps
const clock = { synchronized: true, errorSeconds: 1e-6 };

// Garbage collections while the loop runs: the per-packet path should allocate nothing, so this stays
// near zero (the exact buffers' doubling and the reply closure's boxing of T1 aside).
let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

async function run(exactSampleLimit: number): Promise<number> {
  const stats = new SessionStatistics({ lossTimeout: 1e9, inFlightCapacity: 131072, exactSampleLimit, reflectorStateful: true, percentiles: [50, 90, 99] });
  // One mutable sample reused, as a sender decoding into a reused object would.
  const sample = {
    sequence: 0,
    reflectorSequence: 0,
    t1: 0,
    t2: 0,
    t3: 0,
    t4: 0,
    sentTtl: 64,
    reflectorReceivedTtl: 60,
    replyTtl: 251,
    sentTos: 0,
    reflectorReceivedTos: 0,
    senderClock: clock,
    reflectorClock: clock,
  };
  let seed = 1;
  const reply = (seq: number): void => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const jitter = seed % 50_000;
    sample.sequence = seq;
    sample.reflectorSequence = seq;
    sample.t1 = seq * interval;
    sample.t2 = sample.t1 + 200_000 + jitter;
    sample.t3 = sample.t2 + 5_000;
    sample.t4 = sample.t3 + 200_000 + (jitter >> 1);
    stats.recordReply(sample);
  };
  const collectionsBefore = collections;
  const start = process.hrtime.bigint();
  for (let i = 0; i < packets; i++) {
    const t1 = i * interval;
    stats.recordSent(i, t1);
    // One packet in 29 overtaken by the next; one in 1000 lost.
    const phase = i % 29;
    if (phase === 6) {
      reply(i);
      reply(i - 1);
    } else if (phase !== 5 && i % 1000 !== 7) {
      reply(i);
    }
    if ((i & 63) === 0) stats.expire(t1);
  }
  const elapsed = Number(process.hrtime.bigint() - start);
  // Observer entries arrive asynchronously: let them in before counting.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const loopCollections = collections - collectionsBefore;
  const before = process.hrtime.bigint();
  const summary = stats.summary();
  const summaryNs = Number(process.hrtime.bigint() - before);
  console.log(
    `exactSampleLimit ${exactSampleLimit}: ${(elapsed / packets).toFixed(0)} ns/packet, summary() ${(summaryNs / 1e6).toFixed(2)} ms, garbage collections ${loopCollections}, received ${summary.loss.received}, reordered ${summary.reorder.reordered}`,
  );
  return elapsed / packets;
}

await run(10_000);
await run(10_000);
await run(0);
