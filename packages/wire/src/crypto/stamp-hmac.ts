import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkTarget, need } from '../bytes.js';
import { STAMP_AUTH_BASE, StampSecurity } from '../packets/layout.js';
import { STAMP_HMAC_LENGTH, stampSenderOffsets } from '../packets/stamp.js';

/**
 * Offset of the HMAC field, the same in both authenticated STAMP packets (RFC 8762 §4.2.2, §4.3.2),
 * taken from the packet codec's offsets; the authenticated base (112 octets) ends right after it.
 */
const STAMP_HMAC_OFFSET = stampSenderOffsets(StampSecurity.Authenticated).hmac;
/** The base packet's Sequence Number field: octets 0-3 of every STAMP packet. */
const SEQUENCE_NUMBER_LENGTH = 4;

/** A half-open octet range [start, end) of a packet. */
export interface StampTlvRange {
  readonly start: number;
  readonly end: number;
}

function checkKey(key: Uint8Array): void {
  // RFC 8762 §4.4 leaves key management out of scope and sets no length, but an empty key is
  // always a configuration mistake, never a deliberate choice.
  if (key.length === 0) throw new RangeError('the STAMP HMAC key must not be empty');
}

function truncatedHmac(key: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest().subarray(0, STAMP_HMAC_LENGTH);
}

/**
 * The HMAC of an authenticated STAMP packet (Session-Sender or Session-Reflector): HMAC-SHA-256
 * over octets 0-95, truncated to 16 octets (RFC 8762 §4.4). Everything after the HMAC field
 * (TLVs, extra octets) is outside it; RFC 8972's HMAC TLV covers TLVs.
 */
export function stampPacketHmac(key: Uint8Array, packet: Uint8Array): Buffer {
  checkKey(key);
  if (packet.length < STAMP_HMAC_OFFSET) {
    throw new RangeError(`the STAMP HMAC covers octets 0-95, the packet has only ${packet.length}`);
  }
  return truncatedHmac(key, [packet.subarray(0, STAMP_HMAC_OFFSET)]);
}

/**
 * Write the HMAC into octets 96-111 of an authenticated STAMP packet, in place. Fill every other
 * field of octets 0-95 first: the HMAC covers them, including the timestamp.
 */
export function signStampPacket(key: Uint8Array, packet: Uint8Array): void {
  checkTarget(packet, 0, STAMP_AUTH_BASE, 'an authenticated STAMP packet');
  packet.set(stampPacketHmac(key, packet), STAMP_HMAC_OFFSET);
}

/**
 * Check a received authenticated STAMP packet's HMAC in constant time. Returns false on a
 * mismatch so the caller can count and drop the packet without an exception.
 *
 * @throws MalformedInputError when the packet is shorter than the 112-octet authenticated base.
 */
export function verifyStampPacket(key: Uint8Array, packet: Uint8Array): boolean {
  need(packet, STAMP_HMAC_OFFSET, STAMP_HMAC_LENGTH, 'authenticated STAMP packet', 'HMAC');
  const expected = stampPacketHmac(key, packet);
  return timingSafeEqual(expected, packet.subarray(STAMP_HMAC_OFFSET, STAMP_HMAC_OFFSET + STAMP_HMAC_LENGTH));
}

function checkTlvRanges(packet: Uint8Array, precedingTlvs: StampTlvRange, valueOffset?: number): void {
  const { start, end } = precedingTlvs;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < SEQUENCE_NUMBER_LENGTH || end < start || end > packet.length) {
    throw new RangeError(`preceding TLVs [${start}, ${end}) do not lie after the Sequence Number inside a ${packet.length}-octet packet`);
  }
  if (valueOffset !== undefined) {
    if (!Number.isInteger(valueOffset) || valueOffset < end || valueOffset + STAMP_HMAC_LENGTH > packet.length) {
      throw new RangeError(
        `the HMAC TLV value at ${valueOffset} must follow the TLVs it covers (ending at ${end}) and fit in the ${packet.length}-octet packet`,
      );
    }
  }
}

/**
 * The value of an RFC 8972 §4.8 HMAC TLV: HMAC-SHA-256 truncated to 16 octets over the base
 * packet's Sequence Number field (octets 0-3) followed by the TLVs that precede the HMAC TLV.
 * `precedingTlvs` is the octet range of those TLVs, headers included (the TLV codec knows where
 * they are; an empty range is allowed). Octets between the Sequence Number and the TLVs are not
 * covered.
 */
export function stampTlvHmac(key: Uint8Array, packet: Uint8Array, precedingTlvs: StampTlvRange): Buffer {
  checkKey(key);
  checkTlvRanges(packet, precedingTlvs);
  return truncatedHmac(key, [
    packet.subarray(0, SEQUENCE_NUMBER_LENGTH),
    packet.subarray(precedingTlvs.start, precedingTlvs.end),
  ]);
}

/** Compute the HMAC TLV value and write it at `valueOffset` (the HMAC TLV's Value field), in place. */
export function writeStampTlvHmac(key: Uint8Array, packet: Uint8Array, precedingTlvs: StampTlvRange, valueOffset: number): void {
  checkTlvRanges(packet, precedingTlvs, valueOffset);
  packet.set(stampTlvHmac(key, packet, precedingTlvs), valueOffset);
}

/**
 * Check a received HMAC TLV value in constant time. Returns false on a mismatch; a reflector then
 * sets the I flag on every TLV of its reply (RFC 8972 §4), a sender discards the TLVs.
 */
export function verifyStampTlvHmac(key: Uint8Array, packet: Uint8Array, precedingTlvs: StampTlvRange, valueOffset: number): boolean {
  checkTlvRanges(packet, precedingTlvs, valueOffset);
  const expected = stampTlvHmac(key, packet, precedingTlvs);
  return timingSafeEqual(expected, packet.subarray(valueOffset, valueOffset + STAMP_HMAC_LENGTH));
}
