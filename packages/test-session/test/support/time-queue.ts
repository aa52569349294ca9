// A bounded, time-ordered queue (binary min-heap) for the impairment relay: every delayed packet
// waits here and one timer is armed for the earliest, instead of one setTimeout per packet. Entries
// with the same release time leave in insertion order, so a constant delay never reorders.

export interface Timed<T> {
  /** When to release, ms on the performance.now() clock. */
  readonly at: number;
  /** Insertion order, the tie-breaker. */
  readonly order: number;
  readonly value: T;
}

export class TimeQueue<T> {
  readonly capacity: number;
  readonly #heap: Timed<T>[] = [];
  #order = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Release time of the earliest entry, or undefined when empty. */
  get nextAt(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Add an entry; false (and nothing added) when the queue is full. */
  push(at: number, value: T): boolean {
    if (this.#heap.length >= this.capacity) return false;
    const heap = this.#heap;
    heap.push({ at, order: this.#order, value });
    this.#order += 1;
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      swap(heap, i, parent);
      i = parent;
    }
    return true;
  }

  /** Remove and return the earliest entry if it is due at `now`, else undefined. */
  popDue(now: number): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.at > now) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        swap(heap, i, smallest);
        i = smallest;
      }
    }
    return top.value;
  }

  /** Remove everything (closing). */
  clear(): void {
    this.#heap.length = 0;
  }
}

function before<T>(x: Timed<T>, y: Timed<T>): boolean {
  return x.at < y.at || (x.at === y.at && x.order < y.order);
}

function swap<T>(heap: Timed<T>[], i: number, j: number): void {
  const t = heap[i]!;
  heap[i] = heap[j]!;
  heap[j] = t;
}
