import { checkTarget } from '../bytes.js';
import { type WireTimestamp, writeTimestamp } from '../values/timestamp.js';
import { zero } from '../octets.js';

/*
 * The fields every TWAMP and STAMP test packet shares: both protocols' sender packets start with
 * Sequence Number, Timestamp and Error Estimate, and both reflector packets add Receive Timestamp and
 * the sender's Sequence Number, Timestamp and Error Estimate (RFC 5357 §4.1.2, §4.2.1; RFC 8762 §4.2,
 * §4.3). Only the offsets differ, and the layouts supply them. The writers are shared; each decoder
 * reads the fields into its own single object literal instead (see addHmac for why). Internal to the
 * packet codecs and the reflector; not part of the package's API.
 */

/** Where the shared sender fields sit (TwampLayout['sender'] and StampSenderOffsets both fit). */
export interface SenderFieldOffsets {
  readonly sequence: number;
  readonly timestamp: number;
  readonly errorEstimate: number;
}

/** Where the shared reflector fields sit (TwampLayout['reflector'] and StampReflectorOffsets both fit). */
export interface ReflectorFieldOffsets extends SenderFieldOffsets {
  readonly receiveTimestamp: number;
  readonly senderSequence: number;
  readonly senderTimestamp: number;
  readonly senderErrorEstimate: number;
  readonly senderTtl: number;
}

export interface SenderFields {
  readonly sequence: number;
  /** T1 in a sender packet; T3 (taken just before the reflector sent the packet) in a reflector packet. */
  readonly timestamp: WireTimestamp;
  /** Raw 16-bit Error Estimate (S, Z, Scale, Multiplier), as sent. */
  readonly errorEstimate: number;
}

/** Sender TTL is not here: TWAMP allows it to be missing (null), STAMP does not. */
export interface ReflectorFields extends SenderFields {
  /** T2: when the reflector received the sender's packet. */
  readonly receiveTimestamp: WireTimestamp;
  readonly senderSequence: number;
  readonly senderTimestamp: WireTimestamp;
  readonly senderErrorEstimate: number;
}

/**
 * Start writing a packet of `length` octets at `offset`: check the target has room, then zero the
 * `base` octets (a reused buffer holds the previous packet, and MBZ octets must really be zero).
 */
export function startPacket(target: Buffer, offset: number, length: number, base: number, what: string): void {
  checkTarget(target, offset, length, what);
  zero(target, offset, offset + base);
}

export function writeSenderFields(target: Buffer, offset: number, o: SenderFieldOffsets, value: SenderFields): void {
  target.writeUInt32BE(value.sequence >>> 0, offset + o.sequence);
  writeTimestamp(target, offset + o.timestamp, value.timestamp);
  target.writeUInt16BE(value.errorEstimate & 0xffff, offset + o.errorEstimate);
}

export function writeReflectorFields(target: Buffer, offset: number, o: ReflectorFieldOffsets, value: ReflectorFields): void {
  writeSenderFields(target, offset, o, value);
  writeTimestamp(target, offset + o.receiveTimestamp, value.receiveTimestamp);
  target.writeUInt32BE(value.senderSequence >>> 0, offset + o.senderSequence);
  writeTimestamp(target, offset + o.senderTimestamp, value.senderTimestamp);
  target.writeUInt16BE(value.senderErrorEstimate & 0xffff, offset + o.senderErrorEstimate);
}

/** A decoded packet under construction: decoders fill one object literal, then add what is optional. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Give a decoded packet a view of its `length`-octet HMAC field when the layout has one (`at` ≥ 0).
 * Added to the decoder's one object literal rather than spread into a second one: object spread costs
 * over a microsecond per packet on Node 20, twenty times the rest of a decode.
 */
export function addHmac(packet: { hmac?: Uint8Array }, b: Buffer, at: number, length: number): void {
  if (at >= 0) {
    packet.hmac = b.subarray(at, at + length);
  }
}

/**
 * Write the HMAC field at `offset + at` when the layout has one (`at` ≥ 0) and the value carries one;
 * otherwise the field stays zero (startPacket zeroed it). The HMAC itself is the crypto module's job.
 */
export function writeHmac(target: Buffer, offset: number, at: number, hmac: Uint8Array | undefined, length: number): void {
  if (at < 0 || hmac === undefined) {
    return;
  }
  if (hmac.length !== length) {
    throw new RangeError(`HMAC must be ${length} octets, got ${hmac.length}`);
  }
  target.set(hmac, offset + at);
}
