import { need } from '../bytes.js';

/**
 * A 64-bit timestamp as it travels: 32-bit seconds and 32-bit fraction (NTP: 2^-32 s units
 * since 1900 in the current era; PTPv2 truncated: nanoseconds since 1970 TAI, see ptp.ts).
 * Both halves are unsigned 32-bit integers.
 */
export interface WireTimestamp {
  readonly seconds: number;
  readonly fraction: number;
}

export function readTimestamp(input: Buffer, offset: number, what = 'timestamp', field = 'Timestamp'): WireTimestamp {
  need(input, offset, 8, what, field);
  return { seconds: input.readUInt32BE(offset), fraction: input.readUInt32BE(offset + 4) };
}

export function writeTimestamp(target: Buffer, offset: number, value: WireTimestamp): void {
  target.writeUInt32BE(value.seconds >>> 0, offset);
  target.writeUInt32BE(value.fraction >>> 0, offset + 4);
}

export const ZERO_TIMESTAMP: WireTimestamp = Object.freeze({ seconds: 0, fraction: 0 });
