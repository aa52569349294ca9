// The leaf values of the config file: each a zod schema that checks one YAML value and turns it into
// what the daemon uses (durations in ms, DSCP names into numbers, mode words into names). Checks reuse
// the lower layers' own parsers (wire's parseDscp and mode words, test-session's port ranges and
// CIDRs, control's CIDR filter and key-identity limit, wire's PBKDF2 count check) so that a value the
// config accepts is one the daemon's parts accept too.
import { clientFilter, MAX_KEY_ID_OCTETS } from '@twamp/control';
import { ConfigError } from '@twamp/errors';
import { parseCidr, parsePortRange, type PortRange } from '@twamp/test-session';
import { checkPbkdf2Count, parseDscp, PBKDF2_MIN_COUNT, securityModeWordBits, tryParseIpAddress } from '@twamp/wire';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { NAME_PATTERN } from './reference.js';

/**
 * A failed check. `expected` gives words more precise than the reference table's (a range that
 * depends on the value, a lower layer's own message); without it the table's `type` is used.
 */
class Invalid {
  readonly expected: string | undefined;
  constructor(expected?: string) {
    this.expected = expected;
  }
}

/** A schema for one value, checked by `check` (a value, or Invalid). */
function leaf<T>(check: (value: unknown) => T | Invalid): z.ZodType<T> {
  return z.unknown().transform((value, ctx): T => {
    const result = check(value);
    if (result instanceof Invalid) {
      ctx.addIssue({ code: 'custom', message: result.expected ?? '', params: result.expected === undefined ? {} : { expected: result.expected } });
      return z.NEVER;
    }
    return result;
  });
}

/** The words of a lower layer's ConfigError, when it threw one (its first issue's `expected`). */
function expectedOf(error: unknown): Invalid {
  return new Invalid(error instanceof ConfigError ? error.issues[0]?.expected : undefined);
}

export const boolean = z.boolean();

/** A TCP or UDP port; 0 (any free port) only where binding to any port makes sense (listeners, tests). */
export function port(allowAny: boolean): z.ZodType<number> {
  return z.int().min(allowAny ? 0 : 1).max(65535);
}

export const count = z.int().min(1);

/** A positive integer, or `unlimited` (undefined). */
export const countOrUnlimited = leaf((value) => {
  if (value === 'unlimited') return undefined;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : new Invalid();
});

/** A rate in events per second; `unlimited` is undefined. */
export const rate = leaf((value) => {
  if (value === 'unlimited') return undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : new Invalid();
});

/** A duration in ms, with bounds in ms (`min` exclusive when `minExclusive`). */
export function duration(bounds: { readonly min: number; readonly minExclusive: boolean; readonly max?: number }): z.ZodType<number> {
  return leaf((value) => {
    const ms = parseDuration(value);
    if (ms === undefined) return new Invalid();
    const aboveMin = bounds.minExclusive ? ms > bounds.min : ms >= bounds.min;
    return aboveMin && (bounds.max === undefined || ms <= bounds.max) ? ms : new Invalid();
  });
}

/** An IP literal (listener, metrics and local addresses are bound, so a name would be a guess). */
export const ipAddress = leaf((value) => (typeof value === 'string' && tryParseIpAddress(value.trim()) !== undefined ? value.trim() : new Invalid()));

/** RFC 1123 host names: labels of letters, digits and inner hyphens, up to 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export const host = leaf((value) => {
  if (typeof value !== 'string') return new Invalid();
  const text = value.trim();
  if (tryParseIpAddress(text) !== undefined) return text;
  // A name whose last label is all digits is a mistyped address (`10.0.1`), not a host (RFC 3696 §2).
  return HOST_NAME.test(text) && !/(^|\.)\d+\.?$/.test(text) ? text : new Invalid();
});

export const name = leaf((value) => (typeof value === 'string' && NAME_PATTERN.test(value) ? value : new Invalid()));

export const nonEmptyText = leaf((value) => (typeof value === 'string' && value.trim() !== '' ? value : new Invalid()));

/** RFC 4656 §3.1: the KeyID field holds up to 80 octets of UTF-8; a NUL would end it early. */
export const keyId = leaf((value) => {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) return new Invalid();
  return Buffer.byteLength(value, 'utf8') <= MAX_KEY_ID_OCTETS ? value : new Invalid();
});

/** Security modes as a bit mask: a list of mode words, or one word (`all` included). */
export const modes = leaf((value) => {
  const words = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(words) || words.length === 0) return new Invalid();
  let mask = 0;
  for (const word of words) {
    const bits = typeof word === 'string' ? securityModeWordBits(word) : undefined;
    if (bits === undefined) return new Invalid();
    mask |= bits;
  }
  return mask;
});

/** `A-B` (test-session's parser), or `ephemeral` / 0 for ports the system picks. */
export const reflectorPorts = leaf((value): PortRange | 'ephemeral' | Invalid => {
  if (value === 'ephemeral' || value === 0) return 'ephemeral';
  if (typeof value !== 'string') return new Invalid();
  try {
    return parsePortRange(value);
  } catch {
    return new Invalid();
  }
});

/** wire's check of a greeting's Count, with no upper cap (as the control server applies it). */
export const pbkdf2Count = leaf((value) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < PBKDF2_MIN_COUNT) return new Invalid();
  try {
    checkPbkdf2Count(value, value);
    return value;
  } catch {
    return new Invalid();
  }
});

/**
 * One access entry: an address or CIDR as the Light/STAMP reflectors read it (test-session's
 * parseCidr) and as the control server's client filter reads it, so an entry is valid for either.
 */
export const cidr = leaf((value) => {
  if (typeof value !== 'string' || parseCidr(value) === undefined) return new Invalid();
  try {
    clientFilter([value]);
    return value.trim();
  } catch {
    return new Invalid();
  }
});

export const dscp = leaf((value) => {
  if (typeof value !== 'string' && typeof value !== 'number') return new Invalid();
  try {
    return parseDscp(value);
  } catch (error) {
    return expectedOf(error);
  }
});

export type Padding = number | 'symmetric' | 'imix';

export function padding(max: number): z.ZodType<Padding> {
  return leaf((value): Padding | Invalid => {
    if (value === 'symmetric' || value === 'imix') return value;
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max ? value : new Invalid();
  });
}

/** A label value: text, or a number or boolean written as text (YAML reads `site: 12` as a number). */
export const labelValue = leaf((value) => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : new Invalid()));

/** Label names as Prometheus and most JSON consumers accept them. */
export const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);
