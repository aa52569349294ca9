import { nowUnixSeconds } from './era.js';
import { ntpFromUnixNanos, ntpToUnixNanos } from './ntp.js';
import { DEFAULT_TAI_MINUS_UTC_SECONDS, ptpFromUnixNanos, ptpToUnixNanos } from './ptp.js';
import type { WireTimestamp } from './timestamp.js';

/**
 * Options for reading a test-packet timestamp whose format the Error Estimate's Z bit chose
 * (RFC 8186: 0 = NTP, 1 = PTPv2 truncated).
 */
export interface TimestampConversionOptions {
  /** TAI − UTC for PTPv2 timestamps; default 37. */
  readonly taiMinusUtcSeconds?: number;
  /** Instant near which the era is chosen; default now. */
  readonly pivotUnixSeconds?: number;
}

/** Unix nanoseconds of a timestamp in either format (`ptp` is the Z bit of its Error Estimate). */
export function timestampToUnixNanos(timestamp: WireTimestamp, ptp: boolean, options: TimestampConversionOptions = {}): bigint {
  const pivot = options.pivotUnixSeconds ?? nowUnixSeconds();
  return ptp
    ? ptpToUnixNanos(timestamp, options.taiMinusUtcSeconds ?? DEFAULT_TAI_MINUS_UTC_SECONDS, pivot)
    : ntpToUnixNanos(timestamp, pivot);
}

/** The timestamp of a Unix instant in either format (`ptp` is the Z bit the Error Estimate will carry). */
export function timestampFromUnixNanos(unixNanos: bigint, ptp: boolean, taiMinusUtcSeconds: number = DEFAULT_TAI_MINUS_UTC_SECONDS): WireTimestamp {
  return ptp ? ptpFromUnixNanos(unixNanos, taiMinusUtcSeconds) : ntpFromUnixNanos(unixNanos);
}
