// Memory smoke check: typed-array bytes of one slow (1 pps) session, and the RSS of many such sessions.
// Run: node --expose-gc --conditions=@twamp/source --import tsx bench/memory.ts [sessions] [packets each]
import { SessionStatistics } from '../src/index.js';

const sessions = Number(process.argv[2] ?? 10_000);
const packetsEach = Number(process.argv[3] ?? 5);
const SECOND = 1e9;
const clock = { synchronized: true, errorSeconds: 1e-6 };
const gc = (globalThis as { gc?: () => void }).gc;

/** Feed `packets` requests at 1 pps with a ~20 ms round trip, a few hundred µs of jitter. */
function feed(stats: SessionStatistics, packets: number): void {
  for (let i = 0; i < packets; i++) {
    const t1 = i * SECOND;
    stats.recordSent(i, t1);
    const jitter = ((i * 7919) % 500) * 1000;
    const t2 = t1 + 10e6 + jitter;
    const t3 = t2 + 20_000;
    stats.recordReply({ sequence: i, reflectorSequence: i, t1, t2, t3, t4: t3 + 10e6 + jitter / 2, sentTtl: 64, reflectorReceivedTtl: 60, replyTtl: 250, senderClock: clock, reflectorClock: clock });
    stats.expire(t1);
  }
}

const options = { lossTimeout: 2 * SECOND };
const fresh = new SessionStatistics(options);
console.log(`fresh: ${fresh.byteLength} bytes of typed arrays (bound ${fresh.maxByteLength})`);
const used = new SessionStatistics(options);
feed(used, 100);
console.log(`after 100 packets at 1 pps: ${used.byteLength} bytes`);
used.takeWindow();
feed(used, 0);
console.log(`after takeWindow(): ${used.byteLength} bytes`);

gc?.();
const before = process.memoryUsage();
const all: SessionStatistics[] = [];
for (let s = 0; s < sessions; s++) {
  const stats = new SessionStatistics(options);
  feed(stats, packetsEach);
  all.push(stats);
}
gc?.();
const after = process.memoryUsage();
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
console.log(
  `${sessions} sessions × ${packetsEach} packets: RSS ${mib(after.rss)} MiB (+${mib(after.rss - before.rss)}), heap +${mib(after.heapUsed - before.heapUsed)} MiB, array buffers +${mib(after.arrayBuffers - before.arrayBuffers)} MiB, ≈ ${((after.rss - before.rss) / sessions / 1024).toFixed(1)} KiB per session`,
);
console.log(`kept ${all.length}`);
