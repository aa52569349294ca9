import { ConfigError, MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TAI_MINUS_UTC_SECONDS,
  isValidPtpTimestamp,
  ntpFromUnixNanos,
  ptpDifferenceNanos,
  ptpFromUnixNanos,
  ptpToUnixNanos,
  readPtpTimestamp,
  readTimestamp,
  timestampFromUnixNanos,
  timestampToUnixNanos,
  writePtpFromUnix,
  writeTimestamp,
} from '../../src/values/index.js';
import { thrown } from '../support/thrown.js';
import { bytes, fuzzDecoder, toHex, truncated } from './helpers.js';

const NS = 1_000_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/*
 * Each row: an instant (Unix nanoseconds, the TAI − UTC offset in force, and the pivot that picks the
 * era) and its 8 octets as a PTPv2 truncated timestamp (RFC 8186 Z = 1): octets 0-3 seconds since
 * 1970-01-01 00:00:00 TAI (mod 2^32), octets 4-7 nanoseconds (0 to 999 999 999).
 */
const VECTORS: readonly { name: string; value: { unixNanos: bigint; tai: number; pivot: number }; bytes: string }[] = [
  { name: 'PTP epoch (37 s before the Unix epoch at today\'s offset)', value: { unixNanos: -37n * NS, tai: 37, pivot: 0 }, bytes: '00000000 00000000' },
  { name: 'Unix epoch', value: { unixNanos: 0n, tai: 37, pivot: 0 }, bytes: '00000025 00000000' },
  { name: '2017-01-01T00:00:00Z, when the offset became 37 s', value: { unixNanos: 1_483_228_800n * NS, tai: 37, pivot: 1_483_228_800 }, bytes: '586846a5 00000000' },
  { name: '2024-01-01T00:00:00.123456789Z', value: { unixNanos: 1_704_067_200_123_456_789n, tai: 37, pivot: 1_704_067_200 }, bytes: '659200a5 075bcd15' },
  { name: '2024-01-01T00:00:00Z from a PTP clock kept on UTC (offset 0)', value: { unixNanos: 1_704_067_200n * NS, tai: 0, pivot: 1_704_067_200 }, bytes: '65920080 00000000' },
  { name: 'last nanosecond before the 2106 wrap', value: { unixNanos: 4_294_967_258_999_999_999n, tai: 37, pivot: 4_294_967_258 }, bytes: 'ffffffff 3b9ac9ff' },
  { name: 'first second after the 2106 wrap', value: { unixNanos: 4_294_967_259n * NS, tai: 37, pivot: 4_294_967_259 }, bytes: '00000000 00000000' },
];

describe('PTPv2 truncated timestamp vectors', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const wire = bytes(vector.bytes);
      const { unixNanos, tai, pivot } = vector.value;
      expect(ptpToUnixNanos(readPtpTimestamp(wire, 0), tai, pivot)).toBe(unixNanos);

      const encoded = Buffer.alloc(8);
      writeTimestamp(encoded, 0, ptpFromUnixNanos(unixNanos, tai));
      expect(toHex(encoded)).toBe(toHex(wire));

      const seconds = Number(floorDiv(unixNanos, NS));
      const fast = Buffer.alloc(8);
      writePtpFromUnix(fast, 0, seconds, Number(unixNanos - BigInt(seconds) * NS), tai);
      expect(toHex(fast)).toBe(toHex(wire));

      expect(ptpToUnixNanos(readPtpTimestamp(encoded, 0), tai, pivot)).toBe(unixNanos);
    });
  }

  it('defaults to TAI − UTC = 37 s and the current era', () => {
    expect(DEFAULT_TAI_MINUS_UTC_SECONDS).toBe(37);
    expect(ptpFromUnixNanos(1_704_067_200_123_456_789n)).toEqual({ seconds: 0x6592_00a5, fraction: 123_456_789 });
    expect(ptpToUnixNanos({ seconds: 0x6592_00a5, fraction: 123_456_789 })).toBe(1_704_067_200_123_456_789n);
  });
});

describe('PTPv2 validation', () => {
  it('refuses a nanoseconds field of 10^9 or more with MalformedInputError naming it', () => {
    const wire = bytes('00 11 22 33 44 586846a5 3b9aca00');
    const error = thrown(() => readPtpTimestamp(wire, 5, 'STAMP packet', 'Timestamp'), MalformedInputError);
    expect(error).toMatchObject({ what: 'STAMP packet', field: 'Timestamp nanoseconds', offset: 9 });
    expect(isValidPtpTimestamp({ seconds: 0, fraction: 999_999_999 })).toBe(true);
    expect(isValidPtpTimestamp({ seconds: 0, fraction: 1_000_000_000 })).toBe(false);
    expect(() => ptpToUnixNanos({ seconds: 0, fraction: 0xffff_ffff }, 37, 0)).toThrow(MalformedInputError);
    expect(() => ptpDifferenceNanos({ seconds: 0, fraction: 1_000_000_000 }, { seconds: 0, fraction: 0 })).toThrow(MalformedInputError);
  });

  it('refuses a truncated field', () => {
    expect(() => readPtpTimestamp(bytes('586846a5 3b9ac9'), 0)).toThrow(MalformedInputError);
  });

  it('refuses offsets and arguments it cannot use', () => {
    for (const tai of [1.5, Number.NaN, 100_000]) {
      expect(() => ptpFromUnixNanos(0n, tai)).toThrow(ConfigError);
      expect(() => ptpToUnixNanos({ seconds: 0, fraction: 0 }, tai, 0)).toThrow(ConfigError);
    }
    const target = Buffer.alloc(8);
    expect(() => { writePtpFromUnix(target, 0, 0, 1_000_000_000); }).toThrow(ConfigError);
    expect(() => { writePtpFromUnix(target, 0, 0.5, 0); }).toThrow(ConfigError);
  });
});

describe('PTPv2 properties', () => {
  const instant = fc.bigInt({ min: -37n * NS, max: 4_294_967_258n * NS });
  const offset = fc.integer({ min: 0, max: 100 });

  it('round-trips exactly for any instant, offset and pivot within 68 years', () => {
    fc.assert(
      fc.property(instant, offset, fc.integer({ min: -(2 ** 31) + 2, max: 2 ** 31 - 2 }), (unixNanos, tai, distance) => {
        const pivot = Number(floorDiv(unixNanos, NS)) + distance;
        return ptpToUnixNanos(ptpFromUnixNanos(unixNanos, tai), tai, pivot) === unixNanos;
      }),
      { numRuns: 50_000 },
    );
  });

  it('keeps the nanoseconds field below 10^9 and moves seconds by exactly the offset', () => {
    fc.assert(
      fc.property(instant, offset, (unixNanos, tai) => {
        const utc = ptpFromUnixNanos(unixNanos, 0);
        const tai37 = ptpFromUnixNanos(unixNanos, tai);
        return isValidPtpTimestamp(tai37) && tai37.fraction === utc.fraction && tai37.seconds === (utc.seconds + tai) % 2 ** 32;
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes the same octets through the zero-allocation writer', () => {
    fc.assert(
      fc.property(fc.integer({ min: -37, max: 4_294_967_258 }), fc.integer({ min: 0, max: 999_999_999 }), offset, (seconds, nanos, tai) => {
        const fast = Buffer.alloc(8);
        writePtpFromUnix(fast, 0, seconds, nanos, tai);
        const slow = Buffer.alloc(8);
        writeTimestamp(slow, 0, ptpFromUnixNanos(BigInt(seconds) * NS + BigInt(nanos), tai));
        return fast.equals(slow);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes differences exactly, across the 2106 wrap too', () => {
    expect(ptpDifferenceNanos({ seconds: 0, fraction: 100 }, { seconds: 0xffff_ffff, fraction: 999_999_900 })).toBe(200);
    expect(ptpDifferenceNanos({ seconds: 0xffff_ffff, fraction: 999_999_900 }, { seconds: 0, fraction: 100 })).toBe(-200);
    fc.assert(
      fc.property(instant, fc.bigInt({ min: -100n * 86_400n * NS, max: 100n * 86_400n * NS }), (earlier, delta) => {
        return ptpDifferenceNanos(ptpFromUnixNanos(earlier + delta), ptpFromUnixNanos(earlier)) === Number(delta);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('timestamps in the format the Z bit selects', () => {
  const wire = bytes('659200a5 075bcd15');

  it('reads the same octets as NTP or PTP', () => {
    const timestamp = readTimestamp(wire, 0);
    // As NTP, 0x659200A5 seconds after 1900 is in 1954 (era 0) or 2090 (era 1): the pivot decides, and the
    // second word is a fraction: 123456789 / 2^32 s = 28 744 524 ns (rounded up).
    expect(timestampToUnixNanos(timestamp, false, { pivotUnixSeconds: -500_000_000 })).toBe(-504_921_563n * NS + 28_744_524n);
    expect(timestampToUnixNanos(timestamp, false, { pivotUnixSeconds: 3_800_000_000 })).toBe(3_790_045_733n * NS + 28_744_524n);
    expect(timestampToUnixNanos(timestamp, true, { pivotUnixSeconds: 1_704_067_200 })).toBe(1_704_067_200_123_456_789n);
    expect(timestampToUnixNanos(timestamp, true, { pivotUnixSeconds: 1_704_067_200, taiMinusUtcSeconds: 0 })).toBe(1_704_067_237_123_456_789n);
    expect(timestampToUnixNanos(timestamp, true)).toBe(1_704_067_200_123_456_789n);
  });

  it('writes either format', () => {
    expect(timestampFromUnixNanos(1_704_067_200_123_456_789n, true)).toEqual({ seconds: 0x6592_00a5, fraction: 123_456_789 });
    expect(timestampFromUnixNanos(1_704_067_200_123_456_789n, true, 0)).toEqual({ seconds: 0x6592_0080, fraction: 123_456_789 });
    expect(timestampFromUnixNanos(0n, false)).toEqual(ntpFromUnixNanos(0n));
  });

  it('round-trips both formats', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 4_000_000_000n * NS }), fc.boolean(), (unixNanos, ptp) => {
        const pivot = Number(unixNanos / NS);
        return timestampToUnixNanos(timestampFromUnixNanos(unixNanos, ptp), ptp, { pivotUnixSeconds: pivot }) === unixNanos;
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('random and truncated input', () => {
  it('readPtpTimestamp throws only MalformedInputError: when truncated or when nanoseconds ≥ 10^9', () => {
    fuzzDecoder({
      maxLength: 20,
      decode: (input, offset) => {
        const timestamp = readPtpTimestamp(input, offset, 'fuzz', 'Timestamp');
        return { timestamp, unixNanos: ptpToUnixNanos(timestamp, 37, 1_700_000_000) };
      },
      failsWhen: (input, offset) => truncated(input, offset, 8) || input.readUInt32BE(offset + 4) >= 1_000_000_000,
      check: ({ timestamp, unixNanos }, input, offset) => {
        if (timestamp.seconds !== input.readUInt32BE(offset) || timestamp.fraction !== input.readUInt32BE(offset + 4)) {
          throw new Error('read the wrong octets');
        }
        if ((((unixNanos % NS) + NS) % NS) !== BigInt(timestamp.fraction)) {
          throw new Error('nanoseconds changed');
        }
      },
    });
  });

  it('nanoseconds ≥ 10^9 turn up often enough to be exercised', () => {
    // A uniform 32-bit field is ≥ 10^9 about 77 % of the time; the suite above relies on both outcomes.
    let invalid = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (nanos) => {
        if (!isValidPtpTimestamp({ seconds: 0, fraction: nanos })) invalid += 1;
      }),
      { numRuns: 1000, seed: 1 },
    );
    expect(invalid).toBeGreaterThan(500);
  });
});
