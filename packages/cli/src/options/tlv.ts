// `--tlv`: the STAMP TLVs a sender adds to every request (RFC 8972), by the names the option
// accepts, and the TLV objects the engine sends for them. Moved here unchanged from sender.ts so
// the test-option table can name it; the names may later derive from @twamp/wire's TLV table.
import { dscpOfTos, parseDscp, SENDER_TLV_FLAGS, type StampTlv } from '@twamp/wire';
import { usageError } from './usage-error.js';

/** The STAMP TLVs --tlv adds to every request (RFC 8972), by the names the option accepts. */
export const SENDER_TLV_NAMES = ['class-of-service', 'timestamp-info', 'location', 'direct-measurement'] as const;
export type SenderTlvName = (typeof SENDER_TLV_NAMES)[number];

/** One --tlv: its name and, for class-of-service, the DSCP asked for the reply (DSCP1). */
export interface SenderTlvChoice {
  readonly name: SenderTlvName;
  readonly dscp1?: number;
}

export function parseTlv(text: string): SenderTlvChoice[] {
  const expected = `${SENDER_TLV_NAMES.join(', ')} (class-of-service=<dscp> asks the reflector to answer with that DSCP); repeatable or a comma list`;
  return text.split(',').map((part) => {
    const [rawName = '', value] = part.trim().toLowerCase().split('=', 2);
    const name = rawName === 'cos' ? 'class-of-service' : rawName === 'timestamp-information' ? 'timestamp-info' : rawName;
    if (!(SENDER_TLV_NAMES as readonly string[]).includes(name)) throw usageError('--tlv', expected, text);
    if (value !== undefined) {
      if (name !== 'class-of-service') throw usageError('--tlv', `no value after ${name} (only class-of-service=<dscp> takes one)`, text);
      return { name, dscp1: parseDscp(value, '--tlv') };
    }
    return { name: name as SenderTlvName };
  });
}

/** The TLV objects for --tlv choices; every one is sent with the U flag set (RFC 8972 §4). `tos`: the requests' TOS. */
export function tlvsFor(choices: readonly SenderTlvChoice[], tos: number | undefined): StampTlv[] {
  const flags = SENDER_TLV_FLAGS;
  return choices.map((choice): StampTlv => {
    switch (choice.name) {
      case 'class-of-service':
        // DSCP1: the DSCP the reply should carry; by default the request's own.
        return { kind: 'class-of-service', flags, dscp1: choice.dscp1 ?? dscpOfTos(tos ?? 0), dscp2: 0, ecn: 0, rp: 0 };
      case 'timestamp-info':
        return { kind: 'timestamp-information', flags, syncSourceIn: 0, timestampIn: 0, syncSourceOut: 0, timestampOut: 0, subTlvs: new Uint8Array(0) };
      case 'location':
        // The generic sub-TLVs ask the reflector for the addresses it saw (it rewrites them in place).
        return {
          kind: 'location',
          flags,
          destinationPort: 0,
          sourcePort: 0,
          subTlvs: [
            { kind: 'destination-ip-address', flags },
            { kind: 'source-ip-address', flags },
          ],
        };
      case 'direct-measurement':
        return { kind: 'direct-measurement', flags, senderTxCount: 0, reflectorRxCount: 0, reflectorTxCount: 0 };
    }
  });
}

/** The name of a --tlv choice as the JSON settings list it. */
export function tlvLabel(choice: SenderTlvChoice): string {
  return choice.dscp1 === undefined ? choice.name : `${choice.name}=${choice.dscp1}`;
}
