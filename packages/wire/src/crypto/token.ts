import { randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, AuthenticationFailure } from '@twamp/errors';
import { BLOCK } from '../constants.js';
import { aesCbcDecryptor, aesCbcEncryptor, ZERO_IV } from './aes.js';
import { AES_KEY_LENGTH, checkControlKeys, type ControlKeys, HMAC_KEY_LENGTH } from './control-stream.js';
import { DERIVED_KEY_LENGTH, SALT_LENGTH } from './kdf.js';

/** Challenge(16) ‖ AES Session-key(16) ‖ HMAC Session-key(32): four AES blocks (RFC 4656 §3.1). */
export const TOKEN_LENGTH = 64;
/** Length of the greeting's Challenge. */
export const CHALLENGE_LENGTH = 16;
/** Client-IV and Server-IV are one AES block each. */
export const IV_LENGTH = BLOCK;

/**
 * A source of random octets, `crypto.randomBytes` by default. Tests inject a deterministic one;
 * production code should never pass anything weaker than a CSPRNG.
 */
export type RandomBytes = (size: number) => Uint8Array;

/** What a decrypted Token holds. */
export interface TokenContents extends ControlKeys {
  readonly challenge: Buffer;
  readonly aesKey: Buffer;
  readonly hmacKey: Buffer;
}

function checkLength(value: Uint8Array, length: number, what: string): void {
  if (value.length !== length) {
    throw new RangeError(`${what} must be ${length} octets, got ${value.length}`);
  }
}

function draw(random: RandomBytes, size: number, what: string): Buffer {
  const octets = random(size);
  checkLength(octets, size, `random ${what}`);
  // Copy so that a caller-supplied source cannot alias (and later change) our keys.
  return Buffer.from(octets);
}

/**
 * Build the Set-Up-Response Token: AES-128-CBC with the PBKDF2-derived key and a zero IV over
 * Challenge ‖ AES Session-key ‖ HMAC Session-key, without padding (RFC 4656 §3.1).
 */
export function encryptToken(dk: Uint8Array, challenge: Uint8Array, keys: ControlKeys): Buffer {
  checkLength(dk, DERIVED_KEY_LENGTH, 'derived key');
  checkLength(challenge, CHALLENGE_LENGTH, 'Challenge');
  checkControlKeys(keys);
  const cipher = aesCbcEncryptor(dk, ZERO_IV);
  return Buffer.concat([cipher.update(Buffer.concat([challenge, keys.aesKey, keys.hmacKey])), cipher.final()]);
}

/**
 * Decrypt a received Token into its three parts. Decryption never fails on a wrong secret (CBC
 * has no integrity); the server detects that by comparing the Challenge, see acceptToken.
 */
export function decryptToken(dk: Uint8Array, token: Uint8Array): TokenContents {
  checkLength(dk, DERIVED_KEY_LENGTH, 'derived key');
  checkLength(token, TOKEN_LENGTH, 'Token');
  const decipher = aesCbcDecryptor(dk, ZERO_IV);
  const plain = Buffer.concat([decipher.update(token), decipher.final()]);
  return {
    challenge: plain.subarray(0, CHALLENGE_LENGTH),
    aesKey: plain.subarray(CHALLENGE_LENGTH, CHALLENGE_LENGTH + AES_KEY_LENGTH),
    hmacKey: plain.subarray(CHALLENGE_LENGTH + AES_KEY_LENGTH),
  };
}

/**
 * Constant-time comparison of the Challenge the server sent with the one in the Token, so that
 * response timing reveals nothing about how many octets matched. Different lengths never match.
 */
export function challengeMatches(sent: Uint8Array, received: Uint8Array): boolean {
  if (sent.length !== CHALLENGE_LENGTH || received.length !== CHALLENGE_LENGTH) return false;
  return timingSafeEqual(sent, received);
}

/**
 * Server side of RFC 4656 §3.1: decrypt the Token and check its Challenge. A mismatch means the
 * client used another secret (or KeyID); the server then answers Server-Start with Accept ≠ 0.
 *
 * @throws AuthenticationError (reason TokenMismatch) when the Challenge does not match.
 */
export function acceptToken(dk: Uint8Array, token: Uint8Array, sentChallenge: Uint8Array): ControlKeys {
  const contents = decryptToken(dk, token);
  if (!challengeMatches(sentChallenge, contents.challenge)) {
    throw new AuthenticationError(
      AuthenticationFailure.TokenMismatch,
      'the Token does not decrypt to our Challenge: the client uses a different shared secret or KeyID',
    );
  }
  return { aesKey: contents.aesKey, hmacKey: contents.hmacKey };
}

/** A client's fresh AES Session-key (16) and HMAC Session-key (32). */
export function generateControlKeys(random: RandomBytes = nodeRandomBytes): ControlKeys {
  return {
    aesKey: draw(random, AES_KEY_LENGTH, 'AES Session-key'),
    hmacKey: draw(random, HMAC_KEY_LENGTH, 'HMAC Session-key'),
  };
}

/**
 * A Client-IV or Server-IV. RFC 4656 §3.1 requires that an IV never repeats for the same
 * secret, which a CSPRNG gives with overwhelming probability.
 */
export function generateIv(random: RandomBytes = nodeRandomBytes): Buffer {
  return draw(random, IV_LENGTH, 'IV');
}

/** The Client-IV of Set-Up-Response (octets 148-163). */
export const generateClientIv: (random?: RandomBytes) => Buffer = generateIv;
/** The Server-IV of Server-Start (octets 16-31). */
export const generateServerIv: (random?: RandomBytes) => Buffer = generateIv;

/** A greeting Challenge (octets 16-31 of the Server Greeting). */
export function generateChallenge(random: RandomBytes = nodeRandomBytes): Buffer {
  return draw(random, CHALLENGE_LENGTH, 'Challenge');
}

/** A greeting Salt (octets 32-47 of the Server Greeting). */
export function generateSalt(random: RandomBytes = nodeRandomBytes): Buffer {
  return draw(random, SALT_LENGTH, 'Salt');
}
