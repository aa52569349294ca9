// A small seeded pseudo-random generator for the impairment relay: the same seed gives the same
// sequence of drop / duplicate / reorder / delay decisions on every machine, so a failing run can be
// replayed. Not for cryptography. Math.random() cannot be seeded, hence this.

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128 bits of state, period ≥ 2^32),
 * seeded through splitmix32 so that nearby seeds (1, 2, 3 …) give unrelated streams.
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    // The first outputs of sfc32 still show the seed; throw a few away.
    for (let i = 0; i < 12; i += 1) this.uint32();
  }

  uint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 0x1_0000_0000;
  }

  /** True with probability p (p ≤ 0 never, p ≥ 1 always). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /**
   * Normal with this mean and standard deviation (Box-Muller). Always consumes exactly two draws, so
   * a caller that draws a fixed number of values per packet keeps every later decision in place.
   */
  normal(mean: number, stddev: number): number {
    // 1 − next() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.next();
    const v = this.next();
    return mean + stddev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
