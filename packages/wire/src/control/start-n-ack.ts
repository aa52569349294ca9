import { Command } from '../constants.js';
import { readSessionList, sessionListLength, writeSessionList } from './session-list.js';

/** Start-N-Ack, command 8 (RFC 5938 §3): the server acknowledges, possibly split by Accept value. */
export interface StartNAckFields {
  /** Kept as received, even outside 0-6: the caller normalises (RFC 4656 §3.3). */
  readonly accept: number;
  /** The sessions this message names; N (octets 12-15) is their count. */
  readonly sids: readonly Uint8Array[];
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StartNAck extends Required<StartNAckFields> {
  readonly type: 'start-n-ack';
}

const WHAT = 'Start-N-Ack';

/** The command octet is not checked: the framer dispatches on it before calling this. */
export function decodeStartNAck(input: Uint8Array, offset = 0): StartNAck {
  const list = readSessionList(input, offset, WHAT, true);
  return { type: 'start-n-ack', accept: list.accept, sids: list.sids, hmac: list.hmac };
}

export function writeStartNAck(target: Uint8Array, offset: number, value: StartNAckFields): number {
  return writeSessionList(target, offset, WHAT, Command.StartNAck, value.accept, value.sids, value.hmac);
}

export function encodeStartNAck(value: StartNAckFields): Buffer {
  const out = Buffer.alloc(sessionListLength(value.sids.length));
  writeStartNAck(out, 0, value);
  return out;
}
