// The test options: one table that says, for every setting of a measurement run, its command-line
// options (flags and help), which commands list it (`sender`, `controller`, `demo`), how its text
// is checked into the plan, which Session-Sender options it sets and which keys of the JSON
// `settings` it fills. The commands' options, their parsers, the engine's options and the JSON
// settings are all generated from it: adding an option is adding an entry (and its `example`, which
// the table test runs through every command that lists it). An option a command does not list is
// never read for it (its value is the default), so `controller --user` is never STAMP's --user.
import { type Command, Option } from 'commander';
import { DEFAULT_PERCENTILES } from '@twamp/metrics';
import type { SenderPadding, SessionSenderOptions } from '@twamp/test-session';
import type { SenderJsonSettings } from '../output/sender-json.js';
import { DEFAULT_SUMMARY_PERCENTILES } from '../output/sender-summary.js';
import { collectRepeated } from '../control/options.js';
import { MAX_INTERVAL_REPORT_S, MIN_INTERVAL_REPORT_S, parseIntervalReportOption } from './interval-report.js';
import { LOGGING_FLAGS, parseLoggingOptions, parseRecordFormat } from './logging.js';
import { parseTosOptions, parseTtlOption } from './network.js';
import { parseDecimalOption, parseIntegerOption, parsePercentilesOption } from './numbers.js';
import { parseStampAuth, STAMP_AUTH_FLAGS, stampSecurityOptions, stampSecuritySetting } from './stamp-security.js';
import { parseTlv, SENDER_TLV_NAMES, tlvLabel, tlvsFor } from './tlv.js';
import { usageError } from './usage-error.js';

export const DEFAULT_COUNT = 100;
export const DEFAULT_INTERVAL_MS = 100;
export const DEFAULT_LOSS_TIMEOUT_MS = 2000;
/** Padding beyond a jumbo frame's payload would only be fragmented or refused. */
export const MAX_PADDING = 9000;
/** --duration's bound, seconds (a year). */
export const MAX_DURATION_S = 31_536_000;

/** The commands that run a Session-Sender from these options. */
export const TEST_COMMANDS = ['sender', 'controller', 'demo'] as const;
export type TestCommand = (typeof TEST_COMMANDS)[number];

/** The defaults a command applies (and its help shows) for -c and -i: the sender's, or the demo's own. */
export interface TestDefaults {
  readonly count: number;
  readonly intervalMs: number;
}

export const SENDER_DEFAULTS: TestDefaults = { count: DEFAULT_COUNT, intervalMs: DEFAULT_INTERVAL_MS };

/** A help text, the same everywhere or as one command shows it (with the defaults it applies). */
export type OptionHelp = string | ((command: TestCommand, defaults: TestDefaults) => string);

/** One command-line option of a setting. Its key (in the setting's `options`) is commander's name for it. */
export interface TestFlag {
  readonly flags: string;
  readonly help: OptionHelp;
  /** Listed by these commands only (default: every command of the setting). */
  readonly only?: readonly TestCommand[];
  /** Accepted but not shown (an old spelling). */
  readonly hidden?: boolean;
  /** Repeatable: every value, in order. */
  readonly repeatable?: boolean;
}

/** What commander hands over for an option: text for `<value>`, a list when repeatable, else a switch. */
type RawValueOf<F> = F extends { readonly repeatable: true } ? readonly string[] : F extends { readonly flags: `${string}<${string}>` } ? string : boolean;
export type RawOf<O> = { readonly [K in keyof O]?: RawValueOf<O[K]> };

export interface ParseContext {
  readonly command: TestCommand;
  readonly defaults: TestDefaults;
  /** -d (program-wide). */
  readonly debug: boolean;
  /** --stamp was given (STAMP instead of TWAMP Light). */
  readonly stamp: boolean;
  /** The option `key` (commander's name) was given to this command (one it lists). */
  readonly given: (key: string) => boolean;
}

/** What the run knows only once it starts. */
export interface RunContext {
  /** The --auth HMAC key, read from its file, variable or the terminal; undefined in open mode. */
  readonly stampKey?: Uint8Array | undefined;
}

/** The plan fields another setting's engine or JSON mapping reads (the plan is checked against it). */
export interface SettingsView {
  readonly protocol: 'twamp-light' | 'stamp';
  readonly schedule: 'periodic' | 'poisson';
  readonly intervalMs: number;
  readonly tos: number | undefined;
  readonly stampAuth: ReturnType<typeof parseStampAuth>;
}

export interface TestSetting<O extends Readonly<Record<string, TestFlag>>, V> {
  readonly options: O;
  readonly commands: readonly TestCommand[];
  /** Arguments that set a value other than the default (the table test runs them for every command listed). */
  readonly example: readonly string[];
  /** Checks the text into the plan's value (the default when absent); throws a ConfigError naming the option. */
  parse(raw: RawOf<O>, context: ParseContext): V;
  /** The Session-Sender options this value sets (none: it is about the output). */
  engine?(value: V, plan: SettingsView, run: RunContext): Partial<SessionSenderOptions>;
  /** The keys of the JSON `settings` it fills. */
  json?(value: V, plan: SettingsView): Partial<SenderJsonSettings>;
}

/** Infers a setting's option keys and value type from its entry. */
function setting<const O extends Readonly<Record<string, TestFlag>>, V>(spec: TestSetting<O, V>): TestSetting<O, V> {
  return spec;
}

const ALL: readonly TestCommand[] = TEST_COMMANDS;

function parsePadding(text: string, stamp: boolean, command: TestCommand): SenderPadding {
  const value = text.trim().toLowerCase();
  if (value === 'symmetric') return value;
  if (value === 'imix') {
    if (command === 'controller') throw usageError('--padding', 'a number of octets or symmetric (a TWAMP session has one Padding Length)', 'imix');
    return value;
  }
  const octets = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  // STAMP carries padding in an Extra Padding TLV, whose 4-octet header is the least it can add.
  const tooSmallForTlv = stamp && octets > 0 && octets < 4;
  if (!Number.isInteger(octets) || octets > MAX_PADDING || tooSmallForTlv) {
    const range = stamp ? `0, or an integer from 4 to ${MAX_PADDING} octets (STAMP pads with a TLV)` : `an integer from 0 to ${MAX_PADDING} octets`;
    throw usageError('--padding', `${range}, or symmetric, or imix`, text);
  }
  return octets;
}

/** The engine's schedule: a packet every interval, or Poisson gaps averaging it. */
function engineSchedule(plan: SettingsView): Pick<SessionSenderOptions, 'schedule'> {
  return {
    schedule: plan.schedule === 'poisson' ? { kind: 'poisson', meanIntervalMs: plan.intervalMs } : { kind: 'periodic', intervalMs: plan.intervalMs },
  };
}

/**
 * The table. Its order is the order of the options in each command's help, and of the checks (the
 * first bad option is the one reported).
 */
export const TEST_SETTINGS = {
  protocol: setting({
    options: {
      stamp: { flags: '--stamp', help: (command) => (command === 'demo' ? 'STAMP (RFC 8762) instead of TWAMP Light' : 'send STAMP (RFC 8762) packets instead of TWAMP Light') },
    },
    commands: ['sender', 'demo'],
    example: ['--stamp'],
    parse: (_raw, context): 'twamp-light' | 'stamp' => (context.stamp ? 'stamp' : 'twamp-light'),
    engine: (protocol) => ({ protocol }),
  }),
  ssid: setting({
    options: { ssid: { flags: '--ssid <n>', help: 'STAMP Session Identifier, 1-65535 (with --stamp)' } },
    commands: ['sender'],
    example: ['--stamp', '--ssid', '0x2a'],
    parse: (raw, context) => {
      if (raw.ssid === undefined) return undefined;
      if (!context.stamp) throw usageError('--ssid', 'to be used with --stamp (TWAMP Light has no SSID)', raw.ssid);
      return parseIntegerOption(raw.ssid, { path: '--ssid', min: 1, max: 65535 }, { hex: true });
    },
    engine: (ssid) => (ssid === undefined ? {} : { ssid }),
    json: (ssid) => ({ ssid: ssid ?? null }),
  }),
  tlvs: setting({
    options: {
      tlv: {
        flags: '--tlv <name>',
        help: `STAMP TLV to add to every request (with --stamp; repeatable): ${SENDER_TLV_NAMES.join(', ')}; class-of-service=<dscp> asks for that DSCP on replies`,
        repeatable: true,
      },
    },
    commands: ['sender'],
    example: ['--stamp', '--tlv', 'cos=46,location'],
    parse: (raw, context) => {
      const tlvs = (raw.tlv ?? []).flatMap(parseTlv);
      if (tlvs.length > 0 && !context.stamp) throw usageError('--tlv', 'to be used with --stamp (TWAMP Light packets carry no TLVs)', raw.tlv?.join(','));
      return tlvs;
    },
    engine: (choices, plan) => (choices.length === 0 ? {} : { tlvs: tlvsFor(choices, plan.tos) }),
    json: (choices) => ({ tlvs: choices.map(tlvLabel) }),
  }),
  reflectorStateful: setting({
    options: {
      stateless: {
        flags: '--stateless',
        help: (command) =>
          command === 'demo'
            ? 'a stateless reflector (copies the sequence numbers): loss per direction is unknown'
            : 'the reflector is stateless (copies our sequence numbers, RFC 8762 §4.2): loss per direction is unknown',
      },
      statelessReflector: { flags: '--stateless-reflector', help: '', hidden: true, only: ['sender'] },
    },
    commands: ['sender', 'demo'],
    example: ['--stateless'],
    parse: (raw) => raw.stateless !== true && raw.statelessReflector !== true,
    engine: (reflectorStateful) => ({ reflectorStateful }),
    json: (reflectorStateful) => ({ reflectorStateful }),
  }),
  stampAuth: setting({
    options: STAMP_AUTH_FLAGS,
    commands: ['sender'],
    example: ['--stamp', '--auth', '--user', 'alice', '--passphrase-env', 'STAMP_KEY'],
    parse: (raw, context) => parseStampAuth(raw, context.stamp),
    // The key itself is read when the run starts (a file, a variable or the terminal).
    engine: (_auth, _plan, run) => stampSecurityOptions(run.stampKey),
    json: (auth, plan) => ({ stampSecurity: stampSecuritySetting(plan.protocol, auth) }),
  }),
  count: setting({
    options: {
      count: {
        flags: '-c, --count <n>',
        help: (_command, defaults) => `packets to send, 1-4294967295 (default ${defaults.count}, or none with --duration or --interval-report alone)`,
      },
    },
    commands: ALL,
    example: ['-c', '7'],
    parse: (raw, context) => {
      if (raw.count !== undefined) return parseIntegerOption(raw.count, { path: '--count', min: 1, max: 4294967295, unit: 'packets' });
      // Neither a count nor a duration: the default count, except in continuous mode (--interval-report
      // alone), which runs until stopped.
      return context.given('duration') || context.given('intervalReport') ? undefined : context.defaults.count;
    },
    engine: (count) => (count === undefined ? {} : { count }),
    json: (count) => ({ count: count ?? null }),
  }),
  intervalMs: setting({
    options: {
      interval: {
        flags: '-i, --interval <ms>',
        help: (_command, defaults) =>
          `milliseconds between packets (the mean with --schedule poisson), fractions allowed, 0.001-3600000 (default ${defaults.intervalMs})`,
      },
    },
    commands: ALL,
    example: ['-i', '2.5'],
    parse: (raw, context) =>
      raw.interval === undefined ? context.defaults.intervalMs : parseDecimalOption(raw.interval, { path: '--interval', min: 0.001, max: 3_600_000, unit: 'ms' }),
    engine: (_interval, plan) => engineSchedule(plan),
    json: (intervalMs) => ({ intervalMs }),
  }),
  durationMs: setting({
    options: {
      duration: { flags: '--duration <s>', help: `send for this many seconds, fractions allowed, 0.001-${MAX_DURATION_S} (with -c: whichever ends first)` },
    },
    commands: ALL,
    example: ['--duration', '1.5'],
    parse: (raw) =>
      raw.duration === undefined ? undefined : parseDecimalOption(raw.duration, { path: '--duration', min: 0.001, max: MAX_DURATION_S, unit: 'seconds' }) * 1000,
    engine: (durationMs) => (durationMs === undefined ? {} : { durationMs }),
    json: (durationMs) => ({ durationS: durationMs === undefined ? null : durationMs / 1000 }),
  }),
  schedule: setting({
    options: {
      schedule: { flags: '--schedule <kind>', help: 'periodic (a packet every --interval; default) or poisson (random gaps averaging --interval, RFC 3432 style)' },
    },
    commands: ALL,
    example: ['--schedule', 'poisson'],
    parse: (raw): 'periodic' | 'poisson' => {
      const schedule = (raw.schedule ?? 'periodic').trim().toLowerCase();
      if (schedule !== 'periodic' && schedule !== 'poisson') throw usageError('--schedule', 'periodic (a packet every --interval) or poisson (random gaps averaging --interval)', raw.schedule);
      return schedule;
    },
    engine: (_schedule, plan) => engineSchedule(plan),
    // scheduleSeed comes from the run's report (jsonSettings).
    json: (schedule) => ({ schedule }),
  }),
  padding: setting({
    options: {
      padding: {
        flags: '--padding <octets>',
        help: (command) =>
          command === 'controller'
            ? `Padding Length 0-${MAX_PADDING}, or symmetric (the mode's: 27 open/mixed, 64 authenticated/encrypted; default)`
            : `padding octets 0-${MAX_PADDING}, or symmetric (request as long as the reply), or imix (default symmetric)`,
      },
    },
    commands: ALL,
    example: ['--padding', '100'],
    parse: (raw, context) => (raw.padding === undefined ? undefined : parsePadding(raw.padding, context.stamp, context.command)),
    engine: (padding) => (padding === undefined ? {} : { padding }),
    // The controller reports the Padding Length the server accepted instead (jsonSettings).
    json: (padding) => ({ padding: padding ?? 'symmetric' }),
  }),
  tos: setting({
    options: {
      tos: { flags: '--tos <n>', help: 'TOS / Traffic Class octet, 0-255 (decimal or 0x hex)' },
      dscp: { flags: '--dscp <name|n>', help: 'DSCP by name (ef, af41, cs1, ...) or number 0-63; sets the TOS with ECN 0' },
    },
    commands: ALL,
    example: ['--dscp', 'af41'],
    parse: (raw) => parseTosOptions(raw.tos, raw.dscp),
    engine: (tos) => (tos === undefined ? {} : { tos }),
    json: (tos) => ({ tos: tos ?? null }),
  }),
  ttl: setting({
    options: { ttl: { flags: '--ttl <n>', help: 'TTL / Hop Limit of requests, 1-255 (default 255)' } },
    commands: ALL,
    example: ['--ttl', '9'],
    parse: (raw) => (raw.ttl === undefined ? undefined : parseTtlOption(raw.ttl)),
    engine: (ttl) => (ttl === undefined ? {} : { ttl }),
    json: (ttl) => ({ ttl: ttl ?? null }),
  }),
  dontFragment: setting({
    options: { doNotFragment: { flags: '--do-not-fragment', help: "set the don't-fragment bit (IPv4) / do not fragment (IPv6)" } },
    commands: ALL,
    example: ['--do-not-fragment'],
    parse: (raw) => raw.doNotFragment === true,
    // Only when asked: the dgram fallback refuses any don't-fragment setting, even false.
    engine: (dontFragment) => (dontFragment ? { dontFragment: true } : {}),
    json: (dontFragment) => ({ dontFragment }),
  }),
  lossTimeoutMs: setting({
    options: {
      lossTimeout: { flags: '--loss-timeout <ms>', help: `a packet unanswered this long is lost, 1-3600000 ms (default ${DEFAULT_LOSS_TIMEOUT_MS})` },
    },
    commands: ALL,
    example: ['--loss-timeout', '250'],
    parse: (raw) =>
      raw.lossTimeout === undefined
        ? DEFAULT_LOSS_TIMEOUT_MS
        : parseDecimalOption(raw.lossTimeout, { path: '--loss-timeout', min: 1, max: 3_600_000, unit: 'ms' }),
    engine: (lossTimeoutMs) => ({ lossTimeoutMs }),
    json: (lossTimeoutMs) => ({ lossTimeoutMs }),
  }),
  percentiles: setting({
    options: {
      percentiles: {
        flags: '--percentiles <list>',
        help: `delay percentiles to compute and show as columns, e.g. 90,99,99.9 (default columns ${DEFAULT_SUMMARY_PERCENTILES.join(',')})`,
      },
    },
    commands: ALL,
    example: ['--percentiles', '50,99.9'],
    parse: (raw) => (raw.percentiles === undefined ? undefined : parsePercentilesOption(raw.percentiles)),
    engine: (percentiles) => (percentiles === undefined ? {} : { percentiles }),
    json: (percentiles) => ({ percentiles: [...(percentiles ?? DEFAULT_PERCENTILES)] }),
  }),
  intervalReportMs: setting({
    options: {
      intervalReport: {
        flags: '--interval-report <s>',
        help: `also report every this many seconds, ${MIN_INTERVAL_REPORT_S}-${MAX_INTERVAL_REPORT_S}; without -c or --duration: run until stopped (continuous mode)`,
      },
    },
    commands: ALL,
    example: ['--interval-report', '2'],
    parse: (raw) => parseIntervalReportOption(raw.intervalReport),
    engine: (intervalReportMs) => (intervalReportMs === undefined ? {} : { intervalReportMs }),
    json: (intervalReportMs) => ({ intervalReportS: intervalReportMs === undefined ? null : intervalReportMs / 1000 }),
  }),
  format: setting({
    options: {
      json: { flags: '--json', help: 'print one JSON object at the end instead of the text summary (schema: docs/json-schema.md)' },
      jsonl: { flags: '--jsonl', help: 'print JSON Lines: a record per reply, per loss and per interval, then the summary' },
      csv: { flags: '--csv', help: 'print CSV: a header row, then a row per reply and per loss (the summary goes to stderr)' },
    },
    commands: ALL,
    example: ['--jsonl'],
    // --json, --jsonl and --csv exclude each other.
    parse: (raw): 'text' | 'json' | 'jsonl' | 'csv' => {
      const format = parseRecordFormat(raw);
      if (raw.csv === true) {
        if (format !== 'text') throw usageError('--csv', `either --csv or --${format}, not both`);
        return 'csv';
      }
      return format;
    },
  }),
  logging: setting({
    options: { ...LOGGING_FLAGS, verbose: { ...LOGGING_FLAGS.verbose, help: "print a line per reply in twampy's format (and one per loss)" } },
    commands: ALL,
    example: ['-q'],
    parse: (raw, context) => parseLoggingOptions(raw, context.debug),
  }),
};

type Settings = typeof TEST_SETTINGS;
export type TestSettingKey = keyof Settings;

/** The checked value of every setting: the plan fields the table makes. */
export type TestSettings = { readonly [K in TestSettingKey]: ReturnType<Settings[K]['parse']> };

type UnionToIntersection<U> = (U extends unknown ? (value: U) => void : never) extends (value: infer I) => void ? I : never;

/** Every test option as commander hands it over (text, lists and switches), checked by parseTestSettings. */
export type RawTestOptions = UnionToIntersection<{ [K in TestSettingKey]: RawOf<Settings[K]['options']> }[TestSettingKey]>;

/** A setting with its types erased, to walk the table. */
interface AnySetting {
  readonly options: Readonly<Record<string, TestFlag>>;
  readonly commands: readonly TestCommand[];
  readonly example: readonly string[];
  parse(raw: object, context: ParseContext): unknown;
  engine?(value: unknown, plan: SettingsView, run: RunContext): Partial<SessionSenderOptions>;
  json?(value: unknown, plan: SettingsView): Partial<SenderJsonSettings>;
}

/** The table as a list, in its order. */
export const TEST_SETTING_LIST: readonly (readonly [TestSettingKey, AnySetting])[] = Object.entries(TEST_SETTINGS) as [TestSettingKey, AnySetting][];

/** The options of a setting a command lists (commander's names). */
function listedOptions(entry: AnySetting, command: TestCommand): [string, TestFlag][] {
  if (!entry.commands.includes(command)) return [];
  return Object.entries(entry.options).filter(([, flag]) => flag.only === undefined || flag.only.includes(command));
}

/** Commander's names of every option `command` lists from the table. */
export function testOptionKeys(command: TestCommand): string[] {
  return TEST_SETTING_LIST.flatMap(([, entry]) => listedOptions(entry, command).map(([key]) => key));
}

/** Adds the table's options for `command` to it, in the table's order, with the defaults it applies. */
export function addTestOptions(command: Command, which: TestCommand, defaults: TestDefaults = SENDER_DEFAULTS): Command {
  for (const [, entry] of TEST_SETTING_LIST) {
    for (const [, flag] of listedOptions(entry, which)) {
      const option = new Option(flag.flags, typeof flag.help === 'string' ? flag.help : flag.help(which, defaults));
      if (flag.repeatable === true) option.argParser(collectRepeated);
      if (flag.hidden === true) option.hideHelp();
      command.addOption(option);
    }
  }
  return command;
}

export interface ParseTestOptions {
  readonly debug?: boolean;
  readonly defaults?: TestDefaults;
}

/**
 * Checks every setting of the table for `command`, in the table's order; throws a ConfigError
 * naming the first bad option. An option the command does not list is ignored. Pure.
 */
export function parseTestSettings(raw: RawTestOptions, command: TestCommand, options: ParseTestOptions = {}): TestSettings {
  const values = raw as Readonly<Record<string, unknown>>;
  const listed = new Set(testOptionKeys(command));
  const given = (key: string): boolean => listed.has(key) && values[key] !== undefined;
  const context: ParseContext = {
    command,
    defaults: options.defaults ?? SENDER_DEFAULTS,
    debug: options.debug ?? false,
    stamp: given('stamp') && values['stamp'] === true,
    given,
  };
  const settings: Record<string, unknown> = {};
  for (const [key, entry] of TEST_SETTING_LIST) {
    const own = Object.fromEntries(listedOptions(entry, command).flatMap(([name]) => (values[name] === undefined ? [] : [[name, values[name]]])));
    settings[key] = entry.parse(own, context);
  }
  return settings as TestSettings;
}

/** The Session-Sender options the settings make (every entry's; target, local and family are the command's). */
export function engineSettings(plan: TestSettings, run: RunContext = {}): Partial<SessionSenderOptions> {
  let options: Partial<SessionSenderOptions> = {};
  for (const [key, entry] of TEST_SETTING_LIST) {
    if (entry.engine !== undefined) options = { ...options, ...entry.engine(plan[key], plan, run) };
  }
  return options;
}

/** The JSON `settings` keys the settings fill (the run adds scheduleSeed). */
export function jsonSettingsOf(plan: TestSettings): Partial<SenderJsonSettings> {
  let settings: Partial<SenderJsonSettings> = {};
  for (const [key, entry] of TEST_SETTING_LIST) {
    if (entry.json !== undefined) settings = { ...settings, ...entry.json(plan[key], plan) };
  }
  return settings;
}

/**
 * The option that sets an engine option, for the engine's errors (`percentiles[2]` → --percentiles):
 * the first option of the first setting whose engine mapping sets it (--interval for `schedule`).
 */
export function optionForEnginePath(path: string, plan: TestSettings): string | undefined {
  // `tlvs[0].dscp1` and `schedule.intervalMs` are options of the setting that sets `tlvs` and `schedule`.
  const base = path.split(/[.[]/)[0] ?? path;
  for (const [key, entry] of TEST_SETTING_LIST) {
    if (entry.engine === undefined) continue;
    const sets = Object.keys(entry.engine(plan[key], plan, {}));
    const [first] = Object.values(entry.options);
    if (sets.includes(base) && first !== undefined) return longFlag(first.flags);
  }
  return undefined;
}

/** `--count` of `-c, --count <n>`. */
export function longFlag(flags: string): string {
  return /--[a-z0-9-]+/.exec(flags)?.[0] ?? flags;
}
