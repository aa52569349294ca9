import { asBuffer, need } from '../bytes.js';
import { readTimestamp } from '../values/timestamp.js';
import {
  addHmac,
  type Mutable,
  type ReflectorFieldOffsets,
  type ReflectorFields,
  type SenderFieldOffsets,
  type SenderFields,
  startPacket,
  writeHmac,
  writeReflectorFields,
  writeSenderFields,
} from './fields.js';
import { StampSecurity, stampBase } from './layout.js';

/** STAMP HMAC field, packet and HMAC TLV alike: HMAC-SHA-256 truncated to 128 bits (RFC 8762 §4.4, RFC 8972 §4.8). */
export const STAMP_HMAC_LENGTH = 16;

/** Offsets of the STAMP Session-Sender packet (RFC 8762 §4.2.1/§4.2.2, SSID from RFC 8972 §3). */
export interface StampSenderOffsets extends SenderFieldOffsets {
  readonly ssid: number;
  readonly hmac: number;
  readonly tlvs: number;
}

/** Offsets of the STAMP Session-Reflector packet (RFC 8762 §4.3.1/§4.3.2, SSID from RFC 8972 §3). */
export interface StampReflectorOffsets extends ReflectorFieldOffsets {
  readonly ssid: number;
  readonly hmac: number;
  readonly tlvs: number;
}

const SENDER_OPEN: StampSenderOffsets = Object.freeze({ sequence: 0, timestamp: 4, errorEstimate: 12, ssid: 14, hmac: -1, tlvs: 44 });
// Seq(4) MBZ(12) Timestamp(8) Error Estimate(2) SSID(2) MBZ(68) HMAC(16).
const SENDER_AUTH: StampSenderOffsets = Object.freeze({ sequence: 0, timestamp: 16, errorEstimate: 24, ssid: 26, hmac: 96, tlvs: 112 });
const REFLECTOR_OPEN: StampReflectorOffsets = Object.freeze({
  sequence: 0, timestamp: 4, errorEstimate: 12, ssid: 14, receiveTimestamp: 16, senderSequence: 24,
  senderTimestamp: 28, senderErrorEstimate: 36, senderTtl: 40, hmac: -1, tlvs: 44,
});
// Each field of the authenticated reflector packet starts a 16-octet block, as in TWAMP, except SSID,
// which RFC 8972 §3 takes from the MBZ octets right after the Error Estimate.
const REFLECTOR_AUTH: StampReflectorOffsets = Object.freeze({
  sequence: 0, timestamp: 16, errorEstimate: 24, ssid: 26, receiveTimestamp: 32, senderSequence: 48,
  senderTimestamp: 64, senderErrorEstimate: 72, senderTtl: 80, hmac: 96, tlvs: 112,
});

export function stampSenderOffsets(security: StampSecurity): StampSenderOffsets {
  return security === StampSecurity.Open ? SENDER_OPEN : SENDER_AUTH;
}

export function stampReflectorOffsets(security: StampSecurity): StampReflectorOffsets {
  return security === StampSecurity.Open ? REFLECTOR_OPEN : REFLECTOR_AUTH;
}

/** A STAMP Session-Sender packet in plaintext form. */
export interface StampSenderPacket extends SenderFields {
  /** RFC 8972 §3 Session-Sender Identifier; 0 from a sender that does not use it (it was MBZ in RFC 8762). */
  readonly ssid: number;
  /** Authenticated only: the 16 octets at 96-111, as given (the crypto module computes them). */
  readonly hmac?: Uint8Array;
  /**
   * The TLV area: every octet after the 44/112-octet base (RFC 8972 §4: TLVs are detected from the
   * length). A view into the input; walk it with `decodeTlvArea` or `decodeStampTlvs`.
   */
  readonly tlvs: Uint8Array;
}

/** A STAMP Session-Reflector packet in plaintext form. */
export interface StampReflectorPacket extends ReflectorFields {
  readonly ssid: number;
  /** The received TTL/Hop Limit; 255 when the reflector could not read it (RFC 8762 §4.3.1). */
  readonly senderTtl: number;
  /** Authenticated only: the 16 octets at 96-111, as given. */
  readonly hmac?: Uint8Array;
  /** The TLV area after the base, a view into the input (see StampSenderPacket.tlvs). */
  readonly tlvs: Uint8Array;
}

const SENDER = 'STAMP Session-Sender test packet';
const REFLECTOR = 'STAMP Session-Reflector test packet';

export function decodeStampSender(input: Uint8Array, security: StampSecurity): StampSenderPacket {
  const b = asBuffer(input);
  need(b, 0, stampBase(security), SENDER, 'length');
  const o = stampSenderOffsets(security);
  const packet: Mutable<StampSenderPacket> = {
    sequence: b.readUInt32BE(o.sequence),
    timestamp: readTimestamp(b, o.timestamp, SENDER, 'Timestamp'),
    errorEstimate: b.readUInt16BE(o.errorEstimate),
    ssid: b.readUInt16BE(o.ssid),
    tlvs: b.subarray(o.tlvs),
  };
  addHmac(packet, b, o.hmac, STAMP_HMAC_LENGTH);
  return packet;
}

export function stampSenderLength(value: StampSenderPacket, security: StampSecurity): number {
  return stampBase(security) + value.tlvs.length;
}

export function writeStampSender(value: StampSenderPacket, security: StampSecurity, target: Buffer, offset = 0): number {
  const o = stampSenderOffsets(security);
  const length = stampSenderLength(value, security);
  startPacket(target, offset, length, o.tlvs, SENDER);
  writeSenderFields(target, offset, o, value);
  target.writeUInt16BE(value.ssid & 0xffff, offset + o.ssid);
  writeHmac(target, offset, o.hmac, value.hmac, STAMP_HMAC_LENGTH);
  target.set(value.tlvs, offset + o.tlvs);
  return length;
}

export function encodeStampSender(value: StampSenderPacket, security: StampSecurity): Buffer {
  const out = Buffer.alloc(stampSenderLength(value, security));
  writeStampSender(value, security, out);
  return out;
}

export function decodeStampReflector(input: Uint8Array, security: StampSecurity): StampReflectorPacket {
  const b = asBuffer(input);
  need(b, 0, stampBase(security), REFLECTOR, 'length');
  const o = stampReflectorOffsets(security);
  const packet: Mutable<StampReflectorPacket> = {
    sequence: b.readUInt32BE(o.sequence),
    timestamp: readTimestamp(b, o.timestamp, REFLECTOR, 'Timestamp'),
    errorEstimate: b.readUInt16BE(o.errorEstimate),
    ssid: b.readUInt16BE(o.ssid),
    receiveTimestamp: readTimestamp(b, o.receiveTimestamp, REFLECTOR, 'Receive Timestamp'),
    senderSequence: b.readUInt32BE(o.senderSequence),
    senderTimestamp: readTimestamp(b, o.senderTimestamp, REFLECTOR, 'Session-Sender Timestamp'),
    senderErrorEstimate: b.readUInt16BE(o.senderErrorEstimate),
    senderTtl: b.readUInt8(o.senderTtl),
    tlvs: b.subarray(o.tlvs),
  };
  addHmac(packet, b, o.hmac, STAMP_HMAC_LENGTH);
  return packet;
}

export function stampReflectorLength(value: StampReflectorPacket, security: StampSecurity): number {
  return stampBase(security) + value.tlvs.length;
}

export function writeStampReflector(value: StampReflectorPacket, security: StampSecurity, target: Buffer, offset = 0): number {
  const o = stampReflectorOffsets(security);
  const length = stampReflectorLength(value, security);
  startPacket(target, offset, length, o.tlvs, REFLECTOR);
  writeReflectorFields(target, offset, o, value);
  target.writeUInt16BE(value.ssid & 0xffff, offset + o.ssid);
  target[offset + o.senderTtl] = value.senderTtl;
  writeHmac(target, offset, o.hmac, value.hmac, STAMP_HMAC_LENGTH);
  target.set(value.tlvs, offset + o.tlvs);
  return length;
}

export function encodeStampReflector(value: StampReflectorPacket, security: StampSecurity): Buffer {
  const out = Buffer.alloc(stampReflectorLength(value, security));
  writeStampReflector(value, security, out);
  return out;
}
