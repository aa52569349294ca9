import { MalformedInputError } from '@twamp/errors';
import { checkTarget, need } from '../bytes.js';
import { put32 } from '../octets.js';
import { argumentError } from './argument-error.js';
import { checkUnixSeconds, NANOS_PER_SECOND_BIG, nowUnixSeconds, splitEpochNanos, unixSecondsNearestPivot } from './era.js';
import { isSubSecondNanos, NANOS_PER_SECOND } from './ntp.js';
import type { WireTimestamp } from './timestamp.js';

/*
 * PTPv2 "truncated" timestamp, selected by the Z bit of the Error Estimate (RFC 8186): the 64 least
 * significant bits of the IEEE 1588 timestamp, i.e. the low 32 bits of the seconds and the 32-bit
 * nanoseconds field. In a WireTimestamp, `seconds` is those seconds and `fraction` the nanoseconds.
 *
 * Epoch and timescale, as RFC 8186 inherits them from IEEE 1588 (and RFC 8877 §4.3 restates them):
 * seconds count from 1970-01-01 00:00:00 TAI, and TAI has no leap seconds. POSIX time counts from
 * 1970-01-01 00:00:00 UTC and skips leap seconds, so the two differ by the current TAI − UTC offset
 * (IEEE 1588's currentUtcOffset): 37 s since 2017-01-01, and ptp = unix + offset.
 */

/** TAI − UTC since 2017-01-01 (IERS Bulletin C); PTP announces it as currentUtcOffset. */
export const DEFAULT_TAI_MINUS_UTC_SECONDS = 37;

/** Sanity bound only: real offsets are tens of seconds (0 for a PTP clock that runs on UTC). */
const MAX_TAI_MINUS_UTC_SECONDS = 86_400;

function checkTaiMinusUtc(taiMinusUtcSeconds: number): void {
  if (!(Number.isInteger(taiMinusUtcSeconds) && Math.abs(taiMinusUtcSeconds) <= MAX_TAI_MINUS_UTC_SECONDS)) {
    throw argumentError('taiMinusUtcSeconds', 'an integer number of seconds (37 since 2017)', taiMinusUtcSeconds);
  }
}

/** False when the nanoseconds field is 10^9 or more, which IEEE 1588 does not allow. */
export function isValidPtpTimestamp(timestamp: WireTimestamp): boolean {
  return isSubSecondNanos(timestamp.fraction);
}

function checkPtpTimestamp(timestamp: WireTimestamp, what: string, field: string, offset: number): void {
  if (!isSubSecondNanos(timestamp.fraction)) {
    throw new MalformedInputError({
      what,
      field: `${field} nanoseconds`,
      offset: offset + 4,
      reason: `${timestamp.fraction} is not below 1000000000`,
    });
  }
}

/** Reads an 8-octet PTPv2 truncated timestamp, rejecting a nanoseconds field of 10^9 or more. */
export function readPtpTimestamp(input: Buffer, offset: number, what = 'PTPv2 timestamp', field = 'Timestamp'): WireTimestamp {
  need(input, offset, 8, what, field);
  const timestamp = { seconds: input.readUInt32BE(offset), fraction: input.readUInt32BE(offset + 4) };
  checkPtpTimestamp(timestamp, what, field, offset);
  return timestamp;
}

/** The PTPv2 truncated timestamp of an instant given in nanoseconds since the Unix epoch. */
export function ptpFromUnixNanos(unixNanos: bigint, taiMinusUtcSeconds: number = DEFAULT_TAI_MINUS_UTC_SECONDS): WireTimestamp {
  checkTaiMinusUtc(taiMinusUtcSeconds);
  const { seconds, nanos } = splitEpochNanos(unixNanos + BigInt(taiMinusUtcSeconds) * NANOS_PER_SECOND_BIG);
  return { seconds, fraction: nanos };
}

/**
 * Nanoseconds since the Unix epoch for a PTPv2 truncated timestamp. The era (the seconds wrap in 2106)
 * is the one nearest `pivotUnixSeconds` (default: now). Throws MalformedInputError for nanoseconds ≥ 10^9.
 */
export function ptpToUnixNanos(
  timestamp: WireTimestamp,
  taiMinusUtcSeconds: number = DEFAULT_TAI_MINUS_UTC_SECONDS,
  pivotUnixSeconds: number = nowUnixSeconds(),
): bigint {
  checkPtpTimestamp(timestamp, 'PTPv2 timestamp', 'Timestamp', 0);
  checkTaiMinusUtc(taiMinusUtcSeconds);
  const unixSeconds = unixSecondsNearestPivot(timestamp.seconds - taiMinusUtcSeconds, pivotUnixSeconds);
  return BigInt(unixSeconds) * NANOS_PER_SECOND_BIG + BigInt(timestamp.fraction);
}

/**
 * Writes the PTPv2 truncated timestamp of (unixSeconds, nanos) at `offset`; allocates nothing (hot path).
 * Like writeNtpFromUnix, it checks everything before writing and then writes without re-validating.
 */
export function writePtpFromUnix(
  target: Buffer,
  offset: number,
  unixSeconds: number,
  nanos: number,
  taiMinusUtcSeconds: number = DEFAULT_TAI_MINUS_UTC_SECONDS,
): void {
  checkUnixSeconds(unixSeconds, 'unixSeconds', true);
  checkTaiMinusUtc(taiMinusUtcSeconds);
  if (!isSubSecondNanos(nanos)) {
    throw argumentError('nanos', 'an integer from 0 to 999999999', nanos);
  }
  checkTarget(target, offset, 8, 'PTPv2 timestamp');
  put32(target, offset, (unixSeconds + taiMinusUtcSeconds) >>> 0);
  put32(target, offset + 4, nanos);
}

/**
 * later − earlier in nanoseconds, with the seconds difference taken as a signed 32-bit number so a pair
 * that straddles the 2106 wrap still gives the short interval. Exact up to about 104 days.
 */
export function ptpDifferenceNanos(later: WireTimestamp, earlier: WireTimestamp): number {
  checkPtpTimestamp(later, 'PTPv2 timestamp', 'later', 0);
  checkPtpTimestamp(earlier, 'PTPv2 timestamp', 'earlier', 0);
  const seconds = (later.seconds - earlier.seconds) | 0;
  return seconds * NANOS_PER_SECOND + (later.fraction - earlier.fraction);
}
