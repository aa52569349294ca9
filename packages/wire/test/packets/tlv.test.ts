import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyReflectorTlvFlags,
  decodeLocationSubTlv,
  decodeStampTlvs,
  decodeTlvArea,
  encodeLocationSubTlv,
  encodeStampTlv,
  encodeStampTlvs,
  encodeTlvArea,
  fillClassOfService,
  fillDirectMeasurement,
  fillFollowUpTelemetry,
  fillTimestampInformation,
  isValidAccessId,
  type LocationSubTlv,
  malformedTlvFlags,
  reflectedTlvDisposition,
  reflectedTlvFlags,
  SENDER_TLV_FLAGS,
  type StampTlv,
  TlvFlag,
  tlvEnd,
  TlvStep,
  TlvWalker,
  TlvType,
  understoodTlvTypes,
  writeTlv,
} from '../../src/packets/index.js';
import { thrown } from '../support/thrown.js';
import { bytes, fill, plain } from './helpers.js';
import { TLV_VECTORS, type TlvVector } from './tlv-vectors.js';

const U = TlvFlag.Unrecognized;
// Every type's vectors, checked both ways in tlv-table.test.ts; here they make areas.
const vectors: TlvVector[] = Object.values(TLV_VECTORS).flat();

describe('typed TLV areas', () => {
  for (const v of vectors) {
    it(`round-trips: ${v.name}`, () => {
      expect(encodeStampTlvs(decodeStampTlvs(v.bytes)).toString('hex')).toBe(v.bytes.toString('hex'));
    });
  }

  it('decodes a whole area in order', () => {
    const area = Buffer.concat(vectors.map((v) => v.bytes));
    expect(plain(decodeStampTlvs(area))).toEqual(plain(vectors.map((v) => v.value)));
  });

  it('rejects a known type with the wrong Length, naming where it is', () => {
    const cases: [number, number][] = [[4, 3], [4, 5], [5, 11], [6, 8], [7, 15], [8, 32], [3, 3], [2, 3]];
    for (const [type, length] of cases) {
      const tlv = bytes([0x80, type], [length >> 8, length & 0xff], fill(length));
      const error = thrown(() => decodeStampTlvs(Buffer.concat([bytes([0, 1, 0, 0]), tlv]), 44), MalformedInputError);
      expect(error.offset).toBe(44 + 4 + 2);
    }
  });

  it('rejects a Location TLV whose sub-TLVs overrun it or have a bad Length', () => {
    expect(() => decodeStampTlvs(bytes([0, 2, 0, 6], [0, 0, 0, 0], [0, 1]))).toThrow(MalformedInputError);
    expect(() => decodeStampTlvs(bytes([0, 2, 0, 12], [0, 0, 0, 0], [0, 5, 0, 4], [1, 2, 3, 4]))).toThrow(MalformedInputError);
  });

  it('rejects a truncated area strictly', () => {
    expect(() => decodeStampTlvs(bytes([0x80, 1, 0, 5], [0, 0]), 44)).toThrow(MalformedInputError);
  });

  it('checks field ranges when encoding', () => {
    expect(() => encodeStampTlv({ kind: 'class-of-service', flags: 0, dscp1: 64, dscp2: 0, ecn: 0, rp: 0 })).toThrow(RangeError);
    expect(() => encodeStampTlv({ kind: 'access-report', flags: 0, accessId: 16, returnCode: 0 })).toThrow(RangeError);
    expect(() => encodeStampTlv({ kind: 'hmac', flags: 0, hmac: new Uint8Array(15) })).toThrow(RangeError);
    expect(() => encodeLocationSubTlv({ kind: 'source-ipv4-address', flags: 0, address: new Uint8Array(16) })).toThrow(RangeError);
    expect(() => writeTlv(new Uint8Array(5), 0, { flags: 0, type: 1, value: new Uint8Array(2) })).toThrow(RangeError);
    expect(() => writeTlv(new Uint8Array(70_000), 0, { flags: 0, type: 1, value: new Uint8Array(65_536) })).toThrow(RangeError);
  });

  it('knows the valid Access IDs (RFC 8972 §4.6)', () => {
    expect([0, 1, 2, 3, 15].map(isValidAccessId)).toEqual([false, true, true, false, false]);
  });
});

describe('generic TLV walking', () => {
  it('reports a malformed TLV by position instead of throwing', () => {
    const area = bytes(
      [0x80, 0x01, 0x00, 0x01, 0xaa], // a good Extra Padding TLV (5 octets)
      [0x80, 0xfe, 0xff, 0xff, 0x00], // Length 65535 but only 1 octet follows
    );
    const walk = decodeTlvArea(area);
    expect(walk.malformedAt).toBe(5);
    expect(walk.tlvs).toHaveLength(1);
    expect(decodeTlvArea(bytes([0x80, 0x01, 0x00])).malformedAt).toBe(0);
    expect(decodeTlvArea(new Uint8Array(0))).toEqual({ tlvs: [], malformedAt: -1 });
  });

  it('tlvEnd reads only inside [offset, end)', () => {
    const area = bytes([0x80, 0x01, 0x00, 0x02, 0xaa, 0xbb, 0xcc]);
    expect(tlvEnd(area, 0, 6)).toBe(6);
    expect(tlvEnd(area, 0, 5)).toBe(-1);
    expect(tlvEnd(area, 4, 7)).toBe(-1);
  });

  it('values are views into the area (no copy, no allocation by Length)', () => {
    const area = bytes([0x80, 0x01, 0x00, 0x02, 0xaa, 0xbb]);
    const tlv = decodeTlvArea(area).tlvs[0]!;
    expect(tlv.value.buffer).toBe(area.buffer);
  });

  it('round-trips raw TLVs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ flags: fc.integer({ min: 0, max: 255 }), type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 8 }),
        (tlvs) => {
          const area = encodeTlvArea(tlvs);
          const walk = decodeTlvArea(area);
          expect(walk.malformedAt).toBe(-1);
          expect(plain(walk.tlvs)).toEqual(plain(tlvs));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('TlvWalker (the allocation-free walk)', () => {
  it('steps through each TLV as numbers, then ends', () => {
    const area = bytes([9, 9], [0x80, 0x01, 0x00, 0x01, 0xaa], [0x00, 0x04, 0x00, 0x04, 1, 2, 3, 4], [7]);
    const w = new TlvWalker().start(area, 2, area.length - 1);
    expect(w.step()).toBe(TlvStep.Tlv);
    expect([w.offset, w.flags, w.type, w.length, w.value, w.end]).toEqual([2, 0x80, 1, 1, 6, 7]);
    expect(w.step()).toBe(TlvStep.Tlv);
    expect([w.offset, w.flags, w.type, w.length, w.value, w.end]).toEqual([7, 0x00, 4, 4, 11, 15]);
    expect(w.step()).toBe(TlvStep.End);
    expect(w.offset).toBe(15);
    expect(w.step()).toBe(TlvStep.End);
  });

  it('reports a cut header or an overlong Length as Malformed at its offset, reading nothing past the end', () => {
    const w = new TlvWalker();
    const cut = bytes([0x80, 0x01, 0x00, 0x00], [0x80, 0x05, 0x00]);
    w.start(cut, 0, cut.length);
    expect(w.step()).toBe(TlvStep.Tlv);
    expect(w.step()).toBe(TlvStep.Malformed);
    expect([w.offset, w.flags, w.type]).toEqual([4, 0x80, 5]);
    const long = bytes([0x80, 0x01, 0x00, 0x09], [0, 0], [0xff, 0xff]);
    // `end` stops the walk before octets that are in the buffer but not in the area.
    w.start(long, 0, 6);
    expect(w.step()).toBe(TlvStep.Malformed);
    expect([w.offset, w.length]).toEqual([0, 9]);
    w.start(long, 0, 100);
    expect(w.step()).toBe(TlvStep.Malformed);
    expect(w.end).toBe(long.length);
  });

  it('agrees with decodeTlvArea on random areas', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (area) => {
        const walk = decodeTlvArea(area);
        const w = new TlvWalker().start(area, 0, area.length);
        const seen: string[] = [];
        let step: TlvStep;
        while ((step = w.step()) === TlvStep.Tlv) seen.push(`${w.flags}/${w.type}/${Buffer.from(area.subarray(w.value, w.end)).toString('hex')}`);
        expect(seen).toEqual(walk.tlvs.map((t) => `${t.flags}/${t.type}/${Buffer.from(t.value).toString('hex')}`));
        expect(step === TlvStep.Malformed ? w.offset : -1).toBe(walk.malformedAt);
      }),
      { numRuns: 500 },
    );
  });
});

describe('flag rules (RFC 8972 §4)', () => {
  it('the sender sets U only; the reflector sets U only on types it did not understand', () => {
    expect(SENDER_TLV_FLAGS).toBe(0x80);
    expect(reflectedTlvFlags(true, false)).toBe(0x00);
    expect(reflectedTlvFlags(false, false)).toBe(0x80);
    expect(reflectedTlvFlags(true, true)).toBe(0x20);
    expect(reflectedTlvFlags(false, true)).toBe(0xa0);
    expect(malformedTlvFlags(0x80, false)).toBe(0xc0);
    expect(malformedTlvFlags(0x00, true)).toBe(0x60);
  });

  it('tells the sender what to do with a reflected TLV', () => {
    expect(reflectedTlvDisposition(0x00)).toBe('use');
    expect(reflectedTlvDisposition(0x80)).toBe('skip');
    expect(reflectedTlvDisposition(0xc0)).toBe('stop');
    expect(reflectedTlvDisposition(0xe0)).toBe('discard');
  });

  it('applies in place: understood U=0, unknown U=1, malformed M and the rest verbatim', () => {
    const area = bytes(
      [0x80, 0x01, 0x00, 0x01, 0xaa], // 0: Extra Padding (understood by default)
      [0x00, 0xfa, 0x00, 0x00], // 5: unknown 250, sender sent U = 0 (stamp-suite does)
      [0x80, 0x04, 0x00, 0x02, 0x01, 0x02], // 9: CoS with Length 2: malformed once CoS is understood
      [0x80, 0x01, 0x00, 0x00], // 15: left verbatim after the malformed TLV
    );
    const understood = understoodTlvTypes([TlvType.ExtraPadding, TlvType.Hmac, TlvType.ClassOfService]);
    const copy = Buffer.from(area);
    expect(applyReflectorTlvFlags(copy, 0, copy.length, understood, false)).toBe(9);
    expect(copy.toString('hex')).toBe(bytes(
      [0x00, 0x01, 0x00, 0x01, 0xaa],
      [0x80, 0xfa, 0x00, 0x00],
      [0xc0, 0x04, 0x00, 0x02, 0x01, 0x02],
      [0x80, 0x01, 0x00, 0x00],
    ).toString('hex'));
  });

  it('sets I on every TLV when the HMAC failed', () => {
    const area = bytes([0x80, 0x01, 0x00, 0x00], [0x80, 0xfa, 0x00, 0x00], [0x80, 0x08, 0x00, 0x10], fill(16));
    expect(applyReflectorTlvFlags(area, 0, area.length, understoodTlvTypes(), true)).toBe(-1);
    expect([area[0], area[4], area[8]]).toEqual([0x20, 0xa0, 0x20]);
  });

  it('marks a TLV cut short by the end of the area', () => {
    const area = bytes([0x80, 0x01, 0x00, 0x00], [0x80, 0x01, 0x00, 0x09, 0x00]);
    expect(applyReflectorTlvFlags(area, 0, area.length, understoodTlvTypes(), false)).toBe(4);
    expect([area[0], area[4]]).toEqual([0x00, 0xc0]);
    const stub = bytes([0x00, 0x01]);
    expect(applyReflectorTlvFlags(stub, 0, 2, understoodTlvTypes(), false)).toBe(0);
    expect(stub[0]).toBe(0x40);
  });
});

describe('in-place reflector writers', () => {
  it('fills Class of Service with the received DSCP/ECN, keeping DSCP1', () => {
    const tlv = encodeTlvArea([encodeStampTlv({ kind: 'class-of-service', flags: U, dscp1: 46, dscp2: 0, ecn: 0, rp: 0 })]);
    fillClassOfService(tlv, 4, (34 << 2) | 1, true);
    expect(plain(decodeStampTlvs(tlv))).toEqual(plain([{ kind: 'class-of-service', flags: U, dscp1: 46, dscp2: 34, ecn: 1, rp: 1 }]));
  });

  it('fills Timestamp Information, Direct Measurement and Follow-Up Telemetry', () => {
    const area = encodeStampTlvs([
      { kind: 'timestamp-information', flags: U, syncSourceIn: 0, timestampIn: 0, syncSourceOut: 0, timestampOut: 0, subTlvs: new Uint8Array(0) },
      { kind: 'direct-measurement', flags: U, senderTxCount: 5, reflectorRxCount: 0, reflectorTxCount: 0 },
      { kind: 'follow-up-telemetry', flags: U, sequence: 0, timestamp: { seconds: 0, fraction: 0 }, timestampMethod: 0 },
    ]);
    fillTimestampInformation(area, 4, 1, 2, 1, 2);
    fillDirectMeasurement(area, 8 + 4, 5, 4);
    area[24 + 4 + 13] = 0xff; // stale reserved octet: must be zeroed
    fillFollowUpTelemetry(area, 24 + 4, 3, 10, 20, 2);
    expect(plain(decodeStampTlvs(area))).toEqual(plain([
      { kind: 'timestamp-information', flags: U, syncSourceIn: 1, timestampIn: 2, syncSourceOut: 1, timestampOut: 2, subTlvs: new Uint8Array(0) },
      { kind: 'direct-measurement', flags: U, senderTxCount: 5, reflectorRxCount: 5, reflectorTxCount: 4 },
      { kind: 'follow-up-telemetry', flags: U, sequence: 3, timestamp: { seconds: 10, fraction: 20 }, timestampMethod: 2 },
    ]));
    expect(area[24 + 4 + 13]).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: every typed codec round-trips

const u8 = fc.integer({ min: 0, max: 0xff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const flags = u8;
const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const subTlvArb: fc.Arbitrary<LocationSubTlv> = fc.oneof(
  fc.record({ kind: fc.constantFrom('source-mac-address', 'destination-ip-address', 'source-ip-address'), flags }),
  fc.record({ kind: fc.constant('source-eui48-address'), flags, address: bytesN(6) }),
  fc.record({ kind: fc.constant('source-eui64-address'), flags, address: bytesN(8) }),
  fc.record({ kind: fc.constantFrom('destination-ipv4-address', 'source-ipv4-address'), flags, address: bytesN(4) }),
  fc.record({ kind: fc.constantFrom('destination-ipv6-address', 'source-ipv6-address'), flags, address: bytesN(16) }),
  fc.record({ kind: fc.constant('unknown'), flags, type: fc.integer({ min: 10, max: 255 }), value: fc.uint8Array({ maxLength: 20 }) }),
);

const tlvArb: fc.Arbitrary<StampTlv> = fc.oneof(
  fc.record({ kind: fc.constant('extra-padding'), flags, padding: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({
    kind: fc.constant('location'), flags, destinationPort: fc.integer({ min: 0, max: 0xffff }),
    sourcePort: fc.integer({ min: 0, max: 0xffff }), subTlvs: fc.array(subTlvArb, { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('timestamp-information'), flags, syncSourceIn: u8, timestampIn: u8, syncSourceOut: u8,
    timestampOut: u8, subTlvs: fc.uint8Array({ maxLength: 12 }),
  }),
  fc.record({
    kind: fc.constant('class-of-service'), flags, dscp1: fc.integer({ min: 0, max: 63 }), dscp2: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }), rp: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant('direct-measurement'), flags, senderTxCount: u32, reflectorRxCount: u32, reflectorTxCount: u32 }),
  fc.record({ kind: fc.constant('access-report'), flags, accessId: fc.integer({ min: 0, max: 15 }), returnCode: u8 }),
  fc.record({
    kind: fc.constant('follow-up-telemetry'), flags, sequence: u32, timestamp: fc.record({ seconds: u32, fraction: u32 }),
    timestampMethod: u8,
  }),
  fc.record({ kind: fc.constant('hmac'), flags, hmac: bytesN(16) }),
  fc.record({ kind: fc.constant('unknown'), flags, type: fc.integer({ min: 12, max: 255 }), value: fc.uint8Array({ maxLength: 40 }) }),
);

describe('typed TLV properties', () => {
  it('decodeStampTlvs(encodeStampTlvs(tlvs)) = tlvs', () => {
    fc.assert(
      fc.property(fc.array(tlvArb, { maxLength: 6 }), (tlvs) => {
        expect(plain(decodeStampTlvs(encodeStampTlvs(tlvs)))).toEqual(plain(tlvs));
      }),
      { numRuns: 500 },
    );
  });

  it('Location sub-TLVs round-trip on their own', () => {
    fc.assert(
      fc.property(subTlvArb, (sub) => {
        expect(plain(decodeLocationSubTlv(encodeLocationSubTlv(sub)))).toEqual(plain(sub));
      }),
      { numRuns: 300 },
    );
  });
});
