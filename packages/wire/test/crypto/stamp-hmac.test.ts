import { createHmac } from 'node:crypto';
import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  signStampPacket,
  stampPacketHmac,
  stampTlvHmac,
  verifyStampPacket,
  verifyStampTlvHmac,
  writeStampTlvHmac,
} from '../../src/crypto/stamp-hmac.js';

/** RFC 8762 §4.2.2 / §4.3.2: the HMAC is octets 96-111, the end of the 112-octet authenticated base. */
const STAMP_HMAC_OFFSET = 96;
const STAMP_AUTHENTICATED_BASE_LENGTH = 112;

const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
/** Octet i is (7i + 3) mod 256: every field of the base packet has a distinct, reproducible value. */
function patternPacket(length = 112): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff));
}

/**
 * A 112-octet authenticated base followed by an unknown TLV (U flag, type 1, 8 value octets) and
 * an HMAC TLV (type 8, 16 value octets), as RFC 8972 §4 lays them out.
 */
function packetWithTlvs(): Buffer {
  return Buffer.concat([
    patternPacket(),
    Buffer.from([0x80, 0x01, 0x00, 0x08]),
    Buffer.from([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7]),
    Buffer.from([0x80, 0x08, 0x00, 0x10]),
    Buffer.alloc(16),
  ]);
}
const TLVS = { start: 112, end: 124 };
const HMAC_VALUE_AT = 128;

describe('authenticated STAMP packet HMAC (RFC 8762 §4.4)', () => {
  it('has the known value for the pattern packet (computed with an independent HMAC implementation)', () => {
    expect(stampPacketHmac(key, patternPacket()).toString('hex')).toBe('24ab0d02fcb18e8cdddb3236bf94d447');
  });

  it('is HMAC-SHA-256 over octets 0-95, truncated to 16 octets, written at 96', () => {
    const packet = patternPacket(140);
    signStampPacket(key, packet);
    const expected = createHmac('sha256', key).update(patternPacket(96)).digest().subarray(0, 16);
    expect(packet.subarray(STAMP_HMAC_OFFSET, STAMP_HMAC_OFFSET + 16)).toEqual(expected);
    // Nothing else changes: 0-95 and everything after the HMAC (TLVs) stay as they were.
    expect(packet.subarray(0, 96)).toEqual(patternPacket(96));
    expect(packet.subarray(112)).toEqual(patternPacket(140).subarray(112));
  });

  it('verifies what it signs, sender and reflector alike (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 112, maxLength: 400 }), fc.uint8Array({ minLength: 1, maxLength: 80 }), (input, k) => {
        const packet = Buffer.from(input);
        signStampPacket(k, packet);
        return verifyStampPacket(k, packet);
      }),
      { numRuns: 200 },
    );
  });

  it('detects a change to any octet from 0 to 111', () => {
    const packet = patternPacket();
    signStampPacket(key, packet);
    for (let position = 0; position < STAMP_AUTHENTICATED_BASE_LENGTH; position += 1) {
      const tampered = Buffer.from(packet);
      tampered[position] = (tampered[position] ?? 0) ^ 0x10;
      expect(verifyStampPacket(key, tampered)).toBe(false);
    }
  });

  it('does not cover the TLVs after the base packet', () => {
    const packet = packetWithTlvs();
    signStampPacket(key, packet);
    packet[120] = (packet[120] ?? 0) ^ 0xff;
    expect(verifyStampPacket(key, packet)).toBe(true);
  });

  it('fails with another key', () => {
    const packet = patternPacket();
    signStampPacket(key, packet);
    expect(verifyStampPacket(Buffer.from('another key'), packet)).toBe(false);
  });

  it('rejects a packet too short for the HMAC field with a typed error', () => {
    expect(() => verifyStampPacket(key, Buffer.alloc(111))).toThrow(MalformedInputError);
    expect(() => {
      signStampPacket(key, Buffer.alloc(111));
    }).toThrow(RangeError);
    expect(() => stampPacketHmac(key, Buffer.alloc(95))).toThrow(RangeError);
  });

  it('rejects an empty key', () => {
    expect(() => stampPacketHmac(new Uint8Array(0), patternPacket())).toThrow(RangeError);
  });
});

describe('HMAC TLV value (RFC 8972 §4.8)', () => {
  it('has the known value over the Sequence Number and the preceding TLV (independent implementation)', () => {
    expect(stampTlvHmac(key, packetWithTlvs(), TLVS).toString('hex')).toBe('d451807f9752a920caad236dca3e7eed');
  });

  it('covers octets 0-3 and the preceding TLVs, headers included, and nothing else of the base', () => {
    const packet = packetWithTlvs();
    const expected = createHmac('sha256', key)
      .update(packet.subarray(0, 4))
      .update(packet.subarray(112, 124))
      .digest()
      .subarray(0, 16);
    expect(stampTlvHmac(key, packet, TLVS)).toEqual(expected);
    // Octets 4-111 (timestamps, the base HMAC) do not enter this HMAC.
    const changed = Buffer.from(packet);
    changed.fill(0, 4, 112);
    expect(stampTlvHmac(key, changed, TLVS)).toEqual(expected);
  });

  it('writes and verifies the value in place', () => {
    const packet = packetWithTlvs();
    writeStampTlvHmac(key, packet, TLVS, HMAC_VALUE_AT);
    expect(packet.subarray(HMAC_VALUE_AT).toString('hex')).toBe('d451807f9752a920caad236dca3e7eed');
    expect(verifyStampTlvHmac(key, packet, TLVS, HMAC_VALUE_AT)).toBe(true);
  });

  it('detects a change to the Sequence Number, a covered TLV or the HMAC value', () => {
    const packet = packetWithTlvs();
    writeStampTlvHmac(key, packet, TLVS, HMAC_VALUE_AT);
    for (const position of [0, 1, 2, 3, 112, 113, 115, 116, 123, 128, 135, 143]) {
      const tampered = Buffer.from(packet);
      tampered[position] = (tampered[position] ?? 0) ^ 0x01;
      expect(verifyStampTlvHmac(key, tampered, TLVS, HMAC_VALUE_AT)).toBe(false);
    }
  });

  it('allows an HMAC TLV with no TLV before it (the Sequence Number alone)', () => {
    const packet = Buffer.concat([patternPacket(), Buffer.from([0x80, 0x08, 0x00, 0x10]), Buffer.alloc(16)]);
    writeStampTlvHmac(key, packet, { start: 112, end: 112 }, 116);
    expect(packet.subarray(116)).toEqual(createHmac('sha256', key).update(packet.subarray(0, 4)).digest().subarray(0, 16));
    expect(verifyStampTlvHmac(key, packet, { start: 112, end: 112 }, 116)).toBe(true);
  });

  it('works after an unauthenticated 44-octet base too', () => {
    const packet = Buffer.concat([patternPacket(44), Buffer.from([0x80, 0x01, 0x00, 0x04, 1, 2, 3, 4]), Buffer.alloc(20)]);
    writeStampTlvHmac(key, packet, { start: 44, end: 52 }, 56);
    expect(verifyStampTlvHmac(key, packet, { start: 44, end: 52 }, 56)).toBe(true);
  });

  it('rejects inconsistent ranges', () => {
    const packet = packetWithTlvs();
    expect(() => stampTlvHmac(key, packet, { start: 2, end: 10 })).toThrow(RangeError);
    expect(() => stampTlvHmac(key, packet, { start: 120, end: 112 })).toThrow(RangeError);
    expect(() => stampTlvHmac(key, packet, { start: 112, end: 200 })).toThrow(RangeError);
    expect(() => verifyStampTlvHmac(key, packet, TLVS, 120)).toThrow(RangeError);
    expect(() => verifyStampTlvHmac(key, packet, TLVS, 140)).toThrow(RangeError);
    expect(() => {
      writeStampTlvHmac(key, packet, TLVS, 129);
    }).toThrow(RangeError);
  });
});
