import { malformed } from '../bytes.js';
import type { WireTimestamp } from '../values/timestamp.js';
import { get16, get32, put16, put32 } from '../octets.js';
import { STAMP_HMAC_LENGTH } from './stamp.js';
import {
  decodeTlvArea,
  encodeTlvArea,
  isValidTlvLength,
  type RawTlv,
  TLV_HEADER_LENGTH,
  TlvType,
} from './tlv.js';

/**
 * Typed RFC 8972 TLVs. Each decoder takes a RawTlv (from decodeTlvArea) and throws MalformedInputError
 * when the Length does not fit the type; reserved fields are ignored on receipt and written as zero.
 * Unknown types stay raw (`kind: 'unknown'`) so they can be reflected unchanged.
 */

/** STAMP Synchronization Sources (RFC 8972 §5.4). 0 is reserved. */
export const SyncSource = {
  Ntp: 1,
  Ptp: 2,
  SsuBits: 3,
  /** GPS, GLONASS, LORAN-C, BDS or Galileo: one registry entry covers all of them. */
  Gnss: 4,
  LocalFreeRunning: 5,
} as const;

export type SyncSource = (typeof SyncSource)[keyof typeof SyncSource];

/** STAMP Timestamping Methods (RFC 8972 §5.5). 0 is reserved. */
export const TimestampMethod = {
  HwAssist: 1,
  SwLocal: 2,
  ControlPlane: 3,
} as const;

export type TimestampMethod = (typeof TimestampMethod)[keyof typeof TimestampMethod];

/** Access ID of the Access Report TLV (RFC 8972 §4.6); any other value means "discard the TLV". */
export const AccessId = {
  ThreeGpp: 1,
  NonThreeGpp: 2,
} as const;

/** STAMP Return Codes (RFC 8972 §5.6). */
export const AccessReturnCode = {
  NetworkAvailable: 1,
  NetworkUnavailable: 2,
} as const;

/** STAMP Sub-TLV Types for the Location TLV (RFC 8972 §4.2.1, §5.3). */
export const LocationSubTlvType = {
  SourceMacAddress: 1,
  SourceEui48Address: 2,
  SourceEui64Address: 3,
  DestinationIpAddress: 4,
  DestinationIpv4Address: 5,
  DestinationIpv6Address: 6,
  SourceIpAddress: 7,
  SourceIpv4Address: 8,
  SourceIpv6Address: 9,
} as const;

export type LocationSubTlvType = (typeof LocationSubTlvType)[keyof typeof LocationSubTlvType];

/**
 * A Location sub-TLV (RFC 8972 §4.2.1). Same 4-octet header as a TLV; I is always sent as 0.
 * The sender asks with the generic types (Source MAC, Destination IP, Source IP: values all MBZ),
 * the reflector answers by rewriting them into the specific ones in place, keeping their length.
 */
export type LocationSubTlv =
  | { readonly kind: 'source-mac-address'; readonly flags: number }
  | { readonly kind: 'source-eui48-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'source-eui64-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'destination-ip-address'; readonly flags: number }
  | { readonly kind: 'destination-ipv4-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'destination-ipv6-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'source-ip-address'; readonly flags: number }
  | { readonly kind: 'source-ipv4-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'source-ipv6-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'unknown'; readonly flags: number; readonly type: number; readonly value: Uint8Array };

/**
 * Per sub-TLV type: its kind, the Value length RFC 8972 §4.2.1 mandates (MAC/EUI sub-TLVs 8, IP
 * sub-TLVs 16), and how many leading octets carry an address (the rest is MBZ).
 */
const SUB_TLVS = [
  { type: 1, kind: 'source-mac-address', length: 8, address: 0 },
  { type: 2, kind: 'source-eui48-address', length: 8, address: 6 },
  { type: 3, kind: 'source-eui64-address', length: 8, address: 8 },
  { type: 4, kind: 'destination-ip-address', length: 16, address: 0 },
  { type: 5, kind: 'destination-ipv4-address', length: 16, address: 4 },
  { type: 6, kind: 'destination-ipv6-address', length: 16, address: 16 },
  { type: 7, kind: 'source-ip-address', length: 16, address: 0 },
  { type: 8, kind: 'source-ipv4-address', length: 16, address: 4 },
  { type: 9, kind: 'source-ipv6-address', length: 16, address: 16 },
] as const;

type SubTlvSpec = (typeof SUB_TLVS)[number];

function subSpecByType(type: number): SubTlvSpec | undefined {
  return SUB_TLVS.find((spec) => spec.type === type);
}

function subSpecByKind(kind: string): SubTlvSpec | undefined {
  return SUB_TLVS.find((spec) => spec.kind === kind);
}

const WHAT = 'STAMP TLV';

export function decodeLocationSubTlv(raw: RawTlv, offset = 0): LocationSubTlv {
  const spec = subSpecByType(raw.type);
  if (spec === undefined) {
    return { kind: 'unknown', flags: raw.flags, type: raw.type, value: raw.value };
  }
  if (raw.value.length !== spec.length) {
    throw malformed(`${WHAT} Location sub-TLV`, 'Length', offset + 2, `type ${spec.type} needs Length ${spec.length}, got ${raw.value.length}`);
  }
  if (spec.address === 0) {
    return { kind: spec.kind, flags: raw.flags };
  }
  return { kind: spec.kind, flags: raw.flags, address: raw.value.subarray(0, spec.address) };
}

export function encodeLocationSubTlv(sub: LocationSubTlv): RawTlv {
  if (sub.kind === 'unknown') {
    return { flags: sub.flags, type: sub.type, value: sub.value };
  }
  const spec = subSpecByKind(sub.kind);
  if (spec === undefined) {
    throw new RangeError(`unknown Location sub-TLV kind ${sub.kind}`);
  }
  const value = new Uint8Array(spec.length);
  if ('address' in sub) {
    if (sub.address.length !== spec.address) {
      throw new RangeError(`${sub.kind} address must be ${spec.address} octets, got ${sub.address.length}`);
    }
    value.set(sub.address, 0);
  }
  return { flags: sub.flags, type: spec.type, value };
}

/** A typed RFC 8972 TLV; `flags` is the raw STAMP TLV Flags octet. */
export type StampTlv =
  /** Type 1 (§4.1): filler, pseudo-random or zeros; may repeat. */
  | { readonly kind: 'extra-padding'; readonly flags: number; readonly padding: Uint8Array }
  /** Type 2 (§4.2): UDP ports of the received packet, then sub-TLVs. */
  | {
      readonly kind: 'location';
      readonly flags: number;
      readonly destinationPort: number;
      readonly sourcePort: number;
      readonly subTlvs: readonly LocationSubTlv[];
    }
  /**
   * Type 3 (§4.3): how the reflector synchronises its clock and takes T2 (in) and T3 (out).
   * Decision: the figure ends with optional sub-TLVs, so any octets after the first four are kept raw
   * in `subTlvs` rather than treated as malformed; Length below 4 is malformed.
   */
  | {
      readonly kind: 'timestamp-information';
      readonly flags: number;
      readonly syncSourceIn: number;
      readonly timestampIn: number;
      readonly syncSourceOut: number;
      readonly timestampOut: number;
      readonly subTlvs: Uint8Array;
    }
  /**
   * Type 4 (§4.4, erratum 8199): DSCP1 (requested for the reverse path), DSCP2 and ECN (as received
   * by the reflector), RP (1 = the reflector could not use DSCP1). Layout of the first 16 bits:
   * DSCP1 6 bits, DSCP2 6 bits, ECN 2 bits, RP 2 bits; then 16 reserved bits.
   */
  | {
      readonly kind: 'class-of-service';
      readonly flags: number;
      readonly dscp1: number;
      readonly dscp2: number;
      readonly ecn: number;
      readonly rp: number;
    }
  /** Type 5 (§4.5): packet counters S_TxC, R_RxC, R_TxC. */
  | {
      readonly kind: 'direct-measurement';
      readonly flags: number;
      readonly senderTxCount: number;
      readonly reflectorRxCount: number;
      readonly reflectorTxCount: number;
    }
  /** Type 6 (§4.6): ID (4 bits), Resv (4 bits), Return Code (8 bits), Reserved (16 bits). */
  | { readonly kind: 'access-report'; readonly flags: number; readonly accessId: number; readonly returnCode: number }
  /** Type 7 (§4.7): the reflector's previous Sequence Number and its precise send time. */
  | {
      readonly kind: 'follow-up-telemetry';
      readonly flags: number;
      readonly sequence: number;
      readonly timestamp: WireTimestamp;
      /** "Timestamp M": a Timestamping Method value. */
      readonly timestampMethod: number;
    }
  /** Type 8 (§4.8): HMAC-SHA-256 truncated to 16 octets, computed by the crypto module. */
  | { readonly kind: 'hmac'; readonly flags: number; readonly hmac: Uint8Array }
  | { readonly kind: 'unknown'; readonly flags: number; readonly type: number; readonly value: Uint8Array };

export type StampTlvKind = StampTlv['kind'];

function checkLength(raw: RawTlv, offset: number, name: string): void {
  if (!isValidTlvLength(raw.type, raw.value.length)) {
    throw malformed(`${WHAT} ${name}`, 'Length', offset + 2, `Length ${raw.value.length} is not valid for type ${raw.type}`);
  }
}

/**
 * Decode one TLV. `offset` is where the TLV starts in its packet, used only for error positions.
 * Only MalformedInputError escapes.
 */
export function decodeStampTlv(raw: RawTlv, offset = 0): StampTlv {
  const v = raw.value;
  const flags = raw.flags;
  switch (raw.type) {
    case TlvType.ExtraPadding:
      return { kind: 'extra-padding', flags, padding: v };
    case TlvType.Location: {
      checkLength(raw, offset, 'Location');
      const area = v.subarray(4);
      const walk = decodeTlvArea(area);
      if (walk.malformedAt >= 0) {
        throw malformed(`${WHAT} Location`, 'Sub-TLVs', offset + TLV_HEADER_LENGTH + 4 + walk.malformedAt,
          'sub-TLV header or Length runs past the end of the Location TLV');
      }
      let at = offset + TLV_HEADER_LENGTH + 4;
      const subTlvs = walk.tlvs.map((sub) => {
        const decoded = decodeLocationSubTlv(sub, at);
        at += TLV_HEADER_LENGTH + sub.value.length;
        return decoded;
      });
      return { kind: 'location', flags, destinationPort: get16(v, 0), sourcePort: get16(v, 2), subTlvs };
    }
    case TlvType.TimestampInformation:
      checkLength(raw, offset, 'Timestamp Information');
      return {
        kind: 'timestamp-information',
        flags,
        syncSourceIn: v[0] ?? 0,
        timestampIn: v[1] ?? 0,
        syncSourceOut: v[2] ?? 0,
        timestampOut: v[3] ?? 0,
        subTlvs: v.subarray(4),
      };
    case TlvType.ClassOfService: {
      checkLength(raw, offset, 'Class of Service');
      const word = get16(v, 0);
      return { kind: 'class-of-service', flags, dscp1: word >>> 10, dscp2: (word >>> 4) & 0x3f, ecn: (word >>> 2) & 0x3, rp: word & 0x3 };
    }
    case TlvType.DirectMeasurement:
      checkLength(raw, offset, 'Direct Measurement');
      return { kind: 'direct-measurement', flags, senderTxCount: get32(v, 0), reflectorRxCount: get32(v, 4), reflectorTxCount: get32(v, 8) };
    case TlvType.AccessReport:
      checkLength(raw, offset, 'Access Report');
      return { kind: 'access-report', flags, accessId: (v[0] ?? 0) >>> 4, returnCode: v[1] ?? 0 };
    case TlvType.FollowUpTelemetry:
      checkLength(raw, offset, 'Follow-Up Telemetry');
      return {
        kind: 'follow-up-telemetry',
        flags,
        sequence: get32(v, 0),
        timestamp: { seconds: get32(v, 4), fraction: get32(v, 8) },
        timestampMethod: v[12] ?? 0,
      };
    case TlvType.Hmac:
      checkLength(raw, offset, 'HMAC');
      return { kind: 'hmac', flags, hmac: v };
    default:
      return { kind: 'unknown', flags, type: raw.type, value: v };
  }
}

function u(value: number, bits: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${field} must be an unsigned ${bits}-bit integer, got ${value}`);
  }
  return value;
}

/** Encode a typed TLV into its raw form (Length follows from the value). */
export function encodeStampTlv(tlv: StampTlv): RawTlv {
  switch (tlv.kind) {
    case 'extra-padding':
      return { flags: tlv.flags, type: TlvType.ExtraPadding, value: tlv.padding };
    case 'location': {
      const subs = encodeTlvArea(tlv.subTlvs.map(encodeLocationSubTlv));
      const value = new Uint8Array(4 + subs.length);
      put16(value, 0, u(tlv.destinationPort, 16, 'destinationPort'));
      put16(value, 2, u(tlv.sourcePort, 16, 'sourcePort'));
      value.set(subs, 4);
      return { flags: tlv.flags, type: TlvType.Location, value };
    }
    case 'timestamp-information': {
      const value = new Uint8Array(4 + tlv.subTlvs.length);
      value[0] = u(tlv.syncSourceIn, 8, 'syncSourceIn');
      value[1] = u(tlv.timestampIn, 8, 'timestampIn');
      value[2] = u(tlv.syncSourceOut, 8, 'syncSourceOut');
      value[3] = u(tlv.timestampOut, 8, 'timestampOut');
      value.set(tlv.subTlvs, 4);
      return { flags: tlv.flags, type: TlvType.TimestampInformation, value };
    }
    case 'class-of-service': {
      const value = new Uint8Array(4);
      put16(value, 0, (u(tlv.dscp1, 6, 'dscp1') << 10) | (u(tlv.dscp2, 6, 'dscp2') << 4) | (u(tlv.ecn, 2, 'ecn') << 2) | u(tlv.rp, 2, 'rp'));
      return { flags: tlv.flags, type: TlvType.ClassOfService, value };
    }
    case 'direct-measurement': {
      const value = new Uint8Array(12);
      put32(value, 0, u(tlv.senderTxCount, 32, 'senderTxCount'));
      put32(value, 4, u(tlv.reflectorRxCount, 32, 'reflectorRxCount'));
      put32(value, 8, u(tlv.reflectorTxCount, 32, 'reflectorTxCount'));
      return { flags: tlv.flags, type: TlvType.DirectMeasurement, value };
    }
    case 'access-report': {
      const value = new Uint8Array(4);
      value[0] = u(tlv.accessId, 4, 'accessId') << 4;
      value[1] = u(tlv.returnCode, 8, 'returnCode');
      return { flags: tlv.flags, type: TlvType.AccessReport, value };
    }
    case 'follow-up-telemetry': {
      const value = new Uint8Array(16);
      put32(value, 0, u(tlv.sequence, 32, 'sequence'));
      put32(value, 4, u(tlv.timestamp.seconds, 32, 'timestamp.seconds'));
      put32(value, 8, u(tlv.timestamp.fraction, 32, 'timestamp.fraction'));
      value[12] = u(tlv.timestampMethod, 8, 'timestampMethod');
      return { flags: tlv.flags, type: TlvType.FollowUpTelemetry, value };
    }
    case 'hmac':
      if (tlv.hmac.length !== STAMP_HMAC_LENGTH) {
        throw new RangeError(`HMAC TLV value must be ${STAMP_HMAC_LENGTH} octets, got ${tlv.hmac.length}`);
      }
      return { flags: tlv.flags, type: TlvType.Hmac, value: tlv.hmac };
    case 'unknown':
      return { flags: tlv.flags, type: tlv.type, value: tlv.value };
  }
}

/** Encode typed TLVs into one area, in order. */
export function encodeStampTlvs(tlvs: readonly StampTlv[]): Buffer {
  return encodeTlvArea(tlvs.map(encodeStampTlv));
}

/**
 * Decode a whole area strictly: every TLV typed, and a malformed area (or a malformed known TLV)
 * is a MalformedInputError. A reflector should use decodeTlvArea / applyReflectorTlvFlags instead,
 * which report malformed TLVs by position and never throw.
 */
export function decodeStampTlvs(area: Uint8Array, areaOffset = 0): StampTlv[] {
  const walk = decodeTlvArea(area);
  if (walk.malformedAt >= 0) {
    throw malformed(WHAT, 'Length', areaOffset + walk.malformedAt, 'TLV header or Length runs past the end of the packet');
  }
  let at = areaOffset;
  return walk.tlvs.map((raw) => {
    const decoded = decodeStampTlv(raw, at);
    at += TLV_HEADER_LENGTH + raw.value.length;
    return decoded;
  });
}

/** RFC 8972 §4.6: an Access Report with an ID other than 1 or 2 must be discarded. */
export function isValidAccessId(accessId: number): boolean {
  return accessId === AccessId.ThreeGpp || accessId === AccessId.NonThreeGpp;
}

// ---------------------------------------------------------------------------------------------
// In-place writers for a reflector that processes a TLV it has mirrored into its reply.
// `valueOffset` is where the TLV's Value starts in `reply`; the caller has validated the Length.

/** Class of Service (§4.4 with erratum 8199): DSCP2 and ECN as received; RP = 1 if DSCP1 was refused. */
export function fillClassOfService(reply: Uint8Array, valueOffset: number, receivedTos: number, dscp1Refused: boolean): void {
  const word = get16(reply, valueOffset);
  const dscp1 = word >>> 10;
  put16(reply, valueOffset, (dscp1 << 10) | (((receivedTos >>> 2) & 0x3f) << 4) | ((receivedTos & 0x3) << 2) | (dscp1Refused ? 1 : 0));
  put16(reply, valueOffset + 2, 0);
}

/** Timestamp Information (§4.3): the reflector's sync sources and timestamping methods for T2 and T3. */
export function fillTimestampInformation(
  reply: Uint8Array,
  valueOffset: number,
  syncSourceIn: number,
  timestampIn: number,
  syncSourceOut: number,
  timestampOut: number,
): void {
  reply[valueOffset] = syncSourceIn;
  reply[valueOffset + 1] = timestampIn;
  reply[valueOffset + 2] = syncSourceOut;
  reply[valueOffset + 3] = timestampOut;
}

/** Direct Measurement (§4.5): S_TxC stays as received; the reflector writes its two counters. */
export function fillDirectMeasurement(reply: Uint8Array, valueOffset: number, reflectorRxCount: number, reflectorTxCount: number): void {
  put32(reply, valueOffset + 4, reflectorRxCount >>> 0);
  put32(reply, valueOffset + 8, reflectorTxCount >>> 0);
}

/**
 * Follow-Up Telemetry (§4.7): the previous reflected Sequence Number and its send time. A stateless
 * reflector passes zeros (it MUST zero both fields).
 */
export function fillFollowUpTelemetry(
  reply: Uint8Array,
  valueOffset: number,
  sequence: number,
  seconds: number,
  fraction: number,
  timestampMethod: number,
): void {
  put32(reply, valueOffset, sequence >>> 0);
  put32(reply, valueOffset + 4, seconds >>> 0);
  put32(reply, valueOffset + 8, fraction >>> 0);
  reply[valueOffset + 12] = timestampMethod;
  reply[valueOffset + 13] = 0;
  reply[valueOffset + 14] = 0;
  reply[valueOffset + 15] = 0;
}
