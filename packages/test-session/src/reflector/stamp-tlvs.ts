// RFC 8972 TLV processing around reflectInto. reflectInto mirrors the TLV area and applies the U/M/I
// flag rules; this module fills the reflector's part of the TLVs it claims to understand (Class of
// Service, Timestamp Information, Direct Measurement, Location, Access Report), checks the sender's
// HMAC TLV before reflection and writes the reply's afterwards. Walks are allocation-free; only the
// HMAC computations (node:crypto) allocate, and only in authenticated mode.
import {
  fillClassOfService,
  fillDirectMeasurement,
  fillTimestampInformation,
  isValidAccessId,
  LocationSubTlvType,
  STAMP_HMAC_LENGTH,
  TLV_HEADER_LENGTH,
  TlvFlag,
  TlvType,
  tryParseIpAddress,
  understoodTlvTypes,
  verifyStampTlvHmac,
  writeStampTlvHmac,
} from '@twamp/wire';
import type { ReflectorSession } from './session.js';

/** The TLV types this reflector fills (plus HMAC when it holds a key). Follow-Up Telemetry is not: T3 is written by the socket after the reply is queued, so the previous T3 is not known exactly. */
export function reflectorUnderstoodTlvs(withHmac: boolean): Uint8Array {
  const types: number[] = [
    TlvType.ExtraPadding,
    TlvType.Location,
    TlvType.TimestampInformation,
    TlvType.ClassOfService,
    TlvType.DirectMeasurement,
    TlvType.AccessReport,
  ];
  if (withHmac) types.push(TlvType.Hmac);
  return understoodTlvTypes(types);
}

function get16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

/**
 * Whether the TLVs of an authenticated request fail their integrity check (RFC 8972 §4.8): the HMAC
 * TLV over Sequence Number + the TLVs before it does not verify, or TLVs other than Extra Padding
 * arrived without an HMAC TLV (nothing vouches for them). No TLVs at all: nothing to fail.
 */
export function requestTlvsFailIntegrity(key: Uint8Array, request: Uint8Array, start: number, end: number): boolean {
  let offset = start;
  let needsHmac = false;
  while (offset + TLV_HEADER_LENGTH <= end) {
    const type = request[offset + 1] ?? 0;
    const length = get16(request, offset + 2);
    const next = offset + TLV_HEADER_LENGTH + length;
    if (next > end) break;
    if (type === TlvType.Hmac) {
      if (length !== STAMP_HMAC_LENGTH) return true;
      return !verifyStampTlvHmac(key, request, { start, end: offset }, offset + TLV_HEADER_LENGTH);
    }
    if (type !== TlvType.ExtraPadding) needsHmac = true;
    offset = next;
  }
  // A malformed tail also counts: with a key, every non-padding TLV must be vouched for.
  return needsHmac || offset < end;
}

/** What the TLV fillers need to know about the packet being reflected; one object, reused. */
export class TlvFillState {
  /** Received TOS / Traffic Class, or -1 when the socket cannot read it. */
  receivedTos = -1;
  /** The socket can set the reply's TOS (DSCP1 can be honoured). */
  canSetTos = false;
  syncSource = 0;
  timestampIn = 0;
  timestampOut = 0;
  /** The reflector's UDP port (Location TLV Destination Port). */
  localPort = 0;
  /** Outputs: DSCP1 of a Class of Service TLV (-1: none) and the reply's HMAC TLV offset (-1: none). */
  dscp1 = -1;
  hmacAt = -1;
}

function addressOctets(text: string): Uint8Array | undefined {
  const parsed = tryParseIpAddress(text);
  if (parsed === undefined) return undefined;
  for (const octet of parsed.octets) {
    if (octet !== 0) return parsed.octets;
  }
  // The wildcard says nothing about where the packet arrived.
  return undefined;
}

const EMPTY = new Uint8Array(0);

/**
 * Location sub-TLVs (RFC 8972 §4.2.1): the sender asks with the generic Destination/Source IP Address
 * types (values MBZ); the reflector answers with the family-specific type and the address it saw, in
 * the same 16 octets. A request it cannot answer (Source MAC: a UDP socket never sees it; an address
 * it does not know) keeps its type and gets U.
 */
function fillLocation(reply: Uint8Array, value: number, end: number, session: ReflectorSession, state: TlvFillState): void {
  reply[value] = state.localPort >>> 8;
  reply[value + 1] = state.localPort & 0xff;
  reply[value + 2] = session.port >>> 8;
  reply[value + 3] = session.port & 0xff;
  let offset = value + 4;
  while (offset + TLV_HEADER_LENGTH <= end) {
    const type = reply[offset + 1] ?? 0;
    const length = get16(reply, offset + 2);
    const at = offset + TLV_HEADER_LENGTH;
    const next = at + length;
    if (next > end) return;
    let address: Uint8Array | undefined;
    if (type === LocationSubTlvType.DestinationIpAddress && length === 16) {
      session.localOctets ??= addressOctets(session.local) ?? EMPTY;
      address = session.localOctets;
    } else if (type === LocationSubTlvType.SourceIpAddress && length === 16) {
      session.sourceOctets ??= addressOctets(session.address) ?? EMPTY;
      address = session.sourceOctets;
    }
    if (address !== undefined && address.length > 0) {
      const v4 = address.length === 4;
      reply[offset] = 0;
      if (type === LocationSubTlvType.DestinationIpAddress) {
        reply[offset + 1] = v4 ? LocationSubTlvType.DestinationIpv4Address : LocationSubTlvType.DestinationIpv6Address;
      } else {
        reply[offset + 1] = v4 ? LocationSubTlvType.SourceIpv4Address : LocationSubTlvType.SourceIpv6Address;
      }
      for (let i = 0; i < 16; i++) reply[at + i] = address[i] ?? 0;
    } else if (type === LocationSubTlvType.SourceMacAddress || type === LocationSubTlvType.DestinationIpAddress || type === LocationSubTlvType.SourceIpAddress) {
      reply[offset] = TlvFlag.Unrecognized;
    }
    offset = next;
  }
}

/**
 * Fill the reflector fields of the understood TLVs in the reply's TLV area [start, end) (end stops
 * before a malformed TLV). reflectInto has set the flags: a TLV with U = 0 is one we understood.
 * Leaves DSCP1 and the HMAC TLV's offset in `state`.
 */
export function fillReflectedTlvs(reply: Uint8Array, start: number, end: number, session: ReflectorSession, state: TlvFillState): void {
  state.dscp1 = -1;
  state.hmacAt = -1;
  let offset = start;
  while (offset + TLV_HEADER_LENGTH <= end) {
    const flags = reply[offset] ?? 0;
    const type = reply[offset + 1] ?? 0;
    const value = offset + TLV_HEADER_LENGTH;
    const next = value + get16(reply, offset + 2);
    if (next > end) return;
    if ((flags & (TlvFlag.Unrecognized | TlvFlag.Malformed)) === 0) {
      switch (type) {
        case TlvType.ClassOfService: {
          const tos = state.receivedTos;
          fillClassOfService(reply, value, tos < 0 ? 0 : tos, !state.canSetTos);
          state.dscp1 = (reply[value] ?? 0) >>> 2;
          break;
        }
        case TlvType.TimestampInformation:
          fillTimestampInformation(reply, value, state.syncSource, state.timestampIn, state.syncSource, state.timestampOut);
          break;
        case TlvType.DirectMeasurement:
          // This packet counts in both: it was received, and its reply is being sent.
          fillDirectMeasurement(reply, value, session.received, session.packets + 1);
          break;
        case TlvType.Location:
          fillLocation(reply, value, next, session, state);
          break;
        case TlvType.AccessReport:
          // RFC 8972 §4.6: an unknown Access ID means the TLV is to be discarded, i.e. not processed.
          if (!isValidAccessId((reply[value] ?? 0) >>> 4)) reply[offset] = flags | TlvFlag.Unrecognized;
          break;
        case TlvType.Hmac:
          if (state.hmacAt < 0) state.hmacAt = offset;
          break;
        default:
          break;
      }
    }
    offset = next;
  }
}

/** Write the reply's HMAC TLV value over its Sequence Number and the TLVs before it (RFC 8972 §4.8). */
export function signReplyTlvs(key: Uint8Array, reply: Uint8Array, start: number, hmacAt: number): void {
  writeStampTlvHmac(key, reply, { start, end: hmacAt }, hmacAt + TLV_HEADER_LENGTH);
}
