// Numeric option values. Commander hands every value over as text; these turn it into a number or a
// ConfigError that names the option and its accepted range, so the messages are the same everywhere.
import { usageError } from './usage-error.js';

export interface NumberRule {
  /** The option as the user typed it, e.g. `--count`. */
  readonly path: string;
  readonly min: number;
  readonly max: number;
  /** Words for the unit in messages, e.g. `milliseconds`. */
  readonly unit?: string;
}

const INTEGER = /^[0-9]+$/;
const HEX = /^0x[0-9a-f]+$/i;
const DECIMAL = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

function unitSuffix(rule: NumberRule): string {
  return rule.unit === undefined ? '' : ` ${rule.unit}`;
}

/** A whole number, decimal (or 0x hex when `hex` is set), from `min` to `max`. */
export function parseIntegerOption(text: string, rule: NumberRule, options: { readonly hex?: boolean } = {}): number {
  const value = text.trim();
  const hex = options.hex === true && HEX.test(value);
  const parsed = INTEGER.test(value) ? Number(value) : hex ? Number.parseInt(value.slice(2), 16) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < rule.min || parsed > rule.max) {
    const form = options.hex === true ? ' (decimal or 0x hex)' : '';
    throw usageError(rule.path, `an integer from ${rule.min} to ${rule.max}${unitSuffix(rule)}${form}`, text);
  }
  return parsed;
}

/** A decimal number (fractions allowed), from `min` to `max` inclusive. */
export function parseDecimalOption(text: string, rule: NumberRule): number {
  const value = text.trim();
  const parsed = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed) || parsed < rule.min || parsed > rule.max) {
    throw usageError(rule.path, `a number from ${rule.min} to ${rule.max}${unitSuffix(rule)} (fractions allowed)`, text);
  }
  return parsed;
}

/** A comma-separated list of percentiles, each above 0 and below 100, e.g. `50,90,99,99.9`. */
export function parsePercentilesOption(text: string, path = '--percentiles'): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const values = parts.map((part) => (DECIMAL.test(part) ? Number(part) : Number.NaN));
  if (parts.length === 0 || values.some((value) => !Number.isFinite(value) || value <= 0 || value >= 100)) {
    throw usageError(path, 'a comma-separated list of numbers above 0 and below 100, e.g. 50,90,99,99.9', text);
  }
  // Sorted and without repeats: the table shows them in order, and a repeat would be a second column.
  return [...new Set(values)].sort((a, b) => a - b);
}
