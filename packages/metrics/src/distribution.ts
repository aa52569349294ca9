// One measured quantity's distribution in bounded memory: exact while small, a ≤ 1 % histogram after.
//
// Count, min, max, mean and the population standard deviation are always exact (Welford's running
// update, numerically stable for large ns values). Percentiles come from the kept values while there
// are at most `exactSampleLimit` of them; the first value beyond that moves every kept value into a
// LogHistogram and releases the exact buffer, so memory never exceeds
// 8 · exactSampleLimit + HISTOGRAM_BYTES bytes per distribution, however long the session. Both are
// allocated on demand: the exact buffer starts at 8 values and doubles (so a distribution of n ≤ limit
// values holds < 16 · n bytes, nothing while empty), and the histogram allocates per octave (see histogram.ts).
//
// Percentile definition (both modes): nearest rank. The p-th percentile of n values is the value at
// rank ⌈p·n/100⌉ (1-based, ascending); the median is the 50th percentile, i.e. the lower median for an
// even count. Nearest rank is what makes the histogram's bound provable: the exact answer lies in the
// bucket the histogram reports, so the reported value is within the bucket's relative error of it.
import type { DistributionSummary } from './types.js';
import { HISTOGRAM_BYTES, LogHistogram } from './histogram.js';

/** Small on purpose: thousands of slow sessions each hold 7 distributions per period. */
const INITIAL_EXACT_CAPACITY = 8;
/** Carries the argument of add(value) to addAt. */
const ADD_SCRATCH = new Float64Array(1);

/** 1-based nearest rank of percentile p among n values (tolerant of p·n/100 landing a hair above an integer). */
export function nearestRank(p: number, n: number): number {
  const x = (p * n) / 100;
  const rank = Math.ceil(x - x * 1e-12);
  return rank < 1 ? 1 : rank > n ? n : rank;
}

export class Distribution {
  readonly #limit: number;
  #count = 0;
  #min = Infinity;
  #max = -Infinity;
  #mean = 0;
  #m2 = 0;
  #exact: Float64Array | undefined;
  #exactLength = 0;
  #histogram: LogHistogram | undefined;
  #usingHistogram = false;

  /** @param exactSampleLimit values kept exactly before switching to the histogram (0: histogram from the start). */
  constructor(exactSampleLimit: number) {
    this.#limit = exactSampleLimit;
  }

  get count(): number {
    return this.#count;
  }

  /** Whether percentiles are still exact. */
  get exact(): boolean {
    return !this.#usingHistogram;
  }

  /** Bytes of sample storage currently held (exact buffer plus histogram); bounded as the header says. */
  get byteLength(): number {
    return (this.#exact?.byteLength ?? 0) + (this.#histogram?.byteLength ?? 0);
  }

  /** The largest byteLength this distribution can ever reach. */
  static maxByteLength(exactSampleLimit: number): number {
    return exactSampleLimit * Float64Array.BYTES_PER_ELEMENT + HISTOGRAM_BYTES;
  }

  add(value: number): void {
    ADD_SCRATCH[0] = value;
    this.addAt(ADD_SCRATCH, 0);
  }

  /** Add values[index] (the per-packet path: no argument to box, see packet-values.ts). */
  addAt(values: Float64Array, index: number): void {
    const value = values[index] ?? 0;
    const n = ++this.#count;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    const delta = value - this.#mean;
    this.#mean += delta / n;
    this.#m2 += delta * (value - this.#mean);
    const histogram = this.#histogram;
    if (this.#usingHistogram && histogram !== undefined) {
      histogram.addAt(values, index);
    } else if (this.#exactLength < this.#limit) {
      this.#keepAt(values, index);
    } else {
      this.#switchToHistogram().addAt(values, index);
    }
  }

  /**
   * Add everything `other` holds (same exactSampleLimit), as if its values had been added here:
   * count, min, max, mean and variance combine exactly (Chan et al.'s parallel update); kept values
   * are appended while they fit, otherwise both sides go into the histogram.
   */
  mergeFrom(other: Distribution): void {
    if (other.#count === 0) return;
    const n1 = this.#count;
    const n2 = other.#count;
    const n = n1 + n2;
    const delta = other.#mean - this.#mean;
    this.#mean += (delta * n2) / n;
    this.#m2 += other.#m2 + (delta * delta * n1 * n2) / n;
    this.#count = n;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
    const theirs = other.#exact;
    if (!other.#usingHistogram && theirs !== undefined) {
      for (let i = 0; i < other.#exactLength; i++) {
        const histogram = this.#histogram;
        if (this.#usingHistogram && histogram !== undefined) histogram.addAt(theirs, i);
        else if (this.#exactLength < this.#limit) this.#keepAt(theirs, i);
        else this.#switchToHistogram().addAt(theirs, i);
      }
    } else if (other.#histogram !== undefined) {
      const histogram = this.#usingHistogram && this.#histogram !== undefined ? this.#histogram : this.#switchToHistogram();
      histogram.addAll(other.#histogram);
    }
  }

  /** An independent copy (for summaries that must not disturb this one). */
  clone(): Distribution {
    const copy = new Distribution(this.#limit);
    copy.mergeFrom(this);
    return copy;
  }

  /** Forget every value (start of a new window). Keeps the histogram's array to avoid reallocating it. */
  reset(): void {
    this.#count = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
    this.#mean = 0;
    this.#m2 = 0;
    this.#exactLength = 0;
    this.#histogram?.clear();
    this.#usingHistogram = false;
  }

  /** Summary with the given percentiles (each in (0, 100)). Does not change the distribution. */
  summary(percentiles: readonly number[]): DistributionSummary {
    const n = this.#count;
    if (n === 0) {
      return { count: 0, min: undefined, max: undefined, mean: undefined, stddev: undefined, median: undefined, percentiles: {}, exact: true };
    }
    // Ranks for the median and every requested percentile, answered in one ascending pass.
    const wanted = [50, ...percentiles];
    const ranks = wanted.map((p) => nearestRank(p, n));
    const order = ranks.map((_, i) => i).sort((a, b) => (ranks[a] ?? 0) - (ranks[b] ?? 0));
    const sortedRanks = order.map((i) => ranks[i] ?? 1);
    const sortedValues = new Array<number>(sortedRanks.length).fill(Number.NaN);
    if (this.#usingHistogram && this.#histogram !== undefined) {
      this.#histogram.valuesAtRanks(sortedRanks, sortedValues);
    } else {
      // A copy: summary() must leave the kept values (in arrival order) untouched.
      const sorted = (this.#exact ?? new Float64Array(0)).slice(0, this.#exactLength).sort();
      sortedRanks.forEach((rank, i) => (sortedValues[i] = sorted[rank - 1] ?? Number.NaN));
    }
    const values = new Array<number>(wanted.length);
    order.forEach((original, i) => {
      // The exact min and max bound every percentile; clamping the histogram's answer only helps.
      const v = sortedValues[i] ?? Number.NaN;
      values[original] = v < this.#min ? this.#min : v > this.#max ? this.#max : v;
    });
    const byPercentile: Record<number, number> = {};
    percentiles.forEach((p, i) => (byPercentile[p] = values[i + 1] ?? Number.NaN));
    return {
      count: n,
      min: this.#min,
      max: this.#max,
      mean: this.#mean,
      stddev: Math.sqrt(this.#m2 / n),
      median: values[0],
      percentiles: byPercentile,
      exact: !this.#usingHistogram,
    };
  }

  #keepAt(values: Float64Array, index: number): void {
    let buffer = this.#exact;
    if (buffer === undefined || this.#exactLength === buffer.length) buffer = this.#grow();
    buffer[this.#exactLength++] = values[index] ?? 0;
  }

  /** Double the exact buffer (from 8 values, up to the limit): amortised O(1), done ~11 times for 10 000. */
  #grow(): Float64Array {
    const buffer = this.#exact;
    const capacity = Math.min(this.#limit, Math.max(INITIAL_EXACT_CAPACITY, (buffer?.length ?? 0) * 2));
    const grown = new Float64Array(capacity);
    if (buffer !== undefined) grown.set(buffer.subarray(0, this.#exactLength));
    this.#exact = grown;
    return grown;
  }

  #switchToHistogram(): LogHistogram {
    const histogram = (this.#histogram ??= new LogHistogram());
    const kept = this.#exact;
    if (kept !== undefined) for (let i = 0; i < this.#exactLength; i++) histogram.addAt(kept, i);
    // Released so that a long session holds only the histogram.
    this.#exact = undefined;
    this.#exactLength = 0;
    this.#usingHistogram = true;
    return histogram;
  }
}
