import { get16, put16 } from '../../octets.js';
import { ReflectorSupport, type TlvSpec, uint } from './spec.js';

/**
 * Type 4 (RFC 8972 §4.4, erratum 8199): DSCP1 (requested for the reverse path), DSCP2 and ECN (as
 * received by the reflector), RP (1 = the reflector could not use DSCP1). Layout of the first 16 bits:
 * DSCP1 6 bits, DSCP2 6 bits, ECN 2 bits, RP 2 bits; then 16 reserved bits.
 */
export interface ClassOfServiceTlv {
  readonly kind: 'class-of-service';
  readonly flags: number;
  readonly dscp1: number;
  readonly dscp2: number;
  readonly ecn: number;
  readonly rp: number;
}

// The bit layout, once: the decoder, the reflector fill and the sender's reply reader use these.
const dscp1Of = (word: number): number => word >>> 10;
const dscp2Of = (word: number): number => (word >>> 4) & 0x3f;
const ecnOf = (word: number): number => (word >>> 2) & 0x3;
const rpOf = (word: number): number => word & 0x3;
const wordOf = (dscp1: number, dscp2: number, ecn: number, rp: number): number => (dscp1 << 10) | (dscp2 << 4) | (ecn << 2) | rp;

/** Reply reading, allocation-free: the TOS octet the reflector received (DSCP2 << 2 | ECN). */
export function classOfServiceReceivedTos(packet: Uint8Array, valueOffset: number): number {
  const word = get16(packet, valueOffset);
  return (dscp2Of(word) << 2) | ecnOf(word);
}

/** Reply reading, allocation-free: the TOS the reply was sent with (DSCP1 << 2) when RP = 0, else -1. */
export function classOfServiceSentTos(packet: Uint8Array, valueOffset: number): number {
  const word = get16(packet, valueOffset);
  return rpOf(word) === 0 ? dscp1Of(word) << 2 : -1;
}

/** The reflector's fill (§4.4 with erratum 8199): DSCP2 and ECN as received; RP = 1 if DSCP1 was refused. */
export function fillClassOfService(reply: Uint8Array, valueOffset: number, receivedTos: number, dscp1Refused: boolean): void {
  const dscp1 = dscp1Of(get16(reply, valueOffset));
  put16(reply, valueOffset, wordOf(dscp1, (receivedTos >>> 2) & 0x3f, receivedTos & 0x3, dscp1Refused ? 1 : 0));
  put16(reply, valueOffset + 2, 0);
}

export const classOfServiceSpec = {
  type: 4,
  key: 'ClassOfService',
  kind: 'class-of-service',
  name: 'class-of-service',
  aliases: ['cos'],
  title: 'Class of Service',
  reference: 'RFC 8972 §4.4, erratum 8199',
  length: { min: 4, max: 4 },
  decode: (value, flags) => {
    const word = get16(value, 0);
    return { kind: 'class-of-service', flags, dscp1: dscp1Of(word), dscp2: dscp2Of(word), ecn: ecnOf(word), rp: rpOf(word) };
  },
  encode: (tlv) => {
    const value = new Uint8Array(4);
    put16(value, 0, wordOf(uint(tlv.dscp1, 6, 'dscp1'), uint(tlv.dscp2, 6, 'dscp2'), uint(tlv.ecn, 2, 'ecn'), uint(tlv.rp, 2, 'rp')));
    return value;
  },
  sender: {
    help: 'asks the reflector to answer with DSCP1 (`=<dscp>`; default the request\'s DSCP) and returns the DSCP and ECN it received and whether it could',
    value: 'dscp',
    order: 1,
    request: ({ flags, dscp1 }) => ({ kind: 'class-of-service', flags, dscp1, dscp2: 0, ecn: 0, rp: 0 }),
  },
  reflector: ReflectorSupport.Understood,
  fill: (reply, _offset, value, _end, context) => {
    const tos = context.receivedTos;
    fillClassOfService(reply, value, tos < 0 ? 0 : tos, !context.canSetTos);
    context.dscp1 = dscp1Of(get16(reply, value));
  },
} as const satisfies TlvSpec<ClassOfServiceTlv>;
