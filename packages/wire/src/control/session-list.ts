import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { BLOCK, HMAC_LENGTH, SID_LENGTH } from '../constants.js';
import { type FieldStart, needMessage } from './layout.js';

/**
 * The layout the four RFC 5938 messages share: a 16-octet header with the command number in
 * octet 0, an Accept octet in octet 1 for the two acks (MBZ in the two commands), the Number of
 * Sessions N in octets 12-15, then N SIDs and the HMAC: 32 + 16·N octets in all.
 */
export const SessionListOffset = {
  Command: 0,
  /** Accept in Start-N-Ack and Stop-N-Ack; MBZ in Start-N-Sessions and Stop-N-Sessions. */
  Accept: 1,
  NumberOfSessions: 12,
  /** The first SID; SID i starts at 16 + 16·i and the HMAC follows the last one. */
  Sids: 16,
} as const;

/** Octets of an RFC 5938 message carrying `count` SIDs. */
export function sessionListLength(count: number): number {
  return 2 * BLOCK + count * SID_LENGTH;
}

export interface DecodedSessionList {
  readonly accept: number;
  readonly sids: readonly Uint8Array[];
  readonly hmac: Uint8Array;
}

/**
 * Read header, SIDs and HMAC. The whole length is checked from N before any SID is copied, so a
 * hostile N (up to 2^32 − 1) costs one comparison, never an allocation.
 */
export function readSessionList(input: Uint8Array, offset: number, what: string, withAccept: boolean): DecodedSessionList {
  const header: FieldStart[] = [
    { name: 'Command Number', offset: SessionListOffset.Command },
    { name: withAccept ? 'Accept' : 'MBZ', offset: SessionListOffset.Accept },
    { name: 'MBZ', offset: withAccept ? SessionListOffset.Accept + 1 : SessionListOffset.Accept },
    { name: 'Number of Sessions', offset: SessionListOffset.NumberOfSessions },
  ];
  needMessage(input, offset, BLOCK, what, header);
  const buf = asBuffer(input);
  const count = buf.readUInt32BE(offset + SessionListOffset.NumberOfSessions);
  const hmacOffset = SessionListOffset.Sids + count * SID_LENGTH;
  needMessage(input, offset, sessionListLength(count), what, [
    ...header,
    { name: 'SID', offset: SessionListOffset.Sids },
    { name: 'HMAC', offset: hmacOffset },
  ]);
  const sids: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    sids.push(copyBytes(buf, offset + SessionListOffset.Sids + i * SID_LENGTH, SID_LENGTH));
  }
  return {
    accept: withAccept ? buf.readUInt8(offset + SessionListOffset.Accept) : 0,
    sids,
    hmac: copyBytes(buf, offset + hmacOffset, HMAC_LENGTH),
  };
}

export function writeSessionList(
  target: Uint8Array,
  offset: number,
  what: string,
  command: number,
  accept: number | undefined,
  sids: readonly Uint8Array[],
  hmac: Uint8Array | undefined,
): number {
  const length = sessionListLength(sids.length);
  checkTarget(target, offset, length, what);
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + length);
  buf.writeUInt8(command, offset + SessionListOffset.Command);
  if (accept !== undefined) buf.writeUInt8(accept, offset + SessionListOffset.Accept);
  buf.writeUInt32BE(sids.length, offset + SessionListOffset.NumberOfSessions);
  sids.forEach((sid, i) => {
    writeBytes(buf, offset + SessionListOffset.Sids + i * SID_LENGTH, SID_LENGTH, sid, `SID ${i}`);
  });
  writeBytes(buf, offset + SessionListOffset.Sids + sids.length * SID_LENGTH, HMAC_LENGTH, hmac, 'HMAC');
  return offset + length;
}
