// `twamp sender [remote] [local]`: a TWAMP Light or STAMP Session-Sender run that ends with a summary.
import { type Command, Option } from 'commander';
import { ConfigError, TimeoutError } from '@twamp/errors';
import { reportFailure } from '../errors/index.js';
import type { SenderOptions, SenderPadding, SenderReport, SessionSenderApi, SessionSenderOptions } from '@twamp/test-session';
import { DEFAULT_PERCENTILES } from '@twamp/metrics';
import type { IpFamily } from '@twamp/udp';
import { dscpOfTos, parseDscp, SENDER_TLV_FLAGS, type StampTlv } from '@twamp/wire';
import { type ControlEngine, defaultControlEngine } from '../control/engine.js';
import { collectRepeated } from '../control/options.js';
import { exitCodeForSignal, ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, formatEndpoint, parseEndpoint } from '../options/address.js';
import { addLoggingOptions, debugRequested, type LoggingPlan, parseLoggingOptions, parseRecordFormat } from '../options/logging.js';
import { MAX_INTERVAL_REPORT_S, MIN_INTERVAL_REPORT_S, parseIntervalReportOption } from '../options/interval-report.js';
import { chooseFamily, parseTosOptions, parseTtlOption } from '../options/network.js';
import { parseDecimalOption, parseIntegerOption, parsePercentilesOption } from '../options/numbers.js';
import {
  addStampAuthOptions,
  parseStampAuth,
  type RawStampAuthOptions,
  resolveStampKey,
  type StampAuthPlan,
  stampAuthLabel,
  stampSecurityOptions,
  stampSecuritySetting,
} from '../options/stamp-security.js';
import { usageError } from '../options/usage-error.js';
import { missingCapabilities, protocolName } from '../output/names.js';
import { type OutputFormat, RunOutput, type RunOutputPlan } from '../output/run-output.js';
import { senderJson, type SenderJsonSettings } from '../output/sender-json.js';
import { DEFAULT_SUMMARY_PERCENTILES } from '../output/sender-summary.js';
import { CommandLog } from './log.js';
import type { CommandContext } from './context.js';
import { loopbackAddress, resolveAddress } from './resolve.js';
import { Watchdog } from './watchdog.js';

/** TWAMP-Test's registered port (RFC 8545 §7) and STAMP's default (RFC 8762 §4.1). twampy's reflector uses 20001. */
export const DEFAULT_TEST_PORT = 862;
export const DEFAULT_COUNT = 100;
export const DEFAULT_INTERVAL_MS = 100;
export const DEFAULT_LOSS_TIMEOUT_MS = 2000;
/** Padding beyond a jumbo frame's payload would only be fragmented or refused. */
export const MAX_PADDING = 9000;
/** --duration's bound, seconds (a year). */
export const MAX_DURATION_S = 31_536_000;

/** The STAMP TLVs --tlv adds to every request (RFC 8972), by the names the option accepts. */
export const SENDER_TLV_NAMES = ['class-of-service', 'timestamp-info', 'location', 'direct-measurement'] as const;
export type SenderTlvName = (typeof SENDER_TLV_NAMES)[number];

/** One --tlv: its name and, for class-of-service, the DSCP asked for the reply (DSCP1). */
export interface SenderTlvChoice {
  readonly name: SenderTlvName;
  readonly dscp1?: number;
}

/** Options as commander hands them over: text, checked by `parseSenderArguments`. */
export interface RawSenderOptions extends RawStampAuthOptions {
  readonly stamp?: boolean;
  readonly ssid?: string;
  readonly count?: string;
  readonly interval?: string;
  readonly duration?: string;
  readonly schedule?: string;
  readonly tlv?: readonly string[];
  readonly stateless?: boolean;
  readonly intervalReport?: string;
  readonly jsonl?: boolean;
  readonly csv?: boolean;
  readonly verbose?: boolean;
  readonly quiet?: boolean;
  readonly logfile?: string;
  /** Commander's --no-color: false when given. */
  readonly color?: boolean;
  readonly padding?: string;
  readonly tos?: string;
  readonly dscp?: string;
  readonly ttl?: string;
  readonly doNotFragment?: boolean;
  readonly json?: boolean;
  readonly lossTimeout?: string;
  readonly percentiles?: string;
  readonly statelessReflector?: boolean;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

/** A checked sender run: every value valid, every default applied. */
export interface SenderPlan {
  readonly remote: EndpointArgument;
  readonly local: EndpointArgument;
  readonly family: IpFamily;
  readonly protocol: 'twamp-light' | 'stamp';
  readonly ssid: number | undefined;
  /** --auth: STAMP authenticated mode and where its key comes from; undefined: open mode. */
  readonly stampAuth: StampAuthPlan | undefined;
  /** Packets to send; undefined when --duration bounds the run, or when it runs until stopped. */
  readonly count: number | undefined;
  /** --duration in ms. */
  readonly durationMs: number | undefined;
  /** The gap between packets, or its mean for a Poisson schedule. */
  readonly intervalMs: number;
  readonly schedule: 'periodic' | 'poisson';
  readonly padding: SenderPadding | undefined;
  readonly tos: number | undefined;
  /** Which option set `tos`, for messages. */
  readonly tosOption: '--tos' | '--dscp' | undefined;
  readonly ttl: number | undefined;
  readonly dontFragment: boolean;
  readonly lossTimeoutMs: number;
  readonly percentiles: readonly number[] | undefined;
  readonly reflectorStateful: boolean;
  /**
   * The reflector is known to read our clock (`twamp demo`: same process). Otherwise the engine
   * decides from the target address (isLocalAddress).
   */
  readonly sharedClock?: boolean;
  readonly tlvs: readonly SenderTlvChoice[];
  /** --interval-report in ms. */
  readonly intervalReportMs: number | undefined;
  readonly format: OutputFormat;
  /** `format === 'json'`, kept for callers written before --jsonl and --csv. */
  readonly json: boolean;
  readonly logging: LoggingPlan;
}

function parsePadding(text: string, stamp: boolean): SenderPadding {
  const value = text.trim().toLowerCase();
  if (value === 'symmetric' || value === 'imix') return value;
  const octets = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  // STAMP carries padding in an Extra Padding TLV, whose 4-octet header is the least it can add.
  const tooSmallForTlv = stamp && octets > 0 && octets < 4;
  if (!Number.isInteger(octets) || octets > MAX_PADDING || tooSmallForTlv) {
    const range = stamp ? `0, or an integer from 4 to ${MAX_PADDING} octets (STAMP pads with a TLV)` : `an integer from 0 to ${MAX_PADDING} octets`;
    throw usageError('--padding', `${range}, or symmetric, or imix`, text);
  }
  return octets;
}

function parseTlv(text: string): SenderTlvChoice[] {
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

/** --json, --jsonl and --csv exclude each other. */
function parseOutputFormat(raw: RawSenderOptions): OutputFormat {
  const format = parseRecordFormat(raw);
  if (raw.csv === true) {
    if (format !== 'text') throw usageError('--csv', `either --csv or --${format}, not both`);
    return 'csv';
  }
  return format;
}

/** Checks every argument of `twamp sender`; throws a ConfigError naming the first bad one. Pure. */
export function parseSenderArguments(remoteText: string | undefined, localText: string | undefined, raw: RawSenderOptions, debug = false): SenderPlan {
  const remote = parseEndpoint(remoteText ?? '', { path: 'remote', defaultPort: DEFAULT_TEST_PORT, allowPortZero: false });
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: 0, allowPortZero: true });
  const family = chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [
    ['remote', remote],
    ['local', local],
  ]);
  const stamp = raw.stamp === true;
  if (raw.ssid !== undefined && !stamp) throw usageError('--ssid', 'to be used with --stamp (TWAMP Light has no SSID)', raw.ssid);
  const tlvs = (raw.tlv ?? []).flatMap(parseTlv);
  if (tlvs.length > 0 && !stamp) throw usageError('--tlv', 'to be used with --stamp (TWAMP Light packets carry no TLVs)', raw.tlv?.join(','));
  const schedule = (raw.schedule ?? 'periodic').trim().toLowerCase();
  if (schedule !== 'periodic' && schedule !== 'poisson') throw usageError('--schedule', 'periodic (a packet every --interval) or poisson (random gaps averaging --interval)', raw.schedule);
  const durationMs =
    raw.duration === undefined ? undefined : parseDecimalOption(raw.duration, { path: '--duration', min: 0.001, max: MAX_DURATION_S, unit: 'seconds' }) * 1000;
  const intervalReportMs = parseIntervalReportOption(raw.intervalReport);
  const count = raw.count === undefined ? undefined : parseIntegerOption(raw.count, { path: '--count', min: 1, max: 4294967295, unit: 'packets' });
  // Neither a count nor a duration: the default count, except in continuous mode (--interval-report
  // alone), which runs until stopped.
  const continuous = count === undefined && durationMs === undefined && intervalReportMs !== undefined;
  const format = parseOutputFormat(raw);
  return {
    remote,
    local,
    family,
    protocol: stamp ? 'stamp' : 'twamp-light',
    ssid: raw.ssid === undefined ? undefined : parseIntegerOption(raw.ssid, { path: '--ssid', min: 1, max: 65535 }, { hex: true }),
    stampAuth: parseStampAuth(raw, stamp),
    count: count ?? (durationMs === undefined && !continuous ? DEFAULT_COUNT : undefined),
    durationMs,
    intervalMs:
      raw.interval === undefined ? DEFAULT_INTERVAL_MS : parseDecimalOption(raw.interval, { path: '--interval', min: 0.001, max: 3_600_000, unit: 'ms' }),
    schedule,
    padding: raw.padding === undefined ? undefined : parsePadding(raw.padding, stamp),
    tos: parseTosOptions(raw.tos, raw.dscp),
    tosOption: raw.tos !== undefined ? '--tos' : raw.dscp !== undefined ? '--dscp' : undefined,
    ttl: raw.ttl === undefined ? undefined : parseTtlOption(raw.ttl),
    dontFragment: raw.doNotFragment === true,
    lossTimeoutMs:
      raw.lossTimeout === undefined
        ? DEFAULT_LOSS_TIMEOUT_MS
        : parseDecimalOption(raw.lossTimeout, { path: '--loss-timeout', min: 1, max: 3_600_000, unit: 'ms' }),
    percentiles: raw.percentiles === undefined ? undefined : parsePercentilesOption(raw.percentiles),
    reflectorStateful: raw.statelessReflector !== true && raw.stateless !== true,
    tlvs,
    intervalReportMs,
    format,
    json: format === 'json',
    logging: parseLoggingOptions(raw, debug),
  };
}

/** The TLV objects for the plan's --tlv choices; every one is sent with the U flag set (RFC 8972 §4). */
export function senderTlvs(plan: SenderPlan): StampTlv[] {
  const flags = SENDER_TLV_FLAGS;
  return plan.tlvs.map((choice): StampTlv => {
    switch (choice.name) {
      case 'class-of-service':
        // DSCP1: the DSCP the reply should carry; by default the request's own.
        return { kind: 'class-of-service', flags, dscp1: choice.dscp1 ?? dscpOfTos(plan.tos ?? 0), dscp2: 0, ecn: 0, rp: 0 };
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
function tlvLabel(choice: SenderTlvChoice): string {
  return choice.dscp1 === undefined ? choice.name : `${choice.name}=${choice.dscp1}`;
}

/** The engine's options for a plan whose addresses are resolved (SessionSender's extras included: `onSendTiming`). */
export function senderOptionsFor(
  plan: SenderPlan,
  target: string,
  local: string | undefined,
  signal: AbortSignal,
  onSent?: () => void,
): SenderOptions & Pick<SessionSenderOptions, 'onSendTiming'> {
  const tlvs = senderTlvs(plan);
  return {
    target: { address: target, port: plan.remote.port },
    local: { ...(local === undefined ? {} : { address: local }), port: plan.local.port },
    family: plan.family,
    protocol: plan.protocol,
    ...(plan.ssid === undefined ? {} : { ssid: plan.ssid }),
    schedule: plan.schedule === 'poisson' ? { kind: 'poisson', meanIntervalMs: plan.intervalMs } : { kind: 'periodic', intervalMs: plan.intervalMs },
    ...(plan.count === undefined ? {} : { count: plan.count }),
    ...(plan.durationMs === undefined ? {} : { durationMs: plan.durationMs }),
    ...(tlvs.length === 0 ? {} : { tlvs }),
    ...(plan.intervalReportMs === undefined ? {} : { intervalReportMs: plan.intervalReportMs }),
    ...(onSent === undefined ? {} : { onSendTiming: onSent }),
    ...(plan.padding === undefined ? {} : { padding: plan.padding }),
    ...(plan.tos === undefined ? {} : { tos: plan.tos }),
    ...(plan.ttl === undefined ? {} : { ttl: plan.ttl }),
    // Only when asked: the dgram fallback refuses any don't-fragment setting, even false.
    ...(plan.dontFragment ? { dontFragment: true } : {}),
    lossTimeoutMs: plan.lossTimeoutMs,
    ...(plan.percentiles === undefined ? {} : { percentiles: plan.percentiles }),
    reflectorStateful: plan.reflectorStateful,
    ...(plan.sharedClock === true ? { sharedClock: true } : {}),
    signal,
  };
}

/** The seed a Poisson run used (SessionSender's report states it; the contract's does not promise it). */
function scheduleSeed(report: SenderReport): number | null {
  const schedule = (report as Partial<Record<'schedule', { readonly seed?: unknown }>>).schedule;
  return typeof schedule?.seed === 'number' ? schedule.seed : null;
}

/** The `settings` of the --json object. `padding` is what was asked for (the controller: the Padding Length). */
export function jsonSettings(
  plan: SenderPlan,
  report: SenderReport,
  padding: number | string = plan.padding ?? 'symmetric',
): SenderJsonSettings {
  return {
    count: plan.count ?? null,
    intervalMs: plan.intervalMs,
    padding,
    tos: plan.tos ?? null,
    ttl: plan.ttl ?? null,
    dontFragment: plan.dontFragment,
    lossTimeoutMs: plan.lossTimeoutMs,
    ssid: plan.ssid ?? null,
    schedule: plan.schedule,
    scheduleSeed: plan.schedule === 'poisson' ? scheduleSeed(report) : null,
    durationS: plan.durationMs === undefined ? null : plan.durationMs / 1000,
    intervalReportS: plan.intervalReportMs === undefined ? null : plan.intervalReportMs / 1000,
    reflectorStateful: plan.reflectorStateful,
    percentiles: [...(plan.percentiles ?? DEFAULT_PERCENTILES)],
    tlvs: plan.tlvs.map(tlvLabel),
    stampSecurity: stampSecuritySetting(plan.protocol, plan.stampAuth),
  };
}

/** How long the schedule should take: count × interval, the duration, or Infinity (until stopped). */
export function scheduleMs(plan: SenderPlan): number {
  const byCount = plan.count === undefined ? Number.POSITIVE_INFINITY : plan.count * plan.intervalMs;
  return Math.min(byCount, plan.durationMs ?? Number.POSITIVE_INFINITY);
}

/** Slack on top of the loss timeout for the engine to wind down and report. */
const STOP_SLACK_MS = 5000;

/**
 * The longest a run may take before we stop waiting for it: its schedule, the loss timeout, and slack
 * (Infinity for a run until stopped). A Poisson schedule's total wanders around its mean, hence more.
 */
export function runDeadlineMs(plan: SenderPlan): number {
  const schedule = scheduleMs(plan);
  if (!Number.isFinite(schedule)) return schedule;
  const spread = plan.schedule === 'poisson' && plan.durationMs === undefined ? 0.5 : 0.1;
  return schedule + plan.lossTimeoutMs + Math.max(STOP_SLACK_MS, schedule * spread);
}

/** `100 packets every 100 ms`, `for 3.5 s, a packet every 100 ms`, `until stopped, ...`: the start line's middle. */
export function describeSchedule(plan: SenderPlan): string {
  const gap = plan.schedule === 'poisson' ? `on average every ${plan.intervalMs} ms (Poisson)` : `every ${plan.intervalMs} ms`;
  const report = plan.intervalReportMs === undefined ? '' : `, a report every ${plan.intervalReportMs / 1000} s`;
  if (plan.count !== undefined) {
    const limit = plan.durationMs === undefined ? '' : ` (at most ${plan.durationMs / 1000} s)`;
    return `${plan.count} packets ${gap}${limit}${report}`;
  }
  if (plan.durationMs !== undefined) return `for ${plan.durationMs / 1000} s, a packet ${gap}${report}`;
  return `until stopped, a packet ${gap}${report}`;
}

/** What the output of a run needs to know before it starts. */
export function runOutputPlan(plan: SenderPlan, peer: string): RunOutputPlan {
  return {
    format: plan.format,
    verbosity: plan.logging.verbosity,
    colorAllowed: plan.logging.color,
    tablePercentiles: plan.percentiles ?? DEFAULT_SUMMARY_PERCENTILES,
    peer,
    lossTimeoutMs: plan.lossTimeoutMs,
    expectedRunMs: scheduleMs(plan),
    intervals: plan.intervalReportMs !== undefined,
  };
}

/** The command log for a plan: -v/-q/-l routing. CSV, like JSON, keeps stdout for its records. */
export function commandLogFor(plan: SenderPlan, context: CommandContext): CommandLog {
  return new CommandLog(plan.logging, plan.format === 'csv' ? 'json' : plan.format, context.io);
}

/** The engine's option names, as the options a user of this command typed. */
const OPTION_NAMES: Readonly<Record<string, string>> = {
  count: '--count',
  durationMs: '--duration',
  'schedule.intervalMs': '--interval',
  'schedule.meanIntervalMs': '--interval',
  intervalReportMs: '--interval-report',
  tlvs: '--tlv',
  padding: '--padding',
  ttl: '--ttl',
  dontFragment: '--do-not-fragment',
  lossTimeoutMs: '--loss-timeout',
  percentiles: '--percentiles',
  ssid: '--ssid',
  'target.port': 'remote',
  'target.address': 'remote',
  'local.port': 'local',
  'local.address': 'local',
  family: '-4/-6',
};

/** A ConfigError from the engine (e.g. TOS on the dgram fallback) naming the command's options instead. */
function withOptionNames(error: ConfigError, plan: SenderPlan): ConfigError {
  const tosOption = plan.tosOption ?? 'tos';
  return new ConfigError(
    error.issues.map((issue) => {
      // `percentiles[2]` is the --percentiles option too.
      const base = issue.path.replace(/\[\d+\]$/, '');
      return { ...issue, path: base === 'tos' ? tosOption : (OPTION_NAMES[base] ?? issue.path) };
    }),
  );
}

type RunOutcome = { readonly kind: 'done'; readonly report: SenderReport } | { readonly kind: 'forced'; readonly signal: CliSignal };

/**
 * Runs a checked plan: read the --auth key, resolve, send, wait (interruptible), print. Returns the
 * exit code. `control` reads the key file, the environment or the terminal for --auth.
 */
export async function runSender(plan: SenderPlan, context: CommandContext, control: ControlEngine = defaultControlEngine): Promise<number> {
  // Before the log opens and before any socket: a key that cannot be read is a usage error (exit 2).
  const stampKey = await resolveStampKey(plan.stampAuth, control, context, 'sender');
  if (stampKey.kind === 'interrupted') return ExitCode.Interrupted;
  const log = commandLogFor(plan, context).open();
  try {
    return await runSenderLogged(plan, context, log, stampKey.key);
  } finally {
    log.close();
  }
}

async function runSenderLogged(plan: SenderPlan, context: CommandContext, log: CommandLog, stampKey: Uint8Array | undefined): Promise<number> {
  const controller = new AbortController();
  let interruptedBy: CliSignal | undefined;
  let forceStop: ((signal: CliSignal) => void) | undefined;
  const forced = new Promise<RunOutcome>((resolve) => {
    forceStop = (signal) => {
      resolve({ kind: 'forced', signal });
    };
  });
  // First signal: stop sending, let in-flight packets get their loss timeout, print the partial
  // summary. Second signal: stop waiting.
  const watchdog = new Watchdog();
  let peer = formatEndpoint(plan.remote.address ?? loopbackAddress(plan.family), plan.remote.port);
  const unsubscribe = context.io.onSignal?.((signal) => {
    if (interruptedBy === undefined) {
      interruptedBy = signal;
      controller.abort();
      // Stopped sending: what is left is the loss timeout of the packets in flight.
      const bound = plan.lossTimeoutMs + STOP_SLACK_MS;
      watchdog.arm(bound, () => new TimeoutError({ waitingFor: 'the sender to stop after the interrupt', afterMs: bound, peer }));
    } else {
      forceStop?.(signal);
    }
  });
  let sender: SessionSenderApi | undefined;
  let output: RunOutput | undefined;
  try {
    const target = await resolveAddress(plan.remote, plan.family, loopbackAddress(plan.family), context);
    peer = formatEndpoint(target, plan.remote.port);
    const local = plan.local.address === undefined ? undefined : await resolveAddress(plan.local, plan.family, '', context);
    const out = new RunOutput(runOutputPlan(plan, target), context.io, log);
    output = out;
    const options = { ...senderOptionsFor(plan, target, local, controller.signal, out.onSent), ...stampSecurityOptions(stampKey) };
    sender = await context.engine.openSender(options).catch((error: unknown) => {
      throw error instanceof ConfigError ? withOptionNames(error, plan) : error;
    });
    out.attach(sender);
    // On stderr, so that stdout holds only the summary (or the JSON object, the records).
    out.info(
      `twamp sender: ${protocolName(plan.protocol)}${stampAuthLabel(plan.stampAuth)} from ${formatEndpoint(sender.localAddress, sender.localPort)} to ${formatEndpoint(target, plan.remote.port)}, ${describeSchedule(plan)} (Ctrl-C stops and prints the summary so far)`,
    );
    const runBound = runDeadlineMs(plan);
    watchdog.arm(runBound, () => new TimeoutError({ waitingFor: 'the end of the sender run', afterMs: runBound, peer }));
    const outcome = await Promise.race([sender.done.then((report): RunOutcome => ({ kind: 'done', report })), forced, watchdog.expired]);
    if (outcome.kind === 'forced') {
      out.dispose();
      out.warn('twamp sender: interrupted again: stopped without waiting for replies still in flight (no summary)');
      return exitCodeForSignal(outcome.signal);
    }
    const { report } = outcome;
    out.finish({
      report,
      json: () => senderJson(report, jsonSettings(plan, report), missingCapabilities(report.capabilities)),
    });
    if (interruptedBy !== undefined) return exitCodeForSignal(interruptedBy);
    if (report.summary.loss.sent > 0 && report.summary.loss.received === 0) {
      // Like ping: a run without a single reply is a failure, with the summary printed all the same;
      // the reflector is unreachable or silent, so exit 4 (timeout or unreachable).
      const failure = reportFailure(new TimeoutError({ waitingFor: 'any reply', afterMs: plan.lossTimeoutMs, peer }), { command: 'sender', reflector: peer });
      out.warn(failure.text);
      if (plan.stampAuth !== undefined) out.warn(authenticatedSilenceHint(report, plan.stampAuth));
      return failure.exitCode;
    }
    return ExitCode.Ok;
  } finally {
    output?.dispose();
    watchdog.cancel();
    unsubscribe?.();
    sender?.stop();
  }
}

/**
 * Why an authenticated run may get no reply, as far as the sender can tell: replies that failed to
 * authenticate were counted; otherwise a reflector with another key drops requests without a word.
 */
export function authenticatedSilenceHint(report: SenderReport, auth: StampAuthPlan): string {
  if (report.malformedReplies > 0) {
    return `twamp sender: ${report.malformedReplies} replies failed to decode or authenticate: the reflector may use a key other than ${auth.keyId}'s, or open mode`;
  }
  return `twamp sender: with --auth, a reflector whose key differs from ${auth.keyId}'s drops every request without answering (its bad-hmac counter shows them)`;
}

const ADDRESS_HELP = 'forms: ip, ip:port, [ipv6]:port, [ipv6], ipv6 (no port), :port, host[:port]';

/** The options `sender` and `controller` share for the test packets and the output. */
/** The defaults a command's help shows for -c and -i: the sender's, or the demo's own. */
export interface TestDefaults {
  readonly count: number;
  readonly intervalMs: number;
}

export function addTestOptions(command: Command, what: { readonly imix: boolean; readonly defaults?: TestDefaults }): Command {
  // Each command's help shows the defaults it really applies, once (the demo's differ from the sender's).
  const defaults = what.defaults ?? { count: DEFAULT_COUNT, intervalMs: DEFAULT_INTERVAL_MS };
  command
    .option('-c, --count <n>', `packets to send, 1-4294967295 (default ${defaults.count}, or none with --duration or --interval-report alone)`)
    .option('-i, --interval <ms>', `milliseconds between packets (the mean with --schedule poisson), fractions allowed, 0.001-3600000 (default ${defaults.intervalMs})`)
    .option('--duration <s>', `send for this many seconds, fractions allowed, 0.001-${MAX_DURATION_S} (with -c: whichever ends first)`)
    .option('--schedule <kind>', 'periodic (a packet every --interval; default) or poisson (random gaps averaging --interval, RFC 3432 style)')
    .option(
      '--padding <octets>',
      what.imix
        ? `padding octets 0-${MAX_PADDING}, or symmetric (request as long as the reply), or imix (default symmetric)`
        : `Padding Length 0-${MAX_PADDING}, or symmetric (the mode's: 27 open/mixed, 64 authenticated/encrypted; default)`,
    )
    .option('--tos <n>', 'TOS / Traffic Class octet, 0-255 (decimal or 0x hex)')
    .option('--dscp <name|n>', 'DSCP by name (ef, af41, cs1, ...) or number 0-63; sets the TOS with ECN 0')
    .option('--ttl <n>', 'TTL / Hop Limit of requests, 1-255 (default 255)')
    .option('--do-not-fragment', "set the don't-fragment bit (IPv4) / do not fragment (IPv6)")
    .option('--loss-timeout <ms>', `a packet unanswered this long is lost, 1-3600000 ms (default ${DEFAULT_LOSS_TIMEOUT_MS})`)
    .option('--percentiles <list>', `delay percentiles to compute and show as columns, e.g. 90,99,99.9 (default columns ${DEFAULT_SUMMARY_PERCENTILES.join(',')})`)
    .option('--interval-report <s>', `also report every this many seconds, ${MIN_INTERVAL_REPORT_S}-${MAX_INTERVAL_REPORT_S}; without -c or --duration: run until stopped (continuous mode)`)
    .option('--json', 'print one JSON object at the end instead of the text summary (schema: docs/json-schema.md)')
    .option('--jsonl', 'print JSON Lines: a record per reply, per loss and per interval, then the summary')
    .option('--csv', 'print CSV: a header row, then a row per reply and per loss (the summary goes to stderr)');
  return addLoggingOptions(command, "print a line per reply in twampy's format (and one per loss)");
}

export const OUTPUT_HELP = `
Output: the text summary has a row per direction (outbound, inbound, round trip), a round-trip histogram
and what qualifies the figures; -q keeps only its title, table and warnings (no start line, progress
line or histogram). On a terminal a progress line on stderr shows runs longer than 2 s. Colour only on
a terminal, never with --no-color or NO_COLOR. --json, --jsonl and --csv are described field by field
in docs/json-schema.md (schema files in the package's schema/ folder).`;

/** Adds `sender` to the program. */
export function registerSender(program: Command, context: CommandContext, control: ControlEngine = defaultControlEngine): void {
  const command = program
    .command('sender')
    .description('send TWAMP Light (or STAMP) test packets to a reflector and print per-direction statistics')
    .argument('[remote]', `reflector to measure against (default 127.0.0.1 or ::1, port ${DEFAULT_TEST_PORT}); ${ADDRESS_HELP}`)
    .argument('[local]', 'local address and port to send from (default any address, an ephemeral port)')
    .option('-4, --ipv4', 'use IPv4 (default unless an address is IPv6)')
    .option('-6, --ipv6', 'use IPv6')
    .option('--stamp', 'send STAMP (RFC 8762) packets instead of TWAMP Light')
    .option('--ssid <n>', 'STAMP Session Identifier, 1-65535 (with --stamp)')
    .option('--tlv <name>', `STAMP TLV to add to every request (with --stamp; repeatable): ${SENDER_TLV_NAMES.join(', ')}; class-of-service=<dscp> asks for that DSCP on replies`, collectRepeated)
    .option('--stateless', 'the reflector is stateless (copies our sequence numbers, RFC 8762 §4.2): loss per direction is unknown')
    .addOption(new Option('--stateless-reflector').hideHelp());
  addStampAuthOptions(command);
  addTestOptions(command, { imix: true })
    .addHelpText('after', OUTPUT_HELP)
    .action(async (remote: string | undefined, local: string | undefined, raw: RawSenderOptions, self: Command) => {
      const plan = parseSenderArguments(remote, local, raw, debugRequested(self));
      context.exitCode = await runSender(plan, context, control);
    });
}
