// The in-flight table: which requests are pending, answered or lost, in fixed typed arrays.
//
// A ring of `capacity` slots (a power of two) indexed by sequence & (capacity − 1); a slot remembers
// the uint32 sequence it holds, so a reply for a sequence the slot no longer holds is recognised as
// unknown. Answered and lost entries stay until the slot is reused, which is how duplicates and late
// replies are told apart from unknown ones.
//
// Expiry: deadlines are T1 + lossTimeout with a constant timeout, so send order is deadline order and
// a FIFO of sent sequences replaces a priority queue. expire(now) pops from the head while the head's
// deadline has passed, skipping entries already answered (lazy deletion): O(1) amortised per packet,
// and O(1) when nothing is due. The FIFO holds at most `capacity` entries; pushing into a full FIFO
// first settles its head (evicting it if still pending). T1 is expected not to go backwards between
// sends; if it does, a later-sent request waits behind an earlier one by at most the step.

import { PV } from './packet-values.js';

export const SLOT_EMPTY = 0;
export const SLOT_PENDING = 1;
export const SLOT_ANSWERED = 2;
export const SLOT_LOST = 3;

/** Bytes per slot: sequence 4 + state 1 + T1 8 + ordinal 8 + three delays 24 + FIFO 4. */
export const IN_FLIGHT_BYTES_PER_SLOT = 49;

export class InFlightTable {
  readonly capacity: number;
  readonly mask: number;
  readonly sequence: Uint32Array;
  readonly state: Uint8Array;
  readonly t1: Float64Array;
  /** Send ordinal (1 for the first recordSent, 2 for the next, ...): the unwrapped sequence. */
  readonly ordinal: Float64Array;
  /** Delays of answered requests, for IPDV between sequence neighbours. */
  readonly rtt: Float64Array;
  readonly forward: Float64Array;
  readonly backward: Float64Array;
  readonly #fifo: Uint32Array;
  #fifoHead = 0;
  #fifoSize = 0;
  pending = 0;
  sentCount = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.sequence = new Uint32Array(capacity);
    this.state = new Uint8Array(capacity);
    this.t1 = new Float64Array(capacity);
    this.ordinal = new Float64Array(capacity);
    this.rtt = new Float64Array(capacity);
    this.forward = new Float64Array(capacity);
    this.backward = new Float64Array(capacity);
    this.#fifo = new Uint32Array(capacity);
  }

  get byteLength(): number {
    return (
      this.sequence.byteLength +
      this.state.byteLength +
      this.t1.byteLength +
      this.ordinal.byteLength +
      this.rtt.byteLength +
      this.forward.byteLength +
      this.backward.byteLength +
      this.#fifo.byteLength
    );
  }

  /** The slot holding `sequence` in the given state, or -1. */
  slotOf(sequence: number): number {
    const slot = sequence & this.mask;
    return this.sequence[slot] === sequence && this.state[slot] !== SLOT_EMPTY ? slot : -1;
  }

  /**
   * Make room for `sequence` and return its slot, pending (the caller writes T1 there): if the FIFO is
   * full its head is settled, and if the target slot is still pending it is taken back. Each pending
   * request taken back is reported to `evict`.
   */
  admit(sequence: number, evict: (sequence: number) => void): number {
    if (this.#fifoSize === this.capacity) {
      const head = this.#fifo[this.#fifoHead] ?? 0;
      this.#popHead();
      const headSlot = this.slotOf(head);
      if (headSlot >= 0 && this.state[headSlot] === SLOT_PENDING) {
        this.state[headSlot] = SLOT_LOST;
        this.pending--;
        evict(head);
      }
    }
    const slot = sequence & this.mask;
    if (this.state[slot] === SLOT_PENDING) {
      this.state[slot] = SLOT_LOST;
      this.pending--;
      evict(this.sequence[slot] ?? 0);
    }
    this.sequence[slot] = sequence;
    this.state[slot] = SLOT_PENDING;
    this.ordinal[slot] = ++this.sentCount;
    this.pending++;
    this.#fifo[(this.#fifoHead + this.#fifoSize) & this.mask] = sequence;
    this.#fifoSize++;
    return slot;
  }

  /** Mark `slot` lost (it must be pending). */
  markLost(slot: number): void {
    this.state[slot] = SLOT_LOST;
    this.pending--;
  }

  /** Mark `slot` answered (it must be pending), keeping its delays from the packet values for IPDV. */
  markAnswered(slot: number, values: Float64Array): void {
    this.state[slot] = SLOT_ANSWERED;
    this.pending--;
    this.rtt[slot] = values[PV.rtt] ?? 0;
    this.forward[slot] = values[PV.forward] ?? 0;
    this.backward[slot] = values[PV.backward] ?? 0;
  }

  /** The oldest pending slot (dropping settled FIFO entries on the way), or -1. */
  oldestPending(): number {
    while (this.#fifoSize > 0) {
      const slot = this.slotOf(this.#fifo[this.#fifoHead] ?? 0);
      if (slot >= 0 && this.state[slot] === SLOT_PENDING) return slot;
      this.#popHead();
    }
    return -1;
  }

  /** Remove the FIFO head (after oldestPending() returned it and it was settled). */
  dropOldest(): void {
    this.#popHead();
  }

  #popHead(): void {
    this.#fifoHead = (this.#fifoHead + 1) & this.mask;
    this.#fifoSize--;
  }
}
