import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Distribution, DistributionSet, HISTOGRAM_BYTES, MAX_SET_MEMBERS } from '../src/index.js';

const PERCENTILES = [10, 50, 90, 99];
const scratch = new Float64Array(1);

function addTo(set: DistributionSet, member: number, value: number): void {
  scratch[0] = value;
  set.addAt(member, scratch, 0);
}

/** The same values, one Distribution per member: what each member of a set must report. */
function separately(limit: number, columns: readonly (readonly number[])[]): Distribution[] {
  return columns.map((values) => {
    const distribution = new Distribution(limit);
    for (const v of values) distribution.add(v);
    return distribution;
  });
}

describe('DistributionSet', () => {
  it('keeps its members apart: each reports only what was added to it', () => {
    const set = new DistributionSet(3, 100);
    [1, 2, 3].forEach((v) => { addTo(set, 0, v); });
    [10, 20].forEach((v) => { addTo(set, 2, v); });
    expect(set.summary(0, [50])).toMatchObject({ count: 3, min: 1, max: 3, median: 2, exact: true });
    expect(set.summary(1, [50])).toMatchObject({ count: 0, min: undefined, median: undefined });
    expect(set.summary(2, [50])).toMatchObject({ count: 2, min: 10, max: 20, median: 10, mean: 15 });
  });

  it('moves only the member past the limit to its histogram, and frees the kept values when all have moved', () => {
    const set = new DistributionSet(2, 10);
    for (let i = 1; i <= 10; i++) {
      addTo(set, 0, i * 1000);
      addTo(set, 1, i * 1000);
    }
    // Both members at the limit, in one buffer of 2 × 10 slots (8 doubled to 16, capped at 10).
    expect(set.byteLength).toBe(2 * 10 * 8);
    addTo(set, 0, 11_000);
    expect(set.exact(0)).toBe(false);
    expect(set.exact(1)).toBe(true);
    expect(set.summary(1, [50]).median).toBe(5000);
    addTo(set, 1, 11_000);
    expect(set.exact(1)).toBe(false);
    // Only the two histograms remain, each far below its bound.
    expect(set.byteLength).toBeGreaterThan(0);
    expect(set.byteLength).toBeLessThan(2 * HISTOGRAM_BYTES);
    expect(set.byteLength).toBeLessThanOrEqual(DistributionSet.maxByteLength(2, 10));
    const median = set.summary(0, [50]).median!;
    expect(Math.abs(median - 6000) / 6000).toBeLessThan(0.01);
    set.reset();
    expect(set.exact(0)).toBe(true);
    addTo(set, 0, 7);
    expect(set.summary(0, [50])).toMatchObject({ count: 1, median: 7, exact: true });
  });

  it('merges one member into another, exact or histogram on either side', () => {
    const a = new DistributionSet(2, 4);
    const b = new DistributionSet(2, 4);
    [5, 6].forEach((v) => { addTo(a, 1, v); });
    [1, 2, 3, 4, 5, 6].forEach((v) => { addTo(b, 0, v); });
    a.mergeMember(1, b, 0);
    const merged = a.summary(1, [50]);
    expect(merged).toMatchObject({ count: 8, min: 1, max: 6, exact: false });
    expect(merged.mean).toBeCloseTo(4, 12);
    expect(a.summary(0, [50]).count).toBe(0);
  });

  it('refuses a size it cannot flag', () => {
    expect(() => new DistributionSet(0, 10)).toThrow(RangeError);
    expect(() => new DistributionSet(MAX_SET_MEMBERS + 1, 10)).toThrow(RangeError);
    expect(new DistributionSet(MAX_SET_MEMBERS, 10).size).toBe(MAX_SET_MEMBERS);
  });

  it('property: every member reports what a Distribution of its own values reports, through merges and resets', () => {
    const value = fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true });
    const step = fc.record({ member: fc.nat({ max: 3 }), value, reset: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.array(step, { maxLength: 150 }), fc.array(fc.tuple(fc.nat({ max: 3 }), value), { maxLength: 60 }), (limit, steps, other) => {
        const size = 4;
        const set = new DistributionSet(size, limit);
        let columns: number[][] = Array.from({ length: size }, () => []);
        steps.forEach(({ member, value: v, reset }, i) => {
          // Now and then (1 in 50 steps) a reset, as at the start of a reporting window.
          if (reset && i % 50 === 49) {
            set.reset();
            columns = Array.from({ length: size }, () => []);
          }
          addTo(set, member, v);
          columns[member]!.push(v);
        });
        const second = new DistributionSet(size, limit);
        for (const [member, v] of other) {
          addTo(second, member, v);
          columns[member]!.push(v);
        }
        set.mergeFrom(second);
        const reference = separately(limit, columns);
        for (let m = 0; m < size; m++) {
          const got = set.summary(m, PERCENTILES);
          const want = reference[m]!.summary(PERCENTILES);
          expect(got.count).toBe(want.count);
          expect(got.min).toBe(want.min);
          expect(got.max).toBe(want.max);
          expect(got.exact).toBe(want.exact);
          if (want.count > 0) {
            // The merge combines means by Chan's update, the reference adds one by one: equal to rounding, relative to the values' magnitude.
            const scale = Math.max(Math.abs(want.min!), Math.abs(want.max!), 1);
            expect(Math.abs(got.mean! - want.mean!)).toBeLessThanOrEqual(scale * 1e-12);
            // Both exact: the same kept values; both histograms: the same buckets.
            expect(got.median).toBe(want.median);
            expect(got.percentiles).toEqual(want.percentiles);
          }
          expect(set.byteLength).toBeLessThanOrEqual(DistributionSet.maxByteLength(size, limit));
        }
      }),
      { numRuns: 300 },
    );
  });
});
