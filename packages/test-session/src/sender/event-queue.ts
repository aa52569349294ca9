// A bounded queue behind `events()`: the sender pushes synchronously and never waits; a consumer
// that falls behind loses events (counted) instead of growing memory. The iterable ends when the
// run is over and everything queued has been read.

export class BoundedEventQueue<T> {
  readonly #limit: number;
  /** A ring of queued items. */
  #items: (T | undefined)[] = [];
  #head = 0;
  #size = 0;
  #dropped = 0;
  #closed = false;
  /** The consumer waiting for the next item, if any. */
  #waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#closed) return;
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      waiting({ value: item, done: false });
      return;
    }
    if (this.#size >= this.#limit) {
      this.#dropped += 1;
      return;
    }
    // Grow the ring by doubling up to the limit; memory follows the backlog, never past the bound.
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size += 1;
  }

  #grow(): void {
    const capacity = Math.min(this.#limit, Math.max(16, this.#items.length * 2));
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#size; i++) next[i] = this.#items[(this.#head + i) % this.#items.length];
    this.#items = next;
    this.#head = 0;
  }

  /** No more items: the consumer drains what is queued, then the iteration ends. */
  close(): void {
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#size > 0) {
      const item = this.#items[this.#head] as T;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#items.length;
      this.#size -= 1;
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      // One consumer at a time (the iterable hands out one iterator); a second waiter replaces the first.
      this.#waiting?.({ value: undefined, done: true });
      this.#waiting = resolve;
    });
  }
}
