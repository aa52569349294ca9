// The sender's own reading of the wall clock, in nanoseconds relative to the run's epoch, for the
// schedule, loss deadlines and the onSendTiming hook. Timestamps that go into packets never come
// from here: the socket stamps T1 itself, or its stampNow() (the clock of T4) is read where T1 must
// be written before protection. Date.now() has millisecond resolution and BigInt readings allocate,
// so the monotonic clock is anchored to the wall clock on a millisecond edge. The monotonic clock is
// @twamp/udp's reader (CLOCK_MONOTONIC, as performance.now()), which allocates nothing per read on
// the native addon: on Node 20 every performance.now() allocates an array, and the sender's busy
// waits read the clock millions of times a second, enough garbage for a scavenge every few tens of
// milliseconds, each a stall of a send of a few hundred microseconds.

import { monotonicClockReader } from '@twamp/udp';

const NANOS_PER_MILLI = 1_000_000;
/**
 * One reader for every sender of the process: a reading is taken and used synchronously, so the
 * reader's cell is never shared across an await, and thousands of senders need no cell each.
 */
let sharedMonotonic: (() => number) | undefined;

/** The process's monotonic clock reader (ms), made on first use: importing the package loads no addon. */
export function sharedMonotonicReader(): () => number {
  return (sharedMonotonic ??= monotonicClockReader());
}
/** Bound on the wait for Date.now() to tick while anchoring (it ticks every millisecond). */
const ANCHOR_SPIN_LIMIT_MS = 3;
/**
 * A clock made within this long of the process's last anchor reuses it: taking one spins up to a
 * millisecond for Date.now() to tick, which made opening an agent's 10 000 senders take 10 s of CPU
 * and more. The monotonic clock and the wall clock drift apart by parts per million, and each clock
 * follow()s the wall clock on its own afterwards (the sender does every second), so a reused anchor
 * is as good as a fresh one.
 */
const ANCHOR_REUSE_MS = 1000;

interface Anchor {
  /** The monotonic clock just after Date.now() ticked, ms. */
  readonly monotonicMs: number;
  /** Date.now() at that tick (an integer millisecond edge). */
  readonly wallMs: number;
}

let sharedAnchor: Anchor | undefined;

/** Wait for Date.now() to tick and read the monotonic clock at the edge. */
function takeAnchor(monotonic: () => number): Anchor {
  const start = monotonic();
  const first = Date.now();
  let wall = first;
  let perf = start;
  while (wall === first && perf - start < ANCHOR_SPIN_LIMIT_MS) {
    wall = Date.now();
    perf = monotonic();
  }
  return { monotonicMs: perf, wallMs: wall };
}

export class WallClock {
  /** Integer Unix seconds every relative time counts from. */
  readonly epochUnixSeconds: number;
  /** The monotonic clock, ms (origin unspecified: only differences and the anchor matter). */
  readonly #monotonic: () => number;
  /** The monotonic clock at the anchor, ms. */
  #anchorPerfMs: number;
  /** Wall time at the anchor, ns relative to the epoch. */
  #anchorRelNs: number;

  constructor() {
    const monotonic = sharedMonotonicReader();
    this.#monotonic = monotonic;
    let anchor = sharedAnchor;
    if (anchor === undefined || monotonic() - anchor.monotonicMs >= ANCHOR_REUSE_MS) {
      anchor = takeAnchor(monotonic);
      sharedAnchor = anchor;
    }
    this.epochUnixSeconds = Math.floor(Date.now() / 1000);
    this.#anchorPerfMs = anchor.monotonicMs;
    this.#anchorRelNs = (anchor.wallMs - this.epochUnixSeconds * 1000) * NANOS_PER_MILLI;
  }

  /** Monotonic milliseconds, the schedule's timeline. */
  monotonicMs(): number {
    return this.#monotonic();
  }

  /** The wall time of a monotonic reading, ns relative to the epoch (fractional). */
  relativeNanosAt(monotonicMs: number): number {
    return this.#anchorRelNs + (monotonicMs - this.#anchorPerfMs) * NANOS_PER_MILLI;
  }

  /** Wall time now, ns relative to the epoch (fractional). */
  nowRelativeNanos(): number {
    return this.relativeNanosAt(this.#monotonic());
  }

  /**
   * Keep following the wall clock: the monotonic clock and CLOCK_REALTIME drift apart by the
   * clock's frequency correction (ppm), so once in a while check the anchored reading against
   * Date.now() and move the anchor by the smallest step that puts it back inside Date.now()'s
   * millisecond. Costs nothing when the two still agree.
   */
  follow(): void {
    const perf = this.#monotonic();
    const wallMs = Date.now();
    const predictedMs = (this.relativeNanosAt(perf) / NANOS_PER_MILLI) + this.epochUnixSeconds * 1000;
    if (predictedMs < wallMs) {
      this.#anchorRelNs += (wallMs - predictedMs) * NANOS_PER_MILLI;
    } else if (predictedMs >= wallMs + 1) {
      this.#anchorRelNs -= (predictedMs - (wallMs + 1)) * NANOS_PER_MILLI + 1;
    }
  }
}
