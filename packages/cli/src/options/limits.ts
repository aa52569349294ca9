// Resource limits of the long-running commands (server, responder) as one table per command: the
// flag, what it counts, its default (taken from the library that enforces it, never a copied
// number) and its help. One parser and one way of showing defaults, so `--help` cannot drift from
// what the command does.
import type { Command } from 'commander';
import { parseDecimalOption, parseIntegerOption } from './numbers.js';

/**
 * count: a whole number of things (sessions, connections); rate: per second, fractions allowed;
 * seconds: a duration typed in seconds (fractions allowed), kept in milliseconds.
 */
export type LimitKind = 'count' | 'rate' | 'seconds';

export interface LimitSpec<K extends string = string> {
  /** The flag and its value name, as commander takes it: `--max-connections <n>`. */
  readonly flag: string;
  /** Commander's camel-case key of the flag (`maxConnections`). */
  readonly key: K;
  readonly kind: LimitKind;
  /** The default in the option's unit: a count, per second, or milliseconds for `seconds`; Infinity: unlimited. */
  readonly defaultValue: number;
  /** Counts: what is counted, for messages (`sessions`). */
  readonly unit?: string;
  /** `unlimited` (or `0` for rates) accepted as no limit. */
  readonly unlimited?: boolean;
  readonly help: string;
}

/** The largest count a limit takes: far above any table this process could hold. */
export const MAX_LIMIT_COUNT = 1_000_000;
/** The smallest rate other than none: one every 1000 s. */
export const MIN_LIMIT_RATE = 0.001;
/** The largest rate, packets or requests per second. */
export const MAX_LIMIT_RATE = 10_000_000;
/** Timeouts: from a millisecond to a day. */
export const MIN_LIMIT_SECONDS = 0.001;
export const MAX_LIMIT_SECONDS = 86_400;

const UNLIMITED = 'unlimited';

/** The option's flag without its value name: `--max-connections`. */
export function flagName(spec: LimitSpec): string {
  return spec.flag.split(' ')[0] ?? spec.flag;
}

/** A default (or a parsed value) as the help shows it: `1000`, `30 s`, `unlimited`. */
export function describeLimit(spec: LimitSpec, value = spec.defaultValue): string {
  if (!Number.isFinite(value)) return UNLIMITED;
  if (spec.kind === 'seconds') return `${value / 1000} s`;
  return String(value);
}

function rangeText(spec: LimitSpec): string {
  switch (spec.kind) {
    case 'count':
      return `1-${MAX_LIMIT_COUNT}`;
    case 'rate':
      return `${MIN_LIMIT_RATE}-${MAX_LIMIT_RATE} per second`;
    case 'seconds':
      return `${MIN_LIMIT_SECONDS}-${MAX_LIMIT_SECONDS} s`;
  }
}

/** The help line: what it limits, its range, `unlimited` when accepted, and the default. */
export function limitHelp(spec: LimitSpec): string {
  const unlimited = spec.unlimited === true ? (spec.kind === 'rate' ? ', 0 or unlimited for none' : ', or unlimited') : '';
  return `${spec.help} (${rangeText(spec)}${unlimited}; default ${describeLimit(spec)})`;
}

/** One value: the number in the option's unit (milliseconds for `seconds`), Infinity for `unlimited`. */
export function parseLimit(spec: LimitSpec, text: string): number {
  const path = flagName(spec);
  const value = text.trim().toLowerCase();
  if (spec.unlimited === true && (value === UNLIMITED || (spec.kind === 'rate' && value === '0'))) return Number.POSITIVE_INFINITY;
  switch (spec.kind) {
    case 'count':
    {
      const unit = [spec.unit, spec.unlimited === true ? '(or unlimited)' : undefined].filter((word) => word !== undefined).join(' ');
      return parseIntegerOption(text, { path, min: 1, max: MAX_LIMIT_COUNT, ...(unit === '' ? {} : { unit }) });
    }
    case 'rate':
      return parseDecimalOption(text, { path, min: MIN_LIMIT_RATE, max: MAX_LIMIT_RATE, unit: spec.unlimited === true ? 'per second (0 or unlimited: none)' : 'per second' });
    case 'seconds':
      // Whole milliseconds: the timers underneath take integers.
      return Math.max(1, Math.round(parseDecimalOption(text, { path, min: MIN_LIMIT_SECONDS, max: MAX_LIMIT_SECONDS, unit: 'seconds' }) * 1000));
  }
}

/** Every limit of a table: the value given, else the default. */
export function parseLimits<K extends string>(specs: readonly LimitSpec<K>[], raw: Partial<Readonly<Record<K, string>>>): Record<K, number> {
  const values = {} as Record<K, number>;
  for (const spec of specs) {
    const text = raw[spec.key];
    values[spec.key] = text === undefined ? spec.defaultValue : parseLimit(spec, text);
  }
  return values;
}

/** Adds a table's options to a command, each help with its range and default. */
export function addLimitOptions(command: Command, specs: readonly LimitSpec[]): Command {
  for (const spec of specs) command.option(spec.flag, limitHelp(spec));
  return command;
}
