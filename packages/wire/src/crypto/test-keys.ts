import { createCipheriv } from 'node:crypto';
import { SID_LENGTH } from '../constants.js';
import { aesCbcEncryptor, ZERO_IV } from './aes.js';
import { checkControlKeys, type ControlKeys } from './control-stream.js';

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
  checkControlKeys(control);

  const ecb = createCipheriv('aes-128-ecb', sid, null);
  ecb.setAutoPadding(false);
  const aesKey = Buffer.concat([ecb.update(control.aesKey), ecb.final()]);

  const cbc = aesCbcEncryptor(sid, ZERO_IV);
  const hmacKey = Buffer.concat([cbc.update(control.hmacKey), cbc.final()]);

  return { aesKey, hmacKey };
}
