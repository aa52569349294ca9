// Several distributions of one period in two typed arrays: exact while small, a ≤ 1 % histogram after.
//
// Why a set: a period holds seven distributions (RTT, both one-way delays, processing, three IPDVs)
// and an agent holds thousands of periods. As seven objects, each with its own buffer of kept values
// and five boxed doubles, that was ~5 KiB per period in object headers, heap numbers and backing
// stores. Here the running statistics of every member share one Float64Array and the kept values
// share another (member m's values are the m-th column of `capacity` slots); the members' counts grow
// together, so the common capacity wastes little. The public Distribution is a set of one.
//
// Count, min, max, mean and the population standard deviation are always exact (Welford's running
// update, numerically stable for large ns values). Percentiles come from the kept values while a
// member holds at most `exactSampleLimit` of them; its first value beyond that moves its kept values
// into a LogHistogram of its own, and when every member has moved the shared buffer is released. So
// memory never exceeds size · (8 · exactSampleLimit + HISTOGRAM_BYTES) bytes, however long the period.
// The kept values' buffer is allocated on demand: 8 slots per member, doubling up to the limit.
//
// Percentile definition: nearest rank. The p-th percentile of n values is the value at rank
// ⌈p·n/100⌉ (1-based, ascending); the median is the 50th percentile, i.e. the lower median for an
// even count. Nearest rank is what makes the histogram's bound provable: the exact answer lies in the
// bucket the histogram reports, so the reported value is within the bucket's relative error of it.
import { HISTOGRAM_BYTES, LogHistogram } from './histogram.js';
import { percentileRecord } from './percentile-record.js';
import type { DistributionSummary } from './types.js';

/** Slots per member the kept values start with (doubling from there up to the limit). */
const INITIAL_EXACT_CAPACITY = 8;

/** Running statistics per member, at member · FIELDS + field. */
const FIELDS = 6;
const COUNT = 0;
const MIN = 1;
const MAX = 2;
const MEAN = 3;
const M2 = 4;
/** Values kept exactly (0 once the member uses its histogram). */
const KEPT = 5;

/** Members per set: the histogram flags are bits of one small integer. */
export const MAX_SET_MEMBERS = 30;

/**
 * Summaries sort a copy of the kept values; up to this many values the copy goes into one buffer the
 * whole process reuses (an agent summarises thousands of windows a minute), beyond it into a
 * temporary one, so a rare huge exact session leaves nothing large behind.
 */
const SHARED_SORT_VALUES = 4096;
let sortScratch = new Float64Array(0);

function sortBuffer(n: number): Float64Array {
  if (n > SHARED_SORT_VALUES) return new Float64Array(n);
  if (sortScratch.length < n) sortScratch = new Float64Array(Math.min(SHARED_SORT_VALUES, Math.max(64, 2 * n)));
  return sortScratch;
}

/** Up to this many values are sorted in place by insertion (no typed-array view to make). */
const INSERTION_SORT_VALUES = 64;

/** Sort values[0 .. n) ascending (they are finite: recordReply refuses anything else). */
function sortPrefix(values: Float64Array, n: number): void {
  if (n > INSERTION_SORT_VALUES) {
    values.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = values[i] ?? 0;
    let j = i - 1;
    while (j >= 0 && (values[j] ?? 0) > v) {
      values[j + 1] = values[j] ?? 0;
      j--;
    }
    values[j + 1] = v;
  }
}

/** 1-based nearest rank of percentile p among n values (tolerant of p·n/100 landing a hair above an integer). */
export function nearestRank(p: number, n: number): number {
  const x = (p * n) / 100;
  const rank = Math.ceil(x - x * 1e-12);
  return rank < 1 ? 1 : rank > n ? n : rank;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/** The summary of a distribution that holds nothing. */
export function emptyDistributionSummary(): DistributionSummary {
  return { count: 0, min: undefined, max: undefined, mean: undefined, stddev: undefined, median: undefined, percentiles: {}, exact: true };
}

/**
 * `summary` with `reliable` added, as a one-way delay's summary. Written out field by field: an
 * object spread ({ ...summary, reliable }) took V8's slow path here and left ~300 octets per call in
 * the old generation, twice per window for each of an agent's thousands of targets.
 */
export function withReliability(summary: DistributionSummary, reliable: boolean): DistributionSummary & { readonly reliable: boolean } {
  const { count, min, max, mean, stddev, median, percentiles, exact } = summary;
  return { count, min, max, mean, stddev, median, percentiles, exact, reliable };
}

export class DistributionSet {
  /** Members in the set (0 .. size − 1). */
  readonly size: number;
  readonly #limit: number;
  readonly #stats: Float64Array;
  /** Kept values, member m at [m · #capacity, m · #capacity + kept); undefined until the first is kept. */
  #exact: Float64Array | undefined;
  #capacity = 0;
  /** Each member's histogram, made when it first needs one and kept (cleared) by reset(). */
  #histograms: (LogHistogram | undefined)[] | undefined;
  /** Bit m set: member m is in its histogram. */
  #histogramMembers = 0;

  /**
   * @param size members (1 .. MAX_SET_MEMBERS)
   * @param exactSampleLimit values kept exactly per member before it moves to its histogram (0: histogram from the start)
   */
  constructor(size: number, exactSampleLimit: number) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_SET_MEMBERS) throw new RangeError(`a DistributionSet has 1 to ${MAX_SET_MEMBERS} members, not ${size}`);
    this.size = size;
    this.#limit = exactSampleLimit;
    this.#stats = new Float64Array(size * FIELDS);
    this.#clearStats();
  }

  /** The largest byteLength a set of `size` members can reach: each at its exact limit and its full histogram. */
  static maxByteLength(size: number, exactSampleLimit: number): number {
    return size * (exactSampleLimit * Float64Array.BYTES_PER_ELEMENT + HISTOGRAM_BYTES);
  }

  /** Bytes of sample storage currently held (kept values and histograms); bounded as the header says. */
  get byteLength(): number {
    let bytes = this.#exact?.byteLength ?? 0;
    if (this.#histograms !== undefined) for (const histogram of this.#histograms) bytes += histogram?.byteLength ?? 0;
    return bytes;
  }

  count(member: number): number {
    return this.#stats[member * FIELDS + COUNT] ?? 0;
  }

  /** Whether the member's percentiles are still exact. */
  exact(member: number): boolean {
    return (this.#histogramMembers & (1 << member)) === 0;
  }

  /** Add values[index] to `member` (the per-packet path: no boxed argument, see packet-values.ts). */
  addAt(member: number, values: Float64Array, index: number): void {
    const value = values[index] ?? 0;
    const stats = this.#stats;
    const s = member * FIELDS;
    const n = (stats[s + COUNT] ?? 0) + 1;
    stats[s + COUNT] = n;
    if (value < (stats[s + MIN] ?? 0)) stats[s + MIN] = value;
    if (value > (stats[s + MAX] ?? 0)) stats[s + MAX] = value;
    const mean = stats[s + MEAN] ?? 0;
    const delta = value - mean;
    const updated = mean + delta / n;
    stats[s + MEAN] = updated;
    stats[s + M2] = (stats[s + M2] ?? 0) + delta * (value - updated);
    this.#place(member, values, index);
  }

  /**
   * Add everything `other`'s member `from` holds (same exactSampleLimit) to member `to`, as if its
   * values had been added there: count, min, max, mean and variance combine exactly (Chan et al.'s
   * parallel update); kept values are appended while they fit, otherwise both go into the histogram.
   */
  mergeMember(to: number, other: DistributionSet, from: number): void {
    const theirs = other.#stats;
    const f = from * FIELDS;
    const n2 = theirs[f + COUNT] ?? 0;
    if (n2 === 0) return;
    const stats = this.#stats;
    const t = to * FIELDS;
    const n1 = stats[t + COUNT] ?? 0;
    const n = n1 + n2;
    const mean = stats[t + MEAN] ?? 0;
    const delta = (theirs[f + MEAN] ?? 0) - mean;
    stats[t + MEAN] = mean + (delta * n2) / n;
    stats[t + M2] = (stats[t + M2] ?? 0) + (theirs[f + M2] ?? 0) + (delta * delta * n1 * n2) / n;
    stats[t + COUNT] = n;
    if ((theirs[f + MIN] ?? 0) < (stats[t + MIN] ?? 0)) stats[t + MIN] = theirs[f + MIN] ?? 0;
    if ((theirs[f + MAX] ?? 0) > (stats[t + MAX] ?? 0)) stats[t + MAX] = theirs[f + MAX] ?? 0;
    const histogram = other.#histogramOf(from);
    if (histogram !== undefined) {
      this.#histogramFor(to).addAll(histogram);
      return;
    }
    const kept = theirs[f + KEPT] ?? 0;
    const values = other.#exact;
    if (values === undefined) return;
    const base = from * other.#capacity;
    for (let i = 0; i < kept; i++) this.#place(to, values, base + i);
  }

  /** Add every member of `other` (same size and exactSampleLimit) to the same member here. */
  mergeFrom(other: DistributionSet): void {
    for (let m = 0; m < this.size; m++) this.mergeMember(m, other, m);
  }

  /** Forget every value (start of a new period). Keeps the buffers to avoid reallocating them. */
  reset(): void {
    this.#clearStats();
    if (this.#histograms !== undefined) for (const histogram of this.#histograms) histogram?.clear();
    this.#histogramMembers = 0;
  }

  /** Summary of `member` with the given percentiles (each in (0, 100)). Does not change the set. */
  summary(member: number, percentiles: readonly number[]): DistributionSummary {
    const stats = this.#stats;
    const s = member * FIELDS;
    const n = stats[s + COUNT] ?? 0;
    if (n === 0) return emptyDistributionSummary();
    const min = stats[s + MIN] ?? 0;
    const max = stats[s + MAX] ?? 0;
    const byPercentile = percentileRecord<number, number>();
    let median: number;
    const histogram = this.#histogramOf(member);
    if (histogram === undefined) {
      // A sorted copy (the kept values stay in arrival order), read at each rank.
      const kept = stats[s + KEPT] ?? 0;
      const base = member * this.#capacity;
      const sorted = sortBuffer(kept);
      const exact = this.#exact;
      if (exact !== undefined) for (let i = 0; i < kept; i++) sorted[i] = exact[base + i] ?? 0;
      sortPrefix(sorted, kept);
      median = sorted[nearestRank(50, n) - 1] ?? Number.NaN;
      for (const p of percentiles) byPercentile[p] = sorted[nearestRank(p, n) - 1] ?? Number.NaN;
    } else {
      // The histogram answers ranks in one ascending pass: sort them, then put the answers back in order.
      const wanted = [50, ...percentiles];
      const ranks = wanted.map((p) => nearestRank(p, n));
      const order = ranks.map((_, i) => i).sort((a, b) => (ranks[a] ?? 0) - (ranks[b] ?? 0));
      const sortedValues = new Array<number>(order.length).fill(Number.NaN);
      histogram.valuesAtRanks(
        order.map((i) => ranks[i] ?? 1),
        sortedValues,
      );
      // The exact min and max bound every percentile; clamping the histogram's answer only helps.
      const values = new Array<number>(wanted.length);
      order.forEach((original, i) => (values[original] = clamp(sortedValues[i] ?? Number.NaN, min, max)));
      median = values[0] ?? Number.NaN;
      percentiles.forEach((p, i) => (byPercentile[p] = values[i + 1] ?? Number.NaN));
    }
    return {
      count: n,
      min,
      max,
      mean: stats[s + MEAN] ?? 0,
      stddev: Math.sqrt((stats[s + M2] ?? 0) / n),
      median,
      percentiles: byPercentile,
      exact: histogram === undefined,
    };
  }

  #clearStats(): void {
    const stats = this.#stats;
    for (let s = 0; s < stats.length; s += FIELDS) {
      stats[s + COUNT] = 0;
      stats[s + MIN] = Infinity;
      stats[s + MAX] = -Infinity;
      stats[s + MEAN] = 0;
      stats[s + M2] = 0;
      stats[s + KEPT] = 0;
    }
  }

  /** The member's histogram while it is in use, else undefined. */
  #histogramOf(member: number): LogHistogram | undefined {
    return (this.#histogramMembers & (1 << member)) === 0 ? undefined : this.#histograms?.[member];
  }

  /** Store values[index] for `member`: in its histogram, among its kept values, or by moving to the histogram. */
  #place(member: number, values: Float64Array, index: number): void {
    const histogram = this.#histogramOf(member);
    if (histogram !== undefined) {
      histogram.addAt(values, index);
      return;
    }
    const k = member * FIELDS + KEPT;
    const kept = this.#stats[k] ?? 0;
    if (kept >= this.#limit) {
      this.#histogramFor(member).addAt(values, index);
      return;
    }
    if (kept >= this.#capacity) this.#grow();
    const exact = this.#exact;
    if (exact !== undefined) exact[member * this.#capacity + kept] = values[index] ?? 0;
    this.#stats[k] = kept + 1;
  }

  /** Double every member's room for kept values (from 8, up to the limit): amortised O(1) per value. */
  #grow(): void {
    const old = this.#exact;
    const oldCapacity = this.#capacity;
    const capacity = Math.min(this.#limit, Math.max(INITIAL_EXACT_CAPACITY, 2 * oldCapacity));
    const grown = new Float64Array(this.size * capacity);
    if (old !== undefined) {
      for (let m = 0; m < this.size; m++) {
        const kept = this.#stats[m * FIELDS + KEPT] ?? 0;
        if (kept > 0) grown.set(old.subarray(m * oldCapacity, m * oldCapacity + kept), m * capacity);
      }
    }
    this.#exact = grown;
    this.#capacity = capacity;
  }

  /** The member's histogram, moving its kept values into it first if it was still exact. */
  #histogramFor(member: number): LogHistogram {
    const bit = 1 << member;
    const histograms = (this.#histograms ??= new Array<LogHistogram | undefined>(this.size).fill(undefined));
    const histogram = (histograms[member] ??= new LogHistogram());
    if ((this.#histogramMembers & bit) !== 0) return histogram;
    const k = member * FIELDS + KEPT;
    const kept = this.#stats[k] ?? 0;
    const exact = this.#exact;
    if (exact !== undefined) for (let i = 0; i < kept; i++) histogram.addAt(exact, member * this.#capacity + i);
    this.#stats[k] = 0;
    this.#histogramMembers |= bit;
    // Released once no member keeps values, so a long period holds only its histograms.
    if (this.#histogramMembers === 2 ** this.size - 1) {
      this.#exact = undefined;
      this.#capacity = 0;
    }
    return histogram;
  }
}
