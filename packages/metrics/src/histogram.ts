// A bounded histogram over both signs with ≤ 1 % relative error, for percentiles of long sessions.
//
// Buckets: each power-of-two octave [2^e, 2^(e+1)) of magnitudes is cut into SUB_BUCKETS equal parts
// (the bucket index comes from the float's exponent and mantissa bits: no logarithm per value, which
// matters on the per-packet path). A bucket [a, b) is reported as r = 2ab / (a + b), the point at the
// same relative distance from both edges, so a reported value is within (b − a)/(a + b) of any value in
// its bucket. The worst case, the first bucket of an octave, is 1/(2·SUB_BUCKETS + 1) = 0.971 % with
// 51 parts; HISTOGRAM_RELATIVE_ERROR is that bound computed from the actual edges at load time.
//
// Both signs: one-way delays with unsynchronised clocks and IPDV are negative as often as positive and
// are never clamped; negative magnitudes use a mirrored set of buckets. The blocks of counts are ordered
// by value (most negative first, zero bucket, then positive) so percentiles are one ascending pass.
//
// Memory: one block of 51 counts per (sign, octave), taken when the first value lands in it, so the
// histogram of a real delay (one or two octaves) holds a few hundred bytes and an IPDV one (both signs,
// many octaves near zero) a few KiB; HISTOGRAM_BYTES (all 98 blocks as float64 and their index,
// 40 082 bytes) stays the bound.
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
/** Blocks (one per octave and sign), ordered by value: negative octaves from the largest magnitude down, then positive ones up. */
const BLOCKS = 2 * OCTAVES;
/** Bytes of one block at its widest (float64 counts). */
const BLOCK_BYTES = SUB_BUCKETS * Float64Array.BYTES_PER_ELEMENT;

export const HISTOGRAM_MIN_MAGNITUDE = 2 ** MIN_EXPONENT;
export const HISTOGRAM_MAX_MAGNITUDE = 2 ** (MAX_EXPONENT + 1);
/** Buckets per histogram: both signs and the zero bucket. */
export const HISTOGRAM_BUCKETS = 2 * BUCKETS_PER_SIGN + 1;
/**
 * The most bytes one histogram can hold: every octave of both signs in the pool (the zero bucket is a
 * plain field) and the one-byte-per-block index.
 */
export const HISTOGRAM_BYTES = BLOCKS * BLOCK_BYTES + BLOCKS;

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

/** The value bucket j of the block for octave `octave` (0 = 2^MIN_EXPONENT) of the given sign stands for. */
function representative(negative: boolean, octave: number, j: number): number {
  const magnitude = 2 ** (octave + MIN_EXPONENT) * (SUB_REPRESENTATIVE[j] ?? 1);
  return negative ? -magnitude : magnitude;
}

/** Below this many values in all, no bucket count can exceed a uint32. */
const NARROW_LIMIT = 0xffffffff;

/**
 * Counts are kept per octave and sign in blocks of SUB_BUCKETS, each taken the first time a value lands
 * in it: real delays span a few octaves, so a histogram typically holds a few blocks instead of all 98.
 * The blocks live in one pool array (grown by half, at most 98 blocks) with a 98-byte index saying where
 * each block is, so a sparse histogram costs two typed arrays, not one per block.
 *
 * Counts are uint32 (204 bytes a block) while the histogram holds fewer than 2^32 − 1 values in all, so
 * no single count can overflow; at that point (12 hours at 100 kpps) the pool is widened once to
 * float64 (408 bytes a block, exact to 2^53). Nothing is freed (clear() zeroes), so a steady session
 * allocates nothing per packet.
 */
export class LogHistogram {
  /**
   * slotOf[b] = 1 + the block's position in the pool, 0 while absent. b = OCTAVES + o for positive
   * octave o, OCTAVES − 1 − o for negative octave o, so ascending b is ascending value.
   */
  #slotOf: Uint8Array | undefined;
  /** The pool while narrow, then undefined. */
  #narrow: Uint32Array | undefined;
  /** The pool once widened, else undefined. */
  #wide: Float64Array | undefined;
  #capacity = 0;
  #used = 0;
  #zero = 0;
  #total = 0;
  readonly #narrowLimit: number;

  /** @param narrowLimit values in all from which counts are float64 (lower only to test the widening). */
  constructor(narrowLimit = NARROW_LIMIT) {
    this.#narrowLimit = Math.min(narrowLimit, NARROW_LIMIT);
  }

  get total(): number {
    return this.#total;
  }

  /** Bytes held now (the index and the pool); at most HISTOGRAM_BYTES. */
  get byteLength(): number {
    return (this.#slotOf?.byteLength ?? 0) + (this.#narrow?.byteLength ?? 0) + (this.#wide?.byteLength ?? 0);
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
    if (++this.#total >= this.#narrowLimit && this.#wide === undefined) this.#widen();
    if (!(value >= HISTOGRAM_MIN_MAGNITUDE || value <= -HISTOGRAM_MIN_MAGNITUDE)) {
      this.#zero += 1;
      return;
    }
    scratch[0] = value;
    const high = scratchWords[HIGH_WORD] ?? 0;
    const exponent = ((high >>> MANTISSA_HIGH_BITS) & 0x7ff) - 1023;
    let octave = OCTAVES - 1;
    let j = SUB_BUCKETS - 1;
    if (exponent <= MAX_EXPONENT) {
      octave = exponent - MIN_EXPONENT;
      j = ((high & (MANTISSA_SCALE - 1)) * SUB_BUCKETS) >>> MANTISSA_HIGH_BITS;
    }
    const b = value > 0 ? OCTAVES + octave : OCTAVES - 1 - octave;
    // The usual case inline: the block exists.
    const slot = this.#slotOf?.[b] ?? 0;
    const at = (slot !== 0 ? (slot - 1) * SUB_BUCKETS : this.#blockStart(b)) + j;
    const narrow = this.#narrow;
    const wide = this.#wide;
    // #blockStart() left exactly one pool in place.
    if (narrow !== undefined) narrow[at] = (narrow[at] ?? 0) + 1;
    else if (wide !== undefined) wide[at] = (wide[at] ?? 0) + 1;
  }

  /** Add every count of another histogram (same layout). */
  addAll(other: LogHistogram): void {
    if (this.#total + other.#total >= this.#narrowLimit && this.#wide === undefined) this.#widen();
    const theirs = other.#narrow ?? other.#wide;
    const theirSlots = other.#slotOf;
    if (theirs !== undefined && theirSlots !== undefined) {
      for (let b = 0; b < BLOCKS; b++) {
        const slot = theirSlots[b] ?? 0;
        if (slot === 0) continue;
        const from = (slot - 1) * SUB_BUCKETS;
        const to = this.#blockStart(b);
        const pool = this.#narrow ?? this.#wide;
        if (pool === undefined) continue; // cannot happen: #blockStart() made the pool
        for (let j = 0; j < SUB_BUCKETS; j++) pool[to + j] = (pool[to + j] ?? 0) + (theirs[from + j] ?? 0);
      }
    }
    this.#zero += other.#zero;
    this.#total += other.#total;
  }

  /** Forget every count; the blocks stay for the values to come. */
  clear(): void {
    this.#narrow?.fill(0);
    this.#wide?.fill(0);
    this.#zero = 0;
    this.#total = 0;
  }

  /**
   * The values at the given 1-based ranks (ascending, each in 1..total), written to `out` in the same
   * order. One pass over the buckets in value order whatever the number of ranks; absent blocks are skipped.
   */
  valuesAtRanks(ranks: readonly number[], out: number[]): void {
    let cumulative = 0;
    let next = 0;
    /** Whether the next rank is within the counts so far (then `value` answers it). */
    const due = (): boolean => next < ranks.length && (ranks[next] ?? Infinity) <= cumulative;
    const pool = this.#narrow ?? this.#wide;
    const slotOf = this.#slotOf;
    const block = (b: number): number => (slotOf?.[b] ?? 0) - 1;
    // Negative values: largest magnitude first, so within a block the buckets run downwards.
    for (let b = 0; b < OCTAVES && next < ranks.length; b++) {
      const slot = block(b);
      if (slot < 0) continue;
      for (let j = SUB_BUCKETS - 1; j >= 0 && next < ranks.length; j--) {
        cumulative += pool?.[slot * SUB_BUCKETS + j] ?? 0;
        for (; due(); next++) out[next] = representative(true, OCTAVES - 1 - b, j);
      }
    }
    cumulative += this.#zero;
    for (; due(); next++) out[next] = 0;
    for (let b = OCTAVES; b < BLOCKS && next < ranks.length; b++) {
      const slot = block(b);
      if (slot < 0) continue;
      for (let j = 0; j < SUB_BUCKETS && next < ranks.length; j++) {
        cumulative += pool?.[slot * SUB_BUCKETS + j] ?? 0;
        for (; due(); next++) out[next] = representative(false, b - OCTAVES, j);
      }
    }
  }

  /**
   * Where block b starts in the pool, taking it on first use (at most BLOCKS times per histogram) and
   * growing the pool by half when full (about 9 times from 2 blocks to 98).
   */
  #blockStart(b: number): number {
    const slotOf = (this.#slotOf ??= new Uint8Array(BLOCKS));
    const slot = slotOf[b] ?? 0;
    if (slot !== 0) return (slot - 1) * SUB_BUCKETS;
    if (this.#used === this.#capacity) {
      const capacity = Math.min(BLOCKS, Math.max(2, Math.ceil(this.#capacity * 1.5)));
      const narrow = this.#narrow;
      const wide = this.#wide;
      if (wide !== undefined) {
        this.#wide = new Float64Array(capacity * SUB_BUCKETS);
        this.#wide.set(wide);
      } else {
        this.#narrow = new Uint32Array(capacity * SUB_BUCKETS);
        if (narrow !== undefined) this.#narrow.set(narrow);
      }
      this.#capacity = capacity;
    }
    slotOf[b] = ++this.#used;
    return (this.#used - 1) * SUB_BUCKETS;
  }

  /** Whether counts are float64 (after 2^32 − 1 values). */
  get wide(): boolean {
    return this.#wide !== undefined;
  }

  /** Float64 counts from now on (once, after 2^32 − 2 values). */
  #widen(): void {
    this.#wide = new Float64Array(this.#capacity * SUB_BUCKETS);
    if (this.#narrow !== undefined) this.#wide.set(this.#narrow);
    this.#narrow = undefined;
  }
}
