import { pbkdf2Sync } from 'node:crypto';
import { AuthenticationError, AuthenticationFailure, MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPbkdf2Count,
  DERIVED_KEY_LENGTH,
  deriveKey,
  deriveKeyAsync,
  PBKDF2_DEFAULT_MAX_COUNT,
  PBKDF2_MIN_COUNT,
  secretOctets,
} from '../../src/crypto/kdf.js';
import { thrown } from '../support/thrown.js';
import { hex } from './helpers.js';

describe('checkPbkdf2Count', () => {
  it.each([1024, 2048, 4096, 8192, 16384, 32768])('accepts %i under the default cap', (count) => {
    expect(() => {
      checkPbkdf2Count(count);
    }).not.toThrow();
  });

  it('has the RFC 4656 minimum and the default cap of 32768', () => {
    expect(PBKDF2_MIN_COUNT).toBe(1024);
    expect(PBKDF2_DEFAULT_MAX_COUNT).toBe(32768);
  });

  it.each([65536, 2 ** 20, 2 ** 31, 0xffff_ffff, 40000])('rejects %i above the default cap with CountTooLarge', (count) => {
    expect(thrown(() => { checkPbkdf2Count(count); }, AuthenticationError).reason).toBe(AuthenticationFailure.CountTooLarge);
  });

  it('honours a raised cap', () => {
    expect(() => {
      checkPbkdf2Count(2 ** 20, 2 ** 20);
    }).not.toThrow();
    expect(() => {
      checkPbkdf2Count(2 ** 21, 2 ** 20);
    }).toThrow(AuthenticationError);
  });

  it.each([
    [0, 'below the minimum'],
    [1, 'below the minimum'],
    [512, 'below the minimum'],
    [1023, 'below the minimum'],
    [1025, 'not a power of 2'],
    [3000, 'not a power of 2'],
    [32767, 'not a power of 2'],
    [-1, 'not a 32-bit unsigned integer'],
    [1024.5, 'not a 32-bit unsigned integer'],
    [Number.NaN, 'not a 32-bit unsigned integer'],
    [2 ** 32, 'not a 32-bit unsigned integer'],
  ])('rejects %d as malformed (%s), naming the Count field at offset 48', (count, reason) => {
    const error = thrown(() => { checkPbkdf2Count(count); }, MalformedInputError);
    expect(error.field).toBe('Count');
    expect(error.offset).toBe(48);
    expect(error.reason).toContain(reason);
  });

  it('rejects a nonsensical cap as a programming error', () => {
    expect(() => {
      checkPbkdf2Count(1024, 512);
    }).toThrow(RangeError);
  });

  it('accepts exactly the powers of 2 from 1024 to the cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 16 }), (count) => {
        const valid = count >= 1024 && count <= 32768 && (count & (count - 1)) === 0;
        let ok = true;
        try {
          checkPbkdf2Count(count);
        } catch {
          ok = false;
        }
        return ok === valid;
      }),
    );
  });
});

describe('deriveKey', () => {
  it('is PBKDF2-HMAC-SHA1 with dkLen 16 over the UTF-8 secret, the Salt and the Count', () => {
    const salt = hex('000102030405060708090a0b0c0d0e0f');
    const key = deriveKey('twamp shared secret', salt, 1024);
    expect(key).toHaveLength(DERIVED_KEY_LENGTH);
    // An independent computation with dkLen 20 has the 16-octet key as its prefix.
    expect(key).toEqual(pbkdf2Sync(Buffer.from('twamp shared secret', 'ascii'), salt, 1024, 20, 'sha1').subarray(0, 16));
  });

  it('treats a string and its UTF-8 octets alike', () => {
    const salt = Buffer.alloc(16, 7);
    expect(deriveKey('pässwörd', salt, 2048)).toEqual(deriveKey(Buffer.from('pässwörd', 'utf8'), salt, 2048));
    expect(secretOctets('abc')).toEqual(Buffer.from([0x61, 0x62, 0x63]));
  });

  it('depends on every input', () => {
    const salt = Buffer.alloc(16, 1);
    const base = deriveKey('secret', salt, 1024);
    expect(deriveKey('secreT', salt, 1024)).not.toEqual(base);
    expect(deriveKey('secret', Buffer.alloc(16, 2), 1024)).not.toEqual(base);
    expect(deriveKey('secret', salt, 2048)).not.toEqual(base);
  });

  it('rejects a Count that PBKDF2 cannot use', () => {
    expect(() => deriveKey('x', Buffer.alloc(16), 0)).toThrow(RangeError);
    expect(() => deriveKey('x', Buffer.alloc(16), 1.5)).toThrow(RangeError);
  });
});

describe('deriveKeyAsync', () => {
  it('derives the same key as deriveKey, off the event loop', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 1, max: 64 }), async (secret, salt, count) => {
        const key = await new Promise<Buffer | Error>((resolve) => {
          deriveKeyAsync(secret, salt, count, resolve);
        });
        expect(key).toBeInstanceOf(Buffer);
        expect((key as Buffer).equals(deriveKey(secret, salt, count))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('throws at once for a count deriveKey refuses, and never calls back', () => {
    let called = false;
    expect(() => {
      deriveKeyAsync(new Uint8Array(4), new Uint8Array(16), 0, () => (called = true));
    }).toThrow(RangeError);
    expect(called).toBe(false);
  });
});
