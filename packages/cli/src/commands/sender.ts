// `twamp sender [remote] [local]`: a TWAMP Light or STAMP Session-Sender run that ends with a summary.
import type { Command } from 'commander';
import { ConfigError, formatError, TimeoutError } from '@twamp/errors';
import type { SenderOptions, SenderPadding, SenderReport, SessionSenderApi } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import { exitCodeForSignal, ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, formatEndpoint, parseEndpoint } from '../options/address.js';
import { chooseFamily, parseTosOptions, parseTtlOption } from '../options/network.js';
import { parseDecimalOption, parseIntegerOption, parsePercentilesOption } from '../options/numbers.js';
import { usageError } from '../options/usage-error.js';
import { missingCapabilities, protocolName } from '../output/names.js';
import { senderJson, type SenderJsonSettings } from '../output/sender-json.js';
import { formatSenderSummary } from '../output/sender-summary.js';
import { type CommandContext, writeLine } from './context.js';
import { loopbackAddress, resolveAddress } from './resolve.js';
import { Watchdog } from './watchdog.js';

/** TWAMP-Test's registered port (RFC 8545 §7) and STAMP's default (RFC 8762 §4.1). twampy's reflector uses 20001. */
export const DEFAULT_TEST_PORT = 862;
export const DEFAULT_COUNT = 100;
export const DEFAULT_INTERVAL_MS = 100;
export const DEFAULT_LOSS_TIMEOUT_MS = 2000;
/** Padding beyond a jumbo frame's payload would only be fragmented or refused. */
export const MAX_PADDING = 9000;

/** Options as commander hands them over: text, checked by `parseSenderArguments`. */
export interface RawSenderOptions {
  readonly stamp?: boolean;
  readonly ssid?: string;
  readonly count?: string;
  readonly interval?: string;
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
  readonly count: number;
  readonly intervalMs: number;
  readonly padding: SenderPadding | undefined;
  readonly tos: number | undefined;
  /** Which option set `tos`, for messages. */
  readonly tosOption: '--tos' | '--dscp' | undefined;
  readonly ttl: number | undefined;
  readonly dontFragment: boolean;
  readonly lossTimeoutMs: number;
  readonly percentiles: readonly number[] | undefined;
  readonly reflectorStateful: boolean;
  readonly json: boolean;
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

/** Checks every argument of `twamp sender`; throws a ConfigError naming the first bad one. Pure. */
export function parseSenderArguments(remoteText: string | undefined, localText: string | undefined, raw: RawSenderOptions): SenderPlan {
  const remote = parseEndpoint(remoteText ?? '', { path: 'remote', defaultPort: DEFAULT_TEST_PORT, allowPortZero: false });
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: 0, allowPortZero: true });
  const family = chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [
    ['remote', remote],
    ['local', local],
  ]);
  const stamp = raw.stamp === true;
  if (raw.ssid !== undefined && !stamp) throw usageError('--ssid', 'to be used with --stamp (TWAMP Light has no SSID)', raw.ssid);
  return {
    remote,
    local,
    family,
    protocol: stamp ? 'stamp' : 'twamp-light',
    ssid: raw.ssid === undefined ? undefined : parseIntegerOption(raw.ssid, { path: '--ssid', min: 1, max: 65535 }, { hex: true }),
    count: raw.count === undefined ? DEFAULT_COUNT : parseIntegerOption(raw.count, { path: '--count', min: 1, max: 4294967295, unit: 'packets' }),
    intervalMs:
      raw.interval === undefined ? DEFAULT_INTERVAL_MS : parseDecimalOption(raw.interval, { path: '--interval', min: 0.001, max: 3_600_000, unit: 'ms' }),
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
    reflectorStateful: raw.statelessReflector !== true,
    json: raw.json === true,
  };
}

/** The engine's options for a plan whose addresses are resolved. */
export function senderOptionsFor(plan: SenderPlan, target: string, local: string | undefined, signal: AbortSignal): SenderOptions {
  return {
    target: { address: target, port: plan.remote.port },
    local: { ...(local === undefined ? {} : { address: local }), port: plan.local.port },
    family: plan.family,
    protocol: plan.protocol,
    ...(plan.ssid === undefined ? {} : { ssid: plan.ssid }),
    schedule: { kind: 'periodic', intervalMs: plan.intervalMs },
    count: plan.count,
    ...(plan.padding === undefined ? {} : { padding: plan.padding }),
    ...(plan.tos === undefined ? {} : { tos: plan.tos }),
    ...(plan.ttl === undefined ? {} : { ttl: plan.ttl }),
    // Only when asked: the dgram fallback refuses any don't-fragment setting, even false.
    ...(plan.dontFragment ? { dontFragment: true } : {}),
    lossTimeoutMs: plan.lossTimeoutMs,
    ...(plan.percentiles === undefined ? {} : { percentiles: plan.percentiles }),
    reflectorStateful: plan.reflectorStateful,
    signal,
  };
}

function jsonSettings(plan: SenderPlan): SenderJsonSettings {
  return {
    count: plan.count,
    intervalMs: plan.intervalMs,
    padding: plan.padding ?? 'symmetric',
    tos: plan.tos ?? null,
    ttl: plan.ttl ?? null,
    dontFragment: plan.dontFragment,
    lossTimeoutMs: plan.lossTimeoutMs,
    ssid: plan.ssid ?? null,
  };
}

/** Slack on top of the loss timeout for the engine to wind down and report. */
const STOP_SLACK_MS = 5000;

/** The longest a run may take before we stop waiting for it: its schedule, the loss timeout, and slack. */
export function runDeadlineMs(plan: SenderPlan): number {
  const schedule = plan.count * plan.intervalMs;
  return schedule + plan.lossTimeoutMs + Math.max(STOP_SLACK_MS, schedule * 0.1);
}

/** The engine's option names, as the options a user of this command typed. */
const OPTION_NAMES: Readonly<Record<string, string>> = {
  count: '--count',
  'schedule.intervalMs': '--interval',
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

function printReport(plan: SenderPlan, report: SenderReport, context: CommandContext): void {
  if (plan.json) {
    writeLine(context.io.stdout, JSON.stringify(senderJson(report, jsonSettings(plan), missingCapabilities(report.capabilities))));
  } else {
    writeLine(context.io.stdout, formatSenderSummary(report, plan.percentiles === undefined ? {} : { percentiles: plan.percentiles }));
  }
}

/** Runs a checked plan: resolve, send, wait (interruptible), print. Returns the exit code. */
export async function runSender(plan: SenderPlan, context: CommandContext): Promise<number> {
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
  try {
    const target = await resolveAddress(plan.remote, plan.family, loopbackAddress(plan.family), context);
    peer = formatEndpoint(target, plan.remote.port);
    const local = plan.local.address === undefined ? undefined : await resolveAddress(plan.local, plan.family, '', context);
    sender = await context.engine.openSender(senderOptionsFor(plan, target, local, controller.signal)).catch((error: unknown) => {
      throw error instanceof ConfigError ? withOptionNames(error, plan) : error;
    });
    // On stderr, so that stdout holds only the summary (or the JSON object).
    writeLine(
      context.io.stderr,
      `twamp sender: ${protocolName(plan.protocol)} from ${formatEndpoint(sender.localAddress, sender.localPort)} to ${formatEndpoint(target, plan.remote.port)}, ${plan.count} packets every ${plan.intervalMs} ms (Ctrl-C stops and prints the summary so far)`,
    );
    const runBound = runDeadlineMs(plan);
    watchdog.arm(runBound, () => new TimeoutError({ waitingFor: 'the end of the sender run', afterMs: runBound, peer }));
    const outcome = await Promise.race([sender.done.then((report): RunOutcome => ({ kind: 'done', report })), forced, watchdog.expired]);
    if (outcome.kind === 'forced') {
      writeLine(context.io.stderr, 'twamp sender: interrupted again: stopped without waiting for replies still in flight (no summary)');
      return exitCodeForSignal(outcome.signal);
    }
    const { report } = outcome;
    printReport(plan, report, context);
    if (interruptedBy !== undefined) return exitCodeForSignal(interruptedBy);
    if (report.summary.loss.sent > 0 && report.summary.loss.received === 0) {
      // Like ping: a run without a single reply is a failure, with the summary printed all the same.
      const error = new TimeoutError({ waitingFor: 'any reply', afterMs: plan.lossTimeoutMs, peer });
      writeLine(context.io.stderr, formatError(error));
      return ExitCode.Failure;
    }
    return ExitCode.Ok;
  } finally {
    watchdog.cancel();
    unsubscribe?.();
    sender?.stop();
  }
}

const ADDRESS_HELP = 'forms: ip, ip:port, [ipv6]:port, [ipv6], ipv6 (no port), :port, host[:port]';

/** Adds `sender` to the program. */
export function registerSender(program: Command, context: CommandContext): void {
  program
    .command('sender')
    .description('send TWAMP Light (or STAMP) test packets to a reflector and print per-direction statistics')
    .argument('[remote]', `reflector to measure against (default 127.0.0.1 or ::1, port ${DEFAULT_TEST_PORT}); ${ADDRESS_HELP}`)
    .argument('[local]', 'local address and port to send from (default any address, an ephemeral port)')
    .option('-4, --ipv4', 'use IPv4 (default unless an address is IPv6)')
    .option('-6, --ipv6', 'use IPv6')
    .option('--stamp', 'send STAMP (RFC 8762) packets instead of TWAMP Light')
    .option('--ssid <n>', 'STAMP Session Identifier, 1-65535 (with --stamp)')
    .option('-c, --count <n>', `packets to send, 1-4294967295 (default ${DEFAULT_COUNT})`)
    .option('-i, --interval <ms>', `milliseconds between packets, fractions allowed, 0.001-3600000 (default ${DEFAULT_INTERVAL_MS})`)
    .option('--padding <octets>', `padding octets 0-${MAX_PADDING}, or symmetric (request as long as the reply), or imix (default symmetric)`)
    .option('--tos <n>', 'TOS / Traffic Class octet, 0-255 (decimal or 0x hex)')
    .option('--dscp <name|n>', 'DSCP by name (ef, af41, cs1, ...) or number 0-63; sets the TOS with ECN 0')
    .option('--ttl <n>', 'TTL / Hop Limit of requests, 1-255 (default 255)')
    .option('--do-not-fragment', 'set the don\'t-fragment bit (IPv4) / do not fragment (IPv6)')
    .option('--loss-timeout <ms>', `a packet unanswered this long is lost, 1-3600000 ms (default ${DEFAULT_LOSS_TIMEOUT_MS})`)
    .option('--percentiles <list>', 'extra delay percentiles to show, e.g. 90,99,99.9')
    .option('--stateless-reflector', 'the reflector copies our sequence numbers (RFC 8762 stateless): loss per direction is unknown')
    .option('--json', 'print one JSON object (schema version 1) instead of the table')
    .action(async (remote: string | undefined, local: string | undefined, raw: RawSenderOptions) => {
      const plan = parseSenderArguments(remote, local, raw);
      context.exitCode = await runSender(plan, context);
    });
}
