import { ConfigError, MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTypeP,
  Dscp,
  encodeTypeP,
  readTypeP,
  TYPE_P_BEST_EFFORT,
  type TypeP,
  typePForDscp,
  type TypePRequest,
} from '../../src/values/index.js';
import { bytes, fuzzDecoder, toHex, truncated } from './helpers.js';

/*
 * Each row: a Type-P Descriptor and its 4 octets (Request-TW-Session octets 84-87; RFC 4656 §3.5):
 * bits 31-30 the form (00 = DSCP, 01 = PHB ID); form 00: bits 29-24 DSCP, bits 23-0 zero;
 * form 01: bits 29-14 PHB ID (RFC 2836), bits 13-0 zero.
 */
const VECTORS: readonly { name: string; value: TypePRequest; bytes: string }[] = [
  { name: 'best effort (all zeros)', value: { kind: 'dscp', dscp: 0 }, bytes: '00000000' },
  { name: 'EF (46)', value: { kind: 'dscp', dscp: Dscp.EF }, bytes: '2e000000' },
  { name: 'AF41 (34)', value: { kind: 'dscp', dscp: Dscp.AF41 }, bytes: '22000000' },
  { name: 'DSCP 10, as RFC 4656 places it', value: { kind: 'dscp', dscp: 10 }, bytes: '0a000000' },
  { name: 'CS7 (56)', value: { kind: 'dscp', dscp: Dscp.CS7 }, bytes: '38000000' },
  { name: 'DSCP 63', value: { kind: 'dscp', dscp: 63 }, bytes: '3f000000' },
  { name: 'PHB ID 0', value: { kind: 'phb-id', phbId: 0 }, bytes: '40000000' },
  { name: 'PHB ID of EF (DSCP left-justified, RFC 3140)', value: { kind: 'phb-id', phbId: 0xb800 }, bytes: '6e000000' },
  { name: 'PHB ID 0xFFFF', value: { kind: 'phb-id', phbId: 0xffff }, bytes: '7fffc000' },
];

describe('Type-P Descriptor vectors', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const wire = bytes(vector.bytes);
      expect(readTypeP(wire, 0)).toEqual(vector.value);
      const encoded = Buffer.alloc(4);
      encoded.writeUInt32BE(encodeTypeP(vector.value));
      expect(toHex(encoded)).toBe(vector.bytes);
      expect(decodeTypeP(encoded.readUInt32BE(0))).toEqual(vector.value);
    });
  }

  it('has shorthands for the common case', () => {
    expect(TYPE_P_BEST_EFFORT).toBe(0);
    expect(typePForDscp(Dscp.EF)).toBe(0x2e00_0000);
  });
});

describe('descriptors a server answers with Accept 3', () => {
  const UNSUPPORTED: readonly { name: string; bytes: string; reason: string }[] = [
    { name: 'leading bits 10', bytes: '80000000', reason: 'leading bits 10 are not defined' },
    { name: 'leading bits 11', bytes: 'c0000000', reason: 'leading bits 11 are not defined' },
    { name: 'twping\'s tos << 22 with ECN bits set (EF, ECT(1))', bytes: '2e400000', reason: 'bits after the DSCP are not zero' },
    { name: 'DSCP 10 written as 0x00280000 (ncode/twamp)', bytes: '00280000', reason: 'bits after the DSCP are not zero' },
    { name: 'low bits after a PHB ID', bytes: '40000001', reason: 'bits after the PHB ID are not zero' },
  ];
  for (const row of UNSUPPORTED) {
    it(row.name, () => {
      const raw = bytes(row.bytes).readUInt32BE(0);
      expect(decodeTypeP(raw)).toEqual({ kind: 'unsupported', raw, reason: row.reason });
    });
  }
});

describe('Type-P errors', () => {
  it('refuses requests that do not fit', () => {
    expect(() => encodeTypeP({ kind: 'dscp', dscp: 64 })).toThrow(ConfigError);
    expect(() => encodeTypeP({ kind: 'dscp', dscp: -1 })).toThrow(ConfigError);
    expect(() => encodeTypeP({ kind: 'phb-id', phbId: 0x1_0000 })).toThrow(ConfigError);
    expect(() => encodeTypeP({ kind: 'phb-id', phbId: 0.5 })).toThrow(ConfigError);
  });

  it('refuses raw values that are not 32 bits, and truncated fields', () => {
    for (const raw of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(() => decodeTypeP(raw)).toThrow(MalformedInputError);
    }
    expect(() => readTypeP(bytes('2e0000'), 0)).toThrow(MalformedInputError);
  });
});

describe('Type-P properties', () => {
  it('round-trips every DSCP and every PHB ID (exhaustive)', () => {
    for (let dscp = 0; dscp <= 63; dscp += 1) {
      expect(decodeTypeP(encodeTypeP({ kind: 'dscp', dscp }))).toEqual({ kind: 'dscp', dscp });
    }
    for (let phbId = 0; phbId <= 0xffff; phbId += 1) {
      const decoded = decodeTypeP(encodeTypeP({ kind: 'phb-id', phbId }));
      if (decoded.kind !== 'phb-id' || decoded.phbId !== phbId) {
        expect.fail(`PHB ID ${phbId} came back as ${JSON.stringify(decoded)}`);
      }
    }
  });

  it('decodes any 32-bit value; what it accepts re-encodes to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (raw) => {
        const decoded: TypeP = decodeTypeP(raw);
        return decoded.kind === 'unsupported' ? decoded.raw === raw : encodeTypeP(decoded) === raw;
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('random and truncated input', () => {
  it('readTypeP throws only MalformedInputError, exactly when fewer than 4 octets remain', () => {
    fuzzDecoder({
      maxLength: 12,
      decode: (input, offset) => readTypeP(input, offset, 'fuzz', 'Type-P Descriptor'),
      failsWhen: (input, offset) => truncated(input, offset, 4),
      check: (typeP, input, offset) => {
        const raw = input.readUInt32BE(offset);
        const same = typeP.kind === 'unsupported' ? typeP.raw === raw : encodeTypeP(typeP) === raw;
        if (!same) throw new Error(`0x${raw.toString(16)} decoded as ${JSON.stringify(typeP)}`);
      },
    });
  });
});
