import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { IV_LENGTH } from '../crypto/token.js';
import { readTimestamp, type WireTimestamp, writeTimestamp, ZERO_TIMESTAMP } from '../values/timestamp.js';
import { needMessage } from './layout.js';

/**
 * Server-Start (RFC 4656 §3.1, RFC 5357 §3.1). Octets 0-31 always travel in clear; in
 * authenticated, encrypted and mixed modes octets 32-47 are the first block of the
 * server-to-client cipher chain (unless Accept ≠ 0). The codec works on plaintext.
 */
export const SERVER_START_LENGTH = 48;

export const ServerStartOffset = {
  /** 15 octets MBZ. */
  Mbz: 0,
  Accept: 15,
  ServerIv: 16,
  /** When the server instance started; zeros when Accept ≠ 0. */
  StartTime: 32,
  /** 8 octets MBZ. */
  Mbz2: 40,
} as const;

/** Octets 32-47: the part of Server-Start that is encrypted once the server accepts. */
export const SERVER_START_ENCRYPTED_OFFSET = 32;

export const SERVER_IV_LENGTH = IV_LENGTH;
const WHAT = 'Server-Start';

const FIELDS = [
  { name: 'MBZ', offset: ServerStartOffset.Mbz },
  { name: 'Accept', offset: ServerStartOffset.Accept },
  { name: 'Server-IV', offset: ServerStartOffset.ServerIv },
  { name: 'Start-Time', offset: ServerStartOffset.StartTime },
  { name: 'MBZ', offset: ServerStartOffset.Mbz2 },
] as const;

export interface ServerStartFields {
  /** Kept as received, even outside 0-6: the caller normalises (RFC 4656 §3.3). */
  readonly accept: number;
  /** 16 octets; zeros when omitted. */
  readonly serverIv?: Uint8Array;
  /** Zero when omitted (the value for a refusal). */
  readonly startTime?: WireTimestamp;
}

export interface ServerStart extends Required<ServerStartFields> {
  readonly type: 'server-start';
}

export function decodeServerStart(input: Uint8Array, offset = 0): ServerStart {
  needMessage(input, offset, SERVER_START_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  return {
    type: 'server-start',
    accept: buf.readUInt8(offset + ServerStartOffset.Accept),
    serverIv: copyBytes(buf, offset + ServerStartOffset.ServerIv, SERVER_IV_LENGTH),
    startTime: readTimestamp(buf, offset + ServerStartOffset.StartTime, WHAT, 'Start-Time'),
  };
}

/** Write a Server-Start (plaintext) at `offset`; returns the offset just past it. */
export function writeServerStart(target: Uint8Array, offset: number, value: ServerStartFields): number {
  checkTarget(target, offset, SERVER_START_LENGTH, WHAT);
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + SERVER_START_LENGTH);
  buf.writeUInt8(value.accept, offset + ServerStartOffset.Accept);
  writeBytes(buf, offset + ServerStartOffset.ServerIv, SERVER_IV_LENGTH, value.serverIv, 'Server-IV');
  writeTimestamp(buf, offset + ServerStartOffset.StartTime, value.startTime ?? ZERO_TIMESTAMP);
  return offset + SERVER_START_LENGTH;
}

export function encodeServerStart(value: ServerStartFields): Buffer {
  const out = Buffer.alloc(SERVER_START_LENGTH);
  writeServerStart(out, 0, value);
  return out;
}
