import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { HMAC_LENGTH, SID_LENGTH } from '../constants.js';
import { needMessage } from './layout.js';

/** Accept-Session: the server's reply to Request-TW-Session, 3 blocks (RFC 5357 §3.5, RFC 6038 §4.3). */
export const ACCEPT_SESSION_LENGTH = 48;

export const AcceptSessionOffset = {
  Accept: 0,
  /** 1 octet MBZ. */
  Mbz: 1,
  Port: 2,
  Sid: 4,
  /** RFC 6038 §4.3: a copy of the request's Octets to be reflected; MBZ otherwise. */
  ReflectedOctets: 20,
  /** RFC 6038 §4.3: octets the server adds; 0 when unused, MBZ otherwise. */
  ServerOctets: 22,
  /** 8 octets MBZ. */
  Mbz2: 24,
  Hmac: 32,
} as const;

const WHAT = 'Accept-Session';

const FIELDS = [
  { name: 'Accept', offset: AcceptSessionOffset.Accept },
  { name: 'MBZ', offset: AcceptSessionOffset.Mbz },
  { name: 'Port', offset: AcceptSessionOffset.Port },
  { name: 'SID', offset: AcceptSessionOffset.Sid },
  { name: 'Reflected octets', offset: AcceptSessionOffset.ReflectedOctets },
  { name: 'Server octets', offset: AcceptSessionOffset.ServerOctets },
  { name: 'MBZ', offset: AcceptSessionOffset.Mbz2 },
  { name: 'HMAC', offset: AcceptSessionOffset.Hmac },
] as const;

export interface AcceptSessionFields {
  /** Kept as received, even outside 0-6: the caller normalises (RFC 4656 §3.3). */
  readonly accept: number;
  /** The reflector's UDP port; may differ from the one requested (RFC 8545 §5.1). */
  readonly port: number;
  /** 16 octets; zeros when omitted (a refusal carries no SID). */
  readonly sid?: Uint8Array;
  /** RFC 6038; 0 when omitted. */
  readonly reflectedOctets?: number;
  /** RFC 6038; 0 when omitted. */
  readonly serverOctets?: number;
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface AcceptSession extends Required<AcceptSessionFields> {
  readonly type: 'accept-session';
}

export function decodeAcceptSession(input: Uint8Array, offset = 0): AcceptSession {
  needMessage(input, offset, ACCEPT_SESSION_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  return {
    type: 'accept-session',
    accept: buf.readUInt8(offset + AcceptSessionOffset.Accept),
    port: buf.readUInt16BE(offset + AcceptSessionOffset.Port),
    sid: copyBytes(buf, offset + AcceptSessionOffset.Sid, SID_LENGTH),
    reflectedOctets: buf.readUInt16BE(offset + AcceptSessionOffset.ReflectedOctets),
    serverOctets: buf.readUInt16BE(offset + AcceptSessionOffset.ServerOctets),
    hmac: copyBytes(buf, offset + AcceptSessionOffset.Hmac, HMAC_LENGTH),
  };
}

/** Write an Accept-Session (plaintext) at `offset`; returns the offset just past it. */
export function writeAcceptSession(target: Uint8Array, offset: number, value: AcceptSessionFields): number {
  checkTarget(target, offset, ACCEPT_SESSION_LENGTH, WHAT);
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + ACCEPT_SESSION_LENGTH);
  buf.writeUInt8(value.accept, offset + AcceptSessionOffset.Accept);
  buf.writeUInt16BE(value.port, offset + AcceptSessionOffset.Port);
  writeBytes(buf, offset + AcceptSessionOffset.Sid, SID_LENGTH, value.sid, 'SID');
  buf.writeUInt16BE(value.reflectedOctets ?? 0, offset + AcceptSessionOffset.ReflectedOctets);
  buf.writeUInt16BE(value.serverOctets ?? 0, offset + AcceptSessionOffset.ServerOctets);
  writeBytes(buf, offset + AcceptSessionOffset.Hmac, HMAC_LENGTH, value.hmac, 'HMAC');
  return offset + ACCEPT_SESSION_LENGTH;
}

export function encodeAcceptSession(value: AcceptSessionFields): Buffer {
  const out = Buffer.alloc(ACCEPT_SESSION_LENGTH);
  writeAcceptSession(out, 0, value);
  return out;
}
