import { get16, put16 } from '../../octets.js';
import { ReflectorSupport, type TlvSpec, uint } from './spec.js';

/**
 * Type 11 (RFC 9534): the micro-session IDs of a LAG member-link test, Sender (2 octets) and
 * Reflector (2 octets). This reflector does not run per-member sessions, so it returns it with U.
 */
export interface MicroSessionIdTlv {
  readonly kind: 'micro-session-id';
  readonly flags: number;
  readonly senderMicroSessionId: number;
  readonly reflectorMicroSessionId: number;
}

export const microSessionIdSpec = {
  type: 11,
  key: 'MicroSessionId',
  kind: 'micro-session-id',
  name: 'micro-session-id',
  aliases: [],
  title: 'Micro-session ID',
  reference: 'RFC 9534',
  length: { min: 4, max: 4 },
  decode: (value, flags) => ({ kind: 'micro-session-id', flags, senderMicroSessionId: get16(value, 0), reflectorMicroSessionId: get16(value, 2) }),
  encode: (tlv) => {
    const value = new Uint8Array(4);
    put16(value, 0, uint(tlv.senderMicroSessionId, 16, 'senderMicroSessionId'));
    put16(value, 2, uint(tlv.reflectorMicroSessionId, 16, 'reflectorMicroSessionId'));
    return value;
  },
  reflector: ReflectorSupport.NotUnderstood,
  reflectorNote: 'member-link (LAG) sessions are not implemented',
} as const satisfies TlvSpec<MicroSessionIdTlv>;
