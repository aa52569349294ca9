import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { Command, HMAC_LENGTH, SID_LENGTH } from '../constants.js';
import { readTimestamp, type WireTimestamp, writeTimestamp } from '../values/timestamp.js';
import { ADDRESS_FIELD_LENGTH, readAddress, writeAddress } from '../values/address.js';
import { needMessage } from './layout.js';

/** Request-TW-Session, command 5: 7 blocks; the HMAC covers octets 0-95 (RFC 5357 §3.5, RFC 6038 §4.2). */
export const REQUEST_TW_SESSION_LENGTH = 112;

export const RequestTwSessionOffset = {
  Command: 0,
  /** High nibble MBZ, low nibble IP version (4 or 6). */
  Ipvn: 1,
  ConfSender: 2,
  ConfReceiver: 3,
  NumberOfScheduleSlots: 4,
  NumberOfPackets: 8,
  SenderPort: 12,
  ReceiverPort: 14,
  SenderAddress: 16,
  ReceiverAddress: 32,
  Sid: 48,
  PaddingLength: 64,
  StartTime: 68,
  Timeout: 76,
  TypePDescriptor: 84,
  /** RFC 6038 §4.2 (Reflect Octets mode); MBZ otherwise. */
  OctetsToBeReflected: 88,
  /** RFC 6038 §4.2 (Reflect Octets mode); MBZ otherwise. */
  LengthOfPaddingToReflect: 90,
  /** 4 octets MBZ. */
  Mbz: 92,
  Hmac: 96,
} as const;

const WHAT = 'Request-TW-Session';

const FIELDS = [
  { name: 'Command Number', offset: RequestTwSessionOffset.Command },
  { name: 'IPVN', offset: RequestTwSessionOffset.Ipvn },
  { name: 'Conf-Sender', offset: RequestTwSessionOffset.ConfSender },
  { name: 'Conf-Receiver', offset: RequestTwSessionOffset.ConfReceiver },
  { name: 'Number of Schedule Slots', offset: RequestTwSessionOffset.NumberOfScheduleSlots },
  { name: 'Number of Packets', offset: RequestTwSessionOffset.NumberOfPackets },
  { name: 'Sender Port', offset: RequestTwSessionOffset.SenderPort },
  { name: 'Receiver Port', offset: RequestTwSessionOffset.ReceiverPort },
  { name: 'Sender Address', offset: RequestTwSessionOffset.SenderAddress },
  { name: 'Receiver Address', offset: RequestTwSessionOffset.ReceiverAddress },
  { name: 'SID', offset: RequestTwSessionOffset.Sid },
  { name: 'Padding Length', offset: RequestTwSessionOffset.PaddingLength },
  { name: 'Start Time', offset: RequestTwSessionOffset.StartTime },
  { name: 'Timeout', offset: RequestTwSessionOffset.Timeout },
  { name: 'Type-P Descriptor', offset: RequestTwSessionOffset.TypePDescriptor },
  { name: 'Octets to be reflected', offset: RequestTwSessionOffset.OctetsToBeReflected },
  { name: 'Length of padding to reflect', offset: RequestTwSessionOffset.LengthOfPaddingToReflect },
  { name: 'MBZ', offset: RequestTwSessionOffset.Mbz },
  { name: 'HMAC', offset: RequestTwSessionOffset.Hmac },
] as const;

export interface RequestTwSessionFields {
  /**
   * 4 or 6. Any other value is kept as received (the server answers Accept 3); the addresses of
   * such a request decode as '' because their layout is unknown.
   */
  readonly ipvn: number;
  /** Must be 0 in TWAMP; kept as received so the server can answer Accept 3. */
  readonly confSender?: number;
  /** Must be 0 in TWAMP; kept as received so the server can answer Accept 3. */
  readonly confReceiver?: number;
  /** Must be 0 in TWAMP (no slot records follow). */
  readonly numberOfScheduleSlots?: number;
  /** Must be 0 in TWAMP. */
  readonly numberOfPackets?: number;
  readonly senderPort: number;
  readonly receiverPort: number;
  /** Text form; the unspecified address (0.0.0.0 or ::) means "the control connection's address". */
  readonly senderAddress: string;
  readonly receiverAddress: string;
  /** 16 octets; must be zero in a request (the server assigns the SID). Zeros when omitted. */
  readonly sid?: Uint8Array;
  readonly paddingLength: number;
  readonly startTime: WireTimestamp;
  /** An interval in the timestamp format: how long to keep reflecting after Stop-Sessions. */
  readonly timeout: WireTimestamp;
  /** 32 bits; DSCP d is encoded as d << 24. */
  readonly typeP: number;
  /** RFC 6038: two octets the reflector copies into Accept-Session; 0 when unused. */
  readonly octetsToBeReflected?: number;
  /** RFC 6038: how many padding octets the reflector returns; 0 when unused. */
  readonly lengthOfPaddingToReflect?: number;
  /** 16 octets; zeros when omitted (the stream encryptor writes the real HMAC). */
  readonly hmac?: Uint8Array;
}

export interface RequestTwSession extends Required<RequestTwSessionFields> {
  readonly type: 'request-tw-session';
}

function hasAddressLayout(ipvn: number): ipvn is 4 | 6 {
  return ipvn === 4 || ipvn === 6;
}

/**
 * Decode a Request-TW-Session from plaintext. The command octet is not checked: the framer
 * dispatches on it before calling this.
 */
export function decodeRequestTwSession(input: Uint8Array, offset = 0): RequestTwSession {
  needMessage(input, offset, REQUEST_TW_SESSION_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  const ipvn = buf.readUInt8(offset + RequestTwSessionOffset.Ipvn) & 0x0f;
  const address = (at: number, field: string): string =>
    hasAddressLayout(ipvn) ? readAddress(buf, offset + at, ipvn, WHAT, field) : '';
  return {
    type: 'request-tw-session',
    ipvn,
    confSender: buf.readUInt8(offset + RequestTwSessionOffset.ConfSender),
    confReceiver: buf.readUInt8(offset + RequestTwSessionOffset.ConfReceiver),
    numberOfScheduleSlots: buf.readUInt32BE(offset + RequestTwSessionOffset.NumberOfScheduleSlots),
    numberOfPackets: buf.readUInt32BE(offset + RequestTwSessionOffset.NumberOfPackets),
    senderPort: buf.readUInt16BE(offset + RequestTwSessionOffset.SenderPort),
    receiverPort: buf.readUInt16BE(offset + RequestTwSessionOffset.ReceiverPort),
    senderAddress: address(RequestTwSessionOffset.SenderAddress, 'Sender Address'),
    receiverAddress: address(RequestTwSessionOffset.ReceiverAddress, 'Receiver Address'),
    sid: copyBytes(buf, offset + RequestTwSessionOffset.Sid, SID_LENGTH),
    paddingLength: buf.readUInt32BE(offset + RequestTwSessionOffset.PaddingLength),
    startTime: readTimestamp(buf, offset + RequestTwSessionOffset.StartTime, WHAT, 'Start Time'),
    timeout: readTimestamp(buf, offset + RequestTwSessionOffset.Timeout, WHAT, 'Timeout'),
    typeP: buf.readUInt32BE(offset + RequestTwSessionOffset.TypePDescriptor),
    octetsToBeReflected: buf.readUInt16BE(offset + RequestTwSessionOffset.OctetsToBeReflected),
    lengthOfPaddingToReflect: buf.readUInt16BE(offset + RequestTwSessionOffset.LengthOfPaddingToReflect),
    hmac: copyBytes(buf, offset + RequestTwSessionOffset.Hmac, HMAC_LENGTH),
  };
}

/** Write a Request-TW-Session (plaintext) at `offset`; returns the offset just past it. */
export function writeRequestTwSession(target: Uint8Array, offset: number, value: RequestTwSessionFields): number {
  checkTarget(target, offset, REQUEST_TW_SESSION_LENGTH, WHAT);
  if (!Number.isInteger(value.ipvn) || value.ipvn < 0 || value.ipvn > 15) {
    throw new RangeError(`IPVN must fit in 4 bits, got ${value.ipvn}`);
  }
  const buf = asBuffer(target);
  buf.fill(0, offset, offset + REQUEST_TW_SESSION_LENGTH);
  buf.writeUInt8(Command.RequestTwSession, offset + RequestTwSessionOffset.Command);
  buf.writeUInt8(value.ipvn, offset + RequestTwSessionOffset.Ipvn);
  buf.writeUInt8(value.confSender ?? 0, offset + RequestTwSessionOffset.ConfSender);
  buf.writeUInt8(value.confReceiver ?? 0, offset + RequestTwSessionOffset.ConfReceiver);
  buf.writeUInt32BE(value.numberOfScheduleSlots ?? 0, offset + RequestTwSessionOffset.NumberOfScheduleSlots);
  buf.writeUInt32BE(value.numberOfPackets ?? 0, offset + RequestTwSessionOffset.NumberOfPackets);
  buf.writeUInt16BE(value.senderPort, offset + RequestTwSessionOffset.SenderPort);
  buf.writeUInt16BE(value.receiverPort, offset + RequestTwSessionOffset.ReceiverPort);
  writeAddressField(buf, offset + RequestTwSessionOffset.SenderAddress, value.ipvn, value.senderAddress, 'Sender Address');
  writeAddressField(buf, offset + RequestTwSessionOffset.ReceiverAddress, value.ipvn, value.receiverAddress, 'Receiver Address');
  writeBytes(buf, offset + RequestTwSessionOffset.Sid, SID_LENGTH, value.sid, 'SID');
  buf.writeUInt32BE(value.paddingLength, offset + RequestTwSessionOffset.PaddingLength);
  writeTimestamp(buf, offset + RequestTwSessionOffset.StartTime, value.startTime);
  writeTimestamp(buf, offset + RequestTwSessionOffset.Timeout, value.timeout);
  buf.writeUInt32BE(value.typeP, offset + RequestTwSessionOffset.TypePDescriptor);
  buf.writeUInt16BE(value.octetsToBeReflected ?? 0, offset + RequestTwSessionOffset.OctetsToBeReflected);
  buf.writeUInt16BE(value.lengthOfPaddingToReflect ?? 0, offset + RequestTwSessionOffset.LengthOfPaddingToReflect);
  writeBytes(buf, offset + RequestTwSessionOffset.Hmac, HMAC_LENGTH, value.hmac, 'HMAC');
  return offset + REQUEST_TW_SESSION_LENGTH;
}

function writeAddressField(buf: Buffer, at: number, ipvn: number, address: string, field: string): void {
  if (hasAddressLayout(ipvn)) {
    writeAddress(buf, at, ipvn, address);
    return;
  }
  // Only a test of a server's Accept 3 path sends another IPVN; its address octets stay zero.
  if (address !== '') throw new RangeError(`${field} must be '' when IPVN is ${ipvn}`);
  buf.fill(0, at, at + ADDRESS_FIELD_LENGTH);
}

export function encodeRequestTwSession(value: RequestTwSessionFields): Buffer {
  const out = Buffer.alloc(REQUEST_TW_SESSION_LENGTH);
  writeRequestTwSession(out, 0, value);
  return out;
}
