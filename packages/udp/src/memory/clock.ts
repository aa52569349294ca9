// The clocks a memory network runs on. Both keep one TaskQueue of what is due (packets in flight,
// sockets to drain, callers' timers) and read time as integer nanoseconds on a monotonic scale
// whose origin is the clock's start, with the wall clock = origin + monotonic:
//
// - VirtualClock: time stands still until advance(ms), which runs every due task in time order,
//   each at exactly its due time. Nothing depends on the machine's speed or timers, so a run
//   with the same seed and the same calls is the same run, to the nanosecond.
// - RealClock: time is the wall clock (the fallback's anchored hrtime: nanosecond resolution,
//   never decreasing) and one Node timer is armed for the earliest task, so code written for real
//   sockets and real waits runs unchanged.
//
// Monotonic nanoseconds are kept in a double: exact up to 2^53 ns, about 104 days from the start.

import { readWallClock, wallClockNanos } from '../dgram/clock.js';
import { TaskQueue, type Task } from './task-queue.js';

const NANOS_PER_SECOND = 1_000_000_000;
const NANOS_PER_MILLI = 1_000_000;
/** 2026-01-01T00:00:00Z: the default start of a virtual clock, fixed so that runs repeat. */
export const DEFAULT_VIRTUAL_START_NS = 1_767_225_600n * 1_000_000_000n;
/**
 * More tasks than this at one virtual instant is a livelock (two sockets answering each other with
 * no delay): advance() throws instead of never returning.
 */
const MAX_TASKS_PER_INSTANT = 1_000_000;

/** A wall-clock reading: Unix seconds and nanoseconds within the second. */
export interface WallTime {
  seconds: number;
  nanos: number;
}

/**
 * Time and timers, as code driven by a memory network's clock needs them (a sender or reflector
 * adapter given a clock instead of reading the system's): VirtualClock and RealClock are both one,
 * and a production clock over the system's timers can be one too.
 */
export interface SchedulerClock {
  /** Unix time in nanoseconds. */
  nowNs(): bigint;
  /** Milliseconds on a monotonic scale (origin: the clock's start): the scale of schedule(). */
  monotonicMs(): number;
  /** Run `fn` once at `atMs` on the monotonicMs() scale; returns an id for cancel(). */
  schedule(atMs: number, fn: () => void): number;
  /** Cancel a scheduled callback; unknown or finished ids are ignored. */
  cancel(id: number): void;
}

class TimerTask implements Task {
  dueNs = 0;
  order = 0;
  slot = -1;
  readonly id: number;
  readonly #fn: () => void;
  readonly #timers: Map<number, TimerTask>;

  constructor(id: number, fn: () => void, timers: Map<number, TimerTask>) {
    this.id = id;
    this.#fn = fn;
    this.#timers = timers;
  }

  run(): void {
    this.#timers.delete(this.id);
    this.#fn();
  }
}

/** What both clocks share: the task queue, timers, and reading the time without allocating. */
abstract class ScheduledClock implements SchedulerClock {
  abstract readonly mode: 'virtual' | 'real';
  protected readonly queue = new TaskQueue();
  readonly #timers = new Map<number, TimerTask>();
  #nextId = 1;
  readonly #reading: WallTime = { seconds: 0, nanos: 0 };

  /** Nanoseconds since the clock started (an integer). */
  abstract monotonicNs(): number;

  /** The wall-clock time now into `into` (Unix seconds + nanoseconds): allocates nothing. */
  abstract readWall(into: WallTime): void;

  /** Called after a task was queued, so a real clock can arm its timer. */
  protected abstract wake(): void;

  /** Unix time in nanoseconds. */
  nowNs(): bigint {
    this.readWall(this.#reading);
    return BigInt(this.#reading.seconds) * 1_000_000_000n + BigInt(this.#reading.nanos);
  }

  /** Milliseconds since the clock started: the scale `schedule()` takes. */
  monotonicMs(): number {
    return this.monotonicNs() / NANOS_PER_MILLI;
  }

  /**
   * Run `fn` once at `atMs` on the monotonicMs() scale (at once, i.e. on the next turn or advance,
   * when that is past). Returns an id for cancel(). Tasks due at the same time run in the order
   * they were scheduled.
   */
  schedule(atMs: number, fn: () => void): number {
    if (!Number.isFinite(atMs)) throw new RangeError(`schedule() takes a finite time in milliseconds, got ${atMs}`);
    const id = this.#nextId++;
    const task = new TimerTask(id, fn, this.#timers);
    this.#timers.set(id, task);
    this.enqueue(task, Math.round(atMs * NANOS_PER_MILLI));
    return id;
  }

  /** Cancel a scheduled callback; unknown or finished ids are ignored (like clearTimeout). */
  cancel(id: number): void {
    const task = this.#timers.get(id);
    if (task === undefined) return;
    this.#timers.delete(id);
    this.queue.remove(task);
  }

  /** Tasks waiting: packets in flight, sockets to drain, timers. */
  get pending(): number {
    return this.queue.size;
  }

  /** Queue a task of the network (a packet, a drain) at `dueNs` on the monotonic scale. */
  enqueue(task: Task, dueNs: number): void {
    this.queue.push(task, dueNs);
    this.wake();
  }
}

export interface VirtualClockOptions {
  /** Unix time in nanoseconds the clock starts at; default 2026-01-01T00:00:00Z (fixed, so runs repeat). */
  readonly startNs?: bigint;
}

/** A clock that moves only when told to: advance(ms) runs what falls due, in time order. */
export class VirtualClock extends ScheduledClock {
  readonly mode = 'virtual';
  readonly #originSeconds: number;
  readonly #originNanos: number;
  #now = 0;
  #advancing = false;

  constructor(options: VirtualClockOptions = {}) {
    super();
    const start = options.startNs ?? DEFAULT_VIRTUAL_START_NS;
    if (typeof start !== 'bigint' || start < 0n) throw new RangeError('startNs must be a non-negative bigint (Unix nanoseconds)');
    this.#originSeconds = Number(start / 1_000_000_000n);
    this.#originNanos = Number(start % 1_000_000_000n);
  }

  monotonicNs(): number {
    return this.#now;
  }

  readWall(into: WallTime): void {
    const total = this.#originNanos + this.#now;
    let seconds = Math.floor(total / NANOS_PER_SECOND);
    let nanos = total - seconds * NANOS_PER_SECOND;
    // The division may round across a second boundary; the remainder says which way.
    if (nanos < 0) {
      seconds -= 1;
      nanos += NANOS_PER_SECOND;
    } else if (nanos >= NANOS_PER_SECOND) {
      seconds += 1;
      nanos -= NANOS_PER_SECOND;
    }
    into.seconds = this.#originSeconds + seconds;
    into.nanos = nanos;
  }

  /**
   * Move time forward by `ms` milliseconds (rounded to the nanosecond), running every task due
   * until then in (time, scheduling order), each with the clock reading its due time; tasks they
   * schedule within the window run too. Time then stands at the end of the window.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance() takes a finite, non-negative number of milliseconds, got ${ms}`);
    if (this.#advancing) throw new Error('advance() was called from a task the clock is running');
    const target = this.#now + Math.round(ms * NANOS_PER_MILLI);
    this.#advancing = true;
    try {
      let instant = -1;
      let atInstant = 0;
      for (let task = this.queue.peek(); task !== undefined && task.dueNs <= target; task = this.queue.peek()) {
        this.queue.pop();
        if (task.dueNs > this.#now) this.#now = task.dueNs;
        if (this.#now === instant) {
          atInstant += 1;
          if (atInstant > MAX_TASKS_PER_INSTANT) {
            throw new Error(`more than ${MAX_TASKS_PER_INSTANT} tasks at one virtual instant: packets bouncing between sockets with no delay?`);
          }
        } else {
          instant = this.#now;
          atInstant = 1;
        }
        task.run();
      }
      this.#now = target;
    } finally {
      this.#advancing = false;
    }
  }

  protected wake(): void {
    // Virtual time moves only in advance().
  }
}

/** The wall clock, with one Node timer for the earliest task. */
export class RealClock extends ScheduledClock {
  readonly mode = 'real';
  readonly #origin = wallClockNanos();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Due time the armed timer or immediate is for; Infinity when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    this.#runDue();
  };

  monotonicNs(): number {
    return Number(wallClockNanos() - this.#origin);
  }

  readWall(into: WallTime): void {
    readWallClock(into);
  }

  /** Stop the timer and forget every task (the network that owns the clock closed). */
  stop(): void {
    this.#disarm();
    this.queue.clear();
  }

  protected wake(): void {
    const head = this.queue.peek();
    if (head === undefined || head.dueNs >= this.#armedFor) return;
    this.#arm(head.dueNs);
  }

  #runDue(): void {
    // Only tasks queued before this turn run in it: a task due now that another schedules (a reply
    // with no delay) waits for the next turn, so the event loop keeps turning.
    const limit = this.queue.nextOrder;
    const now = this.monotonicNs();
    try {
      for (let task = this.queue.peek(); task !== undefined && task.dueNs <= now && task.order < limit; task = this.queue.peek()) {
        this.queue.pop();
        task.run();
      }
    } finally {
      const head = this.queue.peek();
      if (head !== undefined) this.#arm(head.dueNs);
    }
  }

  #arm(dueNs: number): void {
    this.#disarm();
    this.#armedFor = dueNs;
    const waitMs = (dueNs - this.monotonicNs()) / NANOS_PER_MILLI;
    if (waitMs <= 0) this.#immediate = setImmediate(this.#onTimer);
    else this.#timer = setTimeout(this.#onTimer, Math.ceil(waitMs));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }
}

/** The clock of a memory network. */
export type NetworkClock = VirtualClock | RealClock;
