// parseConfig / loadConfig: YAML text → DaemonConfig, or one ConfigError listing every mistake with
// its path, what is expected there, what was given, and its line:column in the file.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@twamp/errors';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { DaemonConfig } from '../types.js';
import { type ConfigFileIssue, describeValue, formatPath, fromZodIssue, inheritedIssue, knownKeys, type PendingIssue, suggestKey } from './issues.js';
import { YamlLocator } from './locate.js';
import { configDirectory, withAbsolutePaths } from './paths.js';
import { type PlacedPath, rememberPlaces } from './places.js';
import { keyUsers, type ParsedConfig, type ParsedTarget, resolveConfig } from './resolve.js';
import { type RawSections, SECTION_SCHEMAS, type SectionName, targetSchema } from './schema.js';

/**
 * Alias expansions allowed when the YAML becomes data: enough for any honest config, and a bound on
 * the "billion laughs" document that would otherwise expand to gigabytes.
 */
const MAX_ALIAS_COUNT = 1000;

type PlainMap = Record<string, unknown>;

function isPlainMap(value: unknown): value is PlainMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An empty value (`port:` with nothing after it) means "the default", as if the key were not there:
 * that is how a config with every option commented out below its section key reads. A value that
 * contains itself (an alias inside its own anchor) is a mistake, not something to walk forever.
 */
function withoutEmptyValues(value: unknown, path: readonly PropertyKey[], ancestors: Set<object>, issues: PendingIssue[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) {
    issues.push({ path, expected: 'a value that does not contain itself (this YAML alias refers to its own anchor)', received: 'a cycle' });
    return undefined;
  }
  ancestors.add(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((item, index) => withoutEmptyValues(item, [...path, index], ancestors, issues));
  } else {
    const map: PlainMap = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a key such as `__proto__` stays an own key (and is reported as unknown).
      const cleaned = item === null ? undefined : withoutEmptyValues(item, [...path, key], ancestors, issues);
      // A cycle is reported once, where it closes: the key is dropped so nothing else trips over it.
      if (cleaned !== undefined) Object.defineProperty(map, key, { value: cleaned, enumerable: true, writable: true, configurable: true });
    }
    result = map;
  }
  ancestors.delete(value);
  return result;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix: readonly PropertyKey[], issues: PendingIssue[]): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) issues.push(...fromZodIssue(issue, prefix, value));
  return undefined;
}

/**
 * Each target with `agent.defaults` under it. A mistake in a value the target took from the
 * defaults is reported at `agent.defaults.<key>` (once, not once per target).
 */
function parseTargets(agent: unknown, issues: PendingIssue[]): (ParsedTarget | undefined)[] {
  if (!isPlainMap(agent) || !Array.isArray(agent['targets'])) return [];
  const defaults = isPlainMap(agent['defaults']) ? agent['defaults'] : {};
  return agent['targets'].map((target: unknown, index) => {
    if (!isPlainMap(target)) {
      issues.push({ path: ['agent', 'targets', index], expected: 'a map with name, protocol, address and the keys below', received: describeValue(target) });
      return undefined;
    }
    const merged: PlainMap = { ...defaults };
    for (const [key, value] of Object.entries(target)) Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
    // Labels add up: a target's own labels join (and override) the default ones.
    const defaultLabels = defaults['labels'];
    const ownLabels = target['labels'];
    if (isPlainMap(defaultLabels) && isPlainMap(ownLabels)) merged['labels'] = { ...defaultLabels, ...ownLabels };
    const own: PendingIssue[] = [];
    const parsed = parseWith(targetSchema, merged, ['agent', 'targets', index], own);
    const inherited = new Set(Object.keys(defaults).filter((key) => !Object.hasOwn(target, key)));
    for (const issue of own) issues.push(inheritedIssue(issue, inherited));
    return parsed === undefined ? undefined : { value: parsed, inherited };
  });
}

function parseSections(data: unknown, issues: PendingIssue[]): ParsedConfig {
  const sections: RawSections = {};
  const failed = new Set<SectionName>();
  // An empty file (or one with only comments) is a valid config: every default.
  const root = data ?? {};
  if (!isPlainMap(root)) {
    issues.push({ path: [], expected: `a map of sections (${Object.keys(SECTION_SCHEMAS).join(', ')})`, received: describeValue(root) });
    return { sections, failed: new Set(Object.keys(SECTION_SCHEMAS) as SectionName[]), targets: [] };
  }
  const names = Object.keys(SECTION_SCHEMAS);
  for (const key of Object.keys(root)) {
    if (names.includes(key)) continue;
    const suggestion = suggestKey(key, knownKeys([]));
    issues.push({
      path: [key],
      expected: suggestion === undefined ? `one of the sections ${names.join(', ')}` : `a known key (did you mean ${suggestion}?)`,
      received: 'an unknown key',
      atKey: true,
    });
  }
  for (const name of names as SectionName[]) {
    const before = issues.length;
    const value = parseWith(SECTION_SCHEMAS[name] as z.ZodType, root[name], [name], issues);
    if (issues.length > before) failed.add(name);
    else (sections as Record<string, unknown>)[name] = value;
  }
  const before = issues.length;
  const targets = parseTargets(root['agent'], issues);
  if (issues.length > before) failed.add('agent');
  return { sections, failed, targets };
}

/** The same mistake reached twice (a bad default under several targets) is reported once. */
function dedupe(issues: readonly ConfigFileIssue[]): ConfigFileIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.expected}\u0000${issue.received ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Mistakes in the order of the file (those without a position last), as an editor lists them. */
function inFileOrder(issues: readonly ConfigFileIssue[]): ConfigFileIssue[] {
  const rank = (issue: ConfigFileIssue): number => (issue.line ?? Number.MAX_SAFE_INTEGER) * 100_000 + (issue.column ?? 0);
  return [...issues].sort((a, b) => rank(a) - rank(b));
}

function place(issue: PendingIssue, locator: YamlLocator | undefined, file: string | undefined): ConfigFileIssue {
  const position = locator?.locate(issue.at ?? issue.path, issue.atKey === true && issue.at === undefined);
  return {
    path: formatPath(issue.path),
    expected: issue.expected,
    ...(issue.received === undefined ? {} : { received: issue.received }),
    ...(file === undefined ? {} : { file }),
    ...(position === undefined ? {} : { line: position.line, column: position.column }),
  };
}

/**
 * twampd's configuration from YAML text. `fileName` names the file in every issue, and relative file
 * paths in it (`security.keyFile`, `agent.output`, `logging.destination`) are read from its directory
 * (from the working directory without one): the config holds them absolute. Throws one
 * ConfigError listing every mistake (issues are ConfigFileIssue: path, expected, received, file,
 * line, column); nothing else is thrown for any input.
 */
export function parseConfig(text: string, fileName?: string): DaemonConfig {
  try {
    return parseChecked(text, fileName);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    // A safety net, not a path we expect: the YAML library failing on some input (a stack overflow on
    // absurd nesting, say) must still read as "this file cannot be used", never as a crash.
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError([{ path: '(the whole file)', expected: 'a YAML document twampd can read', received: message.split('\n')[0] ?? '', ...(fileName === undefined ? {} : { file: fileName }) }]);
  }
}

function parseChecked(text: string, fileName: string | undefined): DaemonConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true, logLevel: 'silent', schema: 'core' });
  const file = fileName === undefined ? {} : { file: fileName };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error): ConfigFileIssue => {
        const start = error.linePos?.[0];
        return {
          path: '(YAML syntax)',
          expected: 'valid YAML',
          // The first line, without the position prettyErrors appends: ours comes in line and column.
          received: (error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, ''),
          ...file,
          ...(start === undefined ? {} : { line: start.line, column: start.col }),
        };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new ConfigError([{ path: '(YAML aliases)', expected: `at most ${MAX_ALIAS_COUNT} alias expansions`, received: error instanceof Error ? error.message : 'too many', ...file }]);
  }
  const pending: PendingIssue[] = [];
  const parsed = parseSections(withoutEmptyValues(data, [], new Set(), pending), pending);
  // Relative file paths are the config file's neighbours, wherever twampd was started from (paths.ts).
  const config = withAbsolutePaths(resolveConfig(parsed, pending), configDirectory(fileName));
  const locator = new YamlLocator(doc, lines);
  if (pending.length > 0) {
    throw new ConfigError(inFileOrder(dedupe(pending.map((issue) => place(issue, locator, fileName)))));
  }
  rememberPlaces(config, fileName, laterPlaces(config, parsed, locator));
  return config;
}

/**
 * Where the values checked after parsing are written: the key file and the identities read from it
 * (a target's keyId taken from `agent.defaults` is shown there), and the files opened at start (the
 * log and the agent's results). Positions are looked up now, so the document need not be kept.
 */
function laterPlaces(config: DaemonConfig, parsed: ParsedConfig, locator: YamlLocator): PlacedPath[] {
  const paths: (readonly PropertyKey[])[] = [
    ['security', 'keyFile'],
    ['security', 'modes'],
    ['logging', 'destination'],
    ['agent', 'output'],
    ...keyUsers(config.listeners, config.agent).map((user) => user.path),
  ];
  return paths.map((path) => {
    const index = path[0] === 'agent' ? path[2] : undefined;
    const inherited = typeof index === 'number' && parsed.targets[index]?.inherited.has('keyId') === true;
    const shownAt = inherited ? ['agent', 'defaults', 'keyId'] : path;
    return { path, shownAt, position: locator.locate(shownAt) };
  });
}

/** Read and parse a config file; a file that cannot be read is a ConfigError naming it. */
export async function loadConfig(path: string): Promise<DaemonConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error';
    throw new ConfigError([{ path, expected: 'a readable config file', received: code }]);
  }
  return parseConfig(text, path);
}
