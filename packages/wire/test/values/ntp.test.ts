import { ConfigError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nanosFromNtpFraction,
  NTP_INTERVAL_MAX,
  NTP_UNIX_OFFSET_SECONDS,
  ntpDifferenceNanos,
  ntpFractionFromNanos,
  ntpFromUnixNanos,
  ntpIntervalFromSeconds,
  ntpIntervalToSeconds,
  ntpToUnixNanos,
  readTimestamp,
  type WireTimestamp,
  writeNtpFromUnix,
  writeTimestamp,
  ZERO_TIMESTAMP,
} from '../../src/values/index.js';
import { bytes, fuzzDecoder, toHex, truncated } from './helpers.js';

const NS = 1_000_000_000n;
const ERA = 2 ** 32;
/** 1900-01-01T00:00:00Z and 2104-12-31T23:59:59.999999999Z in Unix nanoseconds. */
const FIRST_1900 = -2_208_988_800n * NS;
const LAST_2104 = 4_260_211_199n * NS + 999_999_999n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** The BigInt reference for floor(n · 2^32 / 10^9). */
function fractionOracle(nanos: number): number {
  return Number((BigInt(nanos) << 32n) / NS);
}

/** The BigInt reference for ceil(f · 10^9 / 2^32). */
function nanosOracle(fraction: number): number {
  const product = BigInt(fraction) * NS;
  return Number((product + (1n << 32n) - 1n) >> 32n);
}

/*
 * Each row: an instant (Unix nanoseconds, plus the pivot used to pick its era) and its 8 octets on the
 * wire (RFC 4656 §4.1.2): octets 0-3 seconds since 1900-01-01 (mod 2^32), octets 4-7 fraction in 2^-32 s.
 */
const VECTORS: readonly { name: string; value: { unixNanos: bigint; pivot: number }; bytes: string }[] = [
  { name: 'NTP prime epoch 1900-01-01', value: { unixNanos: FIRST_1900, pivot: -2e9 }, bytes: '00000000 00000000' },
  { name: 'Unix epoch', value: { unixNanos: 0n, pivot: 0 }, bytes: '83aa7e80 00000000' },
  { name: 'Unix epoch + 0.5 s', value: { unixNanos: 500_000_000n, pivot: 0 }, bytes: '83aa7e80 80000000' },
  { name: 'Unix epoch + 1 ns', value: { unixNanos: 1n, pivot: 0 }, bytes: '83aa7e80 00000004' },
  { name: 'last nanosecond of the Unix epoch second', value: { unixNanos: 999_999_999n, pivot: 0 }, bytes: '83aa7e80 fffffffb' },
  { name: 'Y2K eve 1999-12-31T23:59:59.123456789Z', value: { unixNanos: 946_684_799_123_456_789n, pivot: 946_684_799 }, bytes: 'bc17c1ff 1f9add37' },
  { name: '2024-01-01T00:00:00Z', value: { unixNanos: 1_704_067_200n * NS, pivot: 1_704_067_200 }, bytes: 'e93c7f00 00000000' },
  { name: 'last nanosecond of era 0', value: { unixNanos: 2_085_978_495_999_999_999n, pivot: 2_085_978_495 }, bytes: 'ffffffff fffffffb' },
  { name: 'first second of era 1 (2036-02-07T06:28:16Z)', value: { unixNanos: 2_085_978_496n * NS, pivot: 2_085_978_496 }, bytes: '00000000 00000000' },
  { name: '2104-12-31T23:59:59Z (era 1)', value: { unixNanos: 4_260_211_199n * NS, pivot: 4_260_211_199 }, bytes: '8198287f 00000000' },
];

describe('NTP timestamp vectors', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const wire = bytes(vector.bytes);
      const decoded = ntpToUnixNanos(readTimestamp(wire, 0), vector.value.pivot);
      expect(decoded).toBe(vector.value.unixNanos);

      const encoded = Buffer.alloc(8);
      writeTimestamp(encoded, 0, ntpFromUnixNanos(vector.value.unixNanos));
      expect(toHex(encoded)).toBe(toHex(wire));

      // The zero-allocation writer must agree with the BigInt path.
      const seconds = Number(floorDiv(vector.value.unixNanos, NS));
      const nanos = Number(vector.value.unixNanos - BigInt(seconds) * NS);
      const fast = Buffer.alloc(8);
      writeNtpFromUnix(fast, 0, seconds, nanos);
      expect(toHex(fast)).toBe(toHex(wire));

      expect(ntpToUnixNanos(readTimestamp(encoded, 0), vector.value.pivot)).toBe(vector.value.unixNanos);
    });
  }

  it('uses the current era when no pivot is given', () => {
    expect(ntpToUnixNanos(readTimestamp(bytes('e93c7f00 00000000'), 0))).toBe(1_704_067_200n * NS);
  });

  it('exposes the RFC offset between the epochs', () => {
    expect(NTP_UNIX_OFFSET_SECONDS).toBe(2_208_988_800);
    expect(ntpFromUnixNanos(0n)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
  });
});

describe('nanosecond ↔ fraction fast path', () => {
  it('matches known values', () => {
    expect(ntpFractionFromNanos(0)).toBe(0);
    expect(ntpFractionFromNanos(1)).toBe(4);
    expect(ntpFractionFromNanos(250_000_000)).toBe(0x4000_0000);
    expect(ntpFractionFromNanos(500_000_000)).toBe(0x8000_0000);
    expect(ntpFractionFromNanos(123_456_789)).toBe(530_242_871);
    expect(ntpFractionFromNanos(999_999_999)).toBe(0xffff_fffb);
    expect(nanosFromNtpFraction(0)).toBe(0);
    expect(nanosFromNtpFraction(4)).toBe(1);
    expect(nanosFromNtpFraction(0x8000_0000)).toBe(500_000_000);
    expect(nanosFromNtpFraction(0xffff_fffb)).toBe(999_999_999);
  });

  it('equals the BigInt reference and round-trips exactly for random nanoseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), (nanos) => {
        const fraction = ntpFractionFromNanos(nanos);
        return fraction === fractionOracle(nanos) && nanosFromNtpFraction(fraction) === nanos;
      }),
      { numRuns: 100_000 },
    );
  });

  it('equals the BigInt reference for every 32-bit fraction sampled', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (fraction) => nanosFromNtpFraction(fraction) === nanosOracle(fraction)),
      { numRuns: 100_000 },
    );
  });

  it('is exact where the float quotient is closest to an integer (the cases a naive floor gets wrong)', () => {
    // n · 2^23 ≡ ±1 (mod 5^9): the quotient is within 1/5^9 of an integer.
    const five9 = 1_953_125n;
    let inverse = 1n;
    // 2^23 is invertible mod 5^9; find its inverse by Euler (φ(5^9) = 4 · 5^8).
    let base = (1n << 23n) % five9;
    for (let exponent = 4n * 390_625n - 1n; exponent > 0n; exponent >>= 1n) {
      if (exponent & 1n) inverse = (inverse * base) % five9;
      base = (base * base) % five9;
    }
    let checked = 0;
    for (const residue of [1n, five9 - 1n]) {
      const first = (residue * inverse) % five9;
      for (let n = first; n < NS; n += five9) {
        const nanos = Number(n);
        expect(ntpFractionFromNanos(nanos)).toBe(fractionOracle(nanos));
        expect(nanosFromNtpFraction(ntpFractionFromNanos(nanos))).toBe(nanos);
        checked += 1;
      }
    }
    expect(checked).toBe(1024);
  });

  // The sampled checks above and this spread stand in for the full enumeration of all 10^9 values,
  // which is a script (too slow for every run): `node --conditions=@twamp/source --import tsx
  // bench/verify-ntp-exhaustive.ts` from packages/wire.
  it('round-trips every 997th nanosecond value (a million evenly spread cases)', () => {
    for (let nanos = 0; nanos < 1_000_000_000; nanos += 997) {
      if (nanosFromNtpFraction(ntpFractionFromNanos(nanos)) !== nanos) {
        expect.fail(`${nanos} does not round-trip`);
      }
    }
  });

  it('refuses values that are not whole nanoseconds within a second', () => {
    for (const bad of [-1, 1_000_000_000, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ntpFractionFromNanos(bad)).toThrow(ConfigError);
    }
  });
});

describe('Unix nanoseconds ↔ NTP', () => {
  const instant = fc.bigInt({ min: FIRST_1900, max: LAST_2104 });

  it('round-trips exactly for instants from 1900 to 2104 with the pivot at the instant', () => {
    fc.assert(
      fc.property(instant, (unixNanos) => {
        const pivot = Number(floorDiv(unixNanos, NS));
        return ntpToUnixNanos(ntpFromUnixNanos(unixNanos), pivot) === unixNanos;
      }),
      { numRuns: 50_000 },
    );
  });

  it('finds the right era for any pivot within 68 years of the instant', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -(2 ** 31) + 2, max: 2 ** 31 - 2 }), (unixNanos, distance) => {
        const pivot = Number(floorDiv(unixNanos, NS)) + distance;
        return ntpToUnixNanos(ntpFromUnixNanos(unixNanos), pivot) === unixNanos;
      }),
      { numRuns: 50_000 },
    );
  });

  it('always lands within half an era of the pivot, on an instant with the same wire value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: -1e12, max: 1e12 }),
        (seconds, fraction, pivot) => {
          const timestamp = { seconds, fraction };
          const unixNanos = ntpToUnixNanos(timestamp, pivot);
          const unixSeconds = Number(floorDiv(unixNanos, NS));
          expect(Math.abs(unixSeconds - pivot)).toBeLessThanOrEqual(ERA / 2 + 1);
          // Re-encoding gives the same seconds and the same fraction (nanos of 10^9 carry into seconds).
          const again = ntpFromUnixNanos(unixNanos);
          if (nanosFromNtpFraction(fraction) < 1_000_000_000) {
            expect(again).toEqual({ seconds, fraction: ntpFractionFromNanos(nanosFromNtpFraction(fraction)) });
          } else {
            expect(again).toEqual({ seconds: (seconds + 1) % ERA, fraction: 0 });
          }
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('picks the era around the 2036 wrap', () => {
    expect(ntpToUnixNanos({ seconds: 0, fraction: 0 }, 1_900_000_000)).toBe(2_085_978_496n * NS);
    expect(ntpToUnixNanos({ seconds: 0, fraction: 0 }, -2_000_000_000)).toBe(FIRST_1900);
    expect(ntpToUnixNanos({ seconds: 0xffff_ffff, fraction: 0 }, 2_085_978_500)).toBe(2_085_978_495n * NS);
    expect(ntpToUnixNanos({ seconds: 10, fraction: 0 }, 2_085_978_400)).toBe(2_085_978_506n * NS);
  });

  it('refuses a pivot it cannot place', () => {
    for (const pivot of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => ntpToUnixNanos(ZERO_TIMESTAMP, pivot)).toThrow(ConfigError);
    }
  });

  it('accepts twampy fractions (scaled by 0xFFFFFFFF) within 2 ns of what twampy meant', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (subSecond) => {
        const fraction = Math.floor(subSecond * 0xffff_ffff);
        const unixNanos = ntpToUnixNanos({ seconds: 3_913_056_000, fraction }, 1_704_067_200);
        const nanos = Number(unixNanos - 1_704_067_200n * NS);
        expect(Math.abs(nanos - subSecond * 1e9)).toBeLessThanOrEqual(2);
      }),
      { numRuns: 20_000 },
    );
    // Twampy's 0xFFFFFFFF is 0.23 ns before the next second: it decodes as that second.
    expect(ntpToUnixNanos({ seconds: 3_913_056_000, fraction: 0xffff_ffff }, 1_704_067_200)).toBe(1_704_067_201n * NS);
    expect(ntpToUnixNanos({ seconds: 3_913_056_000, fraction: 0x7fff_ffff }, 1_704_067_200)).toBe(1_704_067_200n * NS + 500_000_000n);
  });
});

describe('writeNtpFromUnix', () => {
  it('writes the same octets as the BigInt path and leaves its neighbours alone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2_208_988_800, max: 4_294_967_295 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.nat({ max: 8 }),
        (seconds, nanos, offset) => {
          const target = Buffer.alloc(offset + 12, 0xa5);
          writeNtpFromUnix(target, offset, seconds, nanos);
          const expected = Buffer.alloc(8);
          writeTimestamp(expected, 0, ntpFromUnixNanos(BigInt(seconds) * NS + BigInt(nanos)));
          return (
            target.subarray(offset, offset + 8).equals(expected) &&
            target.subarray(0, offset).every((octet) => octet === 0xa5) &&
            target.subarray(offset + 8).every((octet) => octet === 0xa5)
          );
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('refuses seconds and nanoseconds it cannot write', () => {
    const target = Buffer.alloc(8);
    expect(() => { writeNtpFromUnix(target, 0, 1.5, 0); }).toThrow(ConfigError);
    expect(() => { writeNtpFromUnix(target, 0, Number.NaN, 0); }).toThrow(ConfigError);
    expect(() => { writeNtpFromUnix(target, 0, 0, 1_000_000_000); }).toThrow(ConfigError);
    expect(() => { writeNtpFromUnix(target, 0, 0, -1); }).toThrow(ConfigError);
  });

  it('writes nothing when it refuses, and refuses a target without room for 8 octets', () => {
    const target = Buffer.alloc(12, 0xa5);
    expect(() => { writeNtpFromUnix(target, 0, 1_700_000_000, 1_000_000_000); }).toThrow(ConfigError);
    expect(() => { writeNtpFromUnix(target, 6, 1_700_000_000, 0); }).toThrow(RangeError);
    expect(target.every((octet) => octet === 0xa5)).toBe(true);
  });
});

describe('ntpDifferenceNanos', () => {
  const cases: readonly { name: string; later: WireTimestamp; earlier: WireTimestamp; nanos: number }[] = [
    { name: 'zero', later: ZERO_TIMESTAMP, earlier: ZERO_TIMESTAMP, nanos: 0 },
    { name: 'half a second', later: { seconds: 7, fraction: 0x8000_0000 }, earlier: { seconds: 7, fraction: 0 }, nanos: 500_000_000 },
    { name: 'across the 2036 wrap', later: { seconds: 0, fraction: 0 }, earlier: { seconds: 0xffff_ffff, fraction: 0x8000_0000 }, nanos: 500_000_000 },
    { name: 'negative across the wrap', later: { seconds: 0xffff_ffff, fraction: 0x8000_0000 }, earlier: { seconds: 0, fraction: 0 }, nanos: -500_000_000 },
    { name: 'one nanosecond', later: { seconds: 1, fraction: 0 }, earlier: { seconds: 0, fraction: 0xffff_fffb }, nanos: 1 },
    { name: 'three days', later: { seconds: 259_200, fraction: 4 }, earlier: { seconds: 0, fraction: 0 }, nanos: 259_200_000_000_001 },
  ];
  for (const row of cases) {
    it(row.name, () => {
      expect(ntpDifferenceNanos(row.later, row.earlier)).toBe(row.nanos);
    });
  }

  it('is exact for instants up to 100 days apart, whatever the era', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: FIRST_1900, max: LAST_2104 }),
        fc.bigInt({ min: -100n * 86_400n * NS, max: 100n * 86_400n * NS }),
        (earlier, delta) => {
          const later = earlier + delta;
          return ntpDifferenceNanos(ntpFromUnixNanos(later), ntpFromUnixNanos(earlier)) === Number(delta);
        },
      ),
      { numRuns: 30_000 },
    );
  });
});

describe('intervals (Request-TW-Session Timeout)', () => {
  /* Rows: seconds ↔ octets 0-3 whole seconds, octets 4-7 fraction in 2^-32 s (the timestamp layout). */
  const INTERVALS: readonly { name: string; value: number; bytes: string }[] = [
    { name: 'zero', value: 0, bytes: '00000000 00000000' },
    { name: 'quarter second', value: 0.25, bytes: '00000000 40000000' },
    { name: 'two and a half seconds', value: 2.5, bytes: '00000002 80000000' },
    { name: 'REFWAIT default 900 s', value: 900, bytes: '00000384 00000000' },
    { name: 'smallest step', value: 2 ** -32, bytes: '00000000 00000001' },
    { name: 'largest whole seconds', value: 0xffff_ffff, bytes: 'ffffffff 00000000' },
  ];
  for (const row of INTERVALS) {
    it(`${row.name}: decode, encode, round trip`, () => {
      expect(ntpIntervalToSeconds(readTimestamp(bytes(row.bytes), 0))).toBe(row.value);
      const encoded = Buffer.alloc(8);
      writeTimestamp(encoded, 0, ntpIntervalFromSeconds(row.value));
      expect(toHex(encoded)).toBe(toHex(bytes(row.bytes)));
      expect(ntpIntervalToSeconds(readTimestamp(encoded, 0))).toBe(row.value);
    });
  }

  it('rounds to the nearest 2^-32 s and carries or saturates at the top', () => {
    expect(ntpIntervalFromSeconds(0.1)).toEqual({ seconds: 0, fraction: 429_496_730 });
    expect(ntpIntervalFromSeconds(1 - 2 ** -40)).toEqual({ seconds: 1, fraction: 0 });
    expect(ntpIntervalFromSeconds(ERA - 2 ** -20)).toEqual({ seconds: 0xffff_ffff, fraction: 0xffff_f000 });
    expect(NTP_INTERVAL_MAX).toEqual({ seconds: 0xffff_ffff, fraction: 0xffff_ffff });
  });

  it('round-trips every representable interval below 2^20 s exactly, and any number to within 2^-33 s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 20 - 1 }), fc.integer({ min: 0, max: 0xffff_ffff }), (seconds, fraction) => {
        expect(ntpIntervalFromSeconds(ntpIntervalToSeconds({ seconds, fraction }))).toEqual({ seconds, fraction });
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2 ** 20, noNaN: true }), (value) => {
        const interval = ntpIntervalFromSeconds(value);
        expect(Math.abs(ntpIntervalToSeconds(interval) - value)).toBeLessThanOrEqual(2 ** -33);
      }),
      { numRuns: 20_000 },
    );
  });

  it('refuses what the field cannot hold', () => {
    for (const bad of [-1, -Number.MIN_VALUE, Number.NaN, Number.POSITIVE_INFINITY, ERA]) {
      expect(() => ntpIntervalFromSeconds(bad)).toThrow(ConfigError);
    }
  });
});

describe('random and truncated input', () => {
  it('readTimestamp + conversions throw only MalformedInputError, exactly when fewer than 8 octets remain', () => {
    fuzzDecoder({
      maxLength: 24,
      decode: (input, offset) => {
        const timestamp = readTimestamp(input, offset, 'fuzz', 'Timestamp');
        return { timestamp, unixNanos: ntpToUnixNanos(timestamp, 1_700_000_000), difference: ntpDifferenceNanos(timestamp, ZERO_TIMESTAMP) };
      },
      failsWhen: (input, offset) => truncated(input, offset, 8),
      check: ({ timestamp, unixNanos, difference }, input, offset) => {
        expect(timestamp).toEqual({ seconds: input.readUInt32BE(offset), fraction: input.readUInt32BE(offset + 4) });
        expect(typeof unixNanos).toBe('bigint');
        expect(Number.isInteger(difference)).toBe(true);
      },
    });
  });
});
