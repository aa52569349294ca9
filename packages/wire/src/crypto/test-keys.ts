import { createCipheriv } from 'node:crypto';
import { BLOCK } from '../constants.js';
import type { ControlKeys } from './control-stream.js';
import { AES_KEY_LENGTH, HMAC_KEY_LENGTH } from './token.js';

/** Session identifiers are 16 octets (RFC 4656 §3.5). */
export const SID_LENGTH = 16;

const ZERO_IV = Buffer.alloc(BLOCK);

/** The keys that protect one test session's packets. */
export interface TestSessionKeys {
  /** testAESkey, 16 octets. */
  readonly aesKey: Buffer;
  /** testHMACkey, 32 octets. */
  readonly hmacKey: Buffer;
}

/**
 * Per-session test keys (RFC 4656 §4.1.2, used unchanged by RFC 5357 §4.1.2 / §4.2.1): the SID is
 * the AES key, and the control-connection keys are the plaintext, so every session of a control
 * connection gets its own keys without any extra exchange.
 *
 * - testAESkey = AES-128-ECB(key = SID, control AES Session-key): one block.
 * - testHMACkey = AES-128-CBC(key = SID, IV = 0, control HMAC Session-key): two blocks.
 *
 * (perfSONAR's `_prepare_to_run` derives them the same way.)
 */
export function deriveTestKeys(control: ControlKeys, sid: Uint8Array): TestSessionKeys {
  if (sid.length !== SID_LENGTH) throw new RangeError(`SID must be ${SID_LENGTH} octets, got ${sid.length}`);
  if (control.aesKey.length !== AES_KEY_LENGTH) {
    throw new RangeError(`AES Session-key must be ${AES_KEY_LENGTH} octets, got ${control.aesKey.length}`);
  }
  if (control.hmacKey.length !== HMAC_KEY_LENGTH) {
    throw new RangeError(`HMAC Session-key must be ${HMAC_KEY_LENGTH} octets, got ${control.hmacKey.length}`);
  }

  const ecb = createCipheriv('aes-128-ecb', sid, null);
  ecb.setAutoPadding(false);
  const aesKey = Buffer.concat([ecb.update(control.aesKey), ecb.final()]);

  const cbc = createCipheriv('aes-128-cbc', sid, ZERO_IV);
  cbc.setAutoPadding(false);
  const hmacKey = Buffer.concat([cbc.update(control.hmacKey), cbc.final()]);

  return { aesKey, hmacKey };
}
