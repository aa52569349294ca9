// Seeded pseudo-random numbers for impairments: the same seed gives the same losses, duplicates,
// reorders and jitter, run after run (Math.random would not). A murmur3-style finaliser mixes
// seeds, mulberry32 makes the stream: tiny, fast, and good enough to decide the fate of test
// packets. Draws are 30-bit integers compared with precomputed thresholds, so they stay small
// integers for V8 (a double returned per draw would be a heap number per packet).

/** Draws are in [0, RANDOM_RANGE). */
export const RANDOM_RANGE = 1 << 30;

/** A 32-bit mix of a seed and a stream number, so each impairment rule has its own stream. */
export function mixSeed(seed: number, stream: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The threshold a draw must be under for an event of probability `p` (0..1) to happen. */
export function threshold(p: number): number {
  return Math.round(p * RANDOM_RANGE);
}

/** A deterministic stream of integers in [0, 2^30). */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed | 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 2;
  }
}
