import { TlvFlag } from './area.js';
import { ReflectorSupport, type TlvSpec, uint } from './spec.js';

/** Access ID of the Access Report TLV (RFC 8972 §4.6); any other value means "discard the TLV". */
export const AccessId = {
  ThreeGpp: 1,
  NonThreeGpp: 2,
} as const;

/** STAMP Return Codes (RFC 8972 §5.6). */
export const AccessReturnCode = {
  NetworkAvailable: 1,
  NetworkUnavailable: 2,
} as const;

/** Type 6 (RFC 8972 §4.6): ID (4 bits), Resv (4 bits), Return Code (8 bits), Reserved (16 bits). */
export interface AccessReportTlv {
  readonly kind: 'access-report';
  readonly flags: number;
  readonly accessId: number;
  readonly returnCode: number;
}

/** RFC 8972 §4.6: an Access Report with an ID other than 1 or 2 must be discarded. */
export function isValidAccessId(accessId: number): boolean {
  return accessId === AccessId.ThreeGpp || accessId === AccessId.NonThreeGpp;
}

export const accessReportSpec = {
  type: 6,
  key: 'AccessReport',
  kind: 'access-report',
  name: 'access-report',
  aliases: [],
  title: 'Access Report',
  reference: 'RFC 8972 §4.6',
  length: { min: 4, max: 4 },
  decode: (value, flags) => ({ kind: 'access-report', flags, accessId: (value[0] ?? 0) >>> 4, returnCode: value[1] ?? 0 }),
  encode: (tlv) => {
    const value = new Uint8Array(4);
    value[0] = uint(tlv.accessId, 4, 'accessId') << 4;
    value[1] = uint(tlv.returnCode, 8, 'returnCode');
    return value;
  },
  reflector: ReflectorSupport.Understood,
  // The report is informational: the reflector returns it as sent. RFC 8972 §4.6: an unknown Access ID
  // means the TLV is to be discarded, i.e. not processed, so it goes back with U.
  fill: (reply, offset, value) => {
    if (!isValidAccessId((reply[value] ?? 0) >>> 4)) reply[offset] = (reply[offset] ?? 0) | TlvFlag.Unrecognized;
  },
} as const satisfies TlvSpec<AccessReportTlv>;
