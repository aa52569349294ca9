import { MalformedInputError } from '@twamp/errors';
import { need } from '../bytes.js';
import { argumentError } from './argument-error.js';

/*
 * Error Estimate, 16 bits (RFC 4656 §4.1.2; Z from RFC 8186):
 *
 *    0                   1
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 *   |S|Z|   Scale   |   Multiplier  |
 *
 * The estimated error is Multiplier × 2^(Scale − 32) seconds. A Multiplier of 0 makes the packet
 * corrupt (RFC 4656 says to discard it), so it is reported rather than silently turned into 0 s.
 */

/** Bit masks of the Error Estimate. */
export const ErrorEstimateBits = {
  /** S: the clock is synchronised to UTC by an external source. */
  Synchronized: 0x8000,
  /** Z (RFC 8186): the timestamp is PTPv2 truncated rather than NTP. */
  Ptp: 0x4000,
  Scale: 0x3f00,
  Multiplier: 0x00ff,
} as const;

export interface ErrorEstimate {
  readonly synchronized: boolean;
  /** The Z bit: the timestamp it accompanies is PTPv2 truncated (true) or NTP (false). */
  readonly ptp: boolean;
  /** 0 to 63. */
  readonly scale: number;
  /** 1 to 255 when valid; 0 only in a decoded, corrupt value. */
  readonly multiplier: number;
}

export interface ErrorEstimateFlags {
  readonly synchronized: boolean;
  readonly ptp: boolean;
}

/** The smallest error the field can state: 1 × 2^-32 s (about 233 ps). */
export const ERROR_ESTIMATE_MIN_SECONDS = 2 ** -32;

/** The largest error the field can state: 255 × 2^31 s (about 17 000 years), in effect "unknown". */
export const ERROR_ESTIMATE_MAX_SECONDS = 255 * 2 ** 31;

/**
 * Error Estimates met in practice, by who sends them. UNSYNCHRONIZED is our default when the clock is not
 * known to be synchronised: with S = 0 nothing bounds the offset from UTC, and the only statement that
 * never understates the error is the largest one (which is also what twampy sends).
 */
export const ErrorEstimateValue = {
  /** Our default for an unsynchronised clock: S = 0, NTP, Scale 63, Multiplier 255. */
  Unsynchronized: 0x3fff,
  /** nokia/twampy's sender: S = 0, Scale 63, Multiplier 255. */
  Twampy: 0x3fff,
  /** perfSONAR owamp with an unsynchronised clock: S = 0, Scale 0, Multiplier 1 (claims 233 ps). */
  PerfSonarUnsynchronized: 0x0001,
  /** emirica/twamp-protocol: S = 1, Scale 0, Multiplier 1. */
  EmiricaSynchronized: 0x8001,
} as const;

const WHAT = 'Error Estimate';

function checkRaw(raw: number): void {
  if (!(Number.isInteger(raw) && raw >= 0 && raw <= 0xffff)) {
    throw new MalformedInputError({ what: WHAT, field: WHAT, offset: 0, reason: `${raw} is not a 16-bit value` });
  }
}

/** The 16-bit field for these parts; a Multiplier of 0 is refused because the RFC makes it corrupt. */
export function encodeErrorEstimate(estimate: ErrorEstimate): number {
  const { scale, multiplier } = estimate;
  if (!(Number.isInteger(scale) && scale >= 0 && scale <= 63)) {
    throw argumentError('scale', 'an integer from 0 to 63', scale);
  }
  if (!(Number.isInteger(multiplier) && multiplier >= 1 && multiplier <= 255)) {
    throw argumentError('multiplier', 'an integer from 1 to 255', multiplier);
  }
  return (
    (estimate.synchronized ? ErrorEstimateBits.Synchronized : 0) |
    (estimate.ptp ? ErrorEstimateBits.Ptp : 0) |
    (scale << 8) |
    multiplier
  );
}

/** The parts of a 16-bit field. Does not reject Multiplier 0: check `isValidErrorEstimate` to drop those. */
export function decodeErrorEstimate(raw: number): ErrorEstimate {
  checkRaw(raw);
  return {
    synchronized: (raw & ErrorEstimateBits.Synchronized) !== 0,
    ptp: (raw & ErrorEstimateBits.Ptp) !== 0,
    scale: (raw & ErrorEstimateBits.Scale) >>> 8,
    multiplier: raw & ErrorEstimateBits.Multiplier,
  };
}

/** Reads the 2-octet field at `offset` (raw; decode or validate it separately). */
export function readErrorEstimate(input: Buffer, offset: number, what = WHAT, field = WHAT): number {
  need(input, offset, 2, what, field);
  return input.readUInt16BE(offset);
}

/** False for a Multiplier of 0 (the RFC's "corrupt, discard") or a value that is not 16 bits. */
export function isValidErrorEstimate(raw: number): boolean {
  return Number.isInteger(raw) && raw >= 0 && raw <= 0xffff && (raw & ErrorEstimateBits.Multiplier) !== 0;
}

/** True when the Z bit says the accompanying timestamp is PTPv2 truncated. */
export function isPtpErrorEstimate(raw: number): boolean {
  return (raw & ErrorEstimateBits.Ptp) !== 0;
}

/** The stated error in seconds. Throws MalformedInputError for Multiplier 0, which states no error at all. */
export function errorEstimateSeconds(raw: number): number {
  const { scale, multiplier } = decodeErrorEstimate(raw);
  if (multiplier === 0) {
    throw new MalformedInputError({ what: WHAT, field: 'Multiplier', offset: 1, reason: 'must not be 0' });
  }
  // A power of two times an 8-bit integer: exact in a double.
  return multiplier * 2 ** (scale - 32);
}

/**
 * The field that states `seconds` as closely as possible without ever understating it: the smallest
 * representable error ≥ `seconds`. Values below 2^-32 s state 2^-32 s; values above the maximum (and
 * Infinity) saturate at the maximum. Among equal values the smallest Scale is used, so the encoding is
 * canonical.
 */
export function errorEstimateFromSeconds(seconds: number, flags: ErrorEstimateFlags): number {
  if (Number.isNaN(seconds) || seconds < 0) {
    throw argumentError('seconds', 'a number of seconds ≥ 0', seconds);
  }
  // The finest scale whose multiplier still fits gives the smallest value ≥ seconds: every coarser
  // candidate is a multiple of the finer unit and ≥ seconds, so it cannot be smaller.
  for (let scale = 0; scale <= 63; scale += 1) {
    // Dividing by a power of two is exact, so the ceiling is the exact multiplier needed.
    const multiplier = Math.ceil(seconds / 2 ** (scale - 32));
    if (multiplier <= 255) {
      return encodeErrorEstimate({ ...flags, scale, multiplier: Math.max(1, multiplier) });
    }
  }
  return encodeErrorEstimate({ ...flags, scale: 63, multiplier: 255 });
}
