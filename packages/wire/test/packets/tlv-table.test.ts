// The STAMP TLV table, checked against its vectors: every spec has rows, every row decodes to its
// value and encodes to its bytes (byte-exact), and what derives from the table (TlvType, the length
// rules, the sender names, the docs) agrees with the modules.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeStampTlv,
  decodeTlvArea,
  encodeStampTlvs,
  isValidTlvLength,
  ReflectorSupport,
  reflectorUnderstoodTlvTypes,
  SENDER_TLV_FLAGS,
  SENDER_TLV_NAMES,
  senderTlvListMarkdown,
  senderTlvName,
  senderTlvRequest,
  senderTlvValue,
  type StampTlvKind,
  TLV_SPEC_LIST,
  tlvSpecOfKind,
  tlvSpecOfType,
  tlvTableMarkdown,
  TlvType,
} from '../../src/packets/index.js';
import { plain } from './helpers.js';
import { TLV_VECTORS, type TlvVector } from './tlv-vectors.js';

function vectorsOf(kind: string): readonly TlvVector[] {
  return (TLV_VECTORS as Partial<Record<string, readonly TlvVector[]>>)[kind] ?? [];
}

function only(area: Buffer): ReturnType<typeof decodeTlvArea>['tlvs'][number] {
  const walk = decodeTlvArea(area);
  expect(walk.malformedAt).toBe(-1);
  expect(walk.tlvs).toHaveLength(1);
  return walk.tlvs[0]!;
}

describe('every TLV spec with its vectors', () => {
  const rows: { readonly kind: string; readonly type: number | undefined }[] = [...TLV_SPEC_LIST.map((s) => ({ kind: s.kind, type: s.type })), { kind: 'unknown', type: undefined }];
  for (const spec of rows) {
    describe(`${spec.kind}${spec.type === undefined ? '' : ` (type ${spec.type})`}`, () => {
      const vectors = vectorsOf(spec.kind);
      it('has vectors (add them to test/packets/tlv-vectors.ts)', () => {
        expect(vectors.length).toBeGreaterThan(0);
      });
      for (const v of vectors) {
        it(`decodes: ${v.name}`, () => {
          expect(v.value.kind).toBe(spec.kind);
          if (spec.type !== undefined) expect(v.bytes[1]).toBe(spec.type);
          expect(plain(decodeStampTlv(only(v.bytes)))).toEqual(plain(v.value));
        });
        it(`encodes: ${v.name}`, () => {
          expect(encodeStampTlvs([v.value]).toString('hex')).toBe(v.bytes.toString('hex'));
        });
        if (spec.type !== undefined) {
          it(`its Length is valid: ${v.name}`, () => {
            expect(isValidTlvLength(spec.type!, v.bytes.length - 4)).toBe(true);
          });
        }
      }
    });
  }

  it('no vectors for kinds the table does not have', () => {
    const kinds = new Set<string>([...TLV_SPEC_LIST.map((s) => s.kind), 'unknown']);
    expect(Object.keys(TLV_VECTORS).filter((kind) => !kinds.has(kind))).toEqual([]);
  });
});

describe('what derives from the table', () => {
  it('TlvType has one entry per spec, type by key', () => {
    expect(TlvType).toEqual(Object.fromEntries(TLV_SPEC_LIST.map((s) => [s.key, s.type])));
    // The values other code and docs use (RFC 8972 §5.1, RFC 9503, RFC 9534).
    expect([TlvType.ExtraPadding, TlvType.Location, TlvType.TimestampInformation, TlvType.ClassOfService, TlvType.DirectMeasurement,
      TlvType.AccessReport, TlvType.FollowUpTelemetry, TlvType.Hmac, TlvType.DestinationNodeAddress, TlvType.ReturnPath,
      TlvType.MicroSessionId]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('looks specs up by type and kind; reserved and unassigned types have none', () => {
    for (const spec of TLV_SPEC_LIST) {
      expect(tlvSpecOfType(spec.type)).toBe(spec);
      expect(tlvSpecOfKind(spec.kind)).toBe(spec);
    }
    expect([0, 12, 200, 255].map(tlvSpecOfType)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('length rules: each spec rejects a neighbour of its valid lengths, unknown types accept anything', () => {
    const wrong: Partial<Record<StampTlvKind, number[]>> = {
      location: [0, 3], 'timestamp-information': [3], 'class-of-service': [3, 5], 'direct-measurement': [11, 13],
      'access-report': [8], 'follow-up-telemetry': [15], hmac: [32], 'destination-node-address': [0, 8], 'micro-session-id': [2],
    };
    for (const [kind, lengths] of Object.entries(wrong)) {
      const spec = tlvSpecOfKind(kind)!;
      for (const length of lengths) expect(isValidTlvLength(spec.type, length), `${kind} ${length}`).toBe(false);
    }
    expect(isValidTlvLength(250, 0)).toBe(true);
  });

  it('sender names: what --tlv can ask for, with its aliases and values', () => {
    expect(SENDER_TLV_NAMES).toEqual(['class-of-service', 'timestamp-info', 'location', 'direct-measurement']);
    expect(['COS', 'timestamp-information', ' location ', 'hmac', 'nope'].map(senderTlvName)).toEqual(['class-of-service', 'timestamp-info', 'location', undefined, undefined]);
    expect(SENDER_TLV_NAMES.map(senderTlvValue)).toEqual(['dscp', undefined, undefined, undefined]);
  });

  it('sender requests encode, carry the flags and ask with zeros (and the generic Location sub-TLVs)', () => {
    const requests = SENDER_TLV_NAMES.map((name) => senderTlvRequest(name, { flags: SENDER_TLV_FLAGS, dscp1: 34 }));
    expect(requests.map((tlv) => tlv.kind)).toEqual(['class-of-service', 'timestamp-information', 'location', 'direct-measurement']);
    expect(encodeStampTlvs(requests).toString('hex')).toBe([
      '80040004' + '88000000', // DSCP1 34 = 100010, then DSCP2, ECN, RP and Reserved zero
      '80030004' + '00000000',
      '8002002c' + '00000000' + '80040010' + '00'.repeat(16) + '80070010' + '00'.repeat(16),
      '8005000c' + '00'.repeat(12),
    ].join(''));
  });

  it('the reflector understands what the specs say (HMAC only with a key)', () => {
    const understood = (withKey: boolean): number[] => [...reflectorUnderstoodTlvTypes(withKey).entries()].filter(([, v]) => v === 1).map(([t]) => t);
    expect(understood(false)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(understood(true)).toEqual([1, 2, 3, 4, 5, 6, 8]);
    for (const spec of TLV_SPEC_LIST) {
      if (spec.reflector === ReflectorSupport.NotUnderstood) expect(spec.fill, spec.kind).toBeUndefined();
    }
  });

  it('the README embeds the generated TLV table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(tlvTableMarkdown());
  });

  it("docs/usage.md embeds the generated --tlv list", () => {
    const usage = readFileSync(new URL('../../../../docs/usage.md', import.meta.url), 'utf8');
    expect(usage).toContain(senderTlvListMarkdown());
  });
});
