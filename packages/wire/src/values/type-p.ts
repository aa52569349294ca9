import { MalformedInputError } from '@twamp/errors';
import { need } from '../bytes.js';
import { argumentError } from './argument-error.js';
import { isDscp } from './dscp.js';

/*
 * Type-P Descriptor, 32 bits (RFC 4656 §3.5, used unchanged by RFC 5357 §3.5):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |0 0|   DSCP    |                  0 (unused)                   |
 *   |0 1|       PHB ID (RFC 2836)       |        0 (unused)         |
 *
 * So a DSCP request is dscp << 24 (EF 46 → 0x2E000000) and all zeros is best effort. The RFC defines
 * nothing for the leading bits 10 and 11, nor for the bits after the DSCP or PHB ID. A descriptor that
 * uses any of them asks for something we cannot know, so it decodes as 'unsupported' (the server answers
 * Accept 3), as perfSONAR's server also does.
 */

export type TypeP =
  | { readonly kind: 'dscp'; readonly dscp: number }
  | { readonly kind: 'phb-id'; readonly phbId: number }
  | { readonly kind: 'unsupported'; readonly raw: number; readonly reason: string };

/** The descriptors a client can ask for. */
export type TypePRequest = Exclude<TypeP, { readonly kind: 'unsupported' }>;

/** All zeros: DSCP 0, the default best-effort service. */
export const TYPE_P_BEST_EFFORT = 0;

const FORM_SHIFT = 30;
const FORM_DSCP = 0;
const FORM_PHB_ID = 1;
const DSCP_SHIFT = 24;
const PHB_ID_SHIFT = 14;
const DSCP_UNUSED_MASK = 0x00ff_ffff;
const PHB_ID_UNUSED_MASK = 0x0000_3fff;

/** The 32-bit descriptor for a DSCP or PHB ID request. */
export function encodeTypeP(typeP: TypePRequest): number {
  if (typeP.kind === 'dscp') {
    if (!isDscp(typeP.dscp)) {
      throw argumentError('dscp', 'an integer from 0 to 63', typeP.dscp);
    }
    return (typeP.dscp << DSCP_SHIFT) >>> 0;
  }
  const { phbId } = typeP;
  if (!(Number.isInteger(phbId) && phbId >= 0 && phbId <= 0xffff)) {
    throw argumentError('phbId', 'an integer from 0 to 65535', phbId);
  }
  return ((FORM_PHB_ID << FORM_SHIFT) | (phbId << PHB_ID_SHIFT)) >>> 0;
}

/** The descriptor asking for `dscp`. */
export function typePForDscp(dscp: number): number {
  return encodeTypeP({ kind: 'dscp', dscp });
}

function unsupported(raw: number, reason: string): TypeP {
  return { kind: 'unsupported', raw, reason };
}

/** What a received descriptor asks for; anything the RFC does not define is 'unsupported'. */
export function decodeTypeP(raw: number): TypeP {
  if (!(Number.isInteger(raw) && raw >= 0 && raw <= 0xffff_ffff)) {
    throw new MalformedInputError({ what: 'Type-P Descriptor', field: 'Type-P Descriptor', offset: 0, reason: `${raw} is not a 32-bit value` });
  }
  const form = raw >>> FORM_SHIFT;
  if (form === FORM_DSCP) {
    if ((raw & DSCP_UNUSED_MASK) !== 0) {
      return unsupported(raw, 'bits after the DSCP are not zero');
    }
    return { kind: 'dscp', dscp: raw >>> DSCP_SHIFT };
  }
  if (form === FORM_PHB_ID) {
    if ((raw & PHB_ID_UNUSED_MASK) !== 0) {
      return unsupported(raw, 'bits after the PHB ID are not zero');
    }
    return { kind: 'phb-id', phbId: (raw >>> PHB_ID_SHIFT) & 0xffff };
  }
  return unsupported(raw, `leading bits ${form.toString(2)} are not defined`);
}

/** Reads and decodes the 4-octet descriptor at `offset`. */
export function readTypeP(input: Buffer, offset: number, what = 'Request-TW-Session', field = 'Type-P Descriptor'): TypeP {
  need(input, offset, 4, what, field);
  return decodeTypeP(input.readUInt32BE(offset));
}
