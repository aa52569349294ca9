// The in-flight table: which requests are pending, answered or lost, in typed arrays of bounded size.
//
// A ring of `capacity` slots (a power of two) indexed by sequence & (capacity − 1); a slot remembers
// the uint32 sequence it holds, so a reply for a sequence the slot no longer holds is recognised as
// unknown. Answered and lost entries stay until the slot is reused, which is how duplicates and late
// replies are told apart from unknown ones.
//
// Size: the ring starts at 8 slots and doubles, up to `capacity`, whenever a new request would take a
// slot still worth keeping (pending, or sent less than the retention — twice the loss timeout — ago),
// or the FIFO is full of pending requests. So a slow session (1 pps, a few seconds of timeout) stays at
// 8 slots (392 bytes) whatever `capacity` says, a fast one grows to what rate × 2 · timeout needs, and
// at capacity the table behaves as the fixed ring it bounds: it evicts. Late replies are recognised for
// at least one more loss timeout after the deadline (while the capacity allows).
//
// Expiry: deadlines are T1 + lossTimeout with a constant timeout, so send order is deadline order and
// a FIFO of sent sequences replaces a priority queue. expire(now) pops from the head while the head's
// deadline has passed, skipping entries already answered (lazy deletion): O(1) amortised per packet,
// and O(1) when nothing is due. The FIFO holds at most `capacity` entries; pushing into a full FIFO
// first drops settled heads, then grows, and at capacity settles its head (evicting it if still pending). T1 is expected not to go backwards between
// sends; if it does, a later-sent request waits behind an earlier one by at most the step.

import { PV } from './packet-values.js';

export const SLOT_EMPTY = 0;
export const SLOT_PENDING = 1;
export const SLOT_ANSWERED = 2;
export const SLOT_LOST = 3;

/** Bytes per slot: sequence 4 + state 1 + T1 8 + ordinal 8 + three delays 24 + FIFO 4. */
export const IN_FLIGHT_BYTES_PER_SLOT = 49;

/** Slots a table starts with (or its capacity, if smaller): enough for a slow session's whole retention. */
export const IN_FLIGHT_INITIAL_SLOTS = 8;

export class InFlightTable {
  /** The most slots the table may grow to (a power of two). */
  readonly capacity: number;
  /** Slots now (a power of two ≤ capacity). */
  size: number;
  mask: number;
  sequence: Uint32Array;
  state: Uint8Array;
  t1: Float64Array;
  /** Send ordinal (1 for the first recordSent, 2 for the next, ...): the unwrapped sequence. */
  ordinal: Float64Array;
  /** Delays of answered requests, for IPDV between sequence neighbours. */
  rtt: Float64Array;
  forward: Float64Array;
  backward: Float64Array;
  #fifo: Uint32Array;
  readonly #retention: number;
  #fifoHead = 0;
  #fifoSize = 0;
  pending = 0;
  sentCount = 0;

  /**
   * @param capacity the most slots (a power of two)
   * @param retention ns: a settled entry sent less than this before a new request is worth growing for
   */
  constructor(capacity: number, retention: number) {
    this.capacity = capacity;
    this.#retention = retention;
    const size = Math.min(capacity, IN_FLIGHT_INITIAL_SLOTS);
    this.size = size;
    this.mask = size - 1;
    // One ArrayBuffer for every column: thousands of sessions pay one backing store each, not eight.
    const buffer = new ArrayBuffer(size * IN_FLIGHT_BYTES_PER_SLOT);
    const f64 = size * Float64Array.BYTES_PER_ELEMENT;
    this.t1 = new Float64Array(buffer, 0, size);
    this.ordinal = new Float64Array(buffer, f64, size);
    this.rtt = new Float64Array(buffer, 2 * f64, size);
    this.forward = new Float64Array(buffer, 3 * f64, size);
    this.backward = new Float64Array(buffer, 4 * f64, size);
    this.sequence = new Uint32Array(buffer, 5 * f64, size);
    this.#fifo = new Uint32Array(buffer, 5 * f64 + 4 * size, size);
    this.state = new Uint8Array(buffer, 5 * f64 + 8 * size, size);
  }

  get byteLength(): number {
    return this.size * IN_FLIGHT_BYTES_PER_SLOT;
  }

  /** The slot holding `sequence` in the given state, or -1. */
  slotOf(sequence: number): number {
    const slot = sequence & this.mask;
    return this.sequence[slot] === sequence && this.state[slot] !== SLOT_EMPTY ? slot : -1;
  }

  /**
   * Make room for `sequence`, sent at `t1`, and return its slot, pending (the caller writes T1 there).
   * Below capacity the table doubles rather than take a slot still worth keeping: one pending, or one
   * sent less than `retention` before t1 (whose reply, duplicate or IPDV neighbour may still come).
   * At capacity, as a fixed ring: if the FIFO is full its head is settled, and if the target slot is
   * still pending it is taken back. Each pending request taken back is reported to `evict`.
   */
  admit(sequence: number, t1: number, evict: (sequence: number) => void): number {
    if (this.#fifoSize === this.size) {
      this.#dropSettledHeads();
      if (this.#fifoSize === this.size && this.size < this.capacity) this.#grow();
    }
    if (this.#fifoSize === this.size) {
      const head = this.#fifo[this.#fifoHead] ?? 0;
      this.#popHead();
      const headSlot = this.slotOf(head);
      if (headSlot >= 0 && this.state[headSlot] === SLOT_PENDING) {
        this.state[headSlot] = SLOT_LOST;
        this.pending--;
        evict(head);
      }
    }
    let slot = sequence & this.mask;
    while (this.size < this.capacity && this.#worthKeeping(slot, t1)) {
      this.#grow();
      slot = sequence & this.mask;
    }
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
    this.#dropSettledHeads();
    return this.#fifoSize > 0 ? this.slotOf(this.#fifo[this.#fifoHead] ?? 0) : -1;
  }

  /** Remove the FIFO head (after oldestPending() returned it and it was settled). */
  dropOldest(): void {
    this.#popHead();
  }

  #worthKeeping(slot: number, t1: number): boolean {
    const state = this.state[slot];
    if (state === SLOT_EMPTY) return false;
    // `!(... >= ...)` also keeps the entry when T1 went backwards or is not a number.
    return state === SLOT_PENDING || !(t1 - (this.t1[slot] ?? 0) >= this.#retention);
  }

  #dropSettledHeads(): void {
    while (this.#fifoSize > 0) {
      const slot = this.slotOf(this.#fifo[this.#fifoHead] ?? 0);
      if (slot >= 0 && this.state[slot] === SLOT_PENDING) return;
      this.#popHead();
    }
  }

  #popHead(): void {
    this.#fifoHead = (this.#fifoHead + 1) & this.mask;
    this.#fifoSize--;
  }

  /**
   * Double the slots, keeping every entry: slot i of a ring of n moves to i or i + n (its sequence's
   * next bit decides), so no two entries collide. Happens at most log2(capacity / 8) times.
   */
  #grow(): void {
    const old = this.#columns();
    const oldFifo = this.#fifo;
    const oldMask = this.mask;
    const size = this.size * 2;
    const mask = size - 1;
    const buffer = new ArrayBuffer(size * IN_FLIGHT_BYTES_PER_SLOT);
    const f64 = size * Float64Array.BYTES_PER_ELEMENT;
    const t1 = new Float64Array(buffer, 0, size);
    const ordinal = new Float64Array(buffer, f64, size);
    const rtt = new Float64Array(buffer, 2 * f64, size);
    const forward = new Float64Array(buffer, 3 * f64, size);
    const backward = new Float64Array(buffer, 4 * f64, size);
    const sequence = new Uint32Array(buffer, 5 * f64, size);
    const fifo = new Uint32Array(buffer, 5 * f64 + 4 * size, size);
    const state = new Uint8Array(buffer, 5 * f64 + 8 * size, size);
    for (let from = 0; from < this.size; from++) {
      const s = old.state[from] ?? SLOT_EMPTY;
      if (s === SLOT_EMPTY) continue;
      const seq = old.sequence[from] ?? 0;
      const to = seq & mask;
      sequence[to] = seq;
      state[to] = s;
      t1[to] = old.t1[from] ?? 0;
      ordinal[to] = old.ordinal[from] ?? 0;
      rtt[to] = old.rtt[from] ?? 0;
      forward[to] = old.forward[from] ?? 0;
      backward[to] = old.backward[from] ?? 0;
    }
    for (let i = 0; i < this.#fifoSize; i++) fifo[i] = oldFifo[(this.#fifoHead + i) & oldMask] ?? 0;
    this.size = size;
    this.mask = mask;
    this.sequence = sequence;
    this.state = state;
    this.t1 = t1;
    this.ordinal = ordinal;
    this.rtt = rtt;
    this.forward = forward;
    this.backward = backward;
    this.#fifo = fifo;
    this.#fifoHead = 0;
  }

  #columns(): Pick<InFlightTable, 'sequence' | 'state' | 't1' | 'ordinal' | 'rtt' | 'forward' | 'backward'> {
    return { sequence: this.sequence, state: this.state, t1: this.t1, ordinal: this.ordinal, rtt: this.rtt, forward: this.forward, backward: this.backward };
  }
}
