import { MalformedInputError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { decodeLocationSubTlv, decodeStampTlv, decodeStampTlvs, decodeTlvArea } from '../../src/packets/index.js';
import { Rng } from './helpers.js';
import { CASES, fuzz, input } from './fuzz-support.js';

describe('fuzz: TLV decoders', () => {
  fuzz('decodeStampTlvs', (b) => decodeStampTlvs(b.subarray(b.length > 44 ? 44 : 0)), 5);
  fuzz('decodeStampTlv', (b) => {
    const walk = decodeTlvArea(b);
    for (const tlv of walk.tlvs) {
      decodeStampTlv(tlv);
    }
    if (walk.malformedAt >= 0) {
      throw new MalformedInputError({ what: 'test', field: 'area', offset: walk.malformedAt, reason: 'expected' });
    }
  }, 6);
  fuzz('decodeLocationSubTlv', (b) => {
    // Treat the input as a Location sub-TLV area.
    const walk = decodeTlvArea(b);
    for (const sub of walk.tlvs) {
      decodeLocationSubTlv(sub);
    }
    if (walk.tlvs.length === 0) {
      throw new MalformedInputError({ what: 'test', field: 'area', offset: 0, reason: 'empty' });
    }
  }, 7);

  it(`decodeTlvArea: ${CASES} cases, never throws, values inside the area, nothing copied`, () => {
    const rng = new Rng(8);
    const backing = Buffer.alloc(600);
    let malformedSeen = 0;
    for (let i = 0; i < CASES; i++) {
      // The area is a window in a larger buffer; octets around it must not influence the walk.
      const start = rng.below(40);
      backing.fill(rng.next() & 0xff);
      const area = input(rng, backing.subarray(start, start + 512));
      const walk = decodeTlvArea(area);
      let covered = 0;
      for (const tlv of walk.tlvs) {
        if (tlv.value.buffer !== area.buffer) {
          throw new Error('value was copied');
        }
        const from = tlv.value.byteOffset - area.byteOffset;
        if (from < 4 || from + tlv.value.length > area.length) {
          throw new Error(`value [${from}, ${from + tlv.value.length}) outside the area of ${area.length}`);
        }
        covered += 4 + tlv.value.length;
      }
      // The TLVs found tile the area up to the malformed one (or the end).
      if (covered !== (walk.malformedAt < 0 ? area.length : walk.malformedAt)) {
        throw new Error(`TLVs cover ${covered} octets of ${area.length}, malformed at ${walk.malformedAt}`);
      }
      if (walk.malformedAt >= 0) {
        malformedSeen++;
      }
    }
    expect(malformedSeen).toBeGreaterThan(0);
  });
});
