import { Command } from '../constants.js';
import { readSessionList, sessionListLength, writeSessionList } from './session-list.js';

/** Stop-N-Sessions, command 9 (RFC 5938 §3): stop the named sessions. Unlike Stop-Sessions it has no Accept. */
export interface StopNSessionsFields {
  /** The sessions this message names; N (octets 12-15) is their count. */
  readonly sids: readonly Uint8Array[];
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StopNSessions extends Required<StopNSessionsFields> {
  readonly type: 'stop-n-sessions';
}

const WHAT = 'Stop-N-Sessions';

/** The command octet is not checked: the framer dispatches on it before calling this. */
export function decodeStopNSessions(input: Uint8Array, offset = 0): StopNSessions {
  const list = readSessionList(input, offset, WHAT, false);
  return { type: 'stop-n-sessions', sids: list.sids, hmac: list.hmac };
}

export function writeStopNSessions(target: Uint8Array, offset: number, value: StopNSessionsFields): number {
  return writeSessionList(target, offset, WHAT, Command.StopNSessions, undefined, value.sids, value.hmac);
}

export function encodeStopNSessions(value: StopNSessionsFields): Buffer {
  const out = Buffer.alloc(sessionListLength(value.sids.length));
  writeStopNSessions(out, 0, value);
  return out;
}
