import { pbkdf2, pbkdf2Sync } from 'node:crypto';
import { AuthenticationError, AuthenticationFailure, MalformedInputError } from '@twamp/errors';

/**
 * Length of the key PBKDF2 derives from the shared secret. The Token is AES-128 encrypted
 * (RFC 4656 §3.1 calls the derived key a 128-bit key), so 16 octets.
 */
export const DERIVED_KEY_LENGTH = 16;

/** Length of the greeting's Salt field (RFC 4656 §3.1). */
export const SALT_LENGTH = 16;

/** RFC 4656 §3.1: Count must be at least 1024. */
export const PBKDF2_MIN_COUNT = 1024;

/**
 * The default cap on the greeting's Count. A client should refuse (close the connection to) a
 * server that asks for more PBKDF2 work than it is willing to do; 32768 is the project's default
 * maximum (docs/protocol-reference.md §1, after RFC 4656 §3.1 and RFC 5357 §6).
 */
export const PBKDF2_DEFAULT_MAX_COUNT = 32768;

/** Largest value the 4-octet Count field can hold. */
const MAX_UINT32 = 0xffff_ffff;

/** Where Count sits in the Server Greeting, for error reports. */
const GREETING = 'Server Greeting';
const COUNT_OFFSET = 48;

/**
 * The shared secret: a passphrase (RFC 5357 §3.1 asks for ASCII without CR/LF; any string is
 * encoded as UTF-8, which is the same octets for ASCII) or the raw octets, e.g. an RFC 7717 key.
 */
export type SharedSecret = string | Uint8Array;

/** The octets PBKDF2 uses as its password. Strings become UTF-8; bytes pass through unchanged. */
export function secretOctets(secret: SharedSecret): Uint8Array {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

/**
 * Check the Count of a received Server Greeting before spending CPU on it.
 *
 * RFC 4656 §3.1: Count is a power of 2 and at least 1024, and a client should close the connection
 * when the server asks for more iterations than its configured maximum (that is a resource attack,
 * not a format error, so it gets the distinct CountTooLarge reason).
 *
 * @throws AuthenticationError (reason CountTooLarge) when `count` exceeds `maxCount`.
 * @throws MalformedInputError when `count` is not a power of 2 of at least 1024.
 */
export function checkPbkdf2Count(count: number, maxCount: number = PBKDF2_DEFAULT_MAX_COUNT): void {
  if (!Number.isInteger(maxCount) || maxCount < PBKDF2_MIN_COUNT) {
    throw new RangeError(`maxCount must be an integer of at least ${PBKDF2_MIN_COUNT}, got ${maxCount}`);
  }
  if (!Number.isInteger(count) || count < 0 || count > MAX_UINT32) {
    throw new MalformedInputError({
      what: GREETING,
      field: 'Count',
      offset: COUNT_OFFSET,
      reason: `${count} is not a 32-bit unsigned integer`,
    });
  }
  if (count > maxCount) {
    throw new AuthenticationError(
      AuthenticationFailure.CountTooLarge,
      `the server asks for ${count} PBKDF2 iterations, more than the configured maximum of ${maxCount}`,
    );
  }
  if (count < PBKDF2_MIN_COUNT) {
    throw new MalformedInputError({
      what: GREETING,
      field: 'Count',
      offset: COUNT_OFFSET,
      reason: `${count} is below the minimum of ${PBKDF2_MIN_COUNT} iterations`,
    });
  }
  // `count` is at most 2^32 - 1 here, so a 32-bit bit test would misread values above 2^31;
  // the floating-point test below is exact for every integer in range.
  if (2 ** Math.round(Math.log2(count)) !== count) {
    throw new MalformedInputError({
      what: GREETING,
      field: 'Count',
      offset: COUNT_OFFSET,
      reason: `${count} is not a power of 2`,
    });
  }
}

/**
 * The key that encrypts the Token: PBKDF2 with HMAC-SHA1 as the PRF (RFC 4656 §3.1, RFC 2898),
 * the shared secret as password, the greeting's Salt and Count, 16 octets of output.
 *
 * This does not apply the greeting rules of checkPbkdf2Count, so that known-answer vectors with
 * small counts and other salt lengths can run through it; a client must call checkPbkdf2Count on a
 * received Count first.
 */
export function deriveKey(secret: SharedSecret, salt: Uint8Array, count: number): Buffer {
  checkDeriveCount(count);
  return pbkdf2Sync(secretOctets(secret), salt, count, DERIVED_KEY_LENGTH, 'sha1');
}

function checkDeriveCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_UINT32) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_UINT32}, got ${count}`);
  }
}

/**
 * deriveKey on libuv's thread pool: the same key, without holding the event loop for the whole
 * derivation (a server deriving for strangers must keep answering everything else meanwhile).
 * `done` is called once, later, with the key or the error; a bad `count` throws at once, like deriveKey.
 */
export function deriveKeyAsync(secret: SharedSecret, salt: Uint8Array, count: number, done: (key: Buffer | Error) => void): void {
  checkDeriveCount(count);
  pbkdf2(secretOctets(secret), salt, count, DERIVED_KEY_LENGTH, 'sha1', (error, key) => {
    done(error ?? key);
  });
}
