// RFC 4737 reordering of the received replies, by send order.
//
// §3.3: NextExp is one past the largest sequence seen so far; a packet whose sequence is below NextExp
// when it arrives is reordered (and leaves NextExp alone), otherwise NextExp becomes its sequence + 1.
// §4.2 (reordering extent): a reordered packet s arriving at index i has extent e = i − j, where j is
// the earliest arrival index whose sequence is larger than s.
//
// Sequences here are send ordinals (1, 2, 3, ... in recordSent order) rather than the raw uint32, so
// that the 2^32 wrap needs no special case.
//
// Bounded history: the running maximum of the sequences is kept for the last REORDER_HISTORY arrivals.
// The running maximum never decreases, so j (the first arrival whose running maximum exceeds s) is
// found by binary search. When j is older than the history, the extent is reported as the history
// length, a lower bound (extents beyond 1024 packets are far outside any sane loss timeout anyway).
//
// The history may start shorter and grow (reserve()): SessionStatistics keeps it at twice its in-flight
// table's slots, since a reordered reply is one still in that table, so a slow session keeps 16
// arrivals (128 bytes), not 1024.

export const REORDER_HISTORY = 1024;

/** Carries the argument of observe(sequence) to observeAt. */
const OBSERVE_SCRATCH = new Float64Array(1);

export class ReorderTracker {
  /** runningMax[k & mask] = the largest sequence among arrivals 0..k (for the last history arrivals). */
  #runningMax: Float64Array;
  #mask: number;
  #arrivals = 0;
  #nextExpected = -Infinity;

  /** @param history arrivals remembered, a power of two ≤ REORDER_HISTORY (more with reserve()). */
  constructor(history = REORDER_HISTORY) {
    this.#runningMax = new Float64Array(history);
    this.#mask = history - 1;
  }

  /** Arrivals remembered now. */
  get history(): number {
    return this.#runningMax.length;
  }

  /**
   * Remember at least min(arrivals, REORDER_HISTORY) arrivals from now on (a power of two), keeping
   * the ones remembered. Older positions of the longer ring read 0, below any sequence, which keeps the
   * running maximum ascending for the binary search.
   */
  reserve(arrivals: number): void {
    let history = this.#runningMax.length;
    if (history >= arrivals || history >= REORDER_HISTORY) return;
    while (history < arrivals && history < REORDER_HISTORY) history *= 2;
    const grown = new Float64Array(history);
    const mask = history - 1;
    const kept = Math.min(this.#arrivals, this.#runningMax.length);
    for (let k = this.#arrivals - kept; k < this.#arrivals; k++) grown[k & mask] = this.#runningMax[k & this.#mask] ?? 0;
    this.#runningMax = grown;
    this.#mask = mask;
  }

  get byteLength(): number {
    return this.#runningMax.byteLength;
  }

  /** Observe one arrival; returns -1 when in order, else its reordering extent (≥ 1). */
  observe(sequence: number): number {
    OBSERVE_SCRATCH[0] = sequence;
    return this.observeAt(OBSERVE_SCRATCH, 0);
  }

  /** Observe sequences[index] (the per-packet path: no argument to box, see packet-values.ts). */
  observeAt(sequences: Float64Array, index: number): number {
    const sequence = sequences[index] ?? 0;
    const i = this.#arrivals++;
    if (sequence >= this.#nextExpected) {
      this.#nextExpected = sequence + 1;
      this.#runningMax[i & this.#mask] = sequence;
      return -1;
    }
    // Reordered: find the earliest kept index whose running maximum exceeds `sequence`.
    const history = this.#runningMax.length;
    const oldest = i >= history ? i - history : 0;
    let low = oldest;
    let high = i - 1; // runningMax[i − 1] = nextExpected − 1 > sequence, so the answer is in [low, high]
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if ((this.#runningMax[mid & this.#mask] ?? 0) > sequence) high = mid;
      else low = mid + 1;
    }
    this.#runningMax[i & this.#mask] = this.#nextExpected - 1;
    return i - low;
  }
}
