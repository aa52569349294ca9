import { TLV_MAX_VALUE_LENGTH } from './area.js';
import { ReflectorSupport, type TlvSpec } from './spec.js';

/** Type 1 (RFC 8972 §4.1): filler, pseudo-random or zeros; may repeat. The recommended way to grow a packet. */
export interface ExtraPaddingTlv {
  readonly kind: 'extra-padding';
  readonly flags: number;
  readonly padding: Uint8Array;
}

export const extraPaddingSpec = {
  type: 1,
  key: 'ExtraPadding',
  kind: 'extra-padding',
  name: 'extra-padding',
  aliases: [],
  title: 'Extra Padding',
  reference: 'RFC 8972 §4.1',
  length: { min: 0, max: TLV_MAX_VALUE_LENGTH },
  decode: (value, flags) => ({ kind: 'extra-padding', flags, padding: value }),
  encode: (tlv) => tlv.padding,
  // Nothing to fill: the reflector mirrors the padding (the sender grows requests with --padding).
  reflector: ReflectorSupport.Understood,
} as const satisfies TlvSpec<ExtraPaddingTlv>;
