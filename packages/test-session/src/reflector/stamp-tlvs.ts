// RFC 8972 TLV processing around reflectInto. reflectInto mirrors the TLV area and applies the U/M/I
// flag rules; @twamp/wire's TLV table says which types this reflector understands and what it writes
// into each (fillReflectorTlvs runs the per-type fills). This module supplies what those fills read
// from the session, checks the sender's HMAC TLV before reflection and writes the reply's afterwards.
// Walks are allocation-free; only the HMAC computations (node:crypto) allocate, and only in
// authenticated mode.
import {
  fillReflectorTlvs,
  NO_ADDRESS,
  ReflectorTlvContext,
  reflectorUnderstoodTlvTypes,
  STAMP_HMAC_LENGTH,
  TLV_HEADER_LENGTH,
  TlvStep,
  TlvType,
  TlvWalker,
  tryParseIpAddress,
  verifyStampTlvHmac,
  writeStampTlvHmac,
} from '@twamp/wire';
import type { ReflectorSession } from './session.js';

/** The TLV types this reflector understands and fills (plus HMAC when it holds a key), from wire's TLV table. */
export function reflectorUnderstoodTlvs(withHmac: boolean): Uint8Array {
  return reflectorUnderstoodTlvTypes(withHmac);
}

const integrityWalker = new TlvWalker();

/**
 * Whether the TLVs of an authenticated request fail their integrity check (RFC 8972 §4.8): the HMAC
 * TLV over Sequence Number + the TLVs before it does not verify, or TLVs other than Extra Padding
 * arrived without an HMAC TLV (nothing vouches for them). No TLVs at all: nothing to fail.
 */
export function requestTlvsFailIntegrity(key: Uint8Array, request: Uint8Array, start: number, end: number): boolean {
  let needsHmac = false;
  const w = integrityWalker.start(request, start, end);
  let step: TlvStep;
  while ((step = w.step()) === TlvStep.Tlv) {
    if (w.type === TlvType.Hmac) {
      if (w.length !== STAMP_HMAC_LENGTH) return true;
      return !verifyStampTlvHmac(key, request, { start, end: w.offset }, w.value);
    }
    if (w.type !== TlvType.ExtraPadding) needsHmac = true;
  }
  // A malformed tail also counts: with a key, every non-padding TLV must be vouched for.
  return needsHmac || step === TlvStep.Malformed;
}

function addressOctets(text: string): Uint8Array {
  const parsed = tryParseIpAddress(text);
  if (parsed === undefined) return NO_ADDRESS;
  for (const octet of parsed.octets) {
    if (octet !== 0) return parsed.octets;
  }
  // The wildcard says nothing about where the packet arrived.
  return NO_ADDRESS;
}

/**
 * What the TLV fills need to know about the packet being reflected; one object, reused. The reflector
 * sets the socket's fields once (canSetTos, localPort, timestamp methods, sync source) and
 * receivedTos per packet; fillReflectedTlvs adds the session's counters, port and addresses.
 */
export class TlvFillState extends ReflectorTlvContext {
  #session: ReflectorSession | undefined;

  /** The addresses are parsed on the first Location TLV of a session, then kept on it. */
  override localAddress(): Uint8Array {
    const session = this.#session;
    if (session === undefined) return NO_ADDRESS;
    session.localOctets ??= addressOctets(session.local);
    return session.localOctets;
  }

  override peerAddress(): Uint8Array {
    const session = this.#session;
    if (session === undefined) return NO_ADDRESS;
    session.sourceOctets ??= addressOctets(session.address);
    return session.sourceOctets;
  }

  /** Point the state at the session whose packet is being reflected. */
  forSession(session: ReflectorSession): this {
    this.#session = session;
    this.peerPort = session.port;
    this.receivedCount = session.received;
    // This packet counts in both: it was received, and its reply is being sent.
    this.sentCount = session.packets + 1;
    return this;
  }

  /** Drop the session reference, so that a closed session is not kept alive until the next packet. */
  release(): void {
    this.#session = undefined;
  }
}

/**
 * Fill the reflector fields of the understood TLVs in the reply's TLV area [start, end) (end stops
 * before a malformed TLV). reflectInto has set the flags: a TLV with U = 0 is one we understood.
 * Leaves DSCP1 and the HMAC TLV's offset in `state`.
 */
export function fillReflectedTlvs(reply: Uint8Array, start: number, end: number, session: ReflectorSession, state: TlvFillState): void {
  fillReflectorTlvs(reply, start, end, state.forSession(session));
  state.release();
}

/** Write the reply's HMAC TLV value over its Sequence Number and the TLVs before it (RFC 8972 §4.8). */
export function signReplyTlvs(key: Uint8Array, reply: Uint8Array, start: number, hmacAt: number): void {
  writeStampTlvHmac(key, reply, { start, end: hmacAt }, hmacAt + TLV_HEADER_LENGTH);
}
