import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { Command, HMAC_LENGTH } from '../constants.js';
import { needMessage } from './layout.js';

/** Start-Sessions, command 2: 2 blocks; the HMAC covers octets 0-15 (RFC 4656 §3.7, RFC 5357 §3.7). */
export const START_SESSIONS_LENGTH = 32;

export const StartSessionsOffset = {
  Command: 0,
  /** 15 octets MBZ. */
  Mbz: 1,
  Hmac: 16,
} as const;

const WHAT = 'Start-Sessions';

const FIELDS = [
  { name: 'Command Number', offset: StartSessionsOffset.Command },
  { name: 'MBZ', offset: StartSessionsOffset.Mbz },
  { name: 'HMAC', offset: StartSessionsOffset.Hmac },
] as const;

export interface StartSessionsFields {
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StartSessions extends Required<StartSessionsFields> {
  readonly type: 'start-sessions';
}

/** The command octet is not checked: the framer dispatches on it before calling this. */
export function decodeStartSessions(input: Uint8Array, offset = 0): StartSessions {
  needMessage(input, offset, START_SESSIONS_LENGTH, WHAT, FIELDS);
  return { type: 'start-sessions', hmac: copyBytes(asBuffer(input), offset + StartSessionsOffset.Hmac, HMAC_LENGTH) };
}

export function writeStartSessions(target: Uint8Array, offset: number, value: StartSessionsFields = {}): number {
  checkTarget(target, offset, START_SESSIONS_LENGTH, WHAT);
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + START_SESSIONS_LENGTH);
  buf.writeUInt8(Command.StartSessions, offset + StartSessionsOffset.Command);
  writeBytes(buf, offset + StartSessionsOffset.Hmac, HMAC_LENGTH, value.hmac, 'HMAC');
  return offset + START_SESSIONS_LENGTH;
}

export function encodeStartSessions(value: StartSessionsFields = {}): Buffer {
  const out = Buffer.alloc(START_SESSIONS_LENGTH);
  writeStartSessions(out, 0, value);
  return out;
}
