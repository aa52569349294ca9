// The fallback's wall clock: Date.now() has only millisecond resolution, and the monotonic
// process.hrtime.bigint() has no epoch. So the monotonic clock is anchored to the wall clock once,
// at load, and every reading is anchor + monotonic: nanosecond resolution and never decreasing.
// The price: a later step or slew of the system clock is not followed (the native socket's kernel
// timestamps do follow CLOCK_REALTIME).

const NANOS_PER_SECOND = 1_000_000_000n;
const NANOS_PER_MILLI = 1_000_000n;
/** How long to wait for Date.now() to tick over while anchoring (it ticks every millisecond). */
const ANCHOR_SPIN_LIMIT_NANOS = 5_000_000n;

function anchor(): bigint {
  // Wait for the millisecond to change so the anchor sits on a millisecond edge: that leaves an
  // error of microseconds instead of up to a whole millisecond. Bounded in case Date.now() is
  // frozen (fake timers) or coarse.
  const start = process.hrtime.bigint();
  const first = Date.now();
  let wall = first;
  let mono = start;
  while (wall === first && mono - start < ANCHOR_SPIN_LIMIT_NANOS) {
    wall = Date.now();
    mono = process.hrtime.bigint();
  }
  return BigInt(wall) * NANOS_PER_MILLI - mono;
}

const WALL_MINUS_MONOTONIC = anchor();

/** Wall-clock time now, nanoseconds since the Unix epoch. */
export function wallClockNanos(): bigint {
  return WALL_MINUS_MONOTONIC + process.hrtime.bigint();
}

/** A reading split into Unix seconds and nanoseconds within the second, written into `into`. */
export function readWallClock(into: { seconds: number; nanos: number }): void {
  const now = wallClockNanos();
  into.seconds = Number(now / NANOS_PER_SECOND);
  into.nanos = Number(now % NANOS_PER_SECOND);
}
