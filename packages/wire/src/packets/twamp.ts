import { asBuffer, malformed, need } from '../bytes.js';
import { HMAC_LENGTH } from '../constants.js';
import { readTimestamp } from '../values/timestamp.js';
import {
  addHmac,
  type Mutable,
  type ReflectorFields,
  type SenderFields,
  startPacket,
  writeHmac,
  writeReflectorFields,
  writeSenderFields,
} from './fields.js';
import { TWAMP_REFLECTOR_LEGACY_MIN, TestSecurity, type TwampLayout } from './layout.js';

/** RFC 5357 §4.2.1: a reflector that cannot read the received TTL/Hop Limit writes 255. */
export const TTL_UNKNOWN = 255;

/**
 * A Session-Sender test packet (RFC 5357 §4.1.2; RFC 6038 §5 for Symmetrical Size), in plaintext:
 * encryption and the HMAC value belong to the crypto module.
 */
export interface TwampSenderPacket extends SenderFields {
  /** Authenticated and encrypted layouts only: the 16 octets at 32-47, as given. */
  readonly hmac?: Uint8Array;
  /**
   * Everything after the sender base (14, 48, 41 or 112 octets). With Reflect Octets its first
   * `layout.reflectOctets` octets are the part the reflector must return verbatim. With Symmetrical
   * Size it excludes the 27 (open) or 64 (authenticated) MBZ octets; whether Request-TW-Session's
   * Padding Length counts those MBZ octets is a control-plane choice (UNVERIFIED) this type avoids.
   * Decoders return a view into the input (no copy): copy it before reusing the input buffer.
   */
  readonly padding: Uint8Array;
}

/** A Session-Reflector test packet (RFC 5357 §4.2.1, erratum 5045; RFC 7750 §2.2). */
export interface TwampReflectorPacket extends ReflectorFields {
  /**
   * The TTL/Hop Limit the reflector saw. `null` when the packet was too short to carry it (twampy's
   * 38-octet replies); encoders write 255 for `null`, which RFC 5357 defines as "not known".
   */
  readonly senderTtl: number | null;
  /**
   * RFC 7750 layouts only: the received TOS/Traffic Class octet (DSCP in the high 6 bits, ECN in the
   * low 2). `null` when a tolerated short packet ends before it; encoders write 0 for `null`.
   */
  readonly senderDscpEcn?: number | null;
  /** Authenticated and encrypted layouts only: the 16 octets at 96-111, as given. */
  readonly hmac?: Uint8Array;
  /** Everything after the reflector base (41, 44 or 112); a view into the input. */
  readonly padding: Uint8Array;
}

const SENDER = 'TWAMP Session-Sender test packet';
const REFLECTOR = 'TWAMP Session-Reflector test packet';

function isOpen(layout: TwampLayout): boolean {
  return layout.security === TestSecurity.Open;
}

/** The shortest packet each decoder accepts for this layout. */
export function twampSenderMinLength(layout: TwampLayout): number {
  return layout.sender.padding;
}

export function twampReflectorMinLength(layout: TwampLayout): number {
  // twampy replies with 38 octets (no MBZ, no Sender TTL); tolerate that for the open layouts only,
  // since authenticated replies carry their HMAC at 96 and cannot be shortened.
  return isOpen(layout) ? TWAMP_REFLECTOR_LEGACY_MIN : layout.reflector.padding;
}

export function decodeTwampSender(input: Uint8Array, layout: TwampLayout): TwampSenderPacket {
  const b = asBuffer(input);
  const s = layout.sender;
  need(b, 0, s.padding, SENDER, 'length');
  const packet: Mutable<TwampSenderPacket> = {
    sequence: b.readUInt32BE(s.sequence),
    timestamp: readTimestamp(b, s.timestamp, SENDER, 'Timestamp'),
    errorEstimate: b.readUInt16BE(s.errorEstimate),
    padding: b.subarray(s.padding),
  };
  addHmac(packet, b, s.hmac, HMAC_LENGTH);
  return packet;
}

/** Bytes `encodeTwampSender` produces for this value. */
export function twampSenderLength(value: TwampSenderPacket, layout: TwampLayout): number {
  return layout.sender.padding + value.padding.length;
}

/** Write the packet at `offset` (MBZ octets zeroed); returns the number of octets written. */
export function writeTwampSender(value: TwampSenderPacket, layout: TwampLayout, target: Buffer, offset = 0): number {
  const s = layout.sender;
  const length = twampSenderLength(value, layout);
  startPacket(target, offset, length, s.padding, SENDER);
  writeSenderFields(target, offset, s, value);
  writeHmac(target, offset, s.hmac, value.hmac, HMAC_LENGTH);
  target.set(value.padding, offset + s.padding);
  return length;
}

export function encodeTwampSender(value: TwampSenderPacket, layout: TwampLayout): Buffer {
  const out = Buffer.alloc(twampSenderLength(value, layout));
  writeTwampSender(value, layout, out);
  return out;
}

export function decodeTwampReflector(input: Uint8Array, layout: TwampLayout): TwampReflectorPacket {
  const b = asBuffer(input);
  const r = layout.reflector;
  // The shortest reply accepted (38 octets open, 112 authenticated) holds every field up to and
  // including Sender Error Estimate; only Sender TTL and S-DSCP-ECN may be missing.
  need(b, 0, twampReflectorMinLength(layout), REFLECTOR, 'length');
  const packet: Mutable<TwampReflectorPacket> = {
    sequence: b.readUInt32BE(r.sequence),
    timestamp: readTimestamp(b, r.timestamp, REFLECTOR, 'Timestamp'),
    errorEstimate: b.readUInt16BE(r.errorEstimate),
    receiveTimestamp: readTimestamp(b, r.receiveTimestamp, REFLECTOR, 'Receive Timestamp'),
    senderSequence: b.readUInt32BE(r.senderSequence),
    senderTimestamp: readTimestamp(b, r.senderTimestamp, REFLECTOR, 'Sender Timestamp'),
    senderErrorEstimate: b.readUInt16BE(r.senderErrorEstimate),
    // 38-40 octets: the sender TTL octet is missing, so the TTL is unknown rather than a guess.
    senderTtl: b.length > r.senderTtl ? (b[r.senderTtl] ?? null) : null,
    // Short (tolerated) packets have no padding; otherwise padding starts at the layout's base.
    padding: b.subarray(Math.min(b.length, r.padding)),
  };
  if (r.senderDscpEcn >= 0) {
    packet.senderDscpEcn = b[r.senderDscpEcn] ?? null;
  }
  addHmac(packet, b, r.hmac, HMAC_LENGTH);
  return packet;
}

export function twampReflectorLength(value: TwampReflectorPacket, layout: TwampLayout): number {
  return layout.reflector.padding + value.padding.length;
}

/**
 * Write a full-format reflector packet (never the 38-octet legacy one: a `null` TTL becomes 255, the
 * RFC's "unknown"). Returns the number of octets written.
 */
export function writeTwampReflector(value: TwampReflectorPacket, layout: TwampLayout, target: Buffer, offset = 0): number {
  const r = layout.reflector;
  const length = twampReflectorLength(value, layout);
  startPacket(target, offset, length, r.padding, REFLECTOR);
  writeReflectorFields(target, offset, r, value);
  target[offset + r.senderTtl] = value.senderTtl ?? TTL_UNKNOWN;
  if (r.senderDscpEcn >= 0) {
    target[offset + r.senderDscpEcn] = value.senderDscpEcn ?? 0;
  }
  writeHmac(target, offset, r.hmac, value.hmac, HMAC_LENGTH);
  target.set(value.padding, offset + r.padding);
  return length;
}

export function encodeTwampReflector(value: TwampReflectorPacket, layout: TwampLayout): Buffer {
  const out = Buffer.alloc(twampReflectorLength(value, layout));
  writeTwampReflector(value, layout, out);
  return out;
}

/** RFC 6038 §4: the first `layout.reflectOctets` octets of `padding` (a view), refused when it is shorter. */
function reflectedPart(padding: Uint8Array, layout: TwampLayout, what: string, field: string, at: number): Uint8Array {
  if (padding.length < layout.reflectOctets) {
    throw malformed(what, field, at, `needs ${layout.reflectOctets} octets, padding has ${padding.length}`);
  }
  return padding.subarray(0, layout.reflectOctets);
}

/**
 * RFC 6038 §4: the octets the reflector must return verbatim, i.e. the first `layout.reflectOctets`
 * octets of the sender padding (a view). Throws when the padding is shorter than negotiated.
 */
export function senderReflectOctets(packet: TwampSenderPacket, layout: TwampLayout): Uint8Array {
  return reflectedPart(packet.padding, layout, SENDER, 'Padding to be reflected', layout.sender.padding);
}

/** RFC 6038 §4: where a reflector packet returns them: the start of its padding (a view). */
export function reflectorReflectedOctets(packet: TwampReflectorPacket, layout: TwampLayout): Uint8Array {
  return reflectedPart(packet.padding, layout, REFLECTOR, 'Reflected octets', layout.reflector.padding);
}
