import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { HMAC_LENGTH } from '../constants.js';
import { needMessage } from './layout.js';

/** Start-Ack: the server's reply to Start-Sessions, 2 blocks (RFC 4656 §3.7). */
export const START_ACK_LENGTH = 32;

export const StartAckOffset = {
  Accept: 0,
  /** 15 octets MBZ. */
  Mbz: 1,
  Hmac: 16,
} as const;

const WHAT = 'Start-Ack';

const FIELDS = [
  { name: 'Accept', offset: StartAckOffset.Accept },
  { name: 'MBZ', offset: StartAckOffset.Mbz },
  { name: 'HMAC', offset: StartAckOffset.Hmac },
] as const;

export interface StartAckFields {
  /** Kept as received, even outside 0-6: the caller normalises (RFC 4656 §3.3). */
  readonly accept: number;
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StartAck extends Required<StartAckFields> {
  readonly type: 'start-ack';
}

export function decodeStartAck(input: Uint8Array, offset = 0): StartAck {
  needMessage(input, offset, START_ACK_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  return {
    type: 'start-ack',
    accept: buf.readUInt8(offset + StartAckOffset.Accept),
    hmac: copyBytes(buf, offset + StartAckOffset.Hmac, HMAC_LENGTH),
  };
}

export function writeStartAck(target: Uint8Array, offset: number, value: StartAckFields): number {
  checkTarget(target, offset, START_ACK_LENGTH, WHAT);
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + START_ACK_LENGTH);
  buf.writeUInt8(value.accept, offset + StartAckOffset.Accept);
  writeBytes(buf, offset + StartAckOffset.Hmac, HMAC_LENGTH, value.hmac, 'HMAC');
  return offset + START_ACK_LENGTH;
}

export function encodeStartAck(value: StartAckFields): Buffer {
  const out = Buffer.alloc(START_ACK_LENGTH);
  writeStartAck(out, 0, value);
  return out;
}
