import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mode } from '../../src/constants.js';
import {
  decodeTwampReflector,
  decodeTwampSender,
  encodeTwampReflector,
  encodeTwampSender,
  reflectorReflectedOctets,
  senderReflectOctets,
  type TwampLayout,
  twampLayout,
  twampLayoutFromModes,
  type TwampReflectorPacket,
  type TwampSenderPacket,
  writeTwampReflector,
} from '../../src/packets/index.js';
import { bytes, checkVectors, type CodecVector, fill, HMAC, plain, ramp, T1, T1_BYTES, T2, T2_BYTES, T3, T3_BYTES } from './helpers.js';

const open = twampLayout({ security: 'open' });
const auth = twampLayout({ security: 'authenticated' });
const encrypted = twampLayout({ security: 'encrypted' });
const symOpen = twampLayout({ security: 'open', symmetricalSize: true });
const symAuth = twampLayout({ security: 'authenticated', symmetricalSize: true });
const dscpOpen = twampLayout({ security: 'open', dscpEcnMonitoring: true });
const dscpAuth = twampLayout({ security: 'encrypted', dscpEcnMonitoring: true });
const reflect2 = twampLayout({ security: 'open', reflectOctets: 2 });


interface Vector<T> extends CodecVector<T> {
  readonly layout: TwampLayout;
}

const senderVectors: Vector<TwampSenderPacket>[] = [
  {
    name: 'open, no padding (twampy, twping -u)',
    layout: open,
    value: { sequence: 42, timestamp: T1, errorEstimate: 0x3fff, padding: new Uint8Array(0) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x2a], // 0-3 Sequence Number = 42
      T1_BYTES, // 4-11 Timestamp (NTP seconds, fraction)
      [0x3f, 0xff], // 12-13 Error Estimate (twampy's 0x3FFF)
    ),
  },
  {
    name: 'open, 27 octets of padding (twping symmetric default)',
    layout: open,
    value: { sequence: 0xffffffff, timestamp: T1, errorEstimate: 0x8001, padding: Uint8Array.from(ramp(27)) },
    bytes: bytes(
      [0xff, 0xff, 0xff, 0xff], // 0-3 Sequence Number = 2^32 - 1
      T1_BYTES, // 4-11 Timestamp
      [0x80, 0x01], // 12-13 Error Estimate: S=1, Scale 0, Multiplier 1
      ramp(27), // 14-40 Packet Padding
    ),
  },
  {
    name: 'authenticated, 4 octets of padding',
    layout: auth,
    value: { sequence: 1, timestamp: T1, errorEstimate: 0x0001, hmac: HMAC, padding: Uint8Array.from([9, 8, 7, 6]) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x01], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T1_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      fill(6), // 26-31 MBZ
      ramp(16, 0xa0), // 32-47 HMAC
      [9, 8, 7, 6], // 48-51 Packet Padding
    ),
  },
  {
    name: 'encrypted, no padding (same offsets as authenticated)',
    layout: encrypted,
    value: { sequence: 7, timestamp: T1, errorEstimate: 0x0001, hmac: HMAC, padding: new Uint8Array(0) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x07], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T1_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      fill(6), // 26-31 MBZ
      ramp(16, 0xa0), // 32-47 HMAC
    ),
  },
  {
    name: 'RFC 6038 Symmetrical Size, open, 3 octets of padding',
    layout: symOpen,
    value: { sequence: 3, timestamp: T1, errorEstimate: 0x0001, padding: Uint8Array.from([1, 2, 3]) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x03], // 0-3 Sequence Number
      T1_BYTES, // 4-11 Timestamp
      [0x00, 0x01], // 12-13 Error Estimate
      fill(27), // 14-40 MBZ (27 octets)
      [1, 2, 3], // 41-43 Packet Padding
    ),
  },
  {
    name: 'RFC 6038 Symmetrical Size, authenticated (decision: 64 MBZ up to the corrected 112)',
    layout: symAuth,
    value: { sequence: 4, timestamp: T1, errorEstimate: 0x0001, hmac: HMAC, padding: Uint8Array.from([0xee]) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x04], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T1_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      fill(6), // 26-31 MBZ
      ramp(16, 0xa0), // 32-47 HMAC
      fill(64), // 48-111 MBZ (112 − 48)
      [0xee], // 112 Packet Padding
    ),
  },
  {
    name: 'RFC 6038 Reflect Octets: the first 2 padding octets are to be reflected',
    layout: reflect2,
    value: { sequence: 5, timestamp: T1, errorEstimate: 0x0001, padding: Uint8Array.from([0xbe, 0xef, 0, 0]) },
    bytes: bytes(
      [0x00, 0x00, 0x00, 0x05], // 0-3 Sequence Number
      T1_BYTES, // 4-11 Timestamp
      [0x00, 0x01], // 12-13 Error Estimate
      [0xbe, 0xef], // 14-15 Padding to be reflected (Server octets first)
      [0, 0], // 16-17 Additional padding
    ),
  },
];

const reflectorBase = {
  sequence: 0,
  timestamp: T3,
  errorEstimate: 0x8001,
  receiveTimestamp: T2,
  senderSequence: 42,
  senderTimestamp: T1,
  senderErrorEstimate: 0x3fff,
} as const;

const OPEN_REFLECTOR_HEAD = [
  [0x00, 0x00, 0x00, 0x00], // 0-3 Sequence Number (reflector's own counter)
  T3_BYTES, // 4-11 Timestamp (T3)
  [0x80, 0x01], // 12-13 Error Estimate
  [0x00, 0x00], // 14-15 MBZ
  T2_BYTES, // 16-23 Receive Timestamp (T2)
  [0x00, 0x00, 0x00, 0x2a], // 24-27 Sender Sequence Number
  T1_BYTES, // 28-35 Sender Timestamp (T1)
  [0x3f, 0xff], // 36-37 Sender Error Estimate
  [0x00, 0x00], // 38-39 MBZ
] as const;

const AUTH_REFLECTOR_HEAD = [
  [0x00, 0x00, 0x00, 0x00], // 0-3 Sequence Number
  fill(12), // 4-15 MBZ
  T3_BYTES, // 16-23 Timestamp
  [0x80, 0x01], // 24-25 Error Estimate
  fill(6), // 26-31 MBZ
  T2_BYTES, // 32-39 Receive Timestamp
  fill(8), // 40-47 MBZ (the octets erratum 5045 adds)
  [0x00, 0x00, 0x00, 0x2a], // 48-51 Sender Sequence Number
  fill(12), // 52-63 MBZ
  T1_BYTES, // 64-71 Sender Timestamp
  [0x3f, 0xff], // 72-73 Sender Error Estimate
  fill(6), // 74-79 MBZ
] as const;

const reflectorVectors: Vector<TwampReflectorPacket>[] = [
  {
    name: 'open, 41-octet base',
    layout: open,
    value: { ...reflectorBase, senderTtl: 255, padding: new Uint8Array(0) },
    bytes: bytes(...OPEN_REFLECTOR_HEAD, [0xff]), // 40 Sender TTL = 255 (unknown)
  },
  {
    name: 'open, 4 octets of padding',
    layout: open,
    value: { ...reflectorBase, senderTtl: 62, padding: Uint8Array.from([1, 2, 3, 4]) },
    bytes: bytes(
      ...OPEN_REFLECTOR_HEAD,
      [62], // 40 Sender TTL
      [1, 2, 3, 4], // 41-44 Packet Padding
    ),
  },
  {
    name: 'RFC 7750 open: S-DSCP-ECN at 41, base 44',
    layout: dscpOpen,
    value: { ...reflectorBase, senderTtl: 64, senderDscpEcn: 0xb9, padding: Uint8Array.from([0x55]) },
    bytes: bytes(
      ...OPEN_REFLECTOR_HEAD,
      [64], // 40 Sender TTL
      [0xb9], // 41 S-DSCP-ECN: DSCP 46 (EF) << 2 | ECN 1
      [0x00, 0x00], // 42-43 MBZ
      [0x55], // 44 Packet Padding
    ),
  },
  {
    name: 'authenticated, 112-octet base (erratum 5045)',
    layout: auth,
    value: { ...reflectorBase, senderTtl: 255, hmac: HMAC, padding: new Uint8Array(0) },
    bytes: bytes(
      ...AUTH_REFLECTOR_HEAD,
      [0xff], // 80 Sender TTL
      fill(15), // 81-95 MBZ
      ramp(16, 0xa0), // 96-111 HMAC
    ),
  },
  {
    name: 'RFC 7750 encrypted: S-DSCP-ECN at 81',
    layout: dscpAuth,
    value: { ...reflectorBase, senderTtl: 1, senderDscpEcn: 0x02, hmac: HMAC, padding: Uint8Array.from([7, 7]) },
    bytes: bytes(
      ...AUTH_REFLECTOR_HEAD,
      [0x01], // 80 Sender TTL
      [0x02], // 81 S-DSCP-ECN: DSCP 0, ECN 2 (ECT(0))
      fill(14), // 82-95 MBZ
      ramp(16, 0xa0), // 96-111 HMAC
      [7, 7], // 112-113 Packet Padding
    ),
  },
  {
    name: 'RFC 6038 Reflect Octets: reflected octets at 41, then additional padding',
    layout: reflect2,
    value: { ...reflectorBase, senderTtl: 255, padding: Uint8Array.from([0xbe, 0xef, 0x00]) },
    bytes: bytes(
      ...OPEN_REFLECTOR_HEAD,
      [0xff], // 40 Sender TTL
      [0xbe, 0xef], // 41-42 Reflected octets (verbatim)
      [0x00], // 43 Additional padding
    ),
  },
];

describe('TWAMP Session-Sender vectors', () => {
  checkVectors(senderVectors, (bytes, v) => decodeTwampSender(bytes, v.layout), (value, v) => encodeTwampSender(value, v.layout));

  it('exposes the octets to reflect', () => {
    const v = senderVectors.at(-1)!;
    expect(Buffer.from(senderReflectOctets(decodeTwampSender(v.bytes, v.layout), v.layout)).toString('hex')).toBe('beef');
  });

  it('rejects packets shorter than the layout base with MalformedInputError', () => {
    expect(() => decodeTwampSender(Buffer.alloc(13), open)).toThrow(MalformedInputError);
    expect(() => decodeTwampSender(Buffer.alloc(47), auth)).toThrow(MalformedInputError);
    expect(() => decodeTwampSender(Buffer.alloc(40), symOpen)).toThrow(MalformedInputError);
    expect(() => decodeTwampSender(Buffer.alloc(111), symAuth)).toThrow(MalformedInputError);
  });

  it('reads but never rejects non-zero MBZ octets (RFC 4656 §3.1)', () => {
    const v = senderVectors[2]!;
    const dirty = Buffer.from(v.bytes);
    dirty.fill(0xff, 4, 16);
    dirty.fill(0xff, 26, 32);
    expect(plain(decodeTwampSender(dirty, v.layout))).toEqual(plain(v.value));
  });
});

describe('TWAMP Session-Reflector vectors', () => {
  checkVectors(reflectorVectors, (bytes, v) => decodeTwampReflector(bytes, v.layout), (value, v) => encodeTwampReflector(value, v.layout));

  it('exposes the reflected octets', () => {
    const v = reflectorVectors.at(-1)!;
    expect(Buffer.from(reflectorReflectedOctets(decodeTwampReflector(v.bytes, v.layout), v.layout)).toString('hex')).toBe('beef');
  });

  it('decodes twampy-style 38-, 39- and 40-octet replies with the TTL unknown', () => {
    const full = reflectorVectors[0]!.bytes;
    for (const length of [38, 39, 40]) {
      const decoded = decodeTwampReflector(full.subarray(0, length), open);
      expect(decoded.senderTtl).toBeNull();
      expect(decoded.senderSequence).toBe(42);
      expect(decoded.senderTimestamp).toEqual(T1);
      expect(decoded.receiveTimestamp).toEqual(T2);
      expect(decoded.padding.length).toBe(0);
      // Re-encoded it becomes a standard 41-octet packet with TTL 255 ("unknown").
      expect(encodeTwampReflector(decoded, open).toString('hex')).toBe(full.toString('hex'));
    }
    expect(() => decodeTwampReflector(full.subarray(0, 37), open)).toThrow(MalformedInputError);
  });

  it('marks S-DSCP-ECN unknown when a tolerated RFC 7750 packet ends before it', () => {
    const full = reflectorVectors[2]!.bytes;
    const decoded = decodeTwampReflector(full.subarray(0, 41), dscpOpen);
    expect(decoded.senderTtl).toBe(64);
    expect(decoded.senderDscpEcn).toBeNull();
    expect(decodeTwampReflector(full.subarray(0, 40), dscpOpen).senderTtl).toBeNull();
  });

  it('never tolerates short authenticated replies', () => {
    expect(() => decodeTwampReflector(Buffer.alloc(111), auth)).toThrow(MalformedInputError);
  });

  it('writes into a reused buffer at an offset, zeroing stale MBZ octets', () => {
    const v = reflectorVectors[3]!;
    const target = Buffer.alloc(10 + v.bytes.length, 0xcc);
    expect(writeTwampReflector(v.value, v.layout, target, 10)).toBe(v.bytes.length);
    expect(target.subarray(10).toString('hex')).toBe(v.bytes.toString('hex'));
    expect(() => writeTwampReflector(v.value, v.layout, Buffer.alloc(100))).toThrow(RangeError);
  });
});

describe('layouts', () => {
  it('maps TWAMP-Modes to the layout (Mixed uses the open formats)', () => {
    expect(twampLayoutFromModes(Mode.Mixed).security).toBe('open');
    expect(twampLayoutFromModes(Mode.Authenticated).reflector.padding).toBe(112);
    const all = twampLayoutFromModes(Mode.Encrypted | Mode.SymmetricalSize | Mode.DscpEcnMonitoring | Mode.ReflectOctets, 4);
    expect(all).toMatchObject({ security: 'encrypted', symmetricalSize: true, dscpEcnMonitoring: true, reflectOctets: 4 });
    expect(all.sender.padding).toBe(112);
    expect(all.reflector.senderDscpEcn).toBe(81);
    // Reflect octets count only when the mode bit was negotiated.
    expect(twampLayoutFromModes(Mode.Unauthenticated, 4).reflectOctets).toBe(0);
    expect(twampLayoutFromModes(Mode.Unauthenticated | Mode.DscpEcnMonitoring | Mode.SymmetricalSize).sender.padding).toBe(41);
  });

  it('rejects an impossible reflect length', () => {
    expect(() => twampLayout({ security: 'open', reflectOctets: -1 })).toThrow(RangeError);
    expect(() => twampLayout({ security: 'open', reflectOctets: 65536 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const layouts = [open, auth, encrypted, symOpen, symAuth, dscpOpen, dscpAuth, reflect2];
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const ts = fc.record({ seconds: u32, fraction: u32 });
const octets = (max: number) => fc.uint8Array({ maxLength: max });
const hmac = fc.uint8Array({ minLength: 16, maxLength: 16 });
const layout = fc.constantFrom(...layouts);

function senderArb(l: TwampLayout): fc.Arbitrary<TwampSenderPacket> {
  const base = { sequence: u32, timestamp: ts, errorEstimate: u16, padding: octets(200) };
  return l.sender.hmac >= 0 ? fc.record({ ...base, hmac }) : fc.record(base);
}

function reflectorArb(l: TwampLayout): fc.Arbitrary<TwampReflectorPacket> {
  const base = {
    sequence: u32,
    timestamp: ts,
    errorEstimate: u16,
    receiveTimestamp: ts,
    senderSequence: u32,
    senderTimestamp: ts,
    senderErrorEstimate: u16,
    senderTtl: u8,
    padding: octets(200),
  };
  const withDscp = l.reflector.senderDscpEcn >= 0 ? { ...base, senderDscpEcn: u8 } : base;
  return l.reflector.hmac >= 0 ? fc.record({ ...withDscp, hmac }) : fc.record(withDscp);
}

describe('TWAMP codec properties', () => {
  it('sender: decode(encode(v)) = v and the length is base + padding', () => {
    fc.assert(
      fc.property(layout.chain((l) => fc.tuple(fc.constant(l), senderArb(l))), ([l, v]) => {
        const encoded = encodeTwampSender(v, l);
        expect(encoded.length).toBe(l.sender.padding + v.padding.length);
        expect(plain(decodeTwampSender(encoded, l))).toEqual(plain(v));
      }),
      { numRuns: 400 },
    );
  });

  it('reflector: decode(encode(v)) = v and the length is base + padding', () => {
    fc.assert(
      fc.property(layout.chain((l) => fc.tuple(fc.constant(l), reflectorArb(l))), ([l, v]) => {
        const encoded = encodeTwampReflector(v, l);
        expect(encoded.length).toBe(l.reflector.padding + v.padding.length);
        expect(plain(decodeTwampReflector(encoded, l))).toEqual(plain(v));
      }),
      { numRuns: 400 },
    );
  });

  it('sender: encode(decode(b)) = b once MBZ octets are zero', () => {
    fc.assert(
      fc.property(layout, fc.uint8Array({ minLength: 112, maxLength: 300 }), (l, raw) => {
        const canonical = encodeTwampSender(decodeTwampSender(Buffer.from(raw), l), l);
        expect(encodeTwampSender(decodeTwampSender(canonical, l), l).toString('hex')).toBe(canonical.toString('hex'));
      }),
      { numRuns: 300 },
    );
  });
});
