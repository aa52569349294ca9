// The memory network's one queue of things due at a time: packets in flight, sockets with packets
// to hand over, and callers' timers. A binary heap ordered by (due time, insertion order), so two
// tasks due at the same nanosecond run in the order they were scheduled: that tie rule is what
// makes a run repeatable. Tasks are objects the caller owns (a packet record, a socket's drain),
// so scheduling one allocates nothing.

/** Something the queue runs once, at `dueNs` (monotonic nanoseconds of the clock that owns the queue). */
export interface Task {
  /** When it is due; set by the queue on push. */
  dueNs: number;
  /** Insertion order, the tie-breaker; set by the queue on push. */
  order: number;
  /** Position in the heap while queued, -1 otherwise; maintained by the queue. */
  slot: number;
  run(): void;
}

export class TaskQueue {
  readonly #heap: Task[] = [];
  #nextOrder = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** The next order number: tasks pushed from now on have this order or more. */
  get nextOrder(): number {
    return this.#nextOrder;
  }

  /** The earliest task without removing it. */
  peek(): Task | undefined {
    return this.#heap[0];
  }

  push(task: Task, dueNs: number): void {
    task.dueNs = dueNs;
    task.order = this.#nextOrder++;
    task.slot = this.#heap.length;
    this.#heap.push(task);
    this.#up(task.slot);
  }

  /** Remove and return the earliest task. */
  pop(): Task | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop();
    if (last !== undefined && last !== top) {
      heap[0] = last;
      last.slot = 0;
      this.#down(0);
    }
    top.slot = -1;
    return top;
  }

  /** Take a queued task out (a cancelled timer); a task not queued is left alone. */
  remove(task: Task): void {
    const heap = this.#heap;
    const at = task.slot;
    if (at < 0 || heap[at] !== task) return;
    const last = heap.pop();
    task.slot = -1;
    if (last === undefined || last === task) return;
    heap[at] = last;
    last.slot = at;
    this.#down(at);
    this.#up(last.slot);
  }

  /** Forget every task (the network closed). */
  clear(): void {
    for (const task of this.#heap) task.slot = -1;
    this.#heap.length = 0;
  }

  #before(a: Task, b: Task): boolean {
    return a.dueNs < b.dueNs || (a.dueNs === b.dueNs && a.order < b.order);
  }

  #up(start: number): void {
    const heap = this.#heap;
    let at = start;
    const task = heap[at];
    if (task === undefined) return;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt];
      if (parent === undefined || !this.#before(task, parent)) break;
      heap[at] = parent;
      parent.slot = at;
      at = parentAt;
    }
    heap[at] = task;
    task.slot = at;
  }

  #down(start: number): void {
    const heap = this.#heap;
    const length = heap.length;
    let at = start;
    const task = heap[at];
    if (task === undefined) return;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      const leftTask = heap[left];
      const rightTask = heap[right];
      if (leftTask === undefined) break;
      let childTask = leftTask;
      if (rightTask !== undefined && this.#before(rightTask, leftTask)) {
        child = right;
        childTask = rightTask;
      }
      if (!this.#before(childTask, task)) break;
      heap[at] = childTask;
      childTask.slot = at;
      at = child;
    }
    heap[at] = task;
    task.slot = at;
  }
}
