import { TLV_MAX_VALUE_LENGTH } from './area.js';
import { ReflectorSupport, type TlvSpec } from './spec.js';

/**
 * Type 10 (RFC 9503): where the reflector should send its reply (Control Code, Return Address,
 * SR-MPLS Label Stack or SRv6 Segment List sub-TLVs). Kept raw: following it needs segment routing,
 * which a UDP socket cannot do, so this reflector returns it with U.
 */
export interface ReturnPathTlv {
  readonly kind: 'return-path';
  readonly flags: number;
  readonly subTlvs: Uint8Array;
}

export const returnPathSpec = {
  type: 10,
  key: 'ReturnPath',
  kind: 'return-path',
  name: 'return-path',
  aliases: [],
  title: 'Return Path',
  reference: 'RFC 9503',
  length: { min: 0, max: TLV_MAX_VALUE_LENGTH },
  lengthNote: 'sub-TLVs, kept raw',
  decode: (value, flags) => ({ kind: 'return-path', flags, subTlvs: value }),
  encode: (tlv) => tlv.subTlvs,
  reflector: ReflectorSupport.NotUnderstood,
  reflectorNote: 'replying along a segment-routed path needs more than a UDP socket',
} as const satisfies TlvSpec<ReturnPathTlv>;
