import { createCipheriv, createHmac } from 'node:crypto';
import { AuthenticationError, AuthenticationFailure } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HMAC_LENGTH } from '../../src/constants.js';
import { type ControlKeys, ControlStreamDecryptor, ControlStreamEncryptor } from '../../src/crypto/control-stream.js';
import { generateControlKeys, generateIv } from '../../src/crypto/token.js';
import { thrown } from '../support/thrown.js';
import { seededRandom } from './helpers.js';

const BLOCK = 16;

/** HMAC-SHA1 truncated to 16 octets, computed independently of the code under test. */
function hmac16(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const mac = createHmac('sha1', key);
  for (const part of parts) mac.update(part);
  return mac.digest().subarray(0, 16);
}

/** One continuous AES-128-CBC encryption of everything, as a reference for the chained stream. */
function oneShotCbc(keys: ControlKeys, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-cbc', keys.aesKey, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/** A message of `length` octets with random fields and an all-zero HMAC field for seal to fill. */
function plainMessage(random: (size: number) => Buffer, length: number): Buffer {
  const message = Buffer.from(random(length));
  message.fill(0, length - HMAC_LENGTH);
  return message;
}

/** Cut `total` blocks into chunks of the given sizes (cycled), the way TCP might deliver them. */
function chunkSizes(totalBlocks: number, pattern: readonly number[]): number[] {
  const sizes: number[] = [];
  let left = totalBlocks;
  for (let i = 0; left > 0; i += 1) {
    const size = Math.min(left, pattern[i % pattern.length] ?? 1);
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/**
 * The receiving side as a control framer would drive it: decrypt whatever whole blocks arrived,
 * cut known-length messages off the plaintext, verify each. `uncovered` leading octets (Server-Start
 * 32-47) are handed to absorbUncovered instead.
 */
function receive(
  decryptor: ControlStreamDecryptor,
  wire: Buffer,
  chunkBlocks: readonly number[],
  lengths: readonly number[],
  uncovered = 0,
): Buffer[] {
  const messages: Buffer[] = [];
  let pending = Buffer.alloc(0);
  let offset = 0;
  let next = 0;
  let absorbed = uncovered === 0;
  for (const blocks of chunkBlocks) {
    const chunk = wire.subarray(offset, offset + blocks * BLOCK);
    offset += chunk.length;
    pending = Buffer.concat([pending, decryptor.decrypt(chunk)]);
    if (!absorbed && pending.length >= uncovered) {
      decryptor.absorbUncovered(pending.subarray(0, uncovered));
      messages.push(Buffer.from(pending.subarray(0, uncovered)));
      pending = pending.subarray(uncovered);
      absorbed = true;
    }
    for (let length = lengths[next]; absorbed && length !== undefined && pending.length >= length; length = lengths[next]) {
      const message = pending.subarray(0, length);
      decryptor.verify(message, `message ${next}`);
      messages.push(Buffer.from(message));
      pending = pending.subarray(length);
      next += 1;
    }
  }
  expect(offset).toBe(wire.length);
  expect(next).toBe(lengths.length);
  return messages;
}

function expectHmacFailure(action: () => unknown): void {
  expect(thrown(action, AuthenticationError).reason).toBe(AuthenticationFailure.HmacMismatch);
}

describe('client → server stream (IV = Client-IV)', () => {
  const keys = generateControlKeys(seededRandom('c2s keys'));
  const clientIv = generateIv(seededRandom('client iv'));
  // Request-TW-Session (112), Start-Sessions (32), Start-N-Sessions with N = 3 (32 + 16N),
  // Stop-Sessions (32), another Request-TW-Session, Stop-N-Sessions with N = 1.
  const lengths = [112, 32, 32 + 16 * 3, 32, 112, 32 + 16];
  const random = seededRandom('c2s messages');
  const plains = lengths.map((length) => plainMessage(random, length));
  const encryptor = new ControlStreamEncryptor(keys, clientIv);
  const wire = Buffer.concat(plains.map((message) => encryptor.seal(message)));
  // What each message must look like before encryption: its own HMAC over its own body.
  const sealed = plains.map((message) => {
    const body = message.subarray(0, message.length - HMAC_LENGTH);
    return Buffer.concat([body, hmac16(keys.hmacKey, body)]);
  });

  it('leaves the caller’s message untouched', () => {
    for (const message of plains) expect(message.subarray(message.length - HMAC_LENGTH)).toEqual(Buffer.alloc(16));
  });

  it('is one continuous CBC chain: equal to a single AES-CBC encryption of all sealed messages', () => {
    expect(wire).toEqual(oneShotCbc(keys, clientIv, Buffer.concat(sealed)));
  });

  it('does not restart the IV per message', () => {
    // Were the chain reset, the second message would encrypt under the Client-IV again.
    const restarted = oneShotCbc(keys, clientIv, sealed[1]!);
    expect(wire.subarray(112, 144)).not.toEqual(restarted);
  });

  it('decrypts and verifies with blocks fed one at a time', () => {
    const received = receive(new ControlStreamDecryptor(keys, clientIv), wire, chunkSizes(wire.length / BLOCK, [1]), lengths);
    expect(received).toEqual(sealed);
  });

  it('decrypts and verifies with blocks fed in odd groupings', () => {
    for (const pattern of [[3], [5, 2], [7, 1, 4], [13], [wire.length / BLOCK]]) {
      const received = receive(new ControlStreamDecryptor(keys, clientIv), wire, chunkSizes(wire.length / BLOCK, pattern), lengths);
      expect(received).toEqual(sealed);
    }
  });

  it('decrypts and verifies with any grouping (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 12 }), (pattern) => {
        const received = receive(new ControlStreamDecryptor(keys, clientIv), wire, chunkSizes(wire.length / BLOCK, pattern), lengths);
        return received.every((message, i) => message.equals(sealed[i]!));
      }),
      { numRuns: 100 },
    );
  });

  it('fails its HMAC check when any ciphertext octet is changed', () => {
    for (let position = 0; position < wire.length; position += 1) {
      const tampered = Buffer.from(wire);
      tampered[position] = (tampered[position] ?? 0) ^ 0x01;
      expectHmacFailure(() => receive(new ControlStreamDecryptor(keys, clientIv), tampered, [tampered.length / BLOCK], lengths));
    }
  });

  it('fails when a message carries a wrong HMAC, even though it decrypts', () => {
    const forged = sealed.map((message) => Buffer.from(message));
    const second = forged[1]!;
    second[second.length - 1] = (second[second.length - 1] ?? 0) ^ 0xff;
    const wireForged = oneShotCbc(keys, clientIv, Buffer.concat(forged));
    const decryptor = new ControlStreamDecryptor(keys, clientIv);
    const first = decryptor.decrypt(wireForged.subarray(0, 112));
    decryptor.verify(first, 'Request-TW-Session');
    const next = decryptor.decrypt(wireForged.subarray(112, 144));
    expectHmacFailure(() => {
      decryptor.verify(next, 'Start-Sessions');
    });
  });

  it('fails with the wrong HMAC key or the wrong IV', () => {
    const wrongHmac = { aesKey: keys.aesKey, hmacKey: Buffer.alloc(32, 9) };
    expectHmacFailure(() => receive(new ControlStreamDecryptor(wrongHmac, clientIv), wire, [wire.length / BLOCK], lengths));
    expectHmacFailure(() => receive(new ControlStreamDecryptor(keys, Buffer.alloc(16)), wire, [wire.length / BLOCK], lengths));
  });

  it('names the message in the error', () => {
    const decryptor = new ControlStreamDecryptor(keys, clientIv);
    const tampered = Buffer.from(wire.subarray(0, 112));
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    expect(() => {
      decryptor.verify(decryptor.decrypt(tampered), 'Request-TW-Session');
    }).toThrow(/Request-TW-Session/);
  });
});

describe('server → client stream (IV = Server-IV)', () => {
  const keys = generateControlKeys(seededRandom('s2c keys'));
  const serverIv = generateIv(seededRandom('server iv'));
  const random = seededRandom('s2c messages');
  // Server-Start: MBZ(15) Accept(1) Server-IV(16) Start-Time(8) MBZ(8). Octets 32-47 are the
  // first encrypted block of this direction and carry no HMAC of their own.
  const serverStart = Buffer.alloc(48);
  serverIv.copy(serverStart, 16);
  random(8).copy(serverStart, 32);
  const serverStartTail = serverStart.subarray(32, 48);
  // Accept-Session (48), Start-Ack (32), Start-N-Ack with N = 2, Stop-N-Ack with N = 1.
  const lengths = [48, 32, 32 + 16 * 2, 32 + 16];
  const plains = lengths.map((length) => plainMessage(random, length));

  const encryptor = new ControlStreamEncryptor(keys, serverIv);
  const tailCipher = encryptor.encryptUncovered(serverStartTail);
  const messagesCipher = plains.map((message) => encryptor.seal(message));
  const wire = Buffer.concat([tailCipher, ...messagesCipher]);

  const sealed = plains.map((message, i) => {
    const body = message.subarray(0, message.length - HMAC_LENGTH);
    // RFC 5357 §3.2: the server's first HMAC also covers Server-Start octets 32-47.
    const mac = i === 0 ? hmac16(keys.hmacKey, serverStartTail, body) : hmac16(keys.hmacKey, body);
    return Buffer.concat([body, mac]);
  });

  it('encrypts Server-Start 32-47 as the first block under the Server-IV', () => {
    expect(tailCipher).toEqual(oneShotCbc(keys, serverIv, serverStartTail));
  });

  it('covers Server-Start 32-47 with the first Accept-Session HMAC, and only that one', () => {
    const acceptPlain = oneShotCbc(keys, serverIv, Buffer.concat([serverStartTail, sealed[0]!]));
    expect(Buffer.concat([tailCipher, messagesCipher[0]!])).toEqual(acceptPlain);
    // The same Accept-Session HMAC without the Server-Start octets would differ.
    expect(sealed[0]!.subarray(32)).not.toEqual(hmac16(keys.hmacKey, plains[0]!.subarray(0, 32)));
  });

  it('is one continuous CBC chain from Server-Start 32-47 on', () => {
    expect(wire).toEqual(oneShotCbc(keys, serverIv, Buffer.concat([serverStartTail, ...sealed])));
  });

  it('round-trips with the client absorbing the uncovered block, in odd groupings', () => {
    for (const pattern of [[1], [2], [3, 1], [4], [1, 5, 2], [wire.length / BLOCK]]) {
      const received = receive(
        new ControlStreamDecryptor(keys, serverIv),
        wire,
        chunkSizes(wire.length / BLOCK, pattern),
        lengths,
        BLOCK,
      );
      expect(received[0]).toEqual(serverStartTail);
      expect(received.slice(1)).toEqual(sealed);
    }
  });

  it('fails the first Accept-Session when the client does not absorb Server-Start 32-47', () => {
    const decryptor = new ControlStreamDecryptor(keys, serverIv);
    decryptor.decrypt(wire.subarray(0, BLOCK));
    const accept = decryptor.decrypt(wire.subarray(BLOCK, BLOCK + 48));
    expectHmacFailure(() => {
      decryptor.verify(accept, 'Accept-Session');
    });
  });

  it('fails when any ciphertext octet is changed, Server-Start 32-47 included', () => {
    for (let position = 0; position < wire.length; position += 1) {
      const tampered = Buffer.from(wire);
      tampered[position] = (tampered[position] ?? 0) ^ 0x80;
      expectHmacFailure(() => receive(new ControlStreamDecryptor(keys, serverIv), tampered, [tampered.length / BLOCK], lengths, BLOCK));
    }
  });
});

describe('block discipline', () => {
  const keys = generateControlKeys(seededRandom('blocks'));
  const iv = Buffer.alloc(16, 3);

  it('rejects partial blocks and empty input', () => {
    const encryptor = new ControlStreamEncryptor(keys, iv);
    const decryptor = new ControlStreamDecryptor(keys, iv);
    expect(() => encryptor.seal(Buffer.alloc(20))).toThrow(RangeError);
    expect(() => encryptor.encryptUncovered(Buffer.alloc(0))).toThrow(RangeError);
    expect(() => decryptor.decrypt(Buffer.alloc(15))).toThrow(RangeError);
    expect(() => {
      decryptor.verify(Buffer.alloc(8), 'x');
    }).toThrow(RangeError);
  });

  it('returns exactly as many octets as it is given, never holding a block back', () => {
    const encryptor = new ControlStreamEncryptor(keys, iv);
    const decryptor = new ControlStreamDecryptor(keys, iv);
    const cipher = encryptor.seal(Buffer.alloc(32));
    expect(cipher).toHaveLength(32);
    expect(decryptor.decrypt(cipher.subarray(0, 16))).toHaveLength(16);
    expect(decryptor.decrypt(cipher.subarray(16))).toHaveLength(16);
  });

  it('keeps its own copy of the HMAC key, so wiping the caller’s buffer changes nothing', () => {
    const own = { aesKey: Buffer.from(keys.aesKey), hmacKey: Buffer.from(keys.hmacKey) };
    const encryptor = new ControlStreamEncryptor(own, iv);
    const decryptor = new ControlStreamDecryptor(own, iv);
    own.hmacKey.fill(0);
    const message = Buffer.alloc(32, 5);
    const plain = decryptor.decrypt(encryptor.seal(message));
    expect(plain.subarray(16)).toEqual(hmac16(keys.hmacKey, message.subarray(0, 16)));
    decryptor.verify(plain, 'Start-Sessions');
  });

  it('rejects keys and IVs of the wrong size', () => {
    expect(() => new ControlStreamEncryptor({ aesKey: keys.aesKey, hmacKey: Buffer.alloc(20) }, iv)).toThrow(RangeError);
    expect(() => new ControlStreamDecryptor({ aesKey: Buffer.alloc(24), hmacKey: keys.hmacKey }, iv)).toThrow(RangeError);
    expect(() => new ControlStreamDecryptor(keys, Buffer.alloc(8))).toThrow(RangeError);
  });
});
