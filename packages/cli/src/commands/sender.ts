// `twamp sender [remote] [local]`: a TWAMP Light or STAMP Session-Sender run that ends with a summary.
import type { Command } from 'commander';
import { ConfigError, formatEndpoint, TimeoutError } from '@twamp/errors';
import { reportFailure } from '../errors/index.js';
import type { SenderOptions, SenderReport, SessionSenderApi, SessionSenderOptions } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import type { StampTlv } from '@twamp/wire';
import { type ControlEngine, defaultControlEngine } from '../control/engine.js';
import { exitCodeForSignal, ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { debugRequested } from '../options/logging.js';
import { chooseFamily } from '../options/network.js';
import { resolveStampKey, type StampAuthPlan, stampAuthLabel } from '../options/stamp-security.js';
import {
  addTestOptions,
  engineSettings,
  jsonSettingsOf,
  optionForEnginePath,
  type ParseTestOptions,
  parseTestSettings,
  type RawTestOptions,
  type TestCommand,
  type TestSettings,
} from '../options/test-options.js';
import { tlvsFor } from '../options/tlv.js';
import { missingCapabilities, protocolName } from '../output/names.js';
import { RunOutput, type RunOutputPlan } from '../output/run-output.js';
import { senderJson, type SenderJsonSettings } from '../output/sender-json.js';
import { DEFAULT_SUMMARY_PERCENTILES } from '../output/sender-summary.js';
import { CommandLog } from './log.js';
import type { CommandContext } from './context.js';
import { loopbackAddress, resolveAddress } from './resolve.js';
import { Watchdog } from './watchdog.js';

/** TWAMP-Test's registered port (RFC 8545 §7) and STAMP's default (RFC 8762 §4.1). twampy's reflector uses 20001. */
export const DEFAULT_TEST_PORT = 862;
export { DEFAULT_COUNT, DEFAULT_INTERVAL_MS, DEFAULT_LOSS_TIMEOUT_MS, MAX_DURATION_S, MAX_PADDING, type TestDefaults } from '../options/test-options.js';
export { SENDER_TLV_NAMES, type SenderTlvChoice, type SenderTlvName } from '../options/tlv.js';

/** Options as commander hands them over: text, checked by `parseSenderArguments`. The test options come from the table. */
export type RawSenderOptions = RawTestOptions & {
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
};

/** A checked sender run: every value valid, every default applied. */
export type SenderPlan = TestSettings & {
  readonly remote: EndpointArgument;
  readonly local: EndpointArgument;
  readonly family: IpFamily;
  /** Which option set `tos`, for messages. */
  readonly tosOption: '--tos' | '--dscp' | undefined;
  /**
   * The reflector is known to read our clock (`twamp demo`: same process). Otherwise the engine
   * decides from the target address (isLocalAddress).
   */
  readonly sharedClock?: boolean;
  /** `format === 'json'`, kept for callers written before --jsonl and --csv. */
  readonly json: boolean;
};

/**
 * Checks the arguments of a command that runs a sender (`sender`, `demo`, and `controller` for its
 * test settings): the addresses, then every test option the command lists, in the table's order.
 * Throws a ConfigError naming the first bad one. Pure.
 */
export function parseTestPlan(
  command: TestCommand,
  remoteText: string | undefined,
  localText: string | undefined,
  raw: RawSenderOptions,
  options: ParseTestOptions = {},
): SenderPlan {
  const remote = parseEndpoint(remoteText ?? '', { path: 'remote', defaultPort: DEFAULT_TEST_PORT, allowPortZero: false });
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: 0, allowPortZero: true });
  const family = chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [
    ['remote', remote],
    ['local', local],
  ]);
  const settings = parseTestSettings(raw, command, options);
  return {
    ...settings,
    remote,
    local,
    family,
    tosOption: raw.tos !== undefined ? '--tos' : raw.dscp !== undefined ? '--dscp' : undefined,
    json: settings.format === 'json',
  };
}

/** Checks every argument of `twamp sender`; throws a ConfigError naming the first bad one. Pure. */
export function parseSenderArguments(remoteText: string | undefined, localText: string | undefined, raw: RawSenderOptions, debug = false): SenderPlan {
  return parseTestPlan('sender', remoteText, localText, raw, { debug });
}

/** The TLV objects for the plan's --tlv choices; every one is sent with the U flag set (RFC 8972 §4). */
export function senderTlvs(plan: SenderPlan): StampTlv[] {
  return tlvsFor(plan.tlvs, plan.tos);
}

/**
 * The engine's options for a plan whose addresses are resolved (SessionSender's extras included:
 * `onSendTiming`): the table's, plus where to send from and to. `stampKey`: the --auth key, once read.
 */
export function senderOptionsFor(
  plan: SenderPlan,
  target: string,
  local: string | undefined,
  signal: AbortSignal,
  onSent?: () => void,
  stampKey?: Uint8Array,
): SenderOptions & Pick<SessionSenderOptions, 'onSendTiming'> {
  return {
    ...engineSettings(plan, { stampKey }),
    target: { address: target, port: plan.remote.port },
    local: { ...(local === undefined ? {} : { address: local }), port: plan.local.port },
    family: plan.family,
    protocol: plan.protocol,
    ...(onSent === undefined ? {} : { onSendTiming: onSent }),
    ...(plan.sharedClock === true ? { sharedClock: true } : {}),
    signal,
  };
}

/** The seed a Poisson run used (SessionSender's report states it; the contract's does not promise it). */
function scheduleSeed(report: SenderReport): number | null {
  const schedule = (report as Partial<Record<'schedule', { readonly seed?: unknown }>>).schedule;
  return typeof schedule?.seed === 'number' ? schedule.seed : null;
}

/**
 * The `settings` of the --json object: what the table's settings fill, and the Poisson seed of the
 * run. `padding` is what was asked for (the controller: the Padding Length the server accepted).
 */
export function jsonSettings(plan: SenderPlan, report: SenderReport, padding?: number | string): SenderJsonSettings {
  // Every key of SenderJsonSettings is some setting's (the table test and the schema tests check it).
  const settings = jsonSettingsOf(plan) as SenderJsonSettings;
  return {
    ...settings,
    ...(padding === undefined ? {} : { padding }),
    scheduleSeed: plan.schedule === 'poisson' ? scheduleSeed(report) : null,
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

/** The engine's options that are not test settings, as the arguments a user of this command typed. */
const ADDRESS_OPTION_NAMES: Readonly<Record<string, string>> = {
  'target.port': 'remote',
  'target.address': 'remote',
  'local.port': 'local',
  'local.address': 'local',
  family: '-4/-6',
};

/** A ConfigError from the engine (e.g. TOS on the dgram fallback) naming the command's options instead. */
export function withOptionNames(error: ConfigError, plan: SenderPlan, addressNames: Readonly<Record<string, string>> = ADDRESS_OPTION_NAMES): ConfigError {
  const tosOption = plan.tosOption ?? 'tos';
  return new ConfigError(
    error.issues.map((issue) => {
      // `percentiles[2]` is the --percentiles option too.
      const base = issue.path.replace(/\[\d+\]$/, '');
      const name = base === 'tos' ? tosOption : (addressNames[base] ?? optionForEnginePath(base, plan) ?? issue.path);
      return { ...issue, path: name };
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
    const options = senderOptionsFor(plan, target, local, controller.signal, out.onSent, stampKey);
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
    .option('-6, --ipv6', 'use IPv6');
  addTestOptions(command, 'sender')
    .addHelpText('after', OUTPUT_HELP)
    .action(async (remote: string | undefined, local: string | undefined, raw: RawSenderOptions, self: Command) => {
      const plan = parseSenderArguments(remote, local, raw, debugRequested(self));
      context.exitCode = await runSender(plan, context, control);
    });
}
