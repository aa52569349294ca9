import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Distribution,
  HISTOGRAM_BUCKETS,
  HISTOGRAM_BYTES,
  HISTOGRAM_MAX_MAGNITUDE,
  HISTOGRAM_MIN_MAGNITUDE,
  HISTOGRAM_RELATIVE_ERROR,
  LogHistogram,
  nearestRank,
} from '../src/index.js';

/** Reference: nearest-rank percentile of an array, by sorting it. */
function exactPercentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[nearestRank(p, sorted.length) - 1]!;
}

function fill(limit: number, values: readonly number[]): Distribution {
  const distribution = new Distribution(limit);
  for (const v of values) distribution.add(v);
  return distribution;
}

describe('nearestRank', () => {
  it('is ⌈p·n/100⌉ within 1..n', () => {
    expect(nearestRank(50, 4)).toBe(2);
    expect(nearestRank(50, 5)).toBe(3);
    expect(nearestRank(90, 10)).toBe(9);
    expect(nearestRank(99, 10)).toBe(10);
    expect(nearestRank(1, 10)).toBe(1);
    expect(nearestRank(0.0001, 3)).toBe(1);
    // 7 · 100 / 100 must stay 7 despite floating point.
    expect(nearestRank(7, 100)).toBe(7);
    expect(nearestRank(99.9, 1000)).toBe(999);
    expect(nearestRank(29, 100)).toBe(29);
  });
});

describe('Distribution (exact)', () => {
  it('hand-computed vector: 2, 4, 4, 4, 5, 5, 7, 9', () => {
    const s = fill(100, [5, 2, 9, 4, 4, 7, 4, 5]).summary([25, 75, 90]);
    // mean 5, population variance 4 → stddev 2; nearest rank: 25 % → rank 2 (4), median rank 4 (4), 75 % rank 6 (5), 90 % rank 8 (9).
    expect(s).toMatchObject({ count: 8, min: 2, max: 9, median: 4, percentiles: { 25: 4, 75: 5, 90: 9 }, exact: true });
    expect(s.mean).toBeCloseTo(5, 12);
    expect(s.stddev).toBeCloseTo(2, 12);
  });

  it('keeps negative values and zero as they are', () => {
    const s = fill(100, [-3, 0, -1, 2]).summary([50]);
    expect(s.min).toBe(-3);
    expect(s.max).toBe(2);
    expect(s.mean).toBe(-0.5);
    expect(s.median).toBe(-1);
  });

  it('is empty with undefined fields', () => {
    expect(new Distribution(10).summary([99])).toEqual({
      count: 0,
      min: undefined,
      max: undefined,
      mean: undefined,
      stddev: undefined,
      median: undefined,
      percentiles: {},
      exact: true,
    });
  });

  it('summary() does not disturb what it reads', () => {
    const distribution = fill(100, [3, 1, 2]);
    const first = distribution.summary([50]);
    distribution.add(0);
    expect(first.min).toBe(1);
    expect(distribution.summary([50])).toMatchObject({ count: 4, min: 0, median: 1 });
  });

  it('mean and stddev stay exact for large nanosecond values (Welford)', () => {
    const base = 1e15;
    const s = fill(10, [base + 1, base + 2, base + 3, base + 4]).summary([]);
    expect(s.mean).toBe(base + 2.5);
    expect(s.stddev).toBeCloseTo(Math.sqrt(1.25), 6);
  });

  it('grows its exact buffer from 8 values, and holds nothing while empty', () => {
    const distribution = new Distribution(100);
    expect(distribution.byteLength).toBe(0);
    distribution.add(0);
    expect(distribution.byteLength).toBe(8 * 8);
    for (let i = 1; i < 9; i++) distribution.add(-i);
    expect(distribution.byteLength).toBe(16 * 8);
    for (let i = 9; i < 100; i++) distribution.add(i);
    // Capped at the limit, not the next power of two.
    expect(distribution.byteLength).toBe(100 * 8);
    expect(distribution.exact).toBe(true);
    expect(Distribution.maxByteLength(100)).toBe(100 * 8 + HISTOGRAM_BYTES);
  });

  it('reset() forgets everything', () => {
    const distribution = fill(2, [1, 2, 3, 4]);
    expect(distribution.exact).toBe(false);
    distribution.reset();
    expect(distribution.count).toBe(0);
    expect(distribution.exact).toBe(true);
    distribution.add(7);
    expect(distribution.summary([50])).toMatchObject({ count: 1, min: 7, max: 7, median: 7, exact: true });
  });
});

describe('LogHistogram', () => {
  it('promises ≤ 1 % and documents its size', () => {
    expect(HISTOGRAM_RELATIVE_ERROR).toBeLessThan(0.01);
    expect(HISTOGRAM_RELATIVE_ERROR).toBeGreaterThan(0.009);
    // Every bucket but zero (a plain field) as float64, and a byte of index per (sign, octave) block.
    expect(HISTOGRAM_BYTES).toBe((HISTOGRAM_BUCKETS - 1) * 8 + 98);
    expect(HISTOGRAM_BYTES).toBeLessThan(40 * 1024);
    expect(new LogHistogram().byteLength).toBe(0);
  });

  it('allocates per octave on first use, for zero, negative and positive values', () => {
    const histogram = new LogHistogram();
    histogram.add(0);
    histogram.add(HISTOGRAM_MIN_MAGNITUDE / 4);
    // The zero bucket is a field: nothing allocated yet.
    expect(histogram.byteLength).toBe(0);
    histogram.add(20e6);
    // The 98-byte index and a pool of two uint32 blocks (204 bytes each).
    expect(histogram.byteLength).toBe(98 + 2 * 204);
    for (let v = 17e6; v < 33e6; v += 1e5) histogram.add(v); // still octave 2^24
    histogram.add(-20e6); // the mirrored block: second pool slot
    expect(histogram.byteLength).toBe(98 + 2 * 204);
    histogram.add(-1e3); // a third block: the pool grows by half
    expect(histogram.byteLength).toBe(98 + 3 * 204);
    const out = [0, 0, 0, 0, 0];
    histogram.valuesAtRanks([1, 2, 3, 4, histogram.total], out);
    expect(out[0]! / -20e6 - 1).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
    expect(Math.abs(out[1]! / -1e3 - 1)).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
    expect(out.slice(2, 4)).toEqual([0, 0]);
    expect(Math.abs(out[4]! / 33e6 - 1)).toBeLessThanOrEqual(0.02);
    // clear() keeps the blocks: a window that starts again allocates nothing.
    histogram.clear();
    histogram.add(20e6);
    expect(histogram.byteLength).toBe(98 + 3 * 204);
    expect(histogram.total).toBe(1);
  });

  it('holds at most HISTOGRAM_BYTES with every octave of both signs in use', () => {
    const histogram = new LogHistogram();
    for (let exponent = -2; exponent < 49; exponent++) for (const sign of [1, -1]) histogram.add(sign * 1.5 * 2 ** exponent);
    expect(histogram.byteLength).toBe(98 + 98 * 204);
    const wide = new LogHistogram(10);
    for (let exponent = -2; exponent < 49; exponent++) for (const sign of [1, -1]) wide.add(sign * 1.5 * 2 ** exponent);
    expect(wide.wide).toBe(true);
    expect(wide.byteLength).toBe(HISTOGRAM_BYTES);
  });

  it('widens its counts to float64 before a uint32 could overflow, keeping them', () => {
    const values = [-3e6, -2, 0, 0.1, 5, 5, 7e3, 7e3, 7e3, 1e9];
    const narrow = new LogHistogram();
    const widened = new LogHistogram(4);
    for (const v of values) {
      narrow.add(v);
      widened.add(v);
    }
    expect(narrow.wide).toBe(false);
    expect(widened.wide).toBe(true);
    const ranks = values.map((_, i) => i + 1);
    const a = ranks.map(() => 0);
    const b = ranks.map(() => 0);
    narrow.valuesAtRanks(ranks, a);
    widened.valuesAtRanks(ranks, b);
    expect(b).toEqual(a);
    // Merging a narrow histogram into a wide one, and one that would pass the limit, widens too.
    const merged = new LogHistogram(12);
    merged.addAll(narrow);
    expect(merged.wide).toBe(false);
    merged.addAll(widened);
    expect(merged.wide).toBe(true);
    expect(merged.total).toBe(20);
    const c = [0, 0];
    merged.valuesAtRanks([1, 20], c);
    expect(c).toEqual([a[0], a[9]]);
  });

  it('reports every magnitude in range within the bound, both signs', () => {
    const histogram = new LogHistogram();
    const out = [0];
    for (let exponent = -2; exponent < 47; exponent += 0.013) {
      for (const sign of [1, -1]) {
        const value = sign * 2 ** exponent;
        histogram.clear();
        histogram.add(value);
        histogram.valuesAtRanks([1], out);
        expect(Math.abs(out[0]! - value) / Math.abs(value)).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
      }
    }
  });

  it('puts magnitudes below the range in the zero bucket and above it in the outermost one', () => {
    const histogram = new LogHistogram();
    const out = [0, 0, 0];
    histogram.add(HISTOGRAM_MIN_MAGNITUDE / 2);
    histogram.add(0);
    histogram.add(HISTOGRAM_MAX_MAGNITUDE * 4);
    histogram.valuesAtRanks([1, 2, 3], out);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    expect(out[2]).toBeGreaterThan(HISTOGRAM_MAX_MAGNITUDE * 0.99);
  });
});

describe('Distribution (histogram)', () => {
  // Magnitudes from 1 ns to ~10^13 ns, either sign, and exact zeros: what delays and IPDV look like.
  const value = fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 8, arbitrary: fc.double({ min: 1, max: 1e13, noNaN: true }) },
    { weight: 4, arbitrary: fc.double({ min: -1e13, max: -1, noNaN: true }) },
    { weight: 4, arbitrary: fc.integer({ min: -5_000_000, max: 5_000_000 }) },
  );

  it('every percentile is within 1 % of the exact nearest-rank percentile (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), fc.array(fc.double({ min: 0.01, max: 99.99, noNaN: true }), { maxLength: 6 }), (values, percentiles) => {
        const summary = fill(0, values).summary(percentiles);
        expect(summary.exact).toBe(false);
        const check = (reported: number | undefined, p: number): void => {
          const exact = exactPercentile(values, p);
          expect(Math.abs(reported! - exact)).toBeLessThanOrEqual(0.01 * Math.abs(exact));
        };
        check(summary.median, 50);
        for (const p of percentiles) check(summary.percentiles[p], p);
      }),
      { numRuns: 300 },
    );
  });

  it('merged histograms whose blocks were taken in different orders answer as one fed everything (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), fc.array(value, { maxLength: 200 }), (left, right) => {
        const merged = fill(0, left);
        merged.mergeFrom(fill(0, right));
        const all = [...left, ...right];
        // The same values in another order: the pool's blocks are taken in another order too.
        const single = fill(0, [...all].reverse());
        const percentiles = [1, 10, 25, 75, 99];
        const { mean: _m1, stddev: _s1, ...got } = merged.summary(percentiles);
        const { mean: _m2, stddev: _s2, ...expected } = single.summary(percentiles);
        expect(got).toEqual(expected);
        expect(merged.count).toBe(all.length);
      }),
      { numRuns: 200 },
    );
  });

  it('count, min, max, mean and stddev stay exact after the switch', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 200 }), (values) => {
        const exact = fill(1000, values).summary([]);
        const switched = fill(3, values).summary([]);
        expect(switched.count).toBe(exact.count);
        expect(switched.min).toBe(exact.min);
        expect(switched.max).toBe(exact.max);
        expect(switched.mean).toBe(exact.mean);
        expect(switched.stddev).toBe(exact.stddev);
      }),
    );
  });

  it('switches at exactSampleLimit and says so', () => {
    const distribution = fill(3, [1, 2, 3]);
    expect(distribution.summary([]).exact).toBe(true);
    distribution.add(4);
    expect(distribution.summary([]).exact).toBe(false);
  });

  it('merging equals adding everything to one distribution', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), fc.array(value, { maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (left, right, limit) => {
        const merged = fill(limit, left);
        merged.mergeFrom(fill(limit, right));
        const whole = fill(limit, [...left, ...right]);
        const a = merged.summary([10, 90]);
        const b = whole.summary([10, 90]);
        expect(a.count).toBe(b.count);
        expect(a.min).toBe(b.min);
        expect(a.max).toBe(b.max);
        expect(a.exact).toBe(b.exact);
        expect(a.median).toBe(b.median);
        expect(a.percentiles).toEqual(b.percentiles);
        if (b.count > 0) {
          const scale = Math.max(1, Math.abs(b.mean!), b.stddev!);
          expect(Math.abs(a.mean! - b.mean!)).toBeLessThanOrEqual(1e-9 * scale);
          expect(Math.abs(a.stddev! - b.stddev!)).toBeLessThanOrEqual(1e-6 * scale);
        }
      }),
    );
  });

  it('memory stays fixed for 10^6 samples', () => {
    const limit = 10_000;
    const distribution = new Distribution(limit);
    let largest = 0;
    let x = 12345;
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      distribution.add(x - 1e9);
      if ((i & 0xffff) === 0) largest = Math.max(largest, distribution.byteLength);
    }
    largest = Math.max(largest, distribution.byteLength);
    expect(distribution.count).toBe(1_000_000);
    // After the switch only the histogram is held (the octaves in use); before it, at most the exact buffer.
    expect(distribution.byteLength).toBeGreaterThan(0);
    expect(distribution.byteLength).toBeLessThanOrEqual(HISTOGRAM_BYTES);
    expect(largest).toBeLessThanOrEqual(Distribution.maxByteLength(limit));
    expect(largest).toBeLessThanOrEqual(limit * 8 + HISTOGRAM_BYTES);
  });
});
