// One Node.js timer for the send and loss timers of every slow sender of the process.
//
// A slow sender (an agent runs thousands at 1 packet/s) arms two timers per packet: the next send
// and the next loss deadline. With setTimeout each arm is a new Timeout object that lives about a
// second, long enough to be promoted out of V8's young generation and die in the old one: at 10 000
// packets/s that was megabytes per second of old-space garbage, and a heap twice its live size
// between full collections. Here every timer is a slot in typed arrays (an indexed binary heap on
// the due time), so arming allocates nothing, and one Timeout is armed for the earliest slot. When
// busy, the earliest slot is always a millisecond or so away: then a 1 ms interval runs the rounds,
// which Node.js re-arms in place, so the queue's own timer allocates nothing either.
//
// Callbacks run from that timer, never inside arm() or cancel(). A slot due at the start of a round
// fires in that round (once); a slot armed again by a callback waits for the next round, so a
// callback that re-arms for "now" cannot keep the loop here.

/** A slot's state. */
const IDLE = 0;
const QUEUED = 1;
/** Taken off the heap for the current round, not yet called. */
const DUE = 2;

const INITIAL_SLOTS = 64;
/** The ticker's period (ms), and how near (ms) the earliest slot must be for the ticker to run. */
const TICK_MS = 1;
const TICK_WITHIN_MS = 4;

export class TimerQueue {
  readonly #now: () => number;
  /** Per slot: its callback (undefined when free), due time (ms on #now's clock), state, heap position. */
  #callbacks: ((() => void) | undefined)[] = [];
  #due = new Float64Array(INITIAL_SLOTS);
  #state = new Uint8Array(INITIAL_SLOTS);
  #position = new Int32Array(INITIAL_SLOTS);
  /** Heap of slot numbers ordered by due time; #heap[0] is the earliest. */
  #heap = new Int32Array(INITIAL_SLOTS);
  #size = 0;
  /** Freed slots, reused first. */
  #free: number[] = [];
  /** Slots taken off the heap in the current round. */
  #round = new Int32Array(INITIAL_SLOTS);
  /** The Timeout for a wait longer than TICK_WITHIN_MS (a new one each time: rare when busy). */
  #timer: NodeJS.Timeout | undefined;
  /** While a slot is due within TICK_WITHIN_MS: a 1 ms interval, allocation-free round after round. */
  #ticker: NodeJS.Timeout | undefined;
  /** When the next round runs at the earliest (ms on #now's clock); Infinity when none is armed. */
  #timerDue = Number.POSITIVE_INFINITY;
  readonly #onTimer: () => void;

  /** `now`: the monotonic clock (ms) every due time is on. */
  constructor(now: () => number) {
    this.#now = now;
    this.#onTimer = (): void => {
      this.#fire();
    };
  }

  /** Timers registered (armed or not). */
  get registered(): number {
    return this.#callbacks.length - this.#free.length;
  }

  /** Timers armed. */
  get armed(): number {
    return this.#size;
  }

  /** A new timer slot calling `callback`; release() it when done. */
  register(callback: () => void): number {
    const reused = this.#free.pop();
    const slot = reused ?? this.#callbacks.length;
    if (reused === undefined) {
      this.#callbacks.push(callback);
      if (slot >= this.#due.length) this.#grow();
    } else {
      this.#callbacks[slot] = callback;
    }
    this.#state[slot] = IDLE;
    this.#position[slot] = -1;
    return slot;
  }

  /** Cancel the slot's timer and free the slot for reuse. */
  release(slot: number): void {
    if (this.#callbacks[slot] === undefined) return;
    this.cancel(slot);
    this.#callbacks[slot] = undefined;
    this.#free.push(slot);
  }

  /** Call the slot's callback at `dueMs` (on the queue's clock), replacing any earlier arming. */
  arm(slot: number, dueMs: number): void {
    if (this.#callbacks[slot] === undefined) return;
    this.#due[slot] = dueMs;
    const position = this.#position[slot] ?? -1;
    if (position >= 0) {
      // Already queued: move it to its new place.
      this.#up(position);
      this.#down(this.#position[slot] ?? 0);
    } else {
      this.#state[slot] = QUEUED;
      const at = this.#size++;
      this.#heap[at] = slot;
      this.#position[slot] = at;
      this.#up(at);
    }
    if (dueMs < this.#timerDue) this.#armTimer(dueMs);
  }

  /** The slot's timer will not fire (until armed again). */
  cancel(slot: number): void {
    const state = this.#state[slot];
    if (state === DUE) {
      this.#state[slot] = IDLE;
      return;
    }
    if (state !== QUEUED) return;
    this.#state[slot] = IDLE;
    const position = this.#position[slot] ?? -1;
    this.#position[slot] = -1;
    const last = --this.#size;
    if (position !== last) {
      const moved = this.#heap[last] ?? 0;
      this.#heap[position] = moved;
      this.#position[moved] = position;
      this.#up(position);
      this.#down(this.#position[moved] ?? 0);
    }
    // Nothing left: the process need not stay up for this queue.
    if (this.#size === 0) this.#stopTimers();
  }

  #armTimer(dueMs: number): void {
    const now = this.#now();
    const wait = dueMs - now;
    if (wait <= TICK_WITHIN_MS) {
      // Node.js runs timers at millisecond granularity anyway: tick every millisecond until nothing
      // is due soon. An interval is re-armed by Node in place, where a new Timeout per round made
      // ~400 octets of garbage per packet at 10 000 packets/s.
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerDue = now + TICK_MS;
      this.#ticker ??= setInterval(this.#onTimer, TICK_MS);
      return;
    }
    // The ticker, when running, decides at its next round whether to give way to a long wait.
    if (this.#ticker !== undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDue = dueMs;
    this.#timer = setTimeout(this.#onTimer, wait);
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#timer = undefined;
    this.#ticker = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.#now();
    // Take every slot due now off the heap first, then call them: a callback may arm or cancel
    // any slot (its own, or another sender's when a handler stops a run).
    let count = 0;
    while (this.#size > 0) {
      const top = this.#heap[0] ?? 0;
      if ((this.#due[top] ?? 0) > now) break;
      this.#popTop();
      this.#state[top] = DUE;
      if (count === this.#round.length) {
        const grown = new Int32Array(2 * count);
        grown.set(this.#round);
        this.#round = grown;
      }
      this.#round[count++] = top;
    }
    for (let k = 0; k < count; k++) {
      const slot = this.#round[k] ?? 0;
      if (this.#state[slot] !== DUE) continue; // cancelled, or armed again, by an earlier callback
      this.#state[slot] = IDLE;
      const callback = this.#callbacks[slot];
      if (callback !== undefined) callback();
    }
    if (this.#size === 0) {
      this.#stopTimers();
      return;
    }
    const earliest = this.#due[this.#heap[0] ?? 0] ?? now;
    if (this.#ticker !== undefined && earliest - this.#now() > TICK_WITHIN_MS) {
      // Nothing due soon: the ticker stops, one Timeout waits for the earliest.
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
    if (this.#ticker !== undefined) this.#timerDue = this.#now() + TICK_MS;
    else if (earliest < this.#timerDue) this.#armTimer(earliest);
  }

  #popTop(): void {
    const top = this.#heap[0] ?? 0;
    this.#position[top] = -1;
    const last = --this.#size;
    if (last > 0) {
      const moved = this.#heap[last] ?? 0;
      this.#heap[0] = moved;
      this.#position[moved] = 0;
      this.#down(0);
    }
  }

  #up(from: number): void {
    const heap = this.#heap;
    const due = this.#due;
    let at = from;
    const slot = heap[at] ?? 0;
    const key = due[slot] ?? 0;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt] ?? 0;
      if ((due[parent] ?? 0) <= key) break;
      heap[at] = parent;
      this.#position[parent] = at;
      at = parentAt;
    }
    heap[at] = slot;
    this.#position[slot] = at;
  }

  #down(from: number): void {
    const heap = this.#heap;
    const due = this.#due;
    const size = this.#size;
    let at = from;
    const slot = heap[at] ?? 0;
    const key = due[slot] ?? 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && (due[heap[right] ?? 0] ?? 0) < (due[heap[child] ?? 0] ?? 0)) child = right;
      const childSlot = heap[child] ?? 0;
      if ((due[childSlot] ?? 0) >= key) break;
      heap[at] = childSlot;
      this.#position[childSlot] = at;
      at = child;
    }
    heap[at] = slot;
    this.#position[slot] = at;
  }

  #grow(): void {
    const capacity = 2 * this.#due.length;
    const due = new Float64Array(capacity);
    due.set(this.#due);
    this.#due = due;
    const state = new Uint8Array(capacity);
    state.set(this.#state);
    this.#state = state;
    const position = new Int32Array(capacity);
    position.set(this.#position);
    this.#position = position;
    const heap = new Int32Array(capacity);
    heap.set(this.#heap);
    this.#heap = heap;
  }
}
