import { Command } from '../constants.js';
import { readSessionList, sessionListLength, writeSessionList } from './session-list.js';

/** Stop-N-Ack, command 10 (RFC 5938 §3): the server acknowledges a Stop-N-Sessions. */
export interface StopNAckFields {
  /** Kept as received, even outside 0-6: the caller normalises (RFC 4656 §3.3). */
  readonly accept: number;
  /** The sessions this message names; N (octets 12-15) is their count. */
  readonly sids: readonly Uint8Array[];
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StopNAck extends Required<StopNAckFields> {
  readonly type: 'stop-n-ack';
}

const WHAT = 'Stop-N-Ack';

/** The command octet is not checked: the framer dispatches on it before calling this. */
export function decodeStopNAck(input: Uint8Array, offset = 0): StopNAck {
  const list = readSessionList(input, offset, WHAT, true);
  return { type: 'stop-n-ack', accept: list.accept, sids: list.sids, hmac: list.hmac };
}

export function writeStopNAck(target: Uint8Array, offset: number, value: StopNAckFields): number {
  return writeSessionList(target, offset, WHAT, Command.StopNAck, value.accept, value.sids, value.hmac);
}

export function encodeStopNAck(value: StopNAckFields): Buffer {
  const out = Buffer.alloc(sessionListLength(value.sids.length));
  writeStopNAck(out, 0, value);
  return out;
}
