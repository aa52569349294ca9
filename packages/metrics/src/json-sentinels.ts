// The toolkit's JSON says "not known" with null, never with a stand-in value. This finds the stand-ins
// that leak when a code path forgets: a field's maximum (an Error Estimate of 17 000 years, 2^32 − 1),
// −1, non-finite numbers, port or TTL 0, times of day at an epoch (NTP 0 is 1900, Unix 0 is 1970),
// empty times, stringified undefined/NaN. The CLI's and twampd's tests walk every record of real runs
// with it, so a new field is checked without anyone remembering to.

export interface JsonSentinel {
  /** Where, as a JSON path (`$.clock.claimedErrorMs`, `$.delayMs.percentiles["99"]`). */
  readonly path: string;
  readonly value: unknown;
  /** Which rule it broke. */
  readonly why: string;
}

/** Magnitudes no measured quantity of ours reaches: 10^12 ms is 31 years, 10^12 s far beyond any Unix time. */
const HUGE = 1e12;
/** All-ones values of unsigned fields, which decoders and C APIs use for "none". */
const ALL_ONES = new Set([2 ** 16 - 1, 2 ** 31 - 1, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER]);
/** Unix seconds before 2001: an epoch or an NTP 0 converted, not a time a packet was sent. */
const UNIX_SECONDS_FLOOR = 1e9;
/** Fields holding Unix seconds (the --jsonl packet record's timestamps). */
const UNIX_SECONDS_KEYS = new Set(['t1', 't2', 't3', 't4']);
/** Fields holding a time of day as ISO text. */
const TIME_KEYS = new Set(['at', 'time', 'startedAt', 'start', 'end']);
const LEAKED_TEXT = new Set(['NaN', 'Infinity', '-Infinity', 'undefined', 'null', '[object Object]']);

function numberRule(key: string, value: number): string | undefined {
  if (!Number.isFinite(value)) return 'not a finite number';
  if (Math.abs(value) >= HUGE) return 'beyond any measured value (a field maximum standing for "unknown"?)';
  if (value === -1) return '-1 standing for "unknown"';
  if (ALL_ONES.has(value)) return 'an all-ones value standing for "none"';
  if (value === 0 && (key === 'port' || /ttl$/i.test(key))) return `${key} 0 standing for "unknown"`;
  if (UNIX_SECONDS_KEYS.has(key) && value < UNIX_SECONDS_FLOOR) return 'a Unix time before 2001 (NTP or Unix epoch)';
  return undefined;
}

function stringRule(key: string, value: string): string | undefined {
  if (LEAKED_TEXT.has(value)) return 'a stringified missing value';
  if (TIME_KEYS.has(key)) {
    if (value === '') return 'an empty time';
    if (/^(1900|1970)-01-01T/.test(value)) return 'a time at an epoch (NTP 0 or Unix 0)';
  }
  return undefined;
}

function child(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Every value in `json` (a parsed JSON value, or an object about to be serialised) that looks like a leaked sentinel. */
export function findJsonSentinels(json: unknown, path = '$'): JsonSentinel[] {
  const found: JsonSentinel[] = [];
  const walk = (value: unknown, at: string, key: string): void => {
    let why: string | undefined;
    if (typeof value === 'number') why = numberRule(key, value);
    else if (typeof value === 'string') why = stringRule(key, value);
    else if (value === undefined) why = 'undefined (dropped by JSON.stringify: a missing field)';
    else if (Array.isArray(value)) {
      value.forEach((item: unknown, index) => {
        walk(item, `${at}[${index}]`, key);
      });
    }
    else if (value !== null && typeof value === 'object') {
      for (const [name, item] of Object.entries(value)) walk(item, child(at, name), name);
    }
    if (why !== undefined) found.push({ path: at, value, why });
  };
  walk(json, path, '');
  return found;
}
