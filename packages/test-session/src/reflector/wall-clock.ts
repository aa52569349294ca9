// The reflector's own reading of the wall clock, for the T3 it writes itself (when the socket cannot
// stamp late enough: T3 inside what the crypto covers) and for receive times that only userspace
// knows. Date.now() has millisecond resolution, so the monotonic clock is anchored to it once, on a
// millisecond edge, and every reading is anchor + monotonic: microsecond resolution, no allocation.
import { performance } from 'node:perf_hooks';

/** How long to spin waiting for Date.now() to tick while anchoring. */
const ANCHOR_SPIN_MS = 5;

function anchorMs(): number {
  const start = performance.now();
  const first = Date.now();
  let wall = first;
  let mono = start;
  while (wall === first && mono - start < ANCHOR_SPIN_MS) {
    wall = Date.now();
    mono = performance.now();
  }
  return wall - mono;
}

const WALL_MINUS_MONOTONIC_MS = anchorMs();
const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** Wall-clock time now in milliseconds since the Unix epoch (fractional). */
export function wallClockMs(): number {
  return WALL_MINUS_MONOTONIC_MS + performance.now();
}

/** NTP fraction of a whole number of nanoseconds within a second (floor(n · 2^32 / 10^9), exact). */
export function ntpFraction(nanos: number): number {
  if (!(nanos >= 0 && nanos < 1_000_000_000)) return 0;
  return Math.floor((Math.floor(nanos) * 8_388_608) / 1_953_125);
}

/** NTP seconds (era-relative, uint32) of Unix seconds. */
export function ntpSeconds(unixSeconds: number): number {
  return (unixSeconds + NTP_UNIX_OFFSET_SECONDS) >>> 0;
}

/** A reused [NTP seconds, NTP fraction] pair. */
export class NtpReading {
  seconds = 0;
  fraction = 0;

  /** Read the wall clock now. */
  readNow(): void {
    const ms = wallClockMs();
    const unixSeconds = Math.floor(ms / 1000);
    this.seconds = ntpSeconds(unixSeconds);
    this.fraction = ntpFraction((ms - unixSeconds * 1000) * 1_000_000);
  }
}
