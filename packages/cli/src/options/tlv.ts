// `--tlv`: the STAMP TLVs a sender adds to every request (RFC 8972). The names, aliases, which one
// takes a value and the request each sends come from @twamp/wire's TLV table (one module per type).
import {
  dscpOfTos,
  parseDscp,
  SENDER_TLV_FLAGS,
  SENDER_TLV_NAMES,
  type SenderTlvName,
  senderTlvName,
  senderTlvRequest,
  senderTlvValue,
  type StampTlv,
} from '@twamp/wire';
import { usageError } from './usage-error.js';

export { SENDER_TLV_NAMES, type SenderTlvName };

/** One --tlv: its name and, for class-of-service, the DSCP asked for the reply (DSCP1). */
export interface SenderTlvChoice {
  readonly name: SenderTlvName;
  readonly dscp1?: number;
}

export function parseTlv(text: string): SenderTlvChoice[] {
  const expected = `${SENDER_TLV_NAMES.join(', ')} (class-of-service=<dscp> asks the reflector to answer with that DSCP); repeatable or a comma list`;
  return text.split(',').map((part) => {
    const [rawName = '', value] = part.trim().toLowerCase().split('=', 2);
    const name = senderTlvName(rawName);
    if (name === undefined) throw usageError('--tlv', expected, text);
    if (value === undefined) return { name };
    if (senderTlvValue(name) !== 'dscp') throw usageError('--tlv', `no value after ${name} (only class-of-service=<dscp> takes one)`, text);
    return { name, dscp1: parseDscp(value, '--tlv') };
  });
}

/** The TLV objects for --tlv choices; every one is sent with the U flag set (RFC 8972 §4). `tos`: the requests' TOS. */
export function tlvsFor(choices: readonly SenderTlvChoice[], tos: number | undefined): StampTlv[] {
  // DSCP1 (Class of Service): the DSCP the reply should carry; by default the request's own.
  return choices.map((choice) => senderTlvRequest(choice.name, { flags: SENDER_TLV_FLAGS, dscp1: choice.dscp1 ?? dscpOfTos(tos ?? 0) }));
}

/** The name of a --tlv choice as the JSON settings list it. */
export function tlvLabel(choice: SenderTlvChoice): string {
  return choice.dscp1 === undefined ? choice.name : `${choice.name}=${choice.dscp1}`;
}
