// A fixed-size histogram with logarithmic buckets over both signs, for percentiles of long sessions.
//
// Why logarithmic: a bucket (m/γ, m] around magnitude m reported by the value 2m/(γ + 1) is off by at
// most (γ − 1)/(γ + 1) relative, whatever the magnitude, so one small array covers picoseconds to
// hours with the same relative error. With γ = (1 + α)/(1 − α) the bound is α; α is chosen a little
// below 1 % so that floating-point rounding at a bucket edge cannot push the error over 1 %.
//
// Why both signs: one-way delays with unsynchronised clocks and IPDV values are negative as often as
// positive, and are never clamped. Negative magnitudes use a mirrored set of buckets.

/** Relative error of a reported value (with margin below the promised 1 %). */
export const HISTOGRAM_RELATIVE_ERROR = 0.0099;
/**
 * Magnitudes below this (ns) fall in the zero bucket and are reported as 0: 0.25 ns is about the
 * resolution of an NTP timestamp (2^-32 s ≈ 0.233 ns), so nothing measurable is lost.
 */
export const HISTOGRAM_MIN_MAGNITUDE = 0.25;
/** Magnitudes above this (ns, 2^47 ≈ 39 hours) share the outermost bucket; min and max stay exact. */
export const HISTOGRAM_MAX_MAGNITUDE = 2 ** 47;

const GAMMA = (1 + HISTOGRAM_RELATIVE_ERROR) / (1 - HISTOGRAM_RELATIVE_ERROR);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
/** Buckets per sign: bucket i holds magnitudes in (MIN·γ^(i−1), MIN·γ^i]. */
const BUCKETS_PER_SIGN = Math.ceil(Math.log(HISTOGRAM_MAX_MAGNITUDE / HISTOGRAM_MIN_MAGNITUDE) * INV_LN_GAMMA) + 1;
/** The array is ordered by value: most negative first, then the zero bucket, then positive. */
const ZERO_INDEX = BUCKETS_PER_SIGN;
/** Counts, one float64 each (exact to 2^53 samples per bucket; a uint32 would overflow in ~12 h at 100 kpps). */
export const HISTOGRAM_BUCKETS = 2 * BUCKETS_PER_SIGN + 1;
/** Bytes of one histogram's counts. */
export const HISTOGRAM_BYTES = HISTOGRAM_BUCKETS * Float64Array.BYTES_PER_ELEMENT;

function magnitudeBucket(magnitude: number): number {
  const i = Math.ceil(Math.log(magnitude / HISTOGRAM_MIN_MAGNITUDE) * INV_LN_GAMMA);
  if (i <= 0) return 0;
  return i >= BUCKETS_PER_SIGN ? BUCKETS_PER_SIGN - 1 : i;
}

/** The value a bucket stands for: the point whose relative distance to both edges is the same. */
function representative(index: number): number {
  if (index === ZERO_INDEX) return 0;
  const i = index > ZERO_INDEX ? index - ZERO_INDEX - 1 : ZERO_INDEX - 1 - index;
  const magnitude = ((HISTOGRAM_MIN_MAGNITUDE * GAMMA ** i) * 2) / (GAMMA + 1);
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
    let index: number;
    if (value >= HISTOGRAM_MIN_MAGNITUDE) index = ZERO_INDEX + 1 + magnitudeBucket(value);
    else if (value <= -HISTOGRAM_MIN_MAGNITUDE) index = ZERO_INDEX - 1 - magnitudeBucket(-value);
    else index = ZERO_INDEX;
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#total += 1;
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
