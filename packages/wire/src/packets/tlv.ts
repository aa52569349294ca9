import { checkTarget } from '../bytes.js';
import { get16, put16 } from '../octets.js';
import { STAMP_HMAC_LENGTH } from './stamp.js';

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

/**
 * STAMP TLV Types (RFC 8972 §5.1; 9-11 from RFC 9503 and RFC 9534, listed so they are recognised as
 * assigned, not decoded). 0 and 255 are reserved.
 */
export const TlvType = {
  ExtraPadding: 1,
  Location: 2,
  TimestampInformation: 3,
  ClassOfService: 4,
  DirectMeasurement: 5,
  AccessReport: 6,
  FollowUpTelemetry: 7,
  Hmac: 8,
  DestinationNodeAddress: 9,
  ReturnPath: 10,
  MicroSessionId: 11,
} as const;

export type TlvType = (typeof TlvType)[keyof typeof TlvType];

/** Flags(1) Type(1) Length(2): Length counts the Value only (RFC 8972 §4). */
export const TLV_HEADER_LENGTH = 4;

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
 * `end`). Allocation-free: the fast path calls this per TLV. Only octets in [offset, end) are read.
 */
export function tlvEnd(area: Uint8Array, offset: number, end: number): number {
  if (end - offset < TLV_HEADER_LENGTH) {
    return -1;
  }
  const next = offset + TLV_HEADER_LENGTH + get16(area, offset + 2);
  return next > end ? -1 : next;
}

/**
 * Split a TLV area into TLVs without copying values. Never throws and never reads past the area;
 * memory grows with the number of TLVs found (at most length/4), never with a claimed Length.
 */
export function decodeTlvArea(area: Uint8Array): TlvAreaWalk {
  const tlvs: RawTlv[] = [];
  let offset = 0;
  while (offset < area.length) {
    const next = tlvEnd(area, offset, area.length);
    if (next < 0) {
      return { tlvs, malformedAt: offset };
    }
    tlvs.push({
      flags: area[offset] ?? 0,
      type: area[offset + 1] ?? 0,
      value: area.subarray(offset + TLV_HEADER_LENGTH, next),
    });
    offset = next;
  }
  return { tlvs, malformedAt: -1 };
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
  if (tlv.value.length > 0xffff) {
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

// ---------------------------------------------------------------------------------------------
// Flag rules (RFC 8972 §4, §4.8)

/** A Session-Sender sends every TLV with U = 1, M = 0, I = 0. */
export const SENDER_TLV_FLAGS = TlvFlag.Unrecognized;

/**
 * The flags a Session-Reflector sends back for a well-formed TLV: U = 0 if it understood the type,
 * U = 1 if not; M = 0; I = 1 on every TLV when the HMAC check failed, else 0. The sender's U is not
 * trusted (some senders send U = 0), and the reserved bits are zeroed because the reflector transmits.
 */
export function reflectedTlvFlags(understood: boolean, hmacFailed: boolean): number {
  return (understood ? 0 : TlvFlag.Unrecognized) | (hmacFailed ? TlvFlag.IntegrityFailed : 0);
}

/**
 * The flags for the malformed TLV where processing stopped: the received octet with M = 1 (and I = 1
 * when the HMAC failed). The rest of the area is copied verbatim after it.
 */
export function malformedTlvFlags(received: number, hmacFailed: boolean): number {
  return (received | TlvFlag.Malformed | (hmacFailed ? TlvFlag.IntegrityFailed : 0)) & 0xff;
}

/** How a Session-Sender reads a reflected TLV (RFC 8972 §4). */
export const ReflectedTlvDisposition = {
  /** U = 0, M = 0, I = 0: the reflector processed it. */
  Use: 'use',
  /** U = 1: the reflector did not understand it; skip it. */
  Skip: 'skip',
  /** M = 1: stop processing this TLV and the rest of the area. */
  Stop: 'stop',
  /** I = 1: discard every TLV of the packet. */
  Discard: 'discard',
} as const;

export type ReflectedTlvDisposition = (typeof ReflectedTlvDisposition)[keyof typeof ReflectedTlvDisposition];

export function reflectedTlvDisposition(flags: number): ReflectedTlvDisposition {
  if ((flags & TlvFlag.IntegrityFailed) !== 0) {
    return ReflectedTlvDisposition.Discard;
  }
  if ((flags & TlvFlag.Malformed) !== 0) {
    return ReflectedTlvDisposition.Stop;
  }
  return (flags & TlvFlag.Unrecognized) !== 0 ? ReflectedTlvDisposition.Skip : ReflectedTlvDisposition.Use;
}

/**
 * Whether `length` is a valid Value length for a type this module decodes (RFC 8972 §4.1-4.8).
 * Types it does not know are always "valid": a reflector cannot judge them, it marks them U instead.
 */
export function isValidTlvLength(type: number, length: number): boolean {
  switch (type) {
    case TlvType.Location:
      // Destination Port(2), Source Port(2), then sub-TLVs.
      return length >= 4;
    case TlvType.TimestampInformation:
      // Four one-octet fields, optionally followed by sub-TLVs.
      return length >= 4;
    case TlvType.ClassOfService:
    case TlvType.AccessReport:
      return length === 4;
    case TlvType.DirectMeasurement:
      return length === 12;
    case TlvType.FollowUpTelemetry:
      return length === 16;
    case TlvType.Hmac:
      return length === STAMP_HMAC_LENGTH;
    default:
      return true;
  }
}

/**
 * A 256-entry table of the TLV types a reflector understands (1 = understood). The fast path consults
 * it per TLV without allocating. Extra Padding needs no processing and HMAC is regenerated by the
 * caller after reflection, so both are understood by default; add a type only if the caller really
 * fills its reflector fields (for example with the in-place writers in tlvs.ts).
 */
export function understoodTlvTypes(types: readonly number[] = [TlvType.ExtraPadding, TlvType.Hmac]): Uint8Array {
  const table = new Uint8Array(256);
  for (const type of types) {
    table[type & 0xff] = 1;
  }
  return table;
}

/**
 * Apply the reflector flag rules in place to the TLV area `[start, end)` of a reply buffer that already
 * holds a copy of the received area. Understood types get U = 0, unknown types U = 1, M = 0 and I as
 * `hmacFailed` says. An understood type with an invalid Length, or a TLV cut short by the end of the
 * area, is malformed: its flags get M (RFC 8972 §4) and everything from it on is left as received.
 * Returns the offset of the malformed TLV, or -1. Allocation-free and reads nothing outside the area.
 */
export function applyReflectorTlvFlags(
  area: Uint8Array,
  start: number,
  end: number,
  understood: Uint8Array,
  hmacFailed: boolean,
): number {
  let offset = start;
  while (offset < end) {
    const next = tlvEnd(area, offset, end);
    const type = area[offset + 1] ?? 0;
    const known = next >= 0 && understood[type] === 1;
    if (next < 0 || (known && !isValidTlvLength(type, next - offset - TLV_HEADER_LENGTH))) {
      area[offset] = malformedTlvFlags(area[offset] ?? 0, hmacFailed);
      return offset;
    }
    area[offset] = reflectedTlvFlags(known, hmacFailed);
    offset = next;
  }
  return -1;
}
