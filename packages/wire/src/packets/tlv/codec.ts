// Typed TLVs over the table: decode a RawTlv (or a whole area) into StampTlv objects and back. For
// tools, tests and the control of a run; the per-packet paths use the walker and the fills instead.
import { malformed } from '../../bytes.js';
import { decodeTlvArea, encodeTlvArea, type RawTlv, TLV_HEADER_LENGTH } from './area.js';
import { TLV_WHAT } from './spec.js';
import { decodeStampTlvValue, encodeStampTlvValue, type StampTlv } from './table.js';

/**
 * Decode one TLV. `offset` is where the TLV starts in its packet, used only for error positions.
 * Unknown types stay raw (`kind: 'unknown'`). Only MalformedInputError escapes.
 */
export function decodeStampTlv(raw: RawTlv, offset = 0): StampTlv {
  return decodeStampTlvValue(raw.flags, raw.type, raw.value, offset);
}

/** Encode a typed TLV into its raw form (Length follows from the value). */
export function encodeStampTlv(tlv: StampTlv): RawTlv {
  const { type, value } = encodeStampTlvValue(tlv);
  return { flags: tlv.flags, type, value };
}

/** Encode typed TLVs into one area, in order. */
export function encodeStampTlvs(tlvs: readonly StampTlv[]): Buffer {
  return encodeTlvArea(tlvs.map(encodeStampTlv));
}

/**
 * Decode a whole area strictly: every TLV typed, and a malformed area (or a malformed known TLV)
 * is a MalformedInputError. A reflector should use TlvWalker / applyReflectorTlvFlags instead,
 * which report malformed TLVs by position and never throw.
 */
export function decodeStampTlvs(area: Uint8Array, areaOffset = 0): StampTlv[] {
  const walk = decodeTlvArea(area);
  if (walk.malformedAt >= 0) {
    throw malformed(TLV_WHAT, 'Length', areaOffset + walk.malformedAt, 'TLV header or Length runs past the end of the packet');
  }
  let at = areaOffset;
  return walk.tlvs.map((raw) => {
    const decoded = decodeStampTlv(raw, at);
    at += TLV_HEADER_LENGTH + raw.value.length;
    return decoded;
  });
}
