// Reading a Session-Reflector reply into a reused record, allocating nothing per packet. The field
// offsets come from @twamp/wire's layouts (TwampLayout.reflector, stampReflectorOffsets) and the
// length rules from its decoders (twampReflectorMinLength: 38-octet twampy replies are accepted for
// the open layouts), so this reads exactly what decodeTwampReflector / decodeStampReflector would;
// test/sender/reply-reader.test.ts checks the two agree. It exists because the decoders return a
// fresh object with three timestamp objects per reply, which at 100 000 replies a second is garbage
// the sender does not need.
import {
  classOfServiceReceivedTos,
  classOfServiceSentTos,
  isAnsweredTlv,
  nanosFromNtpFraction,
  NTP_UNIX_OFFSET_SECONDS,
  stampBase,
  stampReflectorOffsets,
  TestPacketKind,
  TLV_HEADER_LENGTH,
  TlvFlag,
  TlvType,
  twampReflectorMinLength,
  verifyStampPacket,
  TTL_UNKNOWN,
} from '@twamp/wire';
import type { PacketFormat } from './options.js';


/** Why a reply was refused. */
export const ReplyProblem = {
  None: 0,
  TooShort: 1,
  BadHmac: 2,
  OtherSession: 3,
} as const;

export type ReplyProblem = (typeof ReplyProblem)[keyof typeof ReplyProblem];

/** The fields of the last reply read; -1 marks "not in this reply". Times are ns relative to the epoch. */
export interface ReplyFields {
  reflectorSequence: number;
  senderSequence: number;
  /** T1 as echoed by the reflector. */
  senderTimestamp: number;
  /** T2. */
  receiveTimestamp: number;
  /** T3. */
  transmitTimestamp: number;
  errorEstimate: number;
  senderTtl: number;
  /** RFC 7750 S-DSCP-ECN, or DSCP2/ECN of an understood STAMP Class of Service TLV. */
  receivedTos: number;
  /** STAMP Class of Service TLV: DSCP1 when the reflector used it (RP = 0). */
  sentTos: number;
  /** STAMP with our SSID ≠ 0: 1 when the reply carries it, 0 when it carries 0 (RFC 8762-only or TWAMP Light reflector); -1 otherwise. */
  ssidEchoed: number;
  /** STAMP with TLVs sent: 1 when the reply's first TLV came back understood (U clear), 0 when marked Unrecognized or missing; -1 otherwise. */
  tlvsUnderstood: number;
}

/** Converts NTP timestamps to ns relative to one epoch, exactly (see wire's ntp.ts for the fraction). */
export class NtpToRelative {
  readonly #epochNtpSeconds: number;

  constructor(epochUnixSeconds: number) {
    this.#epochNtpSeconds = (epochUnixSeconds + NTP_UNIX_OFFSET_SECONDS) >>> 0;
  }

  /** The seconds difference is a signed 32-bit value, so an NTP era wrap between them is harmless. */
  convert(seconds: number, fraction: number): number {
    return ((seconds - this.#epochNtpSeconds) | 0) * 1_000_000_000 + nanosFromNtpFraction(fraction);
  }

  read(buffer: Buffer, offset: number): number {
    return this.convert(buffer.readUInt32BE(offset), buffer.readUInt32BE(offset + 4));
  }
}

export class ReplyReader {
  readonly fields: ReplyFields = {
    reflectorSequence: 0,
    senderSequence: 0,
    senderTimestamp: 0,
    receiveTimestamp: 0,
    transmitTimestamp: 0,
    errorEstimate: 0,
    senderTtl: -1,
    receivedTos: -1,
    sentTos: -1,
    ssidEchoed: -1,
    tlvsUnderstood: -1,
  };
  readonly #format: PacketFormat;
  readonly #ntp: NtpToRelative;
  readonly #minLength: number;
  readonly #sequence: number;
  readonly #timestamp: number;
  readonly #errorEstimate: number;
  readonly #receiveTimestamp: number;
  readonly #senderSequence: number;
  readonly #senderTimestamp: number;
  readonly #senderTtl: number;
  readonly #dscpEcn: number;
  readonly #ssid: number;
  /** STAMP: where the Class of Service TLV's value sits in a reply (mirrored at the request's offset), or -1. */
  readonly #cosValueAt: number;

  constructor(format: PacketFormat, ntp: NtpToRelative) {
    this.#format = format;
    this.#ntp = ntp;
    if (format.kind === 'twamp') {
      const r = format.layout.reflector;
      this.#minLength = twampReflectorMinLength(format.layout);
      this.#sequence = r.sequence;
      this.#timestamp = r.timestamp;
      this.#errorEstimate = r.errorEstimate;
      this.#receiveTimestamp = r.receiveTimestamp;
      this.#senderSequence = r.senderSequence;
      this.#senderTimestamp = r.senderTimestamp;
      this.#senderTtl = r.senderTtl;
      this.#dscpEcn = r.senderDscpEcn;
      this.#ssid = -1;
      this.#cosValueAt = -1;
    } else {
      const o = stampReflectorOffsets(format.security);
      this.#minLength = stampBase(format.security);
      this.#sequence = o.sequence;
      this.#timestamp = o.timestamp;
      this.#errorEstimate = o.errorEstimate;
      this.#receiveTimestamp = o.receiveTimestamp;
      this.#senderSequence = o.senderSequence;
      this.#senderTimestamp = o.senderTimestamp;
      this.#senderTtl = o.senderTtl;
      this.#dscpEcn = -1;
      this.#ssid = o.ssid;
      this.#cosValueAt = format.cosTlvValueAt < 0 ? -1 : this.#minLength + format.cosTlvValueAt;
    }
  }

  /**
   * Check, unprotect and read `length` octets of `data` into `fields`. Never throws for any
   * input; returns why the reply is unusable, or None.
   */
  read(data: Buffer, length: number): ReplyProblem {
    const format = this.#format;
    if (length < this.#minLength) return ReplyProblem.TooShort;
    const packet = length === data.length ? data : data.subarray(0, length);
    try {
      if (format.kind === 'twamp') {
        // RFC 4656 §4.1.2: decrypt, then verify; a failed HMAC drops the reply.
        if (format.crypto !== undefined && !format.crypto.unprotect(packet, TestPacketKind.Reflector)) return ReplyProblem.BadHmac;
      } else if (format.key !== undefined && !verifyStampPacket(format.key, packet)) {
        return ReplyProblem.BadHmac;
      }
    } catch {
      return ReplyProblem.TooShort;
    }
    const f = this.fields;
    const ntp = this.#ntp;
    f.ssidEchoed = -1;
    f.tlvsUnderstood = -1;
    if (this.#ssid >= 0 && format.kind === 'stamp') {
      // RFC 8972 §3: the reflector copies the SSID; an RFC 8762-only reflector returns 0.
      const ssid = packet.readUInt16BE(this.#ssid);
      if (ssid !== format.ssid && ssid !== 0) return ReplyProblem.OtherSession;
      if (format.ssid !== 0) f.ssidEchoed = ssid === format.ssid ? 1 : 0;
      // RFC 8972 §4: we send every TLV with U set and a reflector that understands one returns it with
      // U clear. One that does not (RFC 8762 only; TWAMP Light, which copies or zero-fills what it
      // takes for padding) returns it with U set, with another type, or not at all.
      if (format.tlvArea.length > 0) {
        const at = this.#minLength;
        const flags = packet[at] ?? TlvFlag.Unrecognized;
        const understood = length >= at + TLV_HEADER_LENGTH && (flags & TlvFlag.Unrecognized) === 0 && packet[at + 1] === format.tlvArea[1];
        f.tlvsUnderstood = understood ? 1 : 0;
      }
    }
    f.reflectorSequence = packet.readUInt32BE(this.#sequence);
    f.transmitTimestamp = ntp.read(packet, this.#timestamp);
    f.errorEstimate = packet.readUInt16BE(this.#errorEstimate);
    f.receiveTimestamp = ntp.read(packet, this.#receiveTimestamp);
    f.senderSequence = packet.readUInt32BE(this.#senderSequence);
    f.senderTimestamp = ntp.read(packet, this.#senderTimestamp);
    // A 38-40 octet (twampy) reply has no Sender TTL; 255 is the RFC's "unknown".
    const ttl = length > this.#senderTtl ? (packet[this.#senderTtl] ?? TTL_UNKNOWN) : TTL_UNKNOWN;
    f.senderTtl = ttl === TTL_UNKNOWN ? -1 : ttl;
    f.receivedTos = this.#dscpEcn >= 0 && length > this.#dscpEcn ? (packet[this.#dscpEcn] ?? -1) : -1;
    f.sentTos = -1;
    if (this.#cosValueAt >= 0) this.#readClassOfService(packet, length);
    return ReplyProblem.None;
  }

  /**
   * RFC 8972 §4.4 (erratum 8199), read only from a TLV the reflector answered: U (not understood),
   * M (malformed) and I (integrity failed) all mean there is nothing to use (RFC 8972 §4). The TLV
   * sits where we sent it: the reflector mirrors the area. The bit layout is wire's class-of-service module.
   */
  #readClassOfService(packet: Buffer, length: number): void {
    const at = this.#cosValueAt;
    if (length < at + 4) return;
    const header = at - TLV_HEADER_LENGTH;
    if (packet[header + 1] !== TlvType.ClassOfService || !isAnsweredTlv(packet[header] ?? 0)) return;
    this.fields.receivedTos = classOfServiceReceivedTos(packet, at);
    this.fields.sentTos = classOfServiceSentTos(packet, at);
  }
}

