import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { BLOCK } from '../constants.js';

/*
 * The AES-128-CBC every construction here uses (Token, control stream, test keys, test packets).
 * They all work on whole blocks that the protocol sizes, so padding is always off: a cipher left
 * with Node's default PKCS#7 padding would add a block to every output.
 */

/** The all-zero IV of the Token (RFC 4656 §3.1) and the test-packet constructions (§4.1.2). Never written to. */
export const ZERO_IV: Buffer = Buffer.alloc(BLOCK);

export function aesCbcEncryptor(key: Uint8Array, iv: Uint8Array): Cipher {
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  cipher.setAutoPadding(false);
  return cipher;
}

export function aesCbcDecryptor(key: Uint8Array, iv: Uint8Array): Decipher {
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  decipher.setAutoPadding(false);
  return decipher;
}
