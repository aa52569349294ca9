import { Mode, SECURITY_MODE_MASK, type SecurityMode } from '../constants.js';
import { argumentError } from './argument-error.js';

/**
 * Stable names for the TWAMP-Modes bits, for logs, JSON output and configuration. They never change once
 * published; a bit we do not know is reported as its numeric value instead.
 */
export const MODE_NAMES = {
  [Mode.Unauthenticated]: 'unauthenticated',
  [Mode.Authenticated]: 'authenticated',
  [Mode.Encrypted]: 'encrypted',
  [Mode.Mixed]: 'mixed',
  [Mode.IndividualSessionControl]: 'individual-session-control',
  [Mode.ReflectOctets]: 'reflect-octets',
  [Mode.SymmetricalSize]: 'symmetrical-size',
  [Mode.IkeV2]: 'ikev2',
  [Mode.DscpEcnMonitoring]: 'dscp-ecn-monitoring',
  [Mode.PtpTimestamps]: 'ptp-timestamps',
} as const;

export type ModeName = (typeof MODE_NAMES)[keyof typeof MODE_NAMES];

export type SecurityModeName = (typeof MODE_NAMES)[SecurityMode];

/** Security modes from most to least protection: what a client picks when the caller states no preference. */
export const DEFAULT_SECURITY_PREFERENCE: readonly SecurityMode[] = Object.freeze([
  Mode.Encrypted,
  Mode.Authenticated,
  Mode.Mixed,
  Mode.Unauthenticated,
]);

/** Security modes in bit order. */
const SECURITY_MODES: readonly SecurityMode[] = [Mode.Unauthenticated, Mode.Authenticated, Mode.Encrypted, Mode.Mixed];

function knownModeName(bit: number): ModeName | undefined {
  return (MODE_NAMES as Partial<Record<number, ModeName>>)[bit];
}

/**
 * Every bit set in a 32-bit Modes value, lowest first: its stable name, or its numeric value when it is
 * a bit no RFC we know assigns (a peer may set them; they are to be ignored, but worth logging).
 */
export function modeNames(modes: number): (ModeName | number)[] {
  const names: (ModeName | number)[] = [];
  const bits = modes >>> 0;
  for (let position = 0; position < 32; position += 1) {
    const bit = 2 ** position;
    // Division rather than `&`: bit 31 would come out negative through a signed 32-bit `&`.
    if (Math.floor(bits / bit) % 2 === 1) {
      names.push(knownModeName(bit) ?? bit);
    }
  }
  return names;
}

const BIT_BY_NAME: ReadonlyMap<string, number> = new Map(
  Object.entries(MODE_NAMES).map(([bit, name]): [string, number] => [name, Number(bit)]),
);

/**
 * The Modes value for a list as `modeNames` produces it (stable names and numeric bits), so a logged or
 * configured list reads back to the same value. An unknown name or a number that is not a single bit is
 * a ConfigError.
 */
export function modesFromNames(names: readonly (string | number)[], path = 'modes'): number {
  let modes = 0;
  for (const [index, name] of names.entries()) {
    const bit = typeof name === 'number' ? name : BIT_BY_NAME.get(name);
    if (bit === undefined || !Number.isInteger(bit) || bit < 1 || bit > 0x8000_0000 || Math.log2(bit) % 1 !== 0) {
      throw argumentError(`${path}[${index}]`, `a mode name (${[...BIT_BY_NAME.keys()].join(', ')}) or a single bit value`, name);
    }
    modes = (modes | bit) >>> 0;
  }
  return modes;
}

/** True for a value that is exactly one security mode (1, 2, 4 or 8). */
export function isSecurityMode(value: number): value is SecurityMode {
  return value === Mode.Unauthenticated || value === Mode.Authenticated || value === Mode.Encrypted || value === Mode.Mixed;
}

/** The security modes a Modes value offers, in bit order; feature bits are ignored. */
export function securityModesOffered(modes: number): SecurityMode[] {
  return SECURITY_MODES.filter((mode) => (modes & mode) !== 0);
}

/**
 * True when a Modes value (Set-Up-Response) selects exactly one security mode. Feature bits may be set
 * alongside it, so only the security bits are counted.
 */
export function isSingleSecurityMode(modes: number): boolean {
  return isSecurityMode(modes & SECURITY_MODE_MASK);
}

/** A Server Greeting whose Modes is 0 means the server will not serve this client (RFC 4656 §3.1). */
export function isServiceRefused(modes: number): boolean {
  return modes >>> 0 === 0;
}

/**
 * The security mode a client should choose: the first in `preference` that the server offers and the
 * caller allows (both Modes-style bit masks). Undefined when none fits; the client should then close.
 */
export function chooseSecurityMode(
  offered: number,
  allowed: number,
  preference: readonly SecurityMode[] = DEFAULT_SECURITY_PREFERENCE,
): SecurityMode | undefined {
  return preference.find((mode) => (offered & allowed & mode) !== 0);
}

/** The stable (RFC) name of a security mode, as `modeNames` lists it: `unauthenticated` for mode 1. */
export function securityModeName(mode: SecurityMode): SecurityModeName {
  return MODE_NAMES[mode];
}

/**
 * The operator's words for the security modes: what the CLI's `--mode`, twampd's `modes` and their
 * output and JSON say. They are the RFC names except for mode 1, which operators call `open` (twping's
 * word); `parseSecurityMode` reads both spellings back.
 */
const SECURITY_MODE_WORD = {
  [Mode.Unauthenticated]: 'open',
  [Mode.Authenticated]: 'authenticated',
  [Mode.Encrypted]: 'encrypted',
  [Mode.Mixed]: 'mixed',
} as const;

export type SecurityModeWord = (typeof SECURITY_MODE_WORD)[SecurityMode];

/** The operator's word for a security mode (`open` for unauthenticated). */
export function securityModeWord(mode: SecurityMode): SecurityModeWord {
  return SECURITY_MODE_WORD[mode];
}

/** The operator's words for every security mode a Modes mask holds, in bit order; feature bits are ignored. */
export function securityModeWordsOf(modes: number): SecurityModeWord[] {
  return securityModesOffered(modes).map(securityModeWord);
}

/**
 * The operator's word for the one security mode a Modes value selects (Set-Up-Response; feature bits
 * ignored), or undefined when it selects none or several (before a mode was chosen).
 */
export function selectedSecurityModeWord(modes: number): SecurityModeWord | undefined {
  const security = modes & SECURITY_MODE_MASK;
  return isSecurityMode(security) ? SECURITY_MODE_WORD[security] : undefined;
}

const SECURITY_MODE_BY_NAME: ReadonlyMap<string, SecurityMode> = new Map([
  // "open" is what twping and most CLIs call unauthenticated mode.
  ['open', Mode.Unauthenticated],
  ['unauthenticated', Mode.Unauthenticated],
  ['authenticated', Mode.Authenticated],
  ['encrypted', Mode.Encrypted],
  ['mixed', Mode.Mixed],
]);

const EXPECTED_SECURITY_MODE = 'one of open, unauthenticated, authenticated, encrypted, mixed';

/** A security mode from its name (case-insensitive; `open` means unauthenticated). */
export function parseSecurityMode(name: string, path = 'mode'): SecurityMode {
  const mode = SECURITY_MODE_BY_NAME.get(name.trim().toLowerCase());
  if (mode === undefined) {
    throw argumentError(path, EXPECTED_SECURITY_MODE, name);
  }
  return mode;
}

/**
 * A Modes-style mask from security mode names: a list, or one string separated by commas or spaces
 * (`"encrypted,authenticated"`). At least one name is required.
 */
export function parseSecurityModes(names: string | readonly string[], path = 'modes'): number {
  const list = typeof names === 'string' ? names.split(/[\s,]+/) : names;
  let mask = 0;
  let count = 0;
  for (const [index, name] of list.entries()) {
    if (typeof names === 'string' && name === '') {
      continue;
    }
    mask |= parseSecurityMode(name, typeof names === 'string' ? path : `${path}[${index}]`);
    count += 1;
  }
  if (count === 0) {
    throw argumentError(path, `at least one mode: ${EXPECTED_SECURITY_MODE}`, typeof names === 'string' ? names : names.join(','));
  }
  return mask;
}

/** Every security mode's bit: what the word `all` stands for. */
const ALL_SECURITY_MODES = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;

/**
 * The words people write for security modes in command-line options and configuration files: the
 * names `parseSecurityMode` accepts, plus `auth` (the usual short form of authenticated) and `all`
 * (every security mode). Kept here so that the CLI and the daemon read the same words the same way.
 */
const SECURITY_MODE_WORD_BITS: ReadonlyMap<string, number> = new Map([
  ...SECURITY_MODE_BY_NAME,
  ['auth', Mode.Authenticated],
  ['all', ALL_SECURITY_MODES],
]);

/** The accepted security-mode words, for messages and documentation. */
export const SECURITY_MODE_WORDS: readonly string[] = Object.freeze([...SECURITY_MODE_WORD_BITS.keys()]);

/**
 * The security-mode bits one word stands for (case-insensitive, surrounding blanks ignored): one bit
 * for a mode name, all four for `all`. Undefined for any other word, so each caller reports the
 * mistake in its own terms (an option name, a config path).
 */
export function securityModeWordBits(word: string): number | undefined {
  return SECURITY_MODE_WORD_BITS.get(word.trim().toLowerCase());
}
