import { ConfigError, MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeErrorEstimate,
  encodeErrorEstimate,
  type ErrorEstimate,
  ERROR_ESTIMATE_MAX_SECONDS,
  ERROR_ESTIMATE_MIN_SECONDS,
  errorEstimateFromSeconds,
  errorEstimateSeconds,
  ErrorEstimateValue,
  isPtpErrorEstimate,
  isValidErrorEstimate,
  readErrorEstimate,
} from '../../src/values/index.js';
import { bytes, fuzzDecoder, toHex, truncated } from './helpers.js';

/*
 * Each row: the parts and the 2 octets on the wire (RFC 4656 §4.1.2, Z from RFC 8186):
 * bit 15 S (synchronised), bit 14 Z (PTP timestamp), bits 13-8 Scale, bits 7-0 Multiplier;
 * error = Multiplier × 2^(Scale − 32) s.
 */
const VECTORS: readonly { name: string; value: ErrorEstimate & { seconds: number }; bytes: string }[] = [
  { name: 'perfSONAR, unsynchronised: 1 × 2^-32 s', value: { synchronized: false, ptp: false, scale: 0, multiplier: 1, seconds: 2 ** -32 }, bytes: '0001' },
  { name: 'emirica, synchronised: 1 × 2^-32 s', value: { synchronized: true, ptp: false, scale: 0, multiplier: 1, seconds: 2 ** -32 }, bytes: '8001' },
  { name: 'twampy and our unsynchronised default: 255 × 2^31 s', value: { synchronized: false, ptp: false, scale: 63, multiplier: 255, seconds: 255 * 2 ** 31 }, bytes: '3fff' },
  { name: 'one second exactly: 128 × 2^-7', value: { synchronized: false, ptp: false, scale: 25, multiplier: 128, seconds: 1 }, bytes: '1980' },
  { name: 'PTP, synchronised, about 1 µs: 135 × 2^-27', value: { synchronized: true, ptp: true, scale: 5, multiplier: 135, seconds: 135 * 2 ** -27 }, bytes: 'c587' },
  { name: 'PTP, unsynchronised', value: { synchronized: false, ptp: true, scale: 32, multiplier: 3, seconds: 3 }, bytes: '6003' },
  { name: 'every bit set', value: { synchronized: true, ptp: true, scale: 63, multiplier: 255, seconds: 255 * 2 ** 31 }, bytes: 'ffff' },
];

describe('Error Estimate vectors', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const { seconds, ...parts } = vector.value;
      const wire = bytes(vector.bytes);
      const raw = readErrorEstimate(wire, 0);
      expect(decodeErrorEstimate(raw)).toEqual(parts);
      expect(errorEstimateSeconds(raw)).toBe(seconds);
      expect(isPtpErrorEstimate(raw)).toBe(parts.ptp);

      const encoded = Buffer.alloc(2);
      encoded.writeUInt16BE(encodeErrorEstimate(parts));
      expect(toHex(encoded)).toBe(toHex(wire));
      expect(decodeErrorEstimate(encoded.readUInt16BE(0))).toEqual(parts);
    });
  }

  it('names the values met in practice', () => {
    expect(ErrorEstimateValue).toEqual({ Unsynchronized: 0x3fff, Twampy: 0x3fff, PerfSonarUnsynchronized: 0x0001, EmiricaSynchronized: 0x8001 });
    expect(ERROR_ESTIMATE_MIN_SECONDS).toBe(2.3283064365386963e-10);
    expect(ERROR_ESTIMATE_MAX_SECONDS).toBe(547_608_330_240);
  });
});

describe('Multiplier 0 (corrupt)', () => {
  it('decodes, but is invalid and states no error', () => {
    expect(decodeErrorEstimate(0x8500)).toEqual({ synchronized: true, ptp: false, scale: 5, multiplier: 0 });
    expect(isValidErrorEstimate(0x8500)).toBe(false);
    expect(isValidErrorEstimate(0x0000)).toBe(false);
    expect(isValidErrorEstimate(0x0001)).toBe(true);
    expect(() => errorEstimateSeconds(0x4000)).toThrow(MalformedInputError);
  });

  it('is never encoded', () => {
    expect(() => encodeErrorEstimate({ synchronized: false, ptp: false, scale: 0, multiplier: 0 })).toThrow(ConfigError);
  });
});

describe('Error Estimate argument checks', () => {
  it('refuses parts that do not fit', () => {
    const base = { synchronized: false, ptp: false, scale: 0, multiplier: 1 };
    for (const bad of [{ scale: 64 }, { scale: -1 }, { scale: 1.5 }, { multiplier: 256 }, { multiplier: -1 }, { multiplier: 2.5 }]) {
      expect(() => encodeErrorEstimate({ ...base, ...bad })).toThrow(ConfigError);
    }
  });

  it('refuses a raw value that is not 16 bits', () => {
    for (const raw of [-1, 0x1_0000, 1.5, Number.NaN]) {
      expect(() => decodeErrorEstimate(raw)).toThrow(MalformedInputError);
      expect(isValidErrorEstimate(raw)).toBe(false);
    }
  });

  it('refuses a negative or NaN error', () => {
    for (const bad of [-1, -Number.MIN_VALUE, Number.NaN]) {
      expect(() => errorEstimateFromSeconds(bad, { synchronized: false, ptp: false })).toThrow(ConfigError);
    }
  });
});

/** Every value the field can state, ascending, each once. */
const REPRESENTABLE = [...new Set(Array.from({ length: 64 * 255 }, (_, index) => ((index % 255) + 1) * 2 ** (Math.floor(index / 255) - 32)))].sort(
  (a, b) => a - b,
);

/** The smallest representable value ≥ seconds (binary search). */
function smallestNotBelow(seconds: number): number {
  let low = 0;
  let high = REPRESENTABLE.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((REPRESENTABLE[middle] ?? 0) >= seconds) high = middle;
    else low = middle + 1;
  }
  return REPRESENTABLE[low] ?? Number.NaN;
}

describe('errorEstimateFromSeconds', () => {
  const flags = { synchronized: false, ptp: false };
  const cases: readonly [string, number, number][] = [
    ['zero states the smallest error', 0, 0x0001],
    ['the smallest error itself', 2 ** -32, 0x0001],
    ['just above the smallest error rounds up', 1.5 * 2 ** -32, 0x0002],
    ['largest multiplier at scale 0', 255 * 2 ** -32, 0x00ff],
    ['one step past it moves to scale 1', 256 * 2 ** -32, 0x0180],
    ['one second', 1, 0x1980],
    ['one millisecond, never understated', 0.001, 0x0f84],
    ['the largest error', ERROR_ESTIMATE_MAX_SECONDS, 0x3fff],
    ['beyond the largest error saturates', 1e30, 0x3fff],
    ['an unknown (infinite) error saturates', Number.POSITIVE_INFINITY, 0x3fff],
  ];
  for (const [name, seconds, raw] of cases) {
    it(name, () => {
      expect(errorEstimateFromSeconds(seconds, flags)).toBe(raw);
    });
  }

  it('carries the S and Z flags', () => {
    expect(errorEstimateFromSeconds(1e-6, { synchronized: true, ptp: true })).toBe(0xc587);
    expect(errorEstimateFromSeconds(1, { synchronized: true, ptp: false })).toBe(0x9980);
    expect(errorEstimateFromSeconds(1, { synchronized: false, ptp: true })).toBe(0x5980);
  });

  it('states the smallest representable error that is not below the given one, in canonical form', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: ERROR_ESTIMATE_MAX_SECONDS, noNaN: true }), fc.boolean(), fc.boolean(), (seconds, synchronized, ptp) => {
        const raw = errorEstimateFromSeconds(seconds, { synchronized, ptp });
        const parts = decodeErrorEstimate(raw);
        const stated = errorEstimateSeconds(raw);
        return (
          stated >= seconds &&
          stated === smallestNotBelow(seconds) &&
          parts.synchronized === synchronized &&
          parts.ptp === ptp &&
          // Canonical: the smallest scale, so the multiplier could not be doubled at a finer scale.
          (parts.scale === 0 || parts.multiplier >= 128)
        );
      }),
      { numRuns: 50_000 },
    );
  });

  it('gives back the same error for every valid field value (exhaustive)', () => {
    for (let raw = 0; raw <= 0xffff; raw += 1) {
      if (!isValidErrorEstimate(raw)) continue;
      const parts = decodeErrorEstimate(raw);
      const again = errorEstimateFromSeconds(errorEstimateSeconds(raw), parts);
      if (errorEstimateSeconds(again) !== errorEstimateSeconds(raw) || (again & 0xc000) !== (raw & 0xc000)) {
        expect.fail(`0x${raw.toString(16)} came back as 0x${again.toString(16)}`);
      }
    }
  });

  it('encodes and decodes every valid field value (exhaustive)', () => {
    let valid = 0;
    for (let raw = 0; raw <= 0xffff; raw += 1) {
      if (!isValidErrorEstimate(raw)) continue;
      valid += 1;
      if (encodeErrorEstimate(decodeErrorEstimate(raw)) !== raw) {
        expect.fail(`0x${raw.toString(16)} does not round-trip`);
      }
    }
    // 4 flag combinations × 64 scales × 255 multipliers.
    expect(valid).toBe(65_280);
  });
});

describe('random and truncated input', () => {
  it('readErrorEstimate + decode throw only MalformedInputError: when truncated or when Multiplier is 0', () => {
    fuzzDecoder({
      maxLength: 12,
      decode: (input, offset) => {
        const raw = readErrorEstimate(input, offset, 'fuzz', 'Error Estimate');
        return { raw, parts: decodeErrorEstimate(raw), seconds: errorEstimateSeconds(raw) };
      },
      failsWhen: (input, offset) => truncated(input, offset, 2) || input[offset + 1] === 0,
      check: ({ raw, parts, seconds }, input, offset) => {
        if (raw !== input.readUInt16BE(offset) || encodeErrorEstimate(parts) !== raw || !(seconds > 0)) {
          throw new Error(`wrong decode of 0x${raw.toString(16)}`);
        }
      },
    });
  });
});
