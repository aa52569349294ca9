// RFC 3550 §6.4.1 interarrival jitter, applied to any "transit time" (round trip, forward, backward).
//
// In arrival order, D(i−1, i) is the difference of two consecutive packets' transit times and the
// estimate moves 1/16 of the way towards |D| each packet: J += (|D| − J) / 16. It starts at 0 (as in
// RFC 3550) and is reported only once one D exists. A constant clock offset cancels in D, so the
// one-way figures are meaningful even with unsynchronised clocks (drift aside).

/** Carries the argument of update(transit) to updateAt. */
const UPDATE_SCRATCH = new Float64Array(1);

export class InterarrivalJitter {
  #previousTransit = 0;
  #packets = 0;
  #jitter = 0;

  /** Feed the next arrival's transit time. */
  update(transit: number): void {
    UPDATE_SCRATCH[0] = transit;
    this.updateAt(UPDATE_SCRATCH, 0);
  }

  /** Feed values[index] (the per-packet path: no argument to box, see packet-values.ts). */
  updateAt(values: Float64Array, index: number): void {
    const transit = values[index] ?? 0;
    if (this.#packets > 0) {
      const d = transit - this.#previousTransit;
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#previousTransit = transit;
    this.#packets++;
  }

  /** Whether an estimate exists (two packets or more). A boolean, so hot callers box nothing. */
  get hasValue(): boolean {
    return this.#packets > 1;
  }

  /** The current estimate, or undefined before two packets have arrived. */
  get value(): number | undefined {
    return this.#packets > 1 ? this.#jitter : undefined;
  }
}
