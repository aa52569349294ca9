// RFC 3550 §6.4.1 interarrival jitter, applied to any "transit time" (round trip, forward, backward).
//
// In arrival order, D(i−1, i) is the difference of two consecutive packets' transit times and the
// estimate moves 1/16 of the way towards |D| each packet: J += (|D| − J) / 16. It starts at 0 (as in
// RFC 3550) and is reported only once one D exists. A constant clock offset cancels in D, so the
// one-way figures are meaningful even with unsynchronised clocks (drift aside).

export class InterarrivalJitter {
  #previousTransit = 0;
  #packets = 0;
  #jitter = 0;

  /** Feed the next arrival's transit time. */
  update(transit: number): void {
    if (this.#packets > 0) {
      const d = transit - this.#previousTransit;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#previousTransit = transit;
    this.#packets++;
  }

  /** The current estimate, or undefined before two packets have arrived. */
  get value(): number | undefined {
    return this.#packets > 1 ? this.#jitter : undefined;
  }
}
