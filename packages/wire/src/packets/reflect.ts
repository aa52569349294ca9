import { get16, get32, put16, put32 } from '../octets.js';
import type { ReflectorFieldOffsets, SenderFieldOffsets } from './fields.js';
import {
  type StampSecurity,
  TestSecurity,
  TWAMP_SENDER_AUTH_BASE,
  TWAMP_SENDER_OPEN_BASE,
  type TwampLayout,
  twampLayout,
} from './layout.js';
import { stampReflectorOffsets, stampSenderOffsets } from './stamp.js';
import { applyReflectorTlvFlags, understoodTlvTypes } from './tlv/index.js';
import { TTL_UNKNOWN } from './twamp.js';

/**
 * Why reflectInto produced no reply. Negative so that a caller can test `length < 0` per packet
 * without an exception (a peer must not be able to make the reflector throw).
 */
export const ReflectStatus = {
  /** The request is shorter than the sender fields this layout needs. */
  TooShort: -1,
  /** The reply buffer cannot hold the reply. */
  ReplyTooSmall: -2,
  /** RFC 6038: the padding is shorter than the negotiated "Length of padding to reflect". */
  MissingReflectOctets: -3,
  /** requestLength is not an integer within the request buffer. */
  BadLength: -4,
  /** request and reply are the same buffer: fields move between layouts, so in-place is impossible. */
  SameBuffer: -5,
} as const;

export type ReflectStatus = (typeof ReflectStatus)[keyof typeof ReflectStatus];

export const ReflectProtocol = {
  Twamp: 'twamp',
  Stamp: 'stamp',
} as const;

export type ReflectProtocol = (typeof ReflectProtocol)[keyof typeof ReflectProtocol];

/**
 * Per-session state for reflectInto: created once, then mutated by the caller before each packet
 * (T2, T3, TTL, TOS) and by reflectInto itself (the next sequence number when stateful). Every field
 * is a plain number or boolean so the object keeps one shape and nothing is allocated per packet.
 */
export interface ReflectContext {
  readonly protocol: ReflectProtocol;
  /** Sender offsets. */
  readonly sSeq: number;
  readonly sTs: number;
  readonly sErr: number;
  /** STAMP only; -1 for TWAMP. */
  readonly sSsid: number;
  /** Shortest request accepted (the sender fields must be present). */
  readonly sMin: number;
  /** Where the sender padding (TWAMP) or TLV area (STAMP) starts. */
  readonly sPad: number;
  /** Reflector offsets. */
  readonly rSeq: number;
  readonly rTs: number;
  readonly rErr: number;
  readonly rSsid: number;
  readonly rRx: number;
  readonly rSSeq: number;
  readonly rSTs: number;
  readonly rSErr: number;
  readonly rTtl: number;
  readonly rDscpEcn: number;
  /** The reflector base; padding/TLVs start here and no reply is shorter. */
  readonly rPad: number;
  /** RFC 6038 octets to reflect (TWAMP). */
  readonly reflectOctets: number;
  /** Stateful: use `sequence` and increment it. Stateless (TWAMP Light, RFC 8762 §4.2): copy the sender's. */
  stateful: boolean;
  /** The next reflector Sequence Number (stateful mode). */
  sequence: number;
  /** T2 as NTP seconds and fraction (uint32 each). */
  receiveSeconds: number;
  receiveFraction: number;
  /** T3 as NTP seconds and fraction, taken as late as possible before sending. */
  sendSeconds: number;
  sendFraction: number;
  /** The reflector's Error Estimate (raw uint16). */
  errorEstimate: number;
  /** TTL/Hop Limit of the received packet; 255 when unknown (RFC 5357 §4.2.1). */
  receivedTtl: number;
  /** TOS/Traffic Class octet of the received packet, for S-DSCP-ECN (RFC 7750); 0 when unknown. */
  receivedTos: number;
  /** STAMP: the caller's HMAC check of the request failed: set I on every TLV (RFC 8972 §4.8). */
  hmacFailed: boolean;
  /** STAMP: 256-entry table of TLV types this reflector understands (see understoodTlvTypes). */
  understoodTlvs: Uint8Array;
  /** STAMP: offset in the last reply of the first malformed TLV, or -1. Written by reflectInto. */
  malformedTlvAt: number;
}

export interface TwampReflectOptions {
  readonly layout: TwampLayout;
  readonly stateful?: boolean;
  readonly errorEstimate?: number;
}

export interface StampReflectOptions {
  readonly security: StampSecurity;
  readonly stateful?: boolean;
  readonly errorEstimate?: number;
  readonly understoodTlvs?: Uint8Array;
}

/**
 * What the two protocols' contexts differ in, beyond the shared field offsets (fields.ts): where the
 * SSID sits (STAMP), how short a request may be, where padding or TLVs start, S-DSCP-ECN (RFC 7750)
 * and the RFC 6038 octets to reflect.
 */
interface ProtocolOffsets {
  readonly protocol: ReflectProtocol;
  readonly sSsid: number;
  readonly sMin: number;
  readonly sPad: number;
  readonly rSsid: number;
  readonly rDscpEcn: number;
  readonly rPad: number;
  readonly reflectOctets: number;
}

/**
 * Every context is built by this one object literal, so TWAMP and STAMP contexts share a hidden class
 * and reflectInto's property loads stay monomorphic whichever protocols a process reflects.
 */
function newContext(
  s: SenderFieldOffsets,
  r: ReflectorFieldOffsets,
  p: ProtocolOffsets,
  stateful: boolean,
  errorEstimate: number,
  understoodTlvs: Uint8Array,
): ReflectContext {
  return {
    protocol: p.protocol,
    sSeq: s.sequence,
    sTs: s.timestamp,
    sErr: s.errorEstimate,
    sSsid: p.sSsid,
    sMin: p.sMin,
    sPad: p.sPad,
    rSeq: r.sequence,
    rTs: r.timestamp,
    rErr: r.errorEstimate,
    rSsid: p.rSsid,
    rRx: r.receiveTimestamp,
    rSSeq: r.senderSequence,
    rSTs: r.senderTimestamp,
    rSErr: r.senderErrorEstimate,
    rTtl: r.senderTtl,
    rDscpEcn: p.rDscpEcn,
    rPad: p.rPad,
    reflectOctets: p.reflectOctets,
    stateful,
    sequence: 0,
    receiveSeconds: 0,
    receiveFraction: 0,
    sendSeconds: 0,
    sendFraction: 0,
    errorEstimate,
    receivedTtl: TTL_UNKNOWN,
    receivedTos: 0,
    hmacFailed: false,
    understoodTlvs,
    malformedTlvAt: -1,
  };
}

/**
 * Default Error Estimate for a reflector that knows nothing about its clock: S = 0, Scale = 0,
 * Multiplier = 1 (the RFC forbids Multiplier 0); the same value twampd sends unsynchronised.
 */
const UNSYNCED_ERROR_ESTIMATE = 0x0001;

/** Build the reusable context for a TWAMP (or TWAMP Light) session. */
export function createTwampReflectContext(options: TwampReflectOptions): ReflectContext {
  const { sender: s, reflector: r, reflectOctets } = options.layout;
  const protocolOffsets: ProtocolOffsets = {
    protocol: ReflectProtocol.Twamp,
    sSsid: -1,
    // The fields read are Seq, Timestamp and Error Estimate (open: 0-13); the authenticated sender's
    // HMAC at 32-47 must also be there. Padding is optional: twping may send Padding Length 0.
    sMin: s.hmac < 0 ? TWAMP_SENDER_OPEN_BASE : TWAMP_SENDER_AUTH_BASE,
    sPad: s.padding,
    rSsid: -1,
    rDscpEcn: r.senderDscpEcn,
    rPad: r.padding,
    reflectOctets,
  };
  return newContext(s, r, protocolOffsets, options.stateful ?? true, options.errorEstimate ?? UNSYNCED_ERROR_ESTIMATE, understoodTlvTypes());
}

/** Build the reusable context for a STAMP session. */
export function createStampReflectContext(options: StampReflectOptions): ReflectContext {
  const s = stampSenderOffsets(options.security);
  const r = stampReflectorOffsets(options.security);
  const protocolOffsets: ProtocolOffsets = {
    protocol: ReflectProtocol.Stamp,
    sSsid: s.ssid,
    // RFC 8762 §4.6: a STAMP reflector answers shorter (TWAMP Light) senders with the 44-octet base, so
    // only the 14 octets it reads (Seq, Timestamp, Error Estimate) are required; SSID reads as 0 when
    // the packet ends before it. The authenticated sender must reach its HMAC (96-111).
    sMin: s.hmac < 0 ? TWAMP_SENDER_OPEN_BASE : s.tlvs,
    sPad: s.tlvs,
    rSsid: r.ssid,
    rDscpEcn: -1,
    rPad: r.tlvs,
    reflectOctets: 0,
  };
  const understood = options.understoodTlvs ?? understoodTlvTypes();
  return newContext(s, r, protocolOffsets, options.stateful ?? true, options.errorEstimate ?? UNSYNCED_ERROR_ESTIMATE, understood);
}

/** Convenience: an open TWAMP Light context (stateless unless told otherwise). */
export function createTwampLightReflectContext(stateful = false): ReflectContext {
  return createTwampReflectContext({ layout: twampLayout({ security: TestSecurity.Open }), stateful });
}

/**
 * Decode a Session-Sender packet and write the Session-Reflector reply into `reply`, allocating nothing.
 * Returns the reply length, or a negative ReflectStatus. Never throws for any input bytes.
 *
 * - Reply length = max(request length, reflector base [+ reflect octets]): a reply is never shorter than
 *   41/44/112 octets, and otherwise as long as the request (RFC 5357 §4.2.1, RFC 6038, RFC 8762 §4.6).
 * - TWAMP padding: the first octets of the sender's padding, dropping the highest-numbered ones; with
 *   Reflect Octets those first octets are exactly the ones to reflect, so they land verbatim at the
 *   start of the reply padding. Missing octets (short request) are zero.
 * - STAMP: SSID copied; the TLV area mirrored and the RFC 8972 flag rules applied in place.
 * - Every MBZ octet and HMAC field of the reply is zeroed (the buffer is reused); the caller computes
 *   the HMAC and encrypts when the session is authenticated or encrypted.
 * `request` and `reply` must be different buffers: fields move between the two layouts.
 * Authenticated/encrypted TWAMP: `request` is the plaintext (decrypt and verify first, as RFC 5357
 * §4.2.1 orders); the reply is plaintext too, ready for the HMAC and encryption.
 * Decisions: a request shorter than its layout's base but carrying the fields read (open: 14 octets) is
 * answered with a full-base reply (RFC 5357 and RFC 8762 §4.6 answer short TWAMP Light senders this
 * way); STAMP reads SSID as 0 from a request that ends before octet 16. S-DSCP-ECN is written from
 * `receivedTos`, which stays 0 when the socket cannot report the TOS (node:dgram cannot).
 */
export function reflectInto(request: Uint8Array, requestLength: number, reply: Uint8Array, ctx: ReflectContext): number {
  const len = requestLength;
  if (request === reply) {
    return ReflectStatus.SameBuffer;
  }
  if (!(len >= 0 && len <= request.length && Math.floor(len) === len)) {
    return ReflectStatus.BadLength;
  }
  if (len < ctx.sMin) {
    return ReflectStatus.TooShort;
  }
  const rPad = ctx.rPad;
  const sPad = ctx.sPad;
  const senderExtra = len > sPad ? len - sPad : 0;
  const reflect = ctx.reflectOctets;
  if (senderExtra < reflect) {
    return ReflectStatus.MissingReflectOctets;
  }
  // STAMP contexts reflect no octets (0), so this is also STAMP's max(len, base): the TLV area is
  // mirrored at the same offset.
  const replyLength = len > rPad + reflect ? len : rPad + reflect;
  if (replyLength > reply.length) {
    return ReflectStatus.ReplyTooSmall;
  }

  // The base part: zero it first (reused buffer, MBZ and HMAC must be zero), then fill the fields.
  reply.fill(0, 0, rPad);
  const senderSeq = get32(request, ctx.sSeq);
  let seq = senderSeq;
  if (ctx.stateful) {
    seq = ctx.sequence;
    ctx.sequence = (seq + 1) >>> 0;
  }
  put32(reply, ctx.rSeq, seq);
  put32(reply, ctx.rTs, ctx.sendSeconds);
  put32(reply, ctx.rTs + 4, ctx.sendFraction);
  put16(reply, ctx.rErr, ctx.errorEstimate);
  put32(reply, ctx.rRx, ctx.receiveSeconds);
  put32(reply, ctx.rRx + 4, ctx.receiveFraction);
  put32(reply, ctx.rSSeq, senderSeq);
  // Sender Timestamp and Error Estimate: exact copies, octet for octet.
  const sTs = ctx.sTs;
  const rSTs = ctx.rSTs;
  for (let i = 0; i < 8; i++) {
    reply[rSTs + i] = request[sTs + i] ?? 0;
  }
  reply[ctx.rSErr] = request[ctx.sErr] ?? 0;
  reply[ctx.rSErr + 1] = request[ctx.sErr + 1] ?? 0;
  reply[ctx.rTtl] = ctx.receivedTtl;
  if (ctx.rDscpEcn >= 0) {
    reply[ctx.rDscpEcn] = ctx.receivedTos;
  }

  if (ctx.protocol === ReflectProtocol.Stamp) {
    // A request too short to carry the SSID (a TWAMP Light sender) reads as SSID 0, "not used".
    put16(reply, ctx.rSsid, len >= ctx.sSsid + 2 ? get16(request, ctx.sSsid) : 0);
    for (let i = rPad; i < len; i++) {
      reply[i] = request[i] ?? 0;
    }
    ctx.malformedTlvAt = len > rPad ? applyReflectorTlvFlags(reply, rPad, len, ctx.understoodTlvs, ctx.hmacFailed) : -1;
    return replyLength;
  }

  // TWAMP padding: reply octet rPad + i is sender padding octet i while the request has one.
  const copy = replyLength - rPad < senderExtra ? replyLength - rPad : senderExtra;
  for (let i = 0; i < copy; i++) {
    reply[rPad + i] = request[sPad + i] ?? 0;
  }
  for (let i = rPad + copy; i < replyLength; i++) {
    reply[i] = 0;
  }
  return replyLength;
}
