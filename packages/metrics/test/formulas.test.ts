import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InterarrivalJitter, packetDelays, REORDER_HISTORY, ReorderTracker, roundTripTime } from '../src/index.js';

describe('packetDelays', () => {
  it('hand-computed: T1 10, T2 25, T3 27, T4 40', () => {
    // RTT (40 − 10) − (27 − 25) = 28; forward 15; backward 13; processing 2.
    expect(packetDelays({ t1: 10, t2: 25, t3: 27, t4: 40 })).toEqual({ rtt: 28, forward: 15, backward: 13, processing: 2 });
    expect(roundTripTime(10, 25, 27, 40)).toBe(28);
  });

  it('keeps negative one-way delays (reflector clock behind the sender)', () => {
    // Reflector clock 100 behind: T2 = 10 + 5 − 100, T3 = T2 + 1, T4 = T3 + 100 + 5.
    expect(packetDelays({ t1: 10, t2: -85, t3: -84, t4: 21 })).toEqual({ rtt: 10, forward: -95, backward: 105, processing: 1 });
  });

  it('forward + backward = RTT whatever the clock offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e6 }), (offset, fwd, bwd, proc) => {
        const t1 = 1e12;
        const d = packetDelays({ t1, t2: t1 + fwd + offset, t3: t1 + fwd + offset + proc, t4: t1 + fwd + proc + bwd });
        expect(d.forward + d.backward).toBe(d.rtt);
        expect(d.rtt).toBe(fwd + bwd);
      }),
    );
  });
});

describe('InterarrivalJitter (RFC 3550 §6.4.1)', () => {
  it('hand-computed: transits 10, 14, 11, 11', () => {
    const jitter = new InterarrivalJitter();
    jitter.update(10);
    expect(jitter.value).toBeUndefined();
    jitter.update(14); // |D| = 4: J = 0 + (4 − 0)/16
    expect(jitter.value).toBe(0.25);
    jitter.update(11); // |D| = 3: J = 0.25 + (3 − 0.25)/16
    expect(jitter.value).toBe(0.421875);
    jitter.update(11); // |D| = 0: J = 0.421875 − 0.421875/16
    expect(jitter.value).toBe(0.3955078125);
  });

  it('is unaffected by a constant offset of the transit times', () => {
    const a = new InterarrivalJitter();
    const b = new InterarrivalJitter();
    for (const t of [5, 9, 2, 7, 7, 3]) {
      a.update(t);
      b.update(t - 1e6);
    }
    expect(a.value).toBe(b.value);
  });
});

/** Reference RFC 4737 §3.3 / §4.2.1 by brute force: reordered flags and extents. */
function referenceReorder(sequences: readonly number[]): { reordered: number; extents: number[] } {
  let nextExp = -Infinity;
  const extents: number[] = [];
  sequences.forEach((s, i) => {
    if (s >= nextExp) {
      nextExp = s + 1;
      return;
    }
    const j = sequences.findIndex((earlier, k) => k < i && earlier > s);
    extents.push(i - j);
  });
  return { reordered: extents.length, extents };
}

function observeAll(sequences: readonly number[]): number[] {
  const tracker = new ReorderTracker();
  return sequences.map((s) => tracker.observe(s)).filter((e) => e >= 0);
}

describe('ReorderTracker (RFC 4737)', () => {
  it('RFC 4737 style example: 1 2 4 5 3 6 → 3 is reordered with extent 2', () => {
    expect(observeAll([1, 2, 4, 5, 3, 6])).toEqual([2]);
  });

  it('a late packet after a burst: 1 5 6 7 2 3 4 → 2, 3, 4 reordered, extents 3 4 5', () => {
    expect(observeAll([1, 5, 6, 7, 2, 3, 4])).toEqual([3, 4, 5]);
  });

  it('in order and with gaps (loss) nothing is reordered', () => {
    expect(observeAll([1, 2, 4, 7, 8, 20])).toEqual([]);
  });

  it('agrees with the brute-force definition on random permutations', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }), (raw) => {
        const sequences = [...new Set(raw)];
        const reference = referenceReorder(sequences);
        expect(observeAll(sequences)).toEqual(reference.extents);
      }),
    );
  });

  it('a full reversal of n packets reorders n − 1 with extents 1..n − 1', () => {
    const n = 50;
    const reversed = Array.from({ length: n }, (_, i) => n - i);
    expect(observeAll(reversed)).toEqual(Array.from({ length: n - 1 }, (_, i) => i + 1));
  });

  it('extents beyond the history are reported as the history length', () => {
    const sequences = [REORDER_HISTORY + 500, ...Array.from({ length: REORDER_HISTORY + 100 }, (_, i) => REORDER_HISTORY + 501 + i), 1];
    const extents = observeAll(sequences);
    expect(extents).toEqual([REORDER_HISTORY]);
  });

  it('a short history that grows keeps what it remembered, and measures longer extents from then on', () => {
    const tracker = new ReorderTracker(16);
    expect(tracker.history).toBe(16);
    for (let s = 100; s < 110; s++) tracker.observe(s);
    tracker.reserve(40);
    expect(tracker.history).toBe(64);
    for (let s = 110; s < 130; s++) tracker.observe(s);
    // Sequence 105 is below arrival 6 (sequence 106, kept across the growth): 30 − 6 = 24 > 16.
    expect(tracker.observe(105)).toBe(24);
    tracker.reserve(10_000);
    expect(tracker.history).toBe(REORDER_HISTORY);
    // Older than anything remembered by the short history: a lower bound, as documented.
    const short = new ReorderTracker(16);
    for (let s = 100; s < 130; s++) short.observe(s);
    expect(short.observe(50)).toBe(16);
  });
});
