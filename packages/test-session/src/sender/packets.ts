// Request packets: one buffer per distinct size, built once (padding, TLVs, SSID, MBZ), then only
// the per-packet fields are rewritten before each send. Where T1 can go in after everything else
// (open packets; TWAMP authenticated, whose timestamp lies outside the AES block and the HMAC), the
// socket writes it immediately before sendmsg(); where T1 is covered by encryption or an HMAC (TWAMP
// encrypted, STAMP authenticated) it is written here, right before the packet is protected.
import { randomFillSync } from 'node:crypto';
import {
  SENDER_TLV_FLAGS,
  signStampPacket,
  StampSecurity,
  stampBase,
  stampSenderOffsets,
  TestPacketKind,
  TestSecurity,
  TLV_HEADER_LENGTH,
  TlvType,
  writeStampTlvHmac,
  type TestPacketCrypto,
} from '@twamp/wire';
import type { PacketFormat } from './options.js';

/** Authenticated/encrypted TWAMP sender header: Seq(4) MBZ(12) Timestamp(8) Error Estimate(2) MBZ(6) HMAC(16). */
const TWAMP_PROTECTED_HEADER = 48;

/** Where T1 comes from for the packets of this format. */
export type T1Writer = 'socket' | 'sender';

/**
 * Everything needed to fill one request: the per-size buffers, the field offsets of the format and
 * how it is protected. Built once per run.
 */
export class RequestBuilder {
  readonly format: PacketFormat;
  /** One buffer per distinct size (sizes[i] uses buffers[sizeIndex[i]]). */
  readonly buffers: readonly Buffer[];
  /** Per schedule position (IMIX cycles through them): which buffer, and its length. */
  readonly cycleBuffer: readonly Buffer[];
  readonly cycleLength: readonly number[];
  readonly sequenceAt: number;
  readonly timestampAt: number;
  readonly errorEstimateAt: number;
  /** 'socket': pass `stampAt` to send(); 'sender': call writeTimestamp before protect(). */
  readonly t1Writer: T1Writer;
  readonly #crypto: TestPacketCrypto | undefined;
  readonly #stampKey: Uint8Array | undefined;
  /** STAMP HMAC TLV: where the TLVs it covers start and end, and its value (packet offsets), or -1. */
  readonly #hmacTlvStart: number;
  readonly #hmacTlvEnd: number;
  readonly #hmacTlvValueAt: number;
  readonly #range: { start: number; end: number };

  constructor(format: PacketFormat, sizes: readonly number[], fill: 'zero' | 'random') {
    this.format = format;
    const distinct = [...new Set(sizes)];
    const largest = Math.max(...distinct);
    // One pseudo-random pattern drawn at the start, shared by every size (fixed, not per packet).
    const pattern = Buffer.alloc(largest);
    if (fill === 'random') randomFillSync(pattern);
    const buffers = distinct.map((size) => this.#template(size, pattern));
    this.buffers = buffers;
    this.cycleBuffer = sizes.map((size) => buffers[distinct.indexOf(size)] ?? this.#template(size, pattern));
    this.cycleLength = sizes;

    if (format.kind === 'twamp') {
      const s = format.layout.sender;
      this.sequenceAt = s.sequence;
      this.timestampAt = s.timestamp;
      this.errorEstimateAt = s.errorEstimate;
      this.#crypto = format.crypto;
      this.#stampKey = undefined;
      // Only encryption covers the timestamp (RFC 4656 §4.1.2: authenticated mode encrypts and
      // authenticates block 0 only), so only encrypted packets need T1 before protection.
      this.t1Writer = format.layout.security === TestSecurity.Encrypted ? 'sender' : 'socket';
      this.#hmacTlvStart = -1;
      this.#hmacTlvEnd = -1;
      this.#hmacTlvValueAt = -1;
    } else {
      const o = stampSenderOffsets(format.security);
      this.sequenceAt = o.sequence;
      this.timestampAt = o.timestamp;
      this.errorEstimateAt = o.errorEstimate;
      this.#crypto = undefined;
      this.#stampKey = format.key;
      // RFC 8762 §4.4: the HMAC covers octets 0-95, timestamp included.
      this.t1Writer = format.security === StampSecurity.Authenticated ? 'sender' : 'socket';
      const base = stampBase(format.security);
      this.#hmacTlvValueAt = format.hmacTlvValueAt < 0 ? -1 : base + format.hmacTlvValueAt;
      this.#hmacTlvStart = base;
      this.#hmacTlvEnd = this.#hmacTlvValueAt - TLV_HEADER_LENGTH;
    }
    this.#range = { start: this.#hmacTlvStart, end: this.#hmacTlvEnd };
  }

  /** A request of `size` octets with every constant part in place. */
  #template(size: number, pattern: Buffer): Buffer {
    const buffer = Buffer.alloc(size);
    const format = this.format;
    if (format.kind === 'twamp') {
      // Everything after the sender base is padding (RFC 6038 reflect octets included).
      const base = format.layout.sender.padding;
      pattern.copy(buffer, base, 0, size - base);
      return buffer;
    }
    const o = stampSenderOffsets(format.security);
    const base = stampBase(format.security);
    buffer.writeUInt16BE(format.ssid, o.ssid);
    format.tlvArea.copy(buffer, base);
    const grown = base + format.tlvArea.length;
    const extra = size - grown;
    if (extra >= TLV_HEADER_LENGTH) {
      // RFC 8972 §4.1: Extra Padding grows the packet; it may follow the HMAC TLV.
      buffer[grown] = SENDER_TLV_FLAGS;
      buffer[grown + 1] = TlvType.ExtraPadding;
      buffer.writeUInt16BE(extra - TLV_HEADER_LENGTH, grown + 2);
      pattern.copy(buffer, grown + TLV_HEADER_LENGTH, 0, extra - TLV_HEADER_LENGTH);
    }
    return buffer;
  }

  /**
   * Fill the per-packet fields of `buffer` (sequence, Error Estimate; protected TWAMP: the whole
   * header, which the previous packet's encryption overwrote). T1 is written separately.
   */
  fill(buffer: Buffer, sequence: number, errorEstimate: number): void {
    if (this.#crypto !== undefined) buffer.fill(0, 0, TWAMP_PROTECTED_HEADER);
    buffer.writeUInt32BE(sequence >>> 0, this.sequenceAt);
    buffer.writeUInt16BE(errorEstimate, this.errorEstimateAt);
  }

  /** Write T1 (the sender writes it when protection covers it). */
  /** Write an NTP timestamp (as the socket's stampNow() leaves it) into the Timestamp field. */
  writeTimestamp(buffer: Buffer, seconds: number, fraction: number): void {
    buffer.writeUInt32BE(seconds >>> 0, this.timestampAt);
    buffer.writeUInt32BE(fraction >>> 0, this.timestampAt + 4);
  }

  /** Protect in place: TWAMP HMAC + AES, STAMP HMAC TLV + packet HMAC. Open packets: nothing. */
  protect(buffer: Buffer): void {
    if (this.#crypto !== undefined) {
      this.#crypto.protect(buffer, TestPacketKind.Sender);
      return;
    }
    const key = this.#stampKey;
    if (key === undefined) return;
    if (this.#hmacTlvValueAt >= 0) writeStampTlvHmac(key, buffer, this.#range, this.#hmacTlvValueAt);
    signStampPacket(key, buffer);
  }
}
