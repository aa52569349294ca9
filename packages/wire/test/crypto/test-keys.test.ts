import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveTestKeys } from '../../src/crypto/test-keys.js';
import { generateControlKeys } from '../../src/crypto/token.js';
import { hex, seededRandom } from './helpers.js';

describe('deriveTestKeys', () => {
  const control = generateControlKeys(seededRandom('test keys'));
  const sid = hex('c0a80001e7a1b2c3d4e5f60718293a4b');

  it('testAESkey is AES-128-ECB of the AES Session-key with the SID as key', () => {
    const ecb = createCipheriv('aes-128-ecb', sid, null);
    ecb.setAutoPadding(false);
    expect(deriveTestKeys(control, sid).aesKey).toEqual(Buffer.concat([ecb.update(control.aesKey), ecb.final()]));
  });

  it('testHMACkey is AES-128-CBC (IV = 0) of the 32-octet HMAC Session-key with the SID as key', () => {
    const keys = deriveTestKeys(control, sid);
    expect(keys.hmacKey).toHaveLength(32);
    // Spelled out block by block: C1 = E(P1), C2 = E(P2 xor C1).
    const ecb = createCipheriv('aes-128-ecb', sid, null);
    ecb.setAutoPadding(false);
    const c1 = ecb.update(control.hmacKey.subarray(0, 16));
    const p2 = Buffer.from(control.hmacKey.subarray(16, 32));
    for (let i = 0; i < 16; i += 1) p2[i] = (p2[i] ?? 0) ^ (c1[i] ?? 0);
    const c2 = ecb.update(p2);
    expect(keys.hmacKey).toEqual(Buffer.concat([c1, c2]));
  });

  it('gives every session its own keys', () => {
    const other = Buffer.from(sid);
    other[15] = (other[15] ?? 0) ^ 1;
    const a = deriveTestKeys(control, sid);
    const b = deriveTestKeys(control, other);
    expect(a.aesKey).not.toEqual(b.aesKey);
    expect(a.hmacKey).not.toEqual(b.hmacKey);
  });

  it('is the same on both ends of the control connection', () => {
    const copy = { aesKey: Buffer.from(control.aesKey), hmacKey: Buffer.from(control.hmacKey) };
    expect(deriveTestKeys(copy, Buffer.from(sid))).toEqual(deriveTestKeys(control, sid));
  });

  it('rejects a SID or keys of the wrong size', () => {
    expect(() => deriveTestKeys(control, sid.subarray(0, 12))).toThrow(RangeError);
    expect(() => deriveTestKeys({ aesKey: control.aesKey, hmacKey: control.aesKey }, sid)).toThrow(RangeError);
    expect(() => deriveTestKeys({ aesKey: control.hmacKey, hmacKey: control.hmacKey }, sid)).toThrow(RangeError);
  });
});
