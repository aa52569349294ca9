import { ReflectorSupport, type TlvSpec } from './spec.js';

/**
 * Type 9 (RFC 9503): the address of the Session-Reflector the sender means, IPv4 (Length 4) or
 * IPv6 (Length 16). Decoded so that it is recognised and length-checked; this reflector does not act
 * on it (it would have to compare it with every address it owns), so it is returned with U.
 */
export interface DestinationNodeAddressTlv {
  readonly kind: 'destination-node-address';
  readonly flags: number;
  readonly address: Uint8Array;
}

export const destinationNodeAddressSpec = {
  type: 9,
  key: 'DestinationNodeAddress',
  kind: 'destination-node-address',
  name: 'destination-node-address',
  aliases: [],
  title: 'Destination Node Address',
  reference: 'RFC 9503',
  length: { min: 4, max: 16, only: [4, 16] },
  lengthNote: 'IPv4 or IPv6',
  decode: (value, flags) => ({ kind: 'destination-node-address', flags, address: value }),
  encode: (tlv) => {
    if (tlv.address.length !== 4 && tlv.address.length !== 16) {
      throw new RangeError(`Destination Node Address must be 4 or 16 octets, got ${tlv.address.length}`);
    }
    return tlv.address;
  },
  reflector: ReflectorSupport.NotUnderstood,
  reflectorNote: 'a UDP reflector cannot tell whether an address is its own on every interface',
} as const satisfies TlvSpec<DestinationNodeAddressTlv>;
