import { get32, put32 } from '../../octets.js';
import { ReflectorSupport, type TlvSpec, uint } from './spec.js';

/** Type 5 (RFC 8972 §4.5): packet counters S_TxC, R_RxC, R_TxC. */
export interface DirectMeasurementTlv {
  readonly kind: 'direct-measurement';
  readonly flags: number;
  readonly senderTxCount: number;
  readonly reflectorRxCount: number;
  readonly reflectorTxCount: number;
}

/** The reflector's fill (§4.5): S_TxC stays as received; the reflector writes its two counters. */
export function fillDirectMeasurement(reply: Uint8Array, valueOffset: number, reflectorRxCount: number, reflectorTxCount: number): void {
  put32(reply, valueOffset + 4, reflectorRxCount >>> 0);
  put32(reply, valueOffset + 8, reflectorTxCount >>> 0);
}

export const directMeasurementSpec = {
  type: 5,
  key: 'DirectMeasurement',
  kind: 'direct-measurement',
  name: 'direct-measurement',
  aliases: [],
  title: 'Direct Measurement',
  reference: 'RFC 8972 §4.5',
  length: { min: 12, max: 12 },
  decode: (value, flags) => ({
    kind: 'direct-measurement',
    flags,
    senderTxCount: get32(value, 0),
    reflectorRxCount: get32(value, 4),
    reflectorTxCount: get32(value, 8),
  }),
  encode: (tlv) => {
    const value = new Uint8Array(12);
    put32(value, 0, uint(tlv.senderTxCount, 32, 'senderTxCount'));
    put32(value, 4, uint(tlv.reflectorRxCount, 32, 'reflectorRxCount'));
    put32(value, 8, uint(tlv.reflectorTxCount, 32, 'reflectorTxCount'));
    return value;
  },
  sender: {
    help: "the reflector's receive and transmit packet counters",
    order: 4,
    request: ({ flags }) => ({ kind: 'direct-measurement', flags, senderTxCount: 0, reflectorRxCount: 0, reflectorTxCount: 0 }),
  },
  reflector: ReflectorSupport.Understood,
  fill: (reply, _offset, value, _end, context) => {
    fillDirectMeasurement(reply, value, context.receivedCount, context.sentCount);
  },
} as const satisfies TlvSpec<DirectMeasurementTlv>;
