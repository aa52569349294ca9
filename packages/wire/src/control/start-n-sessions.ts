import { Command } from '../constants.js';
import { readSessionList, sessionListLength, writeSessionList } from './session-list.js';

/** Start-N-Sessions, command 7 (RFC 5938 §3): start the named sessions; needs Individual Session Control mode. */
export interface StartNSessionsFields {
  /** The sessions this message names; N (octets 12-15) is their count. */
  readonly sids: readonly Uint8Array[];
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StartNSessions extends Required<StartNSessionsFields> {
  readonly type: 'start-n-sessions';
}

const WHAT = 'Start-N-Sessions';

/** The command octet is not checked: the framer dispatches on it before calling this. */
export function decodeStartNSessions(input: Uint8Array, offset = 0): StartNSessions {
  const list = readSessionList(input, offset, WHAT, false);
  return { type: 'start-n-sessions', sids: list.sids, hmac: list.hmac };
}

export function writeStartNSessions(target: Uint8Array, offset: number, value: StartNSessionsFields): number {
  return writeSessionList(target, offset, WHAT, Command.StartNSessions, undefined, value.sids, value.hmac);
}

export function encodeStartNSessions(value: StartNSessionsFields): Buffer {
  const out = Buffer.alloc(sessionListLength(value.sids.length));
  writeStartNSessions(out, 0, value);
  return out;
}
