import { createCipheriv, createHmac } from 'node:crypto';
import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mode } from '../../src/constants.js';
import { deriveTestKeys, type TestSessionKeys } from '../../src/crypto/test-keys.js';
import {
  createTestPacketCrypto,
  TestPacketCrypto,
  type TestPacketKind,
  type TestPacketProtection,
  testHmacOffset,
  testPacketProtectionForMode,
  testProtectedLength,
} from '../../src/crypto/test-packet-crypto.js';
import { generateControlKeys } from '../../src/crypto/token.js';
import { twampLayout } from '../../src/packets/layout.js';
import { hex, seededRandom } from './helpers.js';

const control = generateControlKeys(seededRandom('test packets'));
const sid = hex('0a000001e9f1a2b3c4d5e6f712345678');
const keys: TestSessionKeys = deriveTestKeys(control, sid);

/** A fresh per-packet AES-CBC (IV = 0), the straightforward construction the fast path must equal. */
function referenceEncrypt(key: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key, Buffer.alloc(16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

function referenceHmac(key: Uint8Array, covered: Uint8Array): Buffer {
  return createHmac('sha1', key).update(covered).digest().subarray(0, 16);
}

/** The octets each mode encrypts and authenticates, per RFC 4656 §4.1.2 and RFC 5357 §4.2.1. */
const COVERED: Record<TestPacketProtection, Record<TestPacketKind, number>> = {
  authenticated: { sender: 16, reflector: 16 },
  encrypted: { sender: 32, reflector: 96 },
};
const MAC_AT: Record<TestPacketKind, number> = { sender: 32, reflector: 96 };

const combinations = [
  ['authenticated', 'sender'],
  ['authenticated', 'reflector'],
  ['encrypted', 'sender'],
  ['encrypted', 'reflector'],
] as const;

function packetArbitrary(kind: TestPacketKind) {
  const base = MAC_AT[kind] + 16;
  return fc.uint8Array({ minLength: base, maxLength: base + 200 });
}

describe('layout', () => {
  it('puts the HMAC at 32 (sender) and 96 (reflector)', () => {
    // The offsets come from the packet layout, in both protected layouts.
    for (const security of ['authenticated', 'encrypted'] as const) {
      expect(twampLayout({ security }).sender.hmac).toBe(32);
      expect(twampLayout({ security }).reflector.hmac).toBe(96);
    }
    expect(testHmacOffset('sender')).toBe(32);
    expect(testHmacOffset('reflector')).toBe(96);
  });

  it.each(combinations)('%s %s packets cover exactly the encrypted octets', (protection, kind) => {
    expect(testProtectedLength(protection, kind)).toBe(COVERED[protection][kind]);
  });
});

describe('mode selection', () => {
  it('protects test packets only in authenticated and encrypted modes', () => {
    expect(testPacketProtectionForMode(Mode.Unauthenticated)).toBeUndefined();
    expect(testPacketProtectionForMode(Mode.Authenticated)).toBe('authenticated');
    expect(testPacketProtectionForMode(Mode.Encrypted)).toBe('encrypted');
    // RFC 5618: mixed mode encrypts control only; its test packets use the open layouts.
    expect(testPacketProtectionForMode(Mode.Mixed)).toBeUndefined();
  });

  it('ignores feature bits', () => {
    expect(testPacketProtectionForMode(Mode.Encrypted | Mode.IndividualSessionControl | Mode.SymmetricalSize)).toBe('encrypted');
    expect(testPacketProtectionForMode(Mode.Mixed | Mode.ReflectOctets)).toBeUndefined();
  });

  it('creates no crypto for mixed or unauthenticated sessions', () => {
    expect(createTestPacketCrypto(Mode.Mixed, control, sid)).toBeUndefined();
    expect(createTestPacketCrypto(Mode.Unauthenticated, control, sid)).toBeUndefined();
    expect(createTestPacketCrypto(Mode.Authenticated, control, sid)?.protection).toBe('authenticated');
  });

  it('derives the session keys from the control keys and SID', () => {
    const viaFactory = createTestPacketCrypto(Mode.Encrypted, control, sid)!;
    const direct = new TestPacketCrypto(keys, 'encrypted');
    const a = Buffer.alloc(112, 0x42);
    const b = Buffer.from(a);
    viaFactory.protect(a, 'reflector');
    direct.protect(b, 'reflector');
    expect(a).toEqual(b);
  });
});

describe.each(combinations)('%s %s packets', (protection, kind) => {
  const covered = COVERED[protection][kind];
  const macAt = MAC_AT[kind];
  const sender = new TestPacketCrypto(keys, protection);
  const receiver = new TestPacketCrypto(deriveTestKeys(control, sid), protection);

  it('match a fresh per-packet AES-CBC with IV 0 and an HMAC over the plaintext (property)', () => {
    fc.assert(
      fc.property(packetArbitrary(kind), (input) => {
        const plain = Buffer.from(input);
        const packet = Buffer.from(plain);
        sender.protect(packet, kind);
        const expectedMac = referenceHmac(keys.hmacKey, plain.subarray(0, covered));
        // Encrypted part, HMAC field, then every other octet (clear fields and padding) unchanged.
        expect(packet.subarray(0, covered)).toEqual(referenceEncrypt(keys.aesKey, plain.subarray(0, covered)));
        expect(packet.subarray(macAt, macAt + 16)).toEqual(expectedMac);
        expect(packet.subarray(covered, macAt)).toEqual(plain.subarray(covered, macAt));
        expect(packet.subarray(macAt + 16)).toEqual(plain.subarray(macAt + 16));
      }),
      { numRuns: 150 },
    );
  });

  it('round-trip through the other end (property)', () => {
    fc.assert(
      fc.property(packetArbitrary(kind), (input) => {
        const plain = Buffer.from(input);
        const packet = Buffer.from(plain);
        sender.protect(packet, kind);
        expect(receiver.unprotect(packet, kind)).toBe(true);
        // Back to the plaintext, with the HMAC field now filled in.
        expect(packet.subarray(0, macAt)).toEqual(plain.subarray(0, macAt));
        expect(packet.subarray(macAt, macAt + 16)).toEqual(referenceHmac(keys.hmacKey, plain.subarray(0, covered)));
        expect(packet.subarray(macAt + 16)).toEqual(plain.subarray(macAt + 16));
      }),
      { numRuns: 150 },
    );
  });

  it('restart the chain for every packet: the same plaintext always gives the same packet', () => {
    const plain = Buffer.from(seededRandom(`${protection} ${kind} repeat`)(macAt + 16 + 9));
    const first = Buffer.from(plain);
    const second = Buffer.from(plain);
    sender.protect(first, kind);
    sender.protect(Buffer.from(seededRandom('something else')(macAt + 16)), kind);
    sender.protect(second, kind);
    expect(second).toEqual(first);
  });

  it('work on a view into a larger buffer without touching its neighbours', () => {
    const backing = Buffer.alloc(macAt + 16 + 40, 0x5a);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 20, macAt + 16);
    const plain = Buffer.from(view);
    sender.protect(view, kind);
    expect(backing.subarray(0, 20)).toEqual(Buffer.alloc(20, 0x5a));
    expect(backing.subarray(20 + macAt + 16)).toEqual(Buffer.alloc(20, 0x5a));
    expect(receiver.unprotect(view, kind)).toBe(true);
    expect(Buffer.from(view).subarray(0, macAt)).toEqual(plain.subarray(0, macAt));
  });

  it('detect a change to any encrypted or HMAC octet', () => {
    const plain = Buffer.from(seededRandom(`${protection} ${kind} tamper`)(macAt + 16 + 24));
    const protectedPacket = Buffer.from(plain);
    sender.protect(protectedPacket, kind);
    const positions = [...Array.from({ length: covered }, (_, i) => i), ...Array.from({ length: 16 }, (_, i) => macAt + i)];
    for (const position of positions) {
      for (const bit of [0x01, 0x80]) {
        const tampered = Buffer.from(protectedPacket);
        tampered[position] = (tampered[position] ?? 0) ^ bit;
        expect(receiver.unprotect(tampered, kind)).toBe(false);
      }
    }
  });

  it('leave padding unauthenticated: a changed padding octet still verifies and stays as received', () => {
    const plain = Buffer.from(seededRandom(`${protection} ${kind} padding`)(macAt + 16 + 30));
    const packet = Buffer.from(plain);
    sender.protect(packet, kind);
    packet[macAt + 16 + 7] = (packet[macAt + 16 + 7] ?? 0) ^ 0xff;
    const received = Buffer.from(packet);
    expect(receiver.unprotect(packet, kind)).toBe(true);
    expect(packet.subarray(macAt + 16)).toEqual(received.subarray(macAt + 16));
  });

  it('reject a packet protected with other keys', () => {
    const other = new TestPacketCrypto(deriveTestKeys(control, Buffer.alloc(16, 1)), protection);
    const packet = Buffer.from(seededRandom(`${protection} ${kind} keys`)(macAt + 16));
    other.protect(packet, kind);
    expect(receiver.unprotect(packet, kind)).toBe(false);
  });

  it('reject a truncated packet with a typed error, and refuse to protect one', () => {
    expect(() => receiver.unprotect(Buffer.alloc(macAt + 15), kind)).toThrow(MalformedInputError);
    expect(() => {
      sender.protect(Buffer.alloc(macAt + 15), kind);
    }).toThrow(RangeError);
  });
});

describe('one object over a whole session', () => {
  it.each(['authenticated', 'encrypted'] as const)(
    '%s: interleaved kinds, lost, tampered and truncated packets never disturb the next packet',
    (protection) => {
      const sending = new TestPacketCrypto(keys, protection);
      const receiving = new TestPacketCrypto(keys, protection);
      const random = seededRandom(`session ${protection}`);
      for (let i = 0; i < 300; i += 1) {
        const kind: TestPacketKind = i % 3 === 0 ? 'reflector' : 'sender';
        const covered = COVERED[protection][kind];
        const plain = random(MAC_AT[kind] + 16 + (i % 11));
        const packet = Buffer.from(plain);
        sending.protect(packet, kind);
        // Each packet on its own equals a fresh AES-CBC with IV 0, whatever came before it.
        expect(packet.subarray(0, covered)).toEqual(referenceEncrypt(keys.aesKey, plain.subarray(0, covered)));
        if (i % 7 === 3) continue; // lost on the way
        if (i % 5 === 1) {
          const tampered = Buffer.from(packet);
          tampered[i % covered] = (tampered[i % covered] ?? 0) ^ 0x04;
          expect(receiving.unprotect(tampered, kind)).toBe(false);
        }
        if (i % 13 === 2) expect(() => receiving.unprotect(packet.subarray(0, MAC_AT[kind]), kind)).toThrow(MalformedInputError);
        expect(receiving.unprotect(packet, kind)).toBe(true);
        expect(packet.subarray(0, MAC_AT[kind])).toEqual(plain.subarray(0, MAC_AT[kind]));
      }
    },
  );
});

describe('what each mode leaves in clear', () => {
  it('authenticated mode: timestamps (16-31 of a sender packet) are neither encrypted nor authenticated', () => {
    const crypto = new TestPacketCrypto(keys, 'authenticated');
    const packet = Buffer.alloc(48);
    packet.writeUInt32BE(7, 0);
    packet.writeUInt32BE(0xe8d4a510, 16);
    crypto.protect(packet, 'sender');
    expect(packet.readUInt32BE(16)).toBe(0xe8d4a510);
    packet[20] = 0x99;
    expect(crypto.unprotect(packet, 'sender')).toBe(true);
    expect(packet.readUInt32BE(0)).toBe(7);
  });

  it('encrypted mode: a reflector packet hides everything before its HMAC', () => {
    const crypto = new TestPacketCrypto(keys, 'encrypted');
    const plain = Buffer.alloc(112);
    plain.writeUInt32BE(0xdeadbeef, 48); // Sender Sequence Number
    const packet = Buffer.from(plain);
    crypto.protect(packet, 'reflector');
    expect(packet.readUInt32BE(48)).not.toBe(0xdeadbeef);
    // A zero block encrypts to something else, and no two 16-octet blocks repeat under CBC.
    const blocks = new Set(Array.from({ length: 6 }, (_, i) => packet.subarray(i * 16, i * 16 + 16).toString('hex')));
    expect(blocks.size).toBe(6);
  });
});

describe('session objects', () => {
  it('copies the HMAC key, so wiping the caller’s buffer changes nothing', () => {
    const own = { aesKey: Buffer.from(keys.aesKey), hmacKey: Buffer.from(keys.hmacKey) };
    const crypto = new TestPacketCrypto(own, 'encrypted');
    own.hmacKey.fill(0);
    const packet = Buffer.alloc(48, 3);
    crypto.protect(packet, 'sender');
    expect(new TestPacketCrypto(keys, 'encrypted').unprotect(packet, 'sender')).toBe(true);
  });

  it('rejects an unknown protection from untyped callers', () => {
    expect(() => new TestPacketCrypto(keys, 'open' as TestPacketProtection)).toThrow(RangeError);
  });

  it('handles many packets on one object (the AES objects are reused, not re-created)', () => {
    const crypto = new TestPacketCrypto(keys, 'encrypted');
    const random = seededRandom('bulk');
    for (let i = 0; i < 2000; i += 1) {
      const plain = random(112 + (i % 17));
      const packet = Buffer.from(plain);
      crypto.protect(packet, 'reflector');
      expect(crypto.unprotect(packet, 'reflector')).toBe(true);
      expect(packet.subarray(0, 96).equals(plain.subarray(0, 96))).toBe(true);
    }
  });
});
