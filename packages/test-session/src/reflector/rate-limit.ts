// Token buckets for the reflector's rate caps (packets per second, burst = one second's worth).
// A session holds its own bucket and a reference to its source's, so a packet of a known session
// costs two small arithmetic updates and no map lookup.

/** A token bucket; `rate` 0 means unlimited. Times are the reflector's `now()` in ms. */
export class TokenBucket {
  tokens: number;
  lastMs: number;
  readonly rate: number;
  readonly burst: number;
  /** Sessions holding this (source) bucket; the sweep only drops buckets nobody holds. */
  holders = 0;

  constructor(rate: number, nowMs: number) {
    this.rate = rate;
    // A burst below one token would refuse everything.
    this.burst = Math.max(1, rate);
    this.tokens = this.burst;
    this.lastMs = nowMs;
  }

  /** Take one token if there is one. */
  take(nowMs: number): boolean {
    const elapsed = nowMs - this.lastMs;
    if (elapsed > 0) {
      const refilled = this.tokens + (elapsed * this.rate) / 1000;
      this.tokens = refilled < this.burst ? refilled : this.burst;
      this.lastMs = nowMs;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full again by `nowMs`: it would behave exactly like a new bucket, so it can be forgotten. */
  isIdle(nowMs: number): boolean {
    return this.tokens + ((nowMs - this.lastMs) * this.rate) / 1000 >= this.burst;
  }
}

/**
 * Per-source buckets, keyed by the source address text. Bounded: at most `limit` entries. When full,
 * a new source is refused (counted as rate-limited) until the sweep frees idle buckets, so a spray of
 * spoofed sources cannot grow memory, and sources that already hold sessions keep their buckets.
 */
export class SourceLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #rate: number;
  readonly #limit: number;

  constructor(rate: number, limit: number) {
    this.#rate = rate;
    this.#limit = limit;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket for `source`, made if there is room; undefined when the table is full. */
  bucket(source: string, nowMs: number): TokenBucket | undefined {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#limit) return undefined;
      bucket = new TokenBucket(this.#rate, nowMs);
      this.#buckets.set(source, bucket);
    }
    return bucket;
  }

  /** Forget buckets that no session holds and that have refilled. */
  sweep(nowMs: number): void {
    for (const [source, bucket] of this.#buckets) {
      if (bucket.holders <= 0 && bucket.isIdle(nowMs)) this.#buckets.delete(source);
    }
  }

  clear(): void {
    this.#buckets.clear();
  }
}
