import { STAMP_HMAC_LENGTH } from '../stamp.js';
import { ReflectorSupport, type TlvSpec } from './spec.js';

/** Type 8 (RFC 8972 §4.8): HMAC-SHA-256 truncated to 16 octets, computed by the crypto module. */
export interface HmacTlv {
  readonly kind: 'hmac';
  readonly flags: number;
  readonly hmac: Uint8Array;
}

export const hmacSpec = {
  type: 8,
  key: 'Hmac',
  kind: 'hmac',
  name: 'hmac',
  aliases: [],
  title: 'HMAC',
  reference: 'RFC 8972 §4.8',
  length: { min: STAMP_HMAC_LENGTH, max: STAMP_HMAC_LENGTH },
  decode: (value, flags) => ({ kind: 'hmac', flags, hmac: value }),
  encode: (tlv) => {
    if (tlv.hmac.length !== STAMP_HMAC_LENGTH) {
      throw new RangeError(`HMAC TLV value must be ${STAMP_HMAC_LENGTH} octets, got ${tlv.hmac.length}`);
    }
    return tlv.hmac;
  },
  // Understood with a key: the fill only notes where the first one sits; the caller verifies the
  // request's (verifyStampTlvHmac) and signs the reply's after every other fill (writeStampTlvHmac).
  reflector: ReflectorSupport.WithKey,
  fill: (_reply, offset, _value, _end, context) => {
    if (context.hmacAt < 0) context.hmacAt = offset;
  },
} as const satisfies TlvSpec<HmacTlv>;
