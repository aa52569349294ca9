import { type Cipher, createHmac, type Decipher, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, AuthenticationFailure } from '@twamp/errors';
import { BLOCK, HMAC_LENGTH } from '../constants.js';
import { aesCbcDecryptor, aesCbcEncryptor } from './aes.js';

/** The two keys a Control-Client sends in its Token (RFC 4656 §3.1). */
export interface ControlKeys {
  /** AES Session-key, 16 octets. */
  readonly aesKey: Uint8Array;
  /** HMAC Session-key, 32 octets. */
  readonly hmacKey: Uint8Array;
}

/** AES Session-key: AES-128. */
export const AES_KEY_LENGTH = 16;
/** HMAC Session-key: RFC 4656 §3.1 fixes it at 32 octets. */
export const HMAC_KEY_LENGTH = 32;

/**
 * The key sizes RFC 4656 §3.1 fixes, checked the same way wherever control keys are taken in (the
 * control stream, the Token, the test-session key derivation). A wrong size is a caller bug.
 */
export function checkControlKeys(keys: ControlKeys): void {
  if (keys.aesKey.length !== AES_KEY_LENGTH) {
    throw new RangeError(`AES Session-key must be ${AES_KEY_LENGTH} octets, got ${keys.aesKey.length}`);
  }
  if (keys.hmacKey.length !== HMAC_KEY_LENGTH) {
    throw new RangeError(`HMAC Session-key must be ${HMAC_KEY_LENGTH} octets, got ${keys.hmacKey.length}`);
  }
}

/**
 * Check the key and IV sizes, and copy the HMAC key: the cipher copies its key internally, but
 * HMAC is keyed anew for every message, so a caller that later reuses or wipes its key buffer
 * would otherwise silently change every following HMAC.
 */
function hmacKeyOf(keys: ControlKeys, iv: Uint8Array): Buffer {
  checkControlKeys(keys);
  if (iv.length !== BLOCK) throw new RangeError(`IV must be ${BLOCK} octets, got ${iv.length}`);
  return Buffer.from(keys.hmacKey);
}

function checkBlocks(data: Uint8Array, what: string): void {
  if (data.length === 0 || data.length % BLOCK !== 0) {
    throw new RangeError(`${what} must be a non-empty whole number of 16-octet blocks, got ${data.length} octets`);
  }
}

/** HMAC-SHA1 over the given parts, truncated to 16 octets. */
function controlHmac(hmacKey: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha1', hmacKey);
  for (const part of parts) hmac.update(part);
  return hmac.digest().subarray(0, HMAC_LENGTH);
}

/**
 * One direction of an authenticated, encrypted or mixed control connection, sending side.
 *
 * RFC 4656 §3.4 / RFC 5357 §3.2: a single AES-128-CBC chain runs for the whole direction
 * (never reset per message), and every HMAC covers all plaintext sent in this direction since
 * the previous HMAC field. The server's Server-Start octets 32-47 are encrypted but carry no
 * HMAC, so they are covered by the server's first HMAC.
 */
export class ControlStreamEncryptor {
  readonly #cipher: Cipher;
  readonly #hmacKey: Buffer;
  #uncovered: Buffer[] = [];

  constructor(keys: ControlKeys, iv: Uint8Array) {
    this.#hmacKey = hmacKeyOf(keys, iv);
    this.#cipher = aesCbcEncryptor(keys.aesKey, iv);
  }

  /** Encrypt blocks that have no HMAC field of their own; the next `seal` covers them. */
  encryptUncovered(plaintext: Uint8Array): Buffer {
    checkBlocks(plaintext, 'plaintext');
    this.#uncovered.push(Buffer.from(plaintext));
    return this.#cipher.update(plaintext);
  }

  /**
   * Fill the message's last 16 octets with the HMAC, then encrypt the whole message (HMAC
   * included). The input is not modified.
   */
  seal(message: Uint8Array): Buffer {
    checkBlocks(message, 'message');
    const plain = Buffer.from(message);
    const body = plain.subarray(0, plain.length - HMAC_LENGTH);
    controlHmac(this.#hmacKey, [...this.#uncovered, body]).copy(plain, body.length);
    this.#uncovered = [];
    return this.#cipher.update(plain);
  }
}

/** The receiving side of one direction; the mirror of ControlStreamEncryptor. */
export class ControlStreamDecryptor {
  readonly #decipher: Decipher;
  readonly #hmacKey: Buffer;
  #uncovered: Buffer[] = [];

  constructor(keys: ControlKeys, iv: Uint8Array) {
    this.#hmacKey = hmacKeyOf(keys, iv);
    this.#decipher = aesCbcDecryptor(keys.aesKey, iv);
  }

  /** Decrypt whole blocks, continuing the chain. Blocks may be fed in any grouping. */
  decrypt(ciphertext: Uint8Array): Buffer {
    checkBlocks(ciphertext, 'ciphertext');
    return this.#decipher.update(ciphertext);
  }

  /** Record plaintext that arrived without an HMAC field (Server-Start 32-47); the next HMAC covers it. */
  absorbUncovered(plaintext: Uint8Array): void {
    this.#uncovered.push(Buffer.from(plaintext));
  }

  /**
   * Check a decrypted message's trailing HMAC against everything received since the previous
   * HMAC. Throws AuthenticationError on mismatch: the connection must then be dropped.
   */
  verify(message: Uint8Array, what: string): void {
    checkBlocks(message, 'message');
    const bodyLength = message.length - HMAC_LENGTH;
    const expected = controlHmac(this.#hmacKey, [...this.#uncovered, message.subarray(0, bodyLength)]);
    this.#uncovered = [];
    if (!timingSafeEqual(expected, message.subarray(bodyLength))) {
      throw new AuthenticationError(AuthenticationFailure.HmacMismatch, `${what} failed its HMAC check`);
    }
  }
}
