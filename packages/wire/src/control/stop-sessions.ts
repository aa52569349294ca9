import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { Command, HMAC_LENGTH } from '../constants.js';
import { needMessage } from './layout.js';

/**
 * Stop-Sessions, command 3: 2 blocks in TWAMP, with no session records (RFC 5357 §3.8).
 * Always sent as 32 octets; see framer.ts for how a 20-octet legacy form is tolerated.
 */
export const STOP_SESSIONS_LENGTH = 32;

export const StopSessionsOffset = {
  Command: 0,
  /** 0 = normal; non-zero means the results are invalid. */
  Accept: 1,
  /** 2 octets MBZ. */
  Mbz: 2,
  NumberOfSessions: 4,
  /** 8 octets MBZ. */
  Mbz2: 8,
  Hmac: 16,
} as const;

const WHAT = 'Stop-Sessions';

const FIELDS = [
  { name: 'Command Number', offset: StopSessionsOffset.Command },
  { name: 'Accept', offset: StopSessionsOffset.Accept },
  { name: 'MBZ', offset: StopSessionsOffset.Mbz },
  { name: 'Number of Sessions', offset: StopSessionsOffset.NumberOfSessions },
  { name: 'MBZ', offset: StopSessionsOffset.Mbz2 },
  { name: 'HMAC', offset: StopSessionsOffset.Hmac },
] as const;

export interface StopSessionsFields {
  /** Kept as received: the caller normalises. */
  readonly accept: number;
  /** Must equal the number of sessions in progress; the caller checks. */
  readonly numberOfSessions: number;
  /** 16 octets; zeros when omitted. */
  readonly hmac?: Uint8Array;
}

export interface StopSessions extends Required<StopSessionsFields> {
  readonly type: 'stop-sessions';
}

/** The command octet is not checked: the framer dispatches on it before calling this. */
export function decodeStopSessions(input: Uint8Array, offset = 0): StopSessions {
  needMessage(input, offset, STOP_SESSIONS_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  return {
    type: 'stop-sessions',
    accept: buf.readUInt8(offset + StopSessionsOffset.Accept),
    numberOfSessions: buf.readUInt32BE(offset + StopSessionsOffset.NumberOfSessions),
    hmac: copyBytes(buf, offset + StopSessionsOffset.Hmac, HMAC_LENGTH),
  };
}

export function writeStopSessions(target: Uint8Array, offset: number, value: StopSessionsFields): number {
  checkTarget(target, offset, STOP_SESSIONS_LENGTH, WHAT);
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + STOP_SESSIONS_LENGTH);
  buf.writeUInt8(Command.StopSessions, offset + StopSessionsOffset.Command);
  buf.writeUInt8(value.accept, offset + StopSessionsOffset.Accept);
  buf.writeUInt32BE(value.numberOfSessions, offset + StopSessionsOffset.NumberOfSessions);
  writeBytes(buf, offset + StopSessionsOffset.Hmac, HMAC_LENGTH, value.hmac, 'HMAC');
  return offset + STOP_SESSIONS_LENGTH;
}

export function encodeStopSessions(value: StopSessionsFields): Buffer {
  const out = Buffer.alloc(STOP_SESSIONS_LENGTH);
  writeStopSessions(out, 0, value);
  return out;
}
