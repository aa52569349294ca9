// The server-wide Request-TW-Session rate: a token bucket that holds one second's worth of requests,
// so a burst up to the rate is accepted at once and a sustained flood is held to the rate.

export class RequestRateBucket {
  readonly rate: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;

  /** `rate` requests per second (positive, finite). */
  constructor(rate: number, nowMs: number) {
    this.rate = rate;
    // A burst below one token would refuse every request at a rate below 1/s.
    this.#burst = Math.max(1, rate);
    this.#tokens = this.#burst;
    this.#lastMs = nowMs;
  }

  /** Take one token if there is one; a clock that went backwards refills nothing. */
  take(nowMs: number): boolean {
    const elapsed = nowMs - this.#lastMs;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.rate) / 1000);
      this.#lastMs = nowMs;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
