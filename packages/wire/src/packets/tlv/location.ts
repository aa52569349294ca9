import { malformed } from '../../bytes.js';
import { get16, put16 } from '../../octets.js';
import { decodeTlvArea, encodeTlvArea, type RawTlv, TLV_HEADER_LENGTH, TlvFlag, TLV_MAX_VALUE_LENGTH, TlvStep, TlvWalker } from './area.js';
import { ReflectorSupport, TLV_WHAT, type TlvSpec, uint } from './spec.js';

/** STAMP Sub-TLV Types for the Location TLV (RFC 8972 §4.2.1, §5.3). */
export const LocationSubTlvType = {
  SourceMacAddress: 1,
  SourceEui48Address: 2,
  SourceEui64Address: 3,
  DestinationIpAddress: 4,
  DestinationIpv4Address: 5,
  DestinationIpv6Address: 6,
  SourceIpAddress: 7,
  SourceIpv4Address: 8,
  SourceIpv6Address: 9,
} as const;

export type LocationSubTlvType = (typeof LocationSubTlvType)[keyof typeof LocationSubTlvType];

/**
 * A Location sub-TLV (RFC 8972 §4.2.1). Same 4-octet header as a TLV; I is always sent as 0.
 * The sender asks with the generic types (Source MAC, Destination IP, Source IP: values all MBZ),
 * the reflector answers by rewriting them into the specific ones in place, keeping their length.
 */
export type LocationSubTlv =
  | { readonly kind: 'source-mac-address'; readonly flags: number }
  | { readonly kind: 'source-eui48-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'source-eui64-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'destination-ip-address'; readonly flags: number }
  | { readonly kind: 'destination-ipv4-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'destination-ipv6-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'source-ip-address'; readonly flags: number }
  | { readonly kind: 'source-ipv4-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'source-ipv6-address'; readonly flags: number; readonly address: Uint8Array }
  | { readonly kind: 'unknown'; readonly flags: number; readonly type: number; readonly value: Uint8Array };

/** Type 2 (RFC 8972 §4.2): UDP ports of the received packet, then sub-TLVs. */
export interface LocationTlv {
  readonly kind: 'location';
  readonly flags: number;
  readonly destinationPort: number;
  readonly sourcePort: number;
  readonly subTlvs: readonly LocationSubTlv[];
}

/**
 * Per sub-TLV type: its kind, the Value length RFC 8972 §4.2.1 mandates (MAC/EUI sub-TLVs 8, IP
 * sub-TLVs 16), and how many leading octets carry an address (the rest is MBZ).
 */
const SUB_TLVS = [
  { type: 1, kind: 'source-mac-address', length: 8, address: 0 },
  { type: 2, kind: 'source-eui48-address', length: 8, address: 6 },
  { type: 3, kind: 'source-eui64-address', length: 8, address: 8 },
  { type: 4, kind: 'destination-ip-address', length: 16, address: 0 },
  { type: 5, kind: 'destination-ipv4-address', length: 16, address: 4 },
  { type: 6, kind: 'destination-ipv6-address', length: 16, address: 16 },
  { type: 7, kind: 'source-ip-address', length: 16, address: 0 },
  { type: 8, kind: 'source-ipv4-address', length: 16, address: 4 },
  { type: 9, kind: 'source-ipv6-address', length: 16, address: 16 },
] as const;

type SubTlvSpec = (typeof SUB_TLVS)[number];

function subSpecByType(type: number): SubTlvSpec | undefined {
  return SUB_TLVS.find((spec) => spec.type === type);
}

function subSpecByKind(kind: string): SubTlvSpec | undefined {
  return SUB_TLVS.find((spec) => spec.kind === kind);
}

export function decodeLocationSubTlv(raw: RawTlv, offset = 0): LocationSubTlv {
  const spec = subSpecByType(raw.type);
  if (spec === undefined) {
    return { kind: 'unknown', flags: raw.flags, type: raw.type, value: raw.value };
  }
  if (raw.value.length !== spec.length) {
    throw malformed(`${TLV_WHAT} Location sub-TLV`, 'Length', offset + 2, `type ${spec.type} needs Length ${spec.length}, got ${raw.value.length}`);
  }
  if (spec.address === 0) {
    return { kind: spec.kind, flags: raw.flags };
  }
  return { kind: spec.kind, flags: raw.flags, address: raw.value.subarray(0, spec.address) };
}

export function encodeLocationSubTlv(sub: LocationSubTlv): RawTlv {
  if (sub.kind === 'unknown') {
    return { flags: sub.flags, type: sub.type, value: sub.value };
  }
  const spec = subSpecByKind(sub.kind);
  if (spec === undefined) {
    throw new RangeError(`unknown Location sub-TLV kind ${sub.kind}`);
  }
  const value = new Uint8Array(spec.length);
  if ('address' in sub) {
    if (sub.address.length !== spec.address) {
      throw new RangeError(`${sub.kind} address must be ${spec.address} octets, got ${sub.address.length}`);
    }
    value.set(sub.address, 0);
  }
  return { flags: sub.flags, type: spec.type, value };
}

// The fill runs inside the reflector's walk of the TLV area, so the sub-TLVs get their own walker.
const subWalker = new TlvWalker();
const IP_SUB_TLV_LENGTH = 16;

/**
 * The reflector's fill (RFC 8972 §4.2): the ports it saw, and for each generic address sub-TLV the
 * family-specific type with the address, in the same 16 octets. A request it cannot answer (Source
 * MAC: a UDP socket never sees it; an address it does not know) keeps its type and gets U.
 */
const fillLocation: NonNullable<TlvSpec['fill']> = (reply, _offset, value, end, context) => {
  put16(reply, value, context.localPort);
  put16(reply, value + 2, context.peerPort);
  const w = subWalker.start(reply, value + 4, end);
  while (w.step() === TlvStep.Tlv) {
    const type = w.type;
    const generic = type === LocationSubTlvType.DestinationIpAddress || type === LocationSubTlvType.SourceIpAddress;
    const address = generic && w.length === IP_SUB_TLV_LENGTH
      ? type === LocationSubTlvType.DestinationIpAddress ? context.localAddress() : context.peerAddress()
      : undefined;
    if (address !== undefined && address.length > 0) {
      const v4 = address.length === 4;
      reply[w.offset] = 0;
      if (type === LocationSubTlvType.DestinationIpAddress) {
        reply[w.offset + 1] = v4 ? LocationSubTlvType.DestinationIpv4Address : LocationSubTlvType.DestinationIpv6Address;
      } else {
        reply[w.offset + 1] = v4 ? LocationSubTlvType.SourceIpv4Address : LocationSubTlvType.SourceIpv6Address;
      }
      for (let i = 0; i < IP_SUB_TLV_LENGTH; i++) reply[w.value + i] = address[i] ?? 0;
    } else if (generic || type === LocationSubTlvType.SourceMacAddress) {
      reply[w.offset] = TlvFlag.Unrecognized;
    }
  }
  subWalker.start(reply, 0, 0);
};

export const locationSpec = {
  type: 2,
  key: 'Location',
  kind: 'location',
  name: 'location',
  aliases: [],
  title: 'Location',
  reference: 'RFC 8972 §4.2',
  length: { min: 4, max: TLV_MAX_VALUE_LENGTH },
  lengthNote: 'Destination Port, Source Port, then sub-TLVs',
  decode: (value, flags, offset) => {
    const walk = decodeTlvArea(value.subarray(4));
    const first = offset + TLV_HEADER_LENGTH + 4;
    if (walk.malformedAt >= 0) {
      throw malformed(`${TLV_WHAT} Location`, 'Sub-TLVs', first + walk.malformedAt, 'sub-TLV header or Length runs past the end of the Location TLV');
    }
    let at = first;
    const subTlvs = walk.tlvs.map((sub) => {
      const decoded = decodeLocationSubTlv(sub, at);
      at += TLV_HEADER_LENGTH + sub.value.length;
      return decoded;
    });
    return { kind: 'location', flags, destinationPort: get16(value, 0), sourcePort: get16(value, 2), subTlvs };
  },
  encode: (tlv) => {
    const subs = encodeTlvArea(tlv.subTlvs.map(encodeLocationSubTlv));
    const value = new Uint8Array(4 + subs.length);
    put16(value, 0, uint(tlv.destinationPort, 16, 'destinationPort'));
    put16(value, 2, uint(tlv.sourcePort, 16, 'sourcePort'));
    value.set(subs, 4);
    return value;
  },
  sender: {
    help: 'the ports and addresses the reflector saw (NAT, anycast)',
    order: 3,
    // The generic sub-TLVs ask the reflector for the addresses it saw (it rewrites them in place).
    request: ({ flags }) => ({
      kind: 'location',
      flags,
      destinationPort: 0,
      sourcePort: 0,
      subTlvs: [
        { kind: 'destination-ip-address', flags },
        { kind: 'source-ip-address', flags },
      ],
    }),
  },
  reflector: ReflectorSupport.Understood,
  fill: fillLocation,
} as const satisfies TlvSpec<LocationTlv>;
