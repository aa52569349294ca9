// A fixed-size histogram over both signs with ≤ 1 % relative error, for percentiles of long sessions.
//
// Buckets: each power-of-two octave [2^e, 2^(e+1)) of magnitudes is cut into SUB_BUCKETS equal parts
// (the bucket index comes from the float's exponent and mantissa bits: no logarithm per value, which
// matters on the per-packet path). A bucket [a, b) is reported as r = 2ab / (a + b), the point at the
// same relative distance from both edges, so a reported value is within (b − a)/(a + b) of any value in
// its bucket. The worst case, the first bucket of an octave, is 1/(2·SUB_BUCKETS + 1) = 0.971 % with
// 51 parts; HISTOGRAM_RELATIVE_ERROR is that bound computed from the actual edges at load time.
//
// Both signs: one-way delays with unsynchronised clocks and IPDV are negative as often as positive and
// are never clamped; negative magnitudes use a mirrored set of buckets. The counts array is ordered by
// value (most negative first, zero bucket, then positive) so percentiles are one ascending pass.
//
// Range: magnitudes from 2^-2 ns (about the 0.233 ns resolution of an NTP timestamp) to 2^47 ns
// (≈ 39 hours). Smaller magnitudes fall in the zero bucket, reported as 0 (an absolute error below the
// timestamp resolution); larger ones share the outermost bucket. Reported percentiles are then clamped
// to the exact min and max, which only brings them closer.

const SUB_BUCKETS = 51;
const MIN_EXPONENT = -2;
const MAX_EXPONENT = 46;
const OCTAVES = MAX_EXPONENT - MIN_EXPONENT + 1;
/** Buckets per sign. */
const BUCKETS_PER_SIGN = OCTAVES * SUB_BUCKETS;
const ZERO_INDEX = BUCKETS_PER_SIGN;

export const HISTOGRAM_MIN_MAGNITUDE = 2 ** MIN_EXPONENT;
export const HISTOGRAM_MAX_MAGNITUDE = 2 ** (MAX_EXPONENT + 1);
/** Counts per histogram: both signs and the zero bucket. */
export const HISTOGRAM_BUCKETS = 2 * BUCKETS_PER_SIGN + 1;
/** Bytes of one histogram's counts (float64: exact to 2^53 per bucket, where a uint32 would overflow in ~12 h at 100 kpps). */
export const HISTOGRAM_BYTES = HISTOGRAM_BUCKETS * Float64Array.BYTES_PER_ELEMENT;

const MANTISSA_HIGH_BITS = 20;
const MANTISSA_SCALE = 2 ** MANTISSA_HIGH_BITS;

// The float's high 32 bits (sign, exponent, top 20 mantissa bits), read through a shared scratch view.
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
/** Carries the argument of add(value) to addAt. */
const ADD_SCRATCH = new Float64Array(1);

/**
 * Relative representative of sub-bucket j of an octave (multiply by 2^e), from its exact edges: the
 * sub-bucket holds the mantissas m (top 20 bits) with ⌊m·SUB_BUCKETS / 2^20⌋ = j.
 */
const SUB_REPRESENTATIVE = new Float64Array(SUB_BUCKETS);
let worstError = 0;
for (let j = 0; j < SUB_BUCKETS; j++) {
  const a = 1 + Math.ceil((j * MANTISSA_SCALE) / SUB_BUCKETS) / MANTISSA_SCALE;
  const b = 1 + Math.ceil(((j + 1) * MANTISSA_SCALE) / SUB_BUCKETS) / MANTISSA_SCALE;
  SUB_REPRESENTATIVE[j] = (2 * a * b) / (a + b);
  worstError = Math.max(worstError, (b - a) / (a + b));
}
/** The largest relative error of a reported value within the range (≈ 0.971 %, plus float rounding slack). */
export const HISTOGRAM_RELATIVE_ERROR = worstError + 1e-12;

/** The value a counts index stands for. */
function representative(index: number): number {
  if (index === ZERO_INDEX) return 0;
  const i = index > ZERO_INDEX ? index - ZERO_INDEX - 1 : ZERO_INDEX - 1 - index;
  const octave = Math.floor(i / SUB_BUCKETS);
  const magnitude = 2 ** (octave + MIN_EXPONENT) * (SUB_REPRESENTATIVE[i - octave * SUB_BUCKETS] ?? 1);
  return index > ZERO_INDEX ? magnitude : -magnitude;
}

export class LogHistogram {
  readonly #counts = new Float64Array(HISTOGRAM_BUCKETS);
  #total = 0;

  get total(): number {
    return this.#total;
  }

  /** Bytes held by this histogram (fixed). */
  get byteLength(): number {
    return this.#counts.byteLength;
  }

  add(value: number): void {
    ADD_SCRATCH[0] = value;
    this.addAt(ADD_SCRATCH, 0);
  }

  /**
   * Add values[index]. The bucket comes straight from the float's bits: the exponent picks the octave
   * and the top mantissa bits, scaled to SUB_BUCKETS, the part of it. Takes the value through an array
   * so that a caller on the per-packet path allocates nothing (see packet-values.ts).
   */
  addAt(values: Float64Array, index: number): void {
    const value = values[index] ?? 0;
    let bucket = ZERO_INDEX;
    if (value >= HISTOGRAM_MIN_MAGNITUDE || value <= -HISTOGRAM_MIN_MAGNITUDE) {
      scratch[0] = value;
      const high = scratchWords[HIGH_WORD] ?? 0;
      const exponent = ((high >>> MANTISSA_HIGH_BITS) & 0x7ff) - 1023;
      const magnitudeBucket =
        exponent > MAX_EXPONENT
          ? BUCKETS_PER_SIGN - 1
          : (exponent - MIN_EXPONENT) * SUB_BUCKETS + (((high & (MANTISSA_SCALE - 1)) * SUB_BUCKETS) >>> MANTISSA_HIGH_BITS);
      bucket = value > 0 ? ZERO_INDEX + 1 + magnitudeBucket : ZERO_INDEX - 1 - magnitudeBucket;
    }
    this.#counts[bucket] = (this.#counts[bucket] ?? 0) + 1;
    this.#total += 1;
  }

  /** Add every count of another histogram (same layout). */
  addAll(other: LogHistogram): void {
    const mine = this.#counts;
    const theirs = other.#counts;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) mine[i] = (mine[i] ?? 0) + (theirs[i] ?? 0);
    this.#total += other.#total;
  }

  clear(): void {
    this.#counts.fill(0);
    this.#total = 0;
  }

  /**
   * The values at the given 1-based ranks (ascending, each in 1..total), written to `out` in the same
   * order. One pass over the buckets whatever the number of ranks.
   */
  valuesAtRanks(ranks: readonly number[], out: number[]): void {
    let cumulative = 0;
    let next = 0;
    for (let index = 0; index < HISTOGRAM_BUCKETS && next < ranks.length; index++) {
      cumulative += this.#counts[index] ?? 0;
      while (next < ranks.length && (ranks[next] ?? Infinity) <= cumulative) {
        out[next] = representative(index);
        next++;
      }
    }
  }
}
