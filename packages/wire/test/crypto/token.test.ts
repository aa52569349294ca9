import { createDecipheriv } from 'node:crypto';
import { AuthenticationError, AuthenticationFailure } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPbkdf2Count, deriveKey } from '../../src/crypto/kdf.js';
import {
  acceptToken,
  challengeMatches,
  decryptToken,
  encryptToken,
  generateChallenge,
  generateClientIv,
  generateControlKeys,
  generateIv,
  generateSalt,
  generateServerIv,
  TOKEN_LENGTH,
} from '../../src/crypto/token.js';
import { thrown } from '../support/thrown.js';
import { hex, seededRandom } from './helpers.js';

describe('Token', () => {
  const dk = hex('0f0e0d0c0b0a09080706050403020100');
  const challenge = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
  const keys = {
    aesKey: hex('101112131415161718191a1b1c1d1e1f'),
    hmacKey: hex('202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f'),
  };

  it('is AES-128-CBC (IV = 0) of Challenge ‖ AES Session-key ‖ HMAC Session-key, 64 octets', () => {
    const token = encryptToken(dk, challenge, keys);
    expect(token).toHaveLength(TOKEN_LENGTH);
    const reference = createDecipheriv('aes-128-cbc', dk, Buffer.alloc(16));
    reference.setAutoPadding(false);
    const plain = Buffer.concat([reference.update(token), reference.final()]);
    expect(plain).toEqual(Buffer.concat([challenge, keys.aesKey, keys.hmacKey]));
  });

  it('decrypts back into its three parts', () => {
    const parts = decryptToken(dk, encryptToken(dk, challenge, keys));
    expect(parts.challenge).toEqual(challenge);
    expect(parts.aesKey).toEqual(keys.aesKey);
    expect(parts.hmacKey).toEqual(keys.hmacKey);
  });

  it('round-trips any keys and Challenge (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (key, ch, aesKey, hmacKey) => {
          const parts = decryptToken(key, encryptToken(key, ch, { aesKey, hmacKey }));
          return (
            parts.challenge.equals(Buffer.from(ch)) && parts.aesKey.equals(Buffer.from(aesKey)) && parts.hmacKey.equals(Buffer.from(hmacKey))
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects wrong lengths', () => {
    expect(() => encryptToken(dk.subarray(1), challenge, keys)).toThrow(RangeError);
    expect(() => encryptToken(dk, challenge.subarray(1), keys)).toThrow(RangeError);
    expect(() => encryptToken(dk, challenge, { aesKey: keys.aesKey, hmacKey: keys.aesKey })).toThrow(RangeError);
    expect(() => decryptToken(dk, Buffer.alloc(48))).toThrow(RangeError);
  });
});

describe('connection setup with a shared secret', () => {
  function setUp(clientSecret: string, serverSecret: string) {
    const serverRandom = seededRandom('server');
    const clientRandom = seededRandom('client');
    // Server Greeting.
    const sentChallenge = generateChallenge(serverRandom);
    const salt = generateSalt(serverRandom);
    const count = 2048;
    // Set-Up-Response.
    checkPbkdf2Count(count);
    const clientKeys = generateControlKeys(clientRandom);
    const token = encryptToken(deriveKey(clientSecret, salt, count), sentChallenge, clientKeys);
    return { serverDk: deriveKey(serverSecret, salt, count), token, sentChallenge, clientKeys };
  }

  it('gives the server the client keys when both hold the same secret', () => {
    const { serverDk, token, sentChallenge, clientKeys } = setUp('correct horse', 'correct horse');
    const serverKeys = acceptToken(serverDk, token, sentChallenge);
    expect(serverKeys.aesKey).toEqual(clientKeys.aesKey);
    expect(serverKeys.hmacKey).toEqual(clientKeys.hmacKey);
  });

  it('detects a wrong secret through the Challenge (TokenMismatch)', () => {
    const { serverDk, token, sentChallenge } = setUp('correct horse', 'battery staple');
    expect(challengeMatches(sentChallenge, decryptToken(serverDk, token).challenge)).toBe(false);
    const error = thrown(() => acceptToken(serverDk, token, sentChallenge), AuthenticationError);
    expect(error.reason).toBe(AuthenticationFailure.TokenMismatch);
  });

  it('detects a Token answering another greeting', () => {
    const { serverDk, token } = setUp('s', 's');
    expect(() => acceptToken(serverDk, token, Buffer.alloc(16))).toThrow(AuthenticationError);
  });
});

describe('challengeMatches', () => {
  it('compares all 16 octets', () => {
    const a = hex('000102030405060708090a0b0c0d0e0f');
    expect(challengeMatches(a, Buffer.from(a))).toBe(true);
    for (let i = 0; i < 16; i += 1) {
      const b = Buffer.from(a);
      b[i] = (b[i] ?? 0) ^ 0x80;
      expect(challengeMatches(a, b)).toBe(false);
    }
  });

  it('never matches values of another length (no exception)', () => {
    expect(challengeMatches(Buffer.alloc(16), Buffer.alloc(15))).toBe(false);
    expect(challengeMatches(Buffer.alloc(17), Buffer.alloc(17))).toBe(false);
  });
});

describe('key and IV generation', () => {
  it('takes exactly the injected octets, in order', () => {
    const random = seededRandom('keys');
    const expected = seededRandom('keys');
    const keys = generateControlKeys(random);
    expect(keys.aesKey).toEqual(expected(16));
    expect(keys.hmacKey).toEqual(expected(32));
    expect(generateClientIv(random)).toEqual(expected(16));
    expect(generateServerIv(random)).toEqual(expected(16));
    expect(generateIv(random)).toEqual(expected(16));
  });

  it('copies the injected octets, so the source cannot change a key later', () => {
    const shared = Buffer.alloc(32, 0x11);
    const keys = generateControlKeys((size) => shared.subarray(0, size));
    shared.fill(0);
    expect(keys.aesKey).toEqual(Buffer.alloc(16, 0x11));
    expect(keys.hmacKey).toEqual(Buffer.alloc(32, 0x11));
  });

  it('rejects a source that returns the wrong number of octets', () => {
    expect(() => generateIv(() => new Uint8Array(8))).toThrow(RangeError);
    expect(() => generateControlKeys(() => new Uint8Array(16))).toThrow(RangeError);
  });

  it('uses crypto.randomBytes by default', () => {
    const a = generateControlKeys();
    const b = generateControlKeys();
    expect(a.aesKey).toHaveLength(16);
    expect(a.hmacKey).toHaveLength(32);
    expect(a.aesKey).not.toEqual(b.aesKey);
    expect(generateIv()).toHaveLength(16);
    expect(generateChallenge()).toHaveLength(16);
    expect(generateSalt()).toHaveLength(16);
  });
});
