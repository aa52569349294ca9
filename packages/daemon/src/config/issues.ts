// Mistakes found in a config file, in the words of @twamp/errors' ConfigIssue (path, expected,
// received) plus where they are in the file. Paths are written as in the YAML: `agent.targets[3].port`.
import type { ConfigIssue } from '@twamp/errors';
import type { z } from 'zod';
import { CONFIG_REFERENCE, documentedPath, referenceFor, referenceKeyOf } from './reference.js';

/** A ConfigIssue with its place in the file (when known). ConfigError.issues of parseConfig are these. */
export interface ConfigFileIssue extends ConfigIssue {
  readonly file?: string;
  /** 1-based line and column of the value (of the key for an unknown key). */
  readonly line?: number;
  readonly column?: number;
}

/** A mistake before it is placed in the file. */
export interface PendingIssue {
  readonly path: readonly PropertyKey[];
  readonly expected: string;
  readonly received?: string;
  /** Locate another node than `path` (a cross-field mistake shown where the user wrote the cause). */
  readonly at?: readonly PropertyKey[];
  /** Point at the key rather than the value (unknown keys). */
  readonly atKey?: boolean;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `agent.targets[3].port`; odd keys quoted (`access["a b"]`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(String(segment))) text += text === '' ? String(segment) : `.${String(segment)}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text === '' ? '(the whole file)' : text;
}

const MAX_RECEIVED = 60;

/** A value as the message shows it: text quoted and cut, collections by kind, nothing as "nothing". */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length > MAX_RECEIVED ? `${quoted.slice(0, MAX_RECEIVED - 4)}..."` : quoted;
  }
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

/** The value at `path` in plain data (undefined where the path leaves it). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Known keys under a path, from the reference table (a target's for `agent.defaults`, less name and address). */
export function knownKeys(parent: readonly PropertyKey[]): string[] {
  const defaults = parent.length === 2 && parent[0] === 'agent' && parent[1] === 'defaults';
  const base = referenceKeyOf(documentedPath(parent));
  const prefix = base === '' ? '' : `${base}.`;
  return CONFIG_REFERENCE.map((entry) => entry.key)
    .filter((key) => key.startsWith(prefix) && /^[A-Za-z]+$/.test(key.slice(prefix.length)))
    .map((key) => key.slice(prefix.length))
    .filter((key) => !defaults || (key !== 'name' && key !== 'address'));
}

/** Edit distance, for "did you mean": small words only, so the quadratic table is tiny. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The known key a mistyped one most likely meant, when one is close enough. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { key: string; score: number } | undefined;
  for (const key of known) {
    const score = key.toLowerCase() === lower ? 0 : distance(lower, key.toLowerCase());
    if (score <= Math.max(1, Math.floor(key.length / 3)) && (best === undefined || score < best.score)) best = { key, score };
  }
  return best?.key;
}

function unknownKeyIssue(parent: readonly PropertyKey[], key: string): PendingIssue {
  const known = knownKeys(parent);
  const suggestion = suggestKey(key, known);
  const expected = suggestion === undefined ? `one of the known keys here: ${known.join(', ')}` : `a known key (did you mean ${suggestion}?)`;
  return { path: [...parent, key], expected, received: 'an unknown key', atKey: true };
}

/** Words for a path from the reference table. */
export function expectedAt(path: readonly PropertyKey[]): string {
  return referenceFor(documentedPath(path))?.type ?? 'a valid value';
}

/** One zod issue (of a schema applied at `prefix` to `value`) as our mistakes. */
export function fromZodIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[], value: unknown): PendingIssue[] {
  const relative = issue.path as readonly PropertyKey[];
  const path = [...prefix, ...relative];
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKeyIssue(path, key));
  if (issue.code === 'invalid_key') {
    return [{ path, expected: 'a label name of letters, digits and _ (not starting with a digit)', received: describeValue(relative.at(-1)), atKey: true }];
  }
  const received = valueAt(value, relative);
  const params = issue.code === 'custom' ? (issue.params as { expected?: unknown } | undefined) : undefined;
  const words = typeof params?.expected === 'string' ? params.expected : expectedAt(path);
  const missing = received === undefined;
  return [{ path, expected: missing ? `${words} (required)` : words, received: describeValue(received) }];
}

/** A mistake in a value a target took from `agent.defaults` is shown there. */
export function inheritedIssue(issue: PendingIssue, inherited: ReadonlySet<string>): PendingIssue {
  const key = issue.path[3];
  if (issue.path[0] !== 'agent' || issue.path[1] !== 'targets' || typeof key !== 'string' || !inherited.has(key)) return issue;
  const path = ['agent', 'defaults', ...issue.path.slice(3)];
  return { ...issue, path, ...(issue.at === undefined ? {} : { at: path }) };
}
