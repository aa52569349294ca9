import { argumentError } from './argument-error.js';

export interface DscpInfo {
  /** 0 to 63. */
  readonly value: number;
  /** The name the defining RFC uses, upper case (e.g. `AF41`, `VOICE-ADMIT`). */
  readonly name: string;
  readonly description: string;
  /** The RFC that defines the codepoint. */
  readonly rfc: string;
}

/** Every named DSCP, sorted by value (for `dscptable` and for parsing and printing names). */
export const DSCP_TABLE: readonly DscpInfo[] = Object.freeze(
  [
    { value: 0, name: 'CS0', description: 'Class Selector 0: default forwarding, best effort', rfc: 'RFC 2474' },
    { value: 1, name: 'LE', description: 'Lower Effort: below best effort, for scavenger traffic', rfc: 'RFC 8622' },
    { value: 8, name: 'CS1', description: 'Class Selector 1; once used for lower effort, which RFC 8622 moved to LE', rfc: 'RFC 2474' },
    { value: 10, name: 'AF11', description: 'Assured Forwarding class 1, low drop precedence', rfc: 'RFC 2597' },
    { value: 12, name: 'AF12', description: 'Assured Forwarding class 1, medium drop precedence', rfc: 'RFC 2597' },
    { value: 14, name: 'AF13', description: 'Assured Forwarding class 1, high drop precedence', rfc: 'RFC 2597' },
    { value: 16, name: 'CS2', description: 'Class Selector 2; RFC 4594 suggests it for OAM', rfc: 'RFC 2474' },
    { value: 18, name: 'AF21', description: 'Assured Forwarding class 2, low drop precedence', rfc: 'RFC 2597' },
    { value: 20, name: 'AF22', description: 'Assured Forwarding class 2, medium drop precedence', rfc: 'RFC 2597' },
    { value: 22, name: 'AF23', description: 'Assured Forwarding class 2, high drop precedence', rfc: 'RFC 2597' },
    { value: 24, name: 'CS3', description: 'Class Selector 3; RFC 4594 suggests it for broadcast video', rfc: 'RFC 2474' },
    { value: 26, name: 'AF31', description: 'Assured Forwarding class 3, low drop precedence', rfc: 'RFC 2597' },
    { value: 28, name: 'AF32', description: 'Assured Forwarding class 3, medium drop precedence', rfc: 'RFC 2597' },
    { value: 30, name: 'AF33', description: 'Assured Forwarding class 3, high drop precedence', rfc: 'RFC 2597' },
    { value: 32, name: 'CS4', description: 'Class Selector 4; RFC 4594 suggests it for real-time interactive', rfc: 'RFC 2474' },
    { value: 34, name: 'AF41', description: 'Assured Forwarding class 4, low drop precedence', rfc: 'RFC 2597' },
    { value: 36, name: 'AF42', description: 'Assured Forwarding class 4, medium drop precedence', rfc: 'RFC 2597' },
    { value: 38, name: 'AF43', description: 'Assured Forwarding class 4, high drop precedence', rfc: 'RFC 2597' },
    { value: 40, name: 'CS5', description: 'Class Selector 5; RFC 4594 suggests it for signalling', rfc: 'RFC 2474' },
    { value: 44, name: 'VOICE-ADMIT', description: 'Capacity-admitted traffic, Expedited Forwarding behaviour', rfc: 'RFC 5865' },
    { value: 46, name: 'EF', description: 'Expedited Forwarding: low loss, low latency, low jitter', rfc: 'RFC 3246' },
    { value: 48, name: 'CS6', description: 'Class Selector 6: network control (routing protocols)', rfc: 'RFC 2474' },
    { value: 56, name: 'CS7', description: 'Class Selector 7: network control, kept for future use', rfc: 'RFC 2474' },
  ].map((entry) => Object.freeze(entry)),
);

/** The named DSCP values, for code that names a codepoint rather than parsing one. */
export const Dscp = {
  CS0: 0,
  LE: 1,
  CS1: 8,
  AF11: 10,
  AF12: 12,
  AF13: 14,
  CS2: 16,
  AF21: 18,
  AF22: 20,
  AF23: 22,
  CS3: 24,
  AF31: 26,
  AF32: 28,
  AF33: 30,
  CS4: 32,
  AF41: 34,
  AF42: 36,
  AF43: 38,
  CS5: 40,
  VOICE_ADMIT: 44,
  EF: 46,
  CS6: 48,
  CS7: 56,
} as const;

const BY_VALUE: ReadonlyMap<number, DscpInfo> = new Map(DSCP_TABLE.map((entry) => [entry.value, entry]));

const BY_NAME: ReadonlyMap<string, number> = new Map([
  ...DSCP_TABLE.map((entry): [string, number] => [entry.name, entry.value]),
  // RFC 2474 §4.1 calls codepoint 0 the Default PHB; operators write it as DF, BE or default.
  ['DF', 0],
  ['BE', 0],
  ['DEFAULT', 0],
]);

/** True for an integer DSCP value, 0 to 63. */
export function isDscp(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 63;
}

/** The table entry for a DSCP value, or undefined when the value has no name. */
export function describeDscp(value: number): DscpInfo | undefined {
  return BY_VALUE.get(value);
}

/** The name of a DSCP value (`EF`), or undefined when the value has no name. */
export function dscpName(value: number): string | undefined {
  return BY_VALUE.get(value)?.name;
}

/** `EF (46)` for a named value, `13` for another: the form logs and tables show. */
export function formatDscp(value: number): string {
  const name = dscpName(value);
  return name === undefined ? String(value) : `${name} (${value})`;
}

const EXPECTED_DSCP = 'a DSCP name (CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE) or a number from 0 to 63 (decimal or 0x hex)';

/**
 * A DSCP from a name (case-insensitive, `_` accepted for `-`) or a number: decimal (`46`) or hex
 * (`0x2e`), 0 to 63. Anything else is a ConfigError naming `path`.
 */
export function parseDscp(nameOrNumber: string | number, path = 'dscp'): number {
  if (typeof nameOrNumber === 'number') {
    if (!isDscp(nameOrNumber)) {
      throw argumentError(path, EXPECTED_DSCP, nameOrNumber);
    }
    return nameOrNumber;
  }
  const text = nameOrNumber.trim();
  let value: number | undefined;
  if (/^[0-9]{1,3}$/.test(text)) {
    value = Number.parseInt(text, 10);
  } else if (/^0x[0-9a-f]{1,2}$/i.test(text)) {
    value = Number.parseInt(text.slice(2), 16);
  } else {
    value = BY_NAME.get(text.toUpperCase().replaceAll('_', '-'));
  }
  if (value === undefined || !isDscp(value)) {
    throw argumentError(path, EXPECTED_DSCP, nameOrNumber);
  }
  return value;
}

/** ECN codepoints, the low two bits of the TOS / Traffic Class octet (RFC 3168 §5). */
export const Ecn = {
  NotEct: 0,
  Ect1: 1,
  Ect0: 2,
  Ce: 3,
} as const;

export type Ecn = (typeof Ecn)[keyof typeof Ecn];

/** RFC 3168's names for the ECN codepoints. */
export const ECN_NAMES = {
  [Ecn.NotEct]: 'Not-ECT',
  [Ecn.Ect1]: 'ECT(1)',
  [Ecn.Ect0]: 'ECT(0)',
  [Ecn.Ce]: 'CE',
} as const;

export type EcnName = (typeof ECN_NAMES)[Ecn];

export function isEcn(value: number): value is Ecn {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

export function ecnName(ecn: Ecn): EcnName {
  return ECN_NAMES[ecn];
}

const ECN_BY_NAME: ReadonlyMap<string, Ecn> = new Map([
  ['not-ect', Ecn.NotEct],
  ['ect(1)', Ecn.Ect1],
  ['ect1', Ecn.Ect1],
  ['ect(0)', Ecn.Ect0],
  ['ect0', Ecn.Ect0],
  ['ce', Ecn.Ce],
]);

/** An ECN codepoint from its RFC 3168 name (case-insensitive; `ect0`/`ect1` accepted) or 0-3. */
export function parseEcn(nameOrNumber: string | number, path = 'ecn'): Ecn {
  let value: number | undefined;
  if (typeof nameOrNumber === 'number') {
    value = nameOrNumber;
  } else {
    const text = nameOrNumber.trim().toLowerCase();
    value = /^[0-3]$/.test(text) ? Number(text) : ECN_BY_NAME.get(text);
  }
  if (value === undefined || !isEcn(value)) {
    throw argumentError(path, 'one of Not-ECT, ECT(1), ECT(0), CE or a number from 0 to 3', nameOrNumber);
  }
  return value;
}

/** The TOS / Traffic Class octet: DSCP in the upper six bits (RFC 2474 §3), ECN in the lower two. */
export function tosFrom(dscp: number, ecn: number = Ecn.NotEct): number {
  if (!isDscp(dscp)) {
    throw argumentError('dscp', 'an integer from 0 to 63', dscp);
  }
  if (!isEcn(ecn)) {
    throw argumentError('ecn', 'an integer from 0 to 3', ecn);
  }
  return (dscp << 2) | ecn;
}

/** The DSCP of a TOS / Traffic Class octet (bits above the octet are ignored). */
export function dscpOfTos(tos: number): number {
  return (tos >>> 2) & 0x3f;
}

/** The ECN codepoint of a TOS / Traffic Class octet. */
export function ecnOfTos(tos: number): Ecn {
  return (tos & 0x03) as Ecn;
}
