// Impairments on a virtual clock: deterministic from the seed, exact to the nanosecond, with loss,
// duplication and reordering in the proportions asked for and visible to the receiver, and a
// per-packet decide() function that rules by index. All on 198.18.0.0/15 addresses of a memory
// network: nothing leaves the process.

import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { MemoryNetwork, VirtualClock } from '../../src/index.js';
import { PORT, RECEIVER, runLink, SENDER } from './scenario.js';

const N = 10_000;
/** Tolerance on a ratio over N draws: about 4 standard deviations at p = 0.1. */
const TOLERANCE = 0.012;

function outOfOrder(seqs: number[]): number {
  let count = 0;
  let highest = -1;
  for (const seq of seqs) {
    if (seq < highest) count += 1;
    else highest = seq;
  }
  return count;
}

describe('impairments on a virtual clock', () => {
  it('are deterministic: the same seed gives the same deliveries, to the nanosecond; another seed does not', async () => {
    const spec = { delayMs: 3, jitterMs: 1, loss: 0.05, duplicate: 0.05, reorder: 0.05, reorderDelayMs: 2 };
    const first = await runLink(2000, 0.5, spec, { seed: 42 });
    const again = await runLink(2000, 0.5, spec, { seed: 42 });
    const other = await runLink(2000, 0.5, spec, { seed: 43 });
    expect(first.arrivals.length).toBeGreaterThan(1800);
    expect(again.arrivals).toEqual(first.arrivals);
    expect(again.network.stats).toEqual(first.network.stats);
    expect(other.arrivals).not.toEqual(first.arrivals);
  });

  it('delays by exactly delayMs, to the nanosecond, and keeps order without jitter', async () => {
    const { arrivals, sentNs } = await runLink(100, 0.25, { delayMs: 12.345678 });
    expect(arrivals.map((a) => a.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const arrival of arrivals) expect(arrival.atNs - (sentNs[arrival.seq] ?? 0n)).toBe(12_345_678n);
  });

  it('jitter stays within ± jitterMs of the delay', async () => {
    const { arrivals, sentNs } = await runLink(1000, 1, { delayMs: 10, jitterMs: 2 });
    const delays = arrivals.map((a) => Number(a.atNs - (sentNs[a.seq] ?? 0n)));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(8_000_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(12_000_000);
    // Spread over the range, not a constant.
    expect(new Set(delays).size).toBeGreaterThan(900);
  });

  it(`loses about the share asked for over ${N} packets, and counts it`, async () => {
    const { arrivals, network } = await runLink(N, 0.1, { loss: 0.1 });
    const lost = N - arrivals.length;
    expect(Math.abs(lost / N - 0.1)).toBeLessThan(TOLERANCE);
    expect(network.stats.lost).toBe(lost);
    expect(network.stats.sent).toBe(N);
    expect(network.stats.delivered).toBe(arrivals.length);
    expect(network.stats.inFlight).toBe(0);
  });

  it('duplicates about the share asked for, and the receiver sees each copy', async () => {
    const { arrivals, network } = await runLink(N, 0.1, { duplicate: 0.1 });
    const copies = arrivals.length - N;
    expect(Math.abs(copies / N - 0.1)).toBeLessThan(TOLERANCE);
    expect(network.stats.duplicated).toBe(copies);
    expect(new Set(arrivals.map((a) => a.seq)).size).toBe(N);
  });

  it('reorders about the share asked for: held-back packets are overtaken', async () => {
    const { arrivals, network } = await runLink(N, 0.1, { delayMs: 1, reorder: 0.1, reorderDelayMs: 0.35 });
    expect(arrivals).toHaveLength(N);
    expect(Math.abs(network.stats.reordered / N - 0.1)).toBeLessThan(TOLERANCE);
    // A packet held back 0.35 ms is overtaken by the next three (0.1 ms apart).
    expect(outOfOrder(arrivals.map((a) => a.seq))).toBeGreaterThan(network.stats.reordered * 0.8);
  });

  it('decide() rules each packet by its index: drop, duplicate, delay', async () => {
    const { arrivals, sentNs, network } = await runLink(10, 1, {
      delayMs: 2,
      decide: (index) => {
        if (index % 3 === 0) return { drop: true };
        if (index === 4) return { duplicates: 2 };
        if (index === 5) return { delayMs: 1.5 };
        return undefined;
      },
    });
    expect(arrivals.map((a) => a.seq)).toEqual([1, 2, 4, 4, 4, 5, 7, 8]);
    const delayOf = (seq: number): bigint => (arrivals.find((a) => a.seq === seq)?.atNs ?? 0n) - (sentNs[seq] ?? 0n);
    expect(delayOf(1)).toBe(2_000_000n);
    expect(delayOf(5)).toBe(3_500_000n);
    expect(network.stats).toMatchObject({ lost: 4, duplicated: 2, delivered: 8 });
  });

  it('decrements the TTL by the hops of the link, and loses packets whose TTL runs out', async () => {
    const { arrivals } = await runLink(3, 1, { hops: 3 });
    expect(arrivals.map((a) => a.ttl)).toEqual([252, 252, 252]);
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock, hops: 1 });
    const a = await network.open({ family: 6, address: '2001:db8::1' });
    const b = await network.open({ family: 6, address: '2001:db8::2' });
    network.impair({ to: '2001:db8::2' }, { hops: 1 });
    const ttls: number[] = [];
    const tos: number[] = [];
    b.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) {
        ttls.push(batch.ttl(i));
        tos.push(batch.tos(i));
      }
    });
    a.send(Buffer.alloc(8), 8, '2001:db8::2', b.localPort, { ttl: 2 });
    a.send(Buffer.alloc(8), 8, '2001:db8::2', b.localPort, { ttl: 3, tos: 0xb8 });
    a.send(Buffer.alloc(8), 8, '2001:db8::2', b.localPort);
    clock.advance(1);
    // Two hops (the network's and the link's): 3 arrives as 1, the default 64 as 62; DSCP EF survives.
    expect(ttls).toEqual([1, 62]);
    expect(tos).toEqual([0xb8, 0]);
    expect(network.stats.ttlExpired).toBe(1);
  });

  it('applies per direction and per link; remove() lifts a rule', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock });
    const a = await network.open({ family: 4, address: SENDER });
    const b = await network.open({ family: 4, address: RECEIVER, port: PORT });
    const c = await network.open({ family: 4, address: RECEIVER, port: PORT + 1 });
    const rule = network.impair({ from: SENDER, to: `${RECEIVER}:${PORT}` }, { loss: 1 });
    network.impair({ from: `${RECEIVER}:${PORT}`, to: SENDER }, { delayMs: 7 });
    const got: string[] = [];
    const record = (name: string) => (batch: { count: number; timeNanos(i: number): number }) => {
      for (let i = 0; i < batch.count; i++) got.push(`${name}@${clock.monotonicMs()}`);
    };
    a.onReceive(record('a'));
    b.onReceive(record('b'));
    c.onReceive(record('c'));
    a.send(Buffer.alloc(4), 4, RECEIVER, PORT); // lost: the rule matches
    a.send(Buffer.alloc(4), 4, RECEIVER, PORT + 1); // another port: not matched
    b.send(Buffer.alloc(4), 4, SENDER, a.localPort); // the other direction: delayed 7 ms
    clock.advance(10);
    expect(got).toEqual(['c@0', 'a@7']);
    expect(rule.matched).toBe(1);
    rule.remove();
    a.send(Buffer.alloc(4), 4, RECEIVER, PORT);
    clock.advance(1);
    expect(got).toEqual(['c@0', 'a@7', 'b@10']);
  });

  it('a decide() that throws loses nothing else: the error reaches the sender, the next packet goes', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock });
    const a = await network.open({ family: 4, address: SENDER });
    const b = await network.open({ family: 4, address: RECEIVER, port: PORT });
    network.impair({ to: RECEIVER }, {
      decide: (index) => {
        if (index === 0) throw new Error('boom');
        return undefined;
      },
    });
    let received = 0;
    b.onReceive((batch) => {
      received += batch.count;
    });
    expect(() => a.send(Buffer.alloc(4), 4, RECEIVER, PORT)).toThrow('boom');
    expect(a.send(Buffer.alloc(4), 4, RECEIVER, PORT)).toBe(true);
    clock.advance(0);
    expect(received).toBe(1);
    expect(network.stats).toMatchObject({ sent: 1, delivered: 1, inFlight: 0 });
    // In a flush, the packet's outcome says so instead.
    network.clearImpairments();
    network.impair({ to: RECEIVER }, {
      decide: (index) => {
        if (index === 1) throw new Error('bang');
        return undefined;
      },
    });
    for (let i = 0; i < 3; i++) a.queue(Buffer.alloc(4), 4, RECEIVER, PORT);
    expect(a.flushSends()).toBe(2);
    expect(Array.from(a.sendResults.subarray(0, 3))).toEqual([1, -1, 1]);
    expect(a.sendError(1)?.message).toBe('bang');
    expect(a.sendError(0)).toBeUndefined();
    clock.advance(0);
    expect(received).toBe(3);
  });

  it('refuses impossible settings with one ConfigError', () => {
    const network = new MemoryNetwork();
    expect(() => network.impair({}, { loss: 1.5, delayMs: -1, hops: 0.5 })).toThrow(ConfigError);
    expect(() => network.impair({ from: 'localhost' }, {})).toThrow(ConfigError);
    expect(() => network.impair({ to: '127.0.0.1:65536' }, {})).toThrow(ConfigError);
    expect(() => network.impair({ to: '[::1' }, {})).toThrow(ConfigError);
    expect(() => network.impair({ to: '[::1]:862' }, {})).not.toThrow();
    expect(() => network.impair({ to: '*:862' }, {})).not.toThrow();
    expect(() => new MemoryNetwork({ seed: -1 })).toThrow(ConfigError);
  });
});
