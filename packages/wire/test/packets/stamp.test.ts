import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeStampReflector,
  decodeStampSender,
  encodeStampReflector,
  encodeStampSender,
  type StampReflectorPacket,
  type StampSecurity,
  type StampSenderPacket,
  writeStampSender,
} from '../../src/packets/index.js';
import { bytes, checkVectors, type CodecVector, fill, HMAC, plain, ramp, T1, T1_BYTES, T2, T2_BYTES, T3, T3_BYTES } from './helpers.js';

// An Extra Padding TLV: Flags U, Type 1, Length 2, Value 00 00.
const TLV_BYTES = [0x80, 0x01, 0x00, 0x02, 0x00, 0x00];

interface Vector<T> extends CodecVector<T> {
  readonly security: StampSecurity;
}

const senderVectors: Vector<StampSenderPacket>[] = [
  {
    name: 'open, 44-octet base, SSID 0x1234',
    security: 'open',
    value: { sequence: 9, timestamp: T1, errorEstimate: 0x8001, ssid: 0x1234, tlvs: new Uint8Array(0) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x09], // 0-3 Sequence Number
      T1_BYTES, // 4-11 Timestamp
      [0x80, 0x01], // 12-13 Error Estimate
      [0x12, 0x34], // 14-15 SSID (RFC 8972 §3)
      fill(28), // 16-43 MBZ
    ),
  },
  {
    name: 'open with one TLV',
    security: 'open',
    value: { sequence: 10, timestamp: T1, errorEstimate: 0x8001, ssid: 1, tlvs: Uint8Array.from(TLV_BYTES) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x0a], // 0-3 Sequence Number
      T1_BYTES, // 4-11 Timestamp
      [0x80, 0x01], // 12-13 Error Estimate
      [0x00, 0x01], // 14-15 SSID
      fill(28), // 16-43 MBZ
      TLV_BYTES, // 44-49 TLVs
    ),
  },
  {
    name: 'authenticated, 112-octet base',
    security: 'authenticated',
    value: { sequence: 11, timestamp: T1, errorEstimate: 0x0001, ssid: 0xffff, hmac: HMAC, tlvs: new Uint8Array(0) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x0b], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T1_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      [0xff, 0xff], // 26-27 SSID
      fill(68), // 28-95 MBZ
      ramp(16, 0xa0), // 96-111 HMAC
    ),
  },
  {
    name: 'authenticated with one TLV',
    security: 'authenticated',
    value: { sequence: 12, timestamp: T1, errorEstimate: 0x0001, ssid: 2, hmac: HMAC, tlvs: Uint8Array.from(TLV_BYTES) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x0c], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T1_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      [0x00, 0x02], // 26-27 SSID
      fill(68), // 28-95 MBZ
      ramp(16, 0xa0), // 96-111 HMAC
      TLV_BYTES, // 112-117 TLVs
    ),
  },
];

const reflectorVectors: Vector<StampReflectorPacket>[] = [
  {
    name: 'open, 44-octet base',
    security: 'open',
    value: {
      sequence: 5, timestamp: T3, errorEstimate: 0x8001, ssid: 0x1234, receiveTimestamp: T2,
      senderSequence: 9, senderTimestamp: T1, senderErrorEstimate: 0x8001, senderTtl: 255, tlvs: new Uint8Array(0),
    },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x05], // 0-3 Sequence Number
      T3_BYTES, // 4-11 Timestamp (T3)
      [0x80, 0x01], // 12-13 Error Estimate
      [0x12, 0x34], // 14-15 SSID (copied from the sender)
      T2_BYTES, // 16-23 Receive Timestamp (T2)
      [0x00, 0x00, 0x00, 0x09], // 24-27 Session-Sender Sequence Number
      T1_BYTES, // 28-35 Session-Sender Timestamp
      [0x80, 0x01], // 36-37 Session-Sender Error Estimate
      [0x00, 0x00], // 38-39 MBZ
      [0xff], // 40 Ses-Sender TTL
      [0x00, 0x00, 0x00], // 41-43 MBZ
    ),
  },
  {
    name: 'open with one TLV (U cleared by the reflector)',
    security: 'open',
    value: {
      sequence: 6, timestamp: T3, errorEstimate: 0x8001, ssid: 1, receiveTimestamp: T2,
      senderSequence: 10, senderTimestamp: T1, senderErrorEstimate: 0x8001, senderTtl: 64,
      tlvs: Uint8Array.from([0x00, 0x01, 0x00, 0x02, 0x00, 0x00]),
    },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x06], // 0-3 Sequence Number
      T3_BYTES, // 4-11 Timestamp
      [0x80, 0x01], // 12-13 Error Estimate
      [0x00, 0x01], // 14-15 SSID
      T2_BYTES, // 16-23 Receive Timestamp
      [0x00, 0x00, 0x00, 0x0a], // 24-27 Session-Sender Sequence Number
      T1_BYTES, // 28-35 Session-Sender Timestamp
      [0x80, 0x01], // 36-37 Session-Sender Error Estimate
      [0x00, 0x00], // 38-39 MBZ
      [0x40], // 40 Ses-Sender TTL = 64
      [0x00, 0x00, 0x00], // 41-43 MBZ
      [0x00, 0x01, 0x00, 0x02, 0x00, 0x00], // 44-49 TLVs: Extra Padding, U = 0
    ),
  },
  {
    name: 'authenticated, 112-octet base',
    security: 'authenticated',
    value: {
      sequence: 7, timestamp: T3, errorEstimate: 0x0001, ssid: 0xffff, receiveTimestamp: T2,
      senderSequence: 11, senderTimestamp: T1, senderErrorEstimate: 0x0001, senderTtl: 255, hmac: HMAC, tlvs: new Uint8Array(0),
    },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x07], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T3_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      [0xff, 0xff], // 26-27 SSID
      fill(4), // 28-31 MBZ
      T2_BYTES, // 32-39 Receive Timestamp
      fill(8), // 40-47 MBZ
      [0x00, 0x00, 0x00, 0x0b], // 48-51 Session-Sender Sequence Number
      fill(12), // 52-63 MBZ
      T1_BYTES, // 64-71 Session-Sender Timestamp
      [0x00, 0x01], // 72-73 Session-Sender Error Estimate
      fill(6), // 74-79 MBZ
      [0xff], // 80 Ses-Sender TTL
      fill(15), // 81-95 MBZ
      ramp(16, 0xa0), // 96-111 HMAC
    ),
  },
];

describe('STAMP Session-Sender vectors', () => {
  checkVectors(senderVectors, (bytes, v) => decodeStampSender(bytes, v.security), (value, v) => encodeStampSender(value, v.security));

  it('rejects packets shorter than the base', () => {
    expect(() => decodeStampSender(Buffer.alloc(43), 'open')).toThrow(MalformedInputError);
    expect(() => decodeStampSender(Buffer.alloc(111), 'authenticated')).toThrow(MalformedInputError);
  });

  it('writes into a reused buffer, zeroing stale MBZ octets', () => {
    const v = senderVectors[2]!;
    const target = Buffer.alloc(v.bytes.length, 0xcc);
    writeStampSender(v.value, v.security, target);
    expect(target.toString('hex')).toBe(v.bytes.toString('hex'));
    expect(() => writeStampSender(v.value, v.security, Buffer.alloc(50))).toThrow(RangeError);
    expect(() => encodeStampSender({ ...v.value, hmac: new Uint8Array(3) }, v.security)).toThrow(RangeError);
  });
});

describe('STAMP Session-Reflector vectors', () => {
  checkVectors(reflectorVectors, (bytes, v) => decodeStampReflector(bytes, v.security), (value, v) => encodeStampReflector(value, v.security));

  it('rejects packets shorter than the base', () => {
    expect(() => decodeStampReflector(Buffer.alloc(43), 'open')).toThrow(MalformedInputError);
    expect(() => decodeStampReflector(Buffer.alloc(111), 'authenticated')).toThrow(MalformedInputError);
  });
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const ts = fc.record({ seconds: u32, fraction: u32 });
const hmac = fc.uint8Array({ minLength: 16, maxLength: 16 });
const security = fc.constantFrom<StampSecurity>('open', 'authenticated');

function senderArb(s: StampSecurity): fc.Arbitrary<StampSenderPacket> {
  const base = { sequence: u32, timestamp: ts, errorEstimate: u16, ssid: u16, tlvs: fc.uint8Array({ maxLength: 200 }) };
  return s === 'authenticated' ? fc.record({ ...base, hmac }) : fc.record(base);
}

function reflectorArb(s: StampSecurity): fc.Arbitrary<StampReflectorPacket> {
  const base = {
    sequence: u32, timestamp: ts, errorEstimate: u16, ssid: u16, receiveTimestamp: ts, senderSequence: u32,
    senderTimestamp: ts, senderErrorEstimate: u16, senderTtl: fc.integer({ min: 0, max: 255 }),
    tlvs: fc.uint8Array({ maxLength: 200 }),
  };
  return s === 'authenticated' ? fc.record({ ...base, hmac }) : fc.record(base);
}

describe('STAMP codec properties', () => {
  it('sender: decode(encode(v)) = v; the TLV area is everything after the base', () => {
    fc.assert(
      fc.property(security.chain((s) => fc.tuple(fc.constant(s), senderArb(s))), ([s, v]) => {
        const encoded = encodeStampSender(v, s);
        expect(encoded.length).toBe((s === 'open' ? 44 : 112) + v.tlvs.length);
        expect(plain(decodeStampSender(encoded, s))).toEqual(plain(v));
      }),
      { numRuns: 400 },
    );
  });

  it('reflector: decode(encode(v)) = v', () => {
    fc.assert(
      fc.property(security.chain((s) => fc.tuple(fc.constant(s), reflectorArb(s))), ([s, v]) => {
        expect(plain(decodeStampReflector(encodeStampReflector(v, s), s))).toEqual(plain(v));
      }),
      { numRuns: 400 },
    );
  });
});
