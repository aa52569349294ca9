import { checkTarget } from '../bytes.js';
import { put32 } from '../octets.js';
import { argumentError } from './argument-error.js';
import { checkUnixSeconds, ERA_SECONDS, NANOS_PER_SECOND_BIG, nowUnixSeconds, splitEpochNanos, unixSecondsNearestPivot } from './era.js';
import type { WireTimestamp } from './timestamp.js';

/** Seconds from the NTP prime epoch (1900-01-01 00:00 UTC) to the Unix epoch (1970-01-01 00:00 UTC). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

/** One NTP era: the 32-bit seconds field wraps after 2^32 s (next wrap 2036-02-07T06:28:16Z). */
export const NTP_ERA_SECONDS = ERA_SECONDS;

/** The fraction field counts units of 2^-32 s. */
export const NTP_FRACTION_UNITS_PER_SECOND = 4_294_967_296;

export const NANOS_PER_SECOND = 1_000_000_000;

const NTP_UNIX_OFFSET_NANOS_BIG = BigInt(NTP_UNIX_OFFSET_SECONDS) * NANOS_PER_SECOND_BIG;

/*
 * 10^9 = 2^9 · 5^9, so n · 2^32 / 10^9 = n · 2^23 / 5^9 and f · 10^9 / 2^32 = f · 5^9 / 2^23.
 * Splitting out the power of two keeps every intermediate product an exact double:
 *
 *  - nanos → fraction: n < 10^9 < 2^30, so n · 2^23 < 2^53 (exact). The quotient q = n · 2^23 / 5^9 is
 *    below 2^32, where the spacing of doubles is at most 2^-21, so the correctly rounded division is
 *    within 2^-22 of q. A non-integer q is at least 1/5^9 (> 2^-21) below the next integer, and rounding
 *    is monotonic so the quotient cannot fall below floor(q), which is a double: the rounded quotient
 *    has the same floor as q, and Math.floor gives floor(n · 2^32 / 10^9) exactly.
 *  - fraction → nanos: f < 2^32 and 5^9 < 2^21, so f · 5^9 < 2^53 (exact); dividing by 2^23 only changes
 *    the exponent (exact), and Math.ceil of an exact value is exact.
 *  - Round trip: f = floor(n · 2^32 / 10^9) means f · 10^9 / 2^32 ≤ n < f · 10^9 / 2^32 + 10^9 / 2^32, and
 *    10^9 / 2^32 < 1, so n is the least integer ≥ f · 10^9 / 2^32, which is what the ceiling computes.
 */
const FIVE_POW_9 = 1_953_125;
const TWO_POW_23 = 8_388_608;

/** True for a whole number of nanoseconds within one second (0 to 999 999 999). */
export function isSubSecondNanos(nanos: number): boolean {
  return Number.isInteger(nanos) && nanos >= 0 && nanos < NANOS_PER_SECOND;
}

/**
 * NTP fraction for a whole number of nanoseconds within a second: floor(n · 2^32 / 10^9).
 * Exact for every 0 ≤ n < 10^9 without BigInt (see the proof above); `nanosFromNtpFraction` inverts it.
 */
export function ntpFractionFromNanos(nanos: number): number {
  if (!isSubSecondNanos(nanos)) {
    throw argumentError('nanos', 'an integer from 0 to 999999999', nanos);
  }
  return Math.floor((nanos * TWO_POW_23) / FIVE_POW_9);
}

/**
 * Nanoseconds for a 32-bit NTP fraction: ceil(f · 10^9 / 2^32), which recovers n exactly when
 * f = ntpFractionFromNanos(n). Any fraction is accepted, including those of peers that scale by
 * 0xFFFFFFFF instead of 2^32 (twampy). The four largest fractions give 10^9, which callers carry into
 * the seconds: they are closer to the next second than to 999 999 999 ns.
 */
export function nanosFromNtpFraction(fraction: number): number {
  return Math.ceil((fraction * FIVE_POW_9) / TWO_POW_23);
}

/** The NTP timestamp of an instant given in nanoseconds since the Unix epoch (any era, any sign). */
export function ntpFromUnixNanos(unixNanos: bigint): WireTimestamp {
  const { seconds, nanos } = splitEpochNanos(unixNanos + NTP_UNIX_OFFSET_NANOS_BIG);
  return { seconds, fraction: ntpFractionFromNanos(nanos) };
}

/**
 * Nanoseconds since the Unix epoch for an NTP timestamp. The wire carries no era number, so the era is
 * the one that puts the result nearest `pivotUnixSeconds` (default: now); any pivot within 68 years of
 * the true instant gives the true instant back.
 */
export function ntpToUnixNanos(timestamp: WireTimestamp, pivotUnixSeconds: number = nowUnixSeconds()): bigint {
  const unixSeconds = unixSecondsNearestPivot(timestamp.seconds - NTP_UNIX_OFFSET_SECONDS, pivotUnixSeconds);
  return BigInt(unixSeconds) * NANOS_PER_SECOND_BIG + BigInt(nanosFromNtpFraction(timestamp.fraction));
}

/**
 * Writes the NTP timestamp of (unixSeconds, nanos) into 8 octets at `offset`. Allocates nothing, since it
 * stamps every test packet: the seconds wrap into the 32-bit field with ToUint32 (`>>> 0`), which is
 * exact modulo 2^32 for every integer below 2^53, so no era arithmetic is needed. Every argument is
 * checked before the first octet is written (a refused call leaves the target as it was), and then
 * only once: both halves are known to be uint32, so Buffer's per-call validation would be repeated work.
 */
export function writeNtpFromUnix(target: Buffer, offset: number, unixSeconds: number, nanos: number): void {
  checkUnixSeconds(unixSeconds, 'unixSeconds', true);
  const fraction = ntpFractionFromNanos(nanos);
  checkTarget(target, offset, 8, 'NTP timestamp');
  put32(target, offset, (unixSeconds + NTP_UNIX_OFFSET_SECONDS) >>> 0);
  put32(target, offset + 4, fraction);
}

/**
 * later − earlier in nanoseconds. The seconds difference is taken as a signed 32-bit number, so a pair
 * that straddles an era wrap (2036) still gives the short interval between them. Exact while the result
 * stays within 2^53 ns (about 104 days); beyond that it is the nearest double.
 */
export function ntpDifferenceNanos(later: WireTimestamp, earlier: WireTimestamp): number {
  const seconds = (later.seconds - earlier.seconds) | 0;
  return seconds * NANOS_PER_SECOND + (nanosFromNtpFraction(later.fraction) - nanosFromNtpFraction(earlier.fraction));
}

/** The largest interval the 8-octet format holds: 2^32 − 2^-32 s. */
export const NTP_INTERVAL_MAX: WireTimestamp = Object.freeze({ seconds: 0xffff_ffff, fraction: 0xffff_ffff });

/**
 * An interval (for example Request-TW-Session's Timeout) in the 8-octet format, rounded to the nearest
 * 2^-32 s. An interval that would round up past the largest value becomes that value.
 */
export function ntpIntervalFromSeconds(seconds: number): WireTimestamp {
  if (!(Number.isFinite(seconds) && seconds >= 0 && seconds < NTP_ERA_SECONDS)) {
    throw argumentError('seconds', 'a number of seconds from 0 to below 4294967296', seconds);
  }
  let whole = Math.floor(seconds);
  // Both steps are exact: removing the integer part keeps the remaining bits, and 2^32 only shifts them.
  let fraction = Math.round((seconds - whole) * NTP_FRACTION_UNITS_PER_SECOND);
  if (fraction === NTP_FRACTION_UNITS_PER_SECOND) {
    whole += 1;
    fraction = 0;
  }
  if (whole === NTP_ERA_SECONDS) {
    return NTP_INTERVAL_MAX;
  }
  return { seconds: whole, fraction };
}

/** The interval an 8-octet value expresses, in seconds (the nearest double). */
export function ntpIntervalToSeconds(interval: WireTimestamp): number {
  return interval.seconds + interval.fraction / NTP_FRACTION_UNITS_PER_SECOND;
}
