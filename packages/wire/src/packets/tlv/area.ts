// The generic TLV layer of RFC 8972 §4: the 4-octet header, the flags, the allocation-free walker and
// the raw area codecs. Nothing here knows a TLV type: the per-type modules and the table build on it
// (and the Location TLV reuses it for its sub-TLVs, which share the header).
import { checkTarget } from '../../bytes.js';
import { get16, put16 } from '../../octets.js';

/**
 * STAMP TLV Flags (RFC 8972 §4, IANA "STAMP TLV Flags"): bit 0 U (unrecognized), bit 1 M (malformed),
 * bit 2 I (integrity check failed); bits 3-7 are reserved, zero on transmit, ignored on receipt.
 */
export const TlvFlag = {
  Unrecognized: 0x80,
  Malformed: 0x40,
  IntegrityFailed: 0x20,
} as const;

export type TlvFlag = (typeof TlvFlag)[keyof typeof TlvFlag];

/** The three assigned flags; everything else is reserved. */
export const TLV_FLAGS_ASSIGNED = 0xe0;

/** Flags(1) Type(1) Length(2): Length counts the Value only (RFC 8972 §4). */
export const TLV_HEADER_LENGTH = 4;

/** The largest Value a 16-bit Length can announce. */
export const TLV_MAX_VALUE_LENGTH = 0xffff;

/** One TLV as it travels. `value` is a view into the area it was read from. */
export interface RawTlv {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** The result of walking a TLV area. Walking never throws: a bad TLV is reported by position. */
export interface TlvAreaWalk {
  /** The well-formed TLVs before the first malformed one, in order. */
  readonly tlvs: readonly RawTlv[];
  /**
   * Offset (from the start of the area) of the first malformed TLV, or -1. A TLV is malformed when
   * fewer than 4 octets remain for its header or its Length runs past the end of the area
   * (RFC 8972 §4: "the remaining length ... is less than the size of the TLV").
   */
  readonly malformedAt: number;
}

/**
 * Where the TLV starting at `offset` ends, or -1 when it is malformed (header cut short or Length past
 * `end`). Allocation-free. Only octets in [offset, end) are read.
 */
export function tlvEnd(area: Uint8Array, offset: number, end: number): number {
  if (end - offset < TLV_HEADER_LENGTH) {
    return -1;
  }
  const next = offset + TLV_HEADER_LENGTH + get16(area, offset + 2);
  return next > end ? -1 : next;
}

/** What TlvWalker.step found. */
export const TlvStep = {
  /** No octets left: the area ended exactly after the previous TLV. */
  End: 0,
  /** A well-formed TLV: `offset`, `flags`, `type`, `length`, `value` and `end` describe it. */
  Tlv: 1,
  /**
   * The TLV at `offset` is cut short (header or Length past the end of the area). `flags` and `type`
   * hold what could be read (0 where absent); the walk is over.
   */
  Malformed: 2,
} as const;

export type TlvStep = (typeof TlvStep)[keyof typeof TlvStep];

const EMPTY = new Uint8Array(0);

/**
 * The one walker over a TLV area (or a Location TLV's sub-TLV area), for the per-packet paths: it
 * creates nothing per TLV, it exposes the current TLV as numbers. Create one per call site (or per
 * reflector / reader) and reuse it; `start` rearms it, `step` moves to the next TLV.
 *
 * ```ts
 * const w = walker.start(packet, tlvStart, packetEnd);
 * while (w.step() === TlvStep.Tlv) if (w.type === TlvType.ClassOfService) read(packet, w.value);
 * ```
 */
export class TlvWalker {
  /** The area being walked; only octets in [start, end) are read. */
  area: Uint8Array = EMPTY;
  /** Where the area ends (exclusive). */
  areaEnd = 0;
  /** The current TLV: where its header starts, its Flags, Type, Length, Value offset and end. */
  offset = 0;
  flags = 0;
  type = 0;
  length = 0;
  value = 0;
  end = 0;

  start(area: Uint8Array, start: number, end: number): this {
    this.area = area;
    this.areaEnd = Math.min(end, area.length);
    this.offset = start;
    this.end = start;
    this.flags = 0;
    this.type = 0;
    this.length = 0;
    this.value = start;
    return this;
  }

  step(): TlvStep {
    const area = this.area;
    const at = this.end;
    const limit = this.areaEnd;
    this.offset = at;
    if (at >= limit) {
      return TlvStep.End;
    }
    this.flags = area[at] ?? 0;
    this.type = at + 1 < limit ? (area[at + 1] ?? 0) : 0;
    if (limit - at < TLV_HEADER_LENGTH) {
      this.length = 0;
      this.value = limit;
      this.end = limit;
      return TlvStep.Malformed;
    }
    const length = get16(area, at + 2);
    const value = at + TLV_HEADER_LENGTH;
    this.length = length;
    this.value = value;
    if (value + length > limit) {
      this.end = limit;
      return TlvStep.Malformed;
    }
    this.end = value + length;
    return TlvStep.Tlv;
  }
}

const areaWalker = new TlvWalker();

/**
 * Split a TLV area into TLVs without copying values. Never throws and never reads past the area;
 * memory grows with the number of TLVs found (at most length/4), never with a claimed Length.
 */
export function decodeTlvArea(area: Uint8Array): TlvAreaWalk {
  const tlvs: RawTlv[] = [];
  const w = areaWalker.start(area, 0, area.length);
  for (;;) {
    const step = w.step();
    if (step === TlvStep.End) {
      w.start(EMPTY, 0, 0);
      return { tlvs, malformedAt: -1 };
    }
    if (step === TlvStep.Malformed) {
      const malformedAt = w.offset;
      w.start(EMPTY, 0, 0);
      return { tlvs, malformedAt };
    }
    tlvs.push({ flags: w.flags, type: w.type, value: area.subarray(w.value, w.end) });
  }
}

export function tlvAreaLength(tlvs: readonly RawTlv[]): number {
  let length = 0;
  for (const tlv of tlvs) {
    length += TLV_HEADER_LENGTH + tlv.value.length;
  }
  return length;
}

/** Write one TLV at `offset`; returns the offset after it. */
export function writeTlv(target: Uint8Array, offset: number, tlv: RawTlv): number {
  if (tlv.value.length > TLV_MAX_VALUE_LENGTH) {
    throw new RangeError(`TLV value is limited to 65535 octets, got ${tlv.value.length}`);
  }
  const end = offset + TLV_HEADER_LENGTH + tlv.value.length;
  checkTarget(target, offset, end - offset, 'TLV');
  target[offset] = tlv.flags & 0xff;
  target[offset + 1] = tlv.type & 0xff;
  put16(target, offset + 2, tlv.value.length);
  target.set(tlv.value, offset + TLV_HEADER_LENGTH);
  return end;
}

export function encodeTlvArea(tlvs: readonly RawTlv[]): Buffer {
  const out = Buffer.alloc(tlvAreaLength(tlvs));
  let offset = 0;
  for (const tlv of tlvs) {
    offset = writeTlv(out, offset, tlv);
  }
  return out;
}
