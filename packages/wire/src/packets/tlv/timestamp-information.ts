import { TLV_MAX_VALUE_LENGTH } from './area.js';
import { ReflectorSupport, type TlvSpec, uint } from './spec.js';

/** STAMP Synchronization Sources (RFC 8972 §5.4). 0 is reserved. */
export const SyncSource = {
  Ntp: 1,
  Ptp: 2,
  SsuBits: 3,
  /** GPS, GLONASS, LORAN-C, BDS or Galileo: one registry entry covers all of them. */
  Gnss: 4,
  LocalFreeRunning: 5,
} as const;

export type SyncSource = (typeof SyncSource)[keyof typeof SyncSource];

/** STAMP Timestamping Methods (RFC 8972 §5.5). 0 is reserved. */
export const TimestampMethod = {
  HwAssist: 1,
  SwLocal: 2,
  ControlPlane: 3,
} as const;

export type TimestampMethod = (typeof TimestampMethod)[keyof typeof TimestampMethod];

/**
 * Type 3 (RFC 8972 §4.3): how the reflector synchronises its clock and takes T2 (in) and T3 (out).
 * Decision: the figure ends with optional sub-TLVs, so any octets after the first four are kept raw
 * in `subTlvs` rather than treated as malformed; Length below 4 is malformed.
 */
export interface TimestampInformationTlv {
  readonly kind: 'timestamp-information';
  readonly flags: number;
  readonly syncSourceIn: number;
  readonly timestampIn: number;
  readonly syncSourceOut: number;
  readonly timestampOut: number;
  readonly subTlvs: Uint8Array;
}

/** The reflector's fill (§4.3): its sync sources and timestamping methods for T2 and T3. */
export function fillTimestampInformation(
  reply: Uint8Array,
  valueOffset: number,
  syncSourceIn: number,
  timestampIn: number,
  syncSourceOut: number,
  timestampOut: number,
): void {
  reply[valueOffset] = syncSourceIn;
  reply[valueOffset + 1] = timestampIn;
  reply[valueOffset + 2] = syncSourceOut;
  reply[valueOffset + 3] = timestampOut;
}

export const timestampInformationSpec = {
  type: 3,
  key: 'TimestampInformation',
  kind: 'timestamp-information',
  name: 'timestamp-info',
  aliases: ['timestamp-information'],
  title: 'Timestamp Information',
  reference: 'RFC 8972 §4.3',
  length: { min: 4, max: TLV_MAX_VALUE_LENGTH },
  lengthNote: 'octets after the first four kept raw as sub-TLVs',
  decode: (value, flags) => ({
    kind: 'timestamp-information',
    flags,
    syncSourceIn: value[0] ?? 0,
    timestampIn: value[1] ?? 0,
    syncSourceOut: value[2] ?? 0,
    timestampOut: value[3] ?? 0,
    subTlvs: value.subarray(4),
  }),
  encode: (tlv) => {
    const value = new Uint8Array(4 + tlv.subTlvs.length);
    value[0] = uint(tlv.syncSourceIn, 8, 'syncSourceIn');
    value[1] = uint(tlv.timestampIn, 8, 'timestampIn');
    value[2] = uint(tlv.syncSourceOut, 8, 'syncSourceOut');
    value[3] = uint(tlv.timestampOut, 8, 'timestampOut');
    value.set(tlv.subTlvs, 4);
    return value;
  },
  sender: {
    help: "how the reflector's clock is synchronised and how it takes its timestamps",
    order: 2,
    request: ({ flags }) => ({
      kind: 'timestamp-information',
      flags,
      syncSourceIn: 0,
      timestampIn: 0,
      syncSourceOut: 0,
      timestampOut: 0,
      subTlvs: new Uint8Array(0),
    }),
  },
  reflector: ReflectorSupport.Understood,
  // One clock takes T2 and T3, so both directions report the same sync source.
  fill: (reply, _offset, value, _end, c) => {
    fillTimestampInformation(reply, value, c.syncSource, c.timestampIn, c.syncSource, c.timestampOut);
  },
} as const satisfies TlvSpec<TimestampInformationTlv>;
