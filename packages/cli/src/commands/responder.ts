// `twamp responder [local]`: a TWAMP Light / STAMP Session-Reflector that runs until SIGINT/SIGTERM.
import type { Command } from 'commander';
import {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_SOURCE,
  DEFAULT_REFWAIT_MS,
  type ReflectorDropReport,
  type ReflectorOptions,
  type ReflectorSessionEvent,
  type ReflectorStats,
} from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import { type ControlEngine, defaultControlEngine } from '../control/engine.js';
import { ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { addLoggingOptions, debugRequested, type LoggingPlan, parseLoggingOptions, parseRecordFormat, type RawLoggingOptions, type RecordFormat } from '../options/logging.js';
import { chooseFamily, parseCidrOption } from '../options/network.js';
import { parseIntervalReportOption } from '../options/interval-report.js';
import { addLimitOptions, type LimitSpec, parseLimits } from '../options/limits.js';
import { parseIntegerOption } from '../options/numbers.js';
import {
  addStampAuthOptions,
  parseStampAuth,
  type RawStampAuthOptions,
  resolveStampKey,
  type StampAuthPlan,
  stampSecurityOptions,
  stampSecuritySetting,
} from '../options/stamp-security.js';
import { missingCapabilities } from '../output/names.js';
import { formatListening, formatResponderStats } from '../output/responder-lines.js';
import {
  every,
  formatReflectorActivity,
  logDropReport,
  formatReflectorSessionEvent,
  reflectorActivityJson,
  reflectorSessionEventJson,
  reflectorStatsJson,
} from './activity.js';
import { type CommandContext, now } from './context.js';
import { CommandLog } from './log.js';
import { resolveAddress, wildcardAddress } from './resolve.js';
import { DEFAULT_TEST_PORT } from './sender.js';

/** RFC 5357's REFWAIT default, 900 s (@twamp/test-session's). */
export const DEFAULT_IDLE_TIMEOUT_S = DEFAULT_REFWAIT_MS / 1000;

/** The responder's table and rate limits, with @twamp/test-session's defaults (twampd's too). */
export const RESPONDER_LIMIT_OPTIONS = [
  { flag: '--max-sessions <n>', key: 'maxSessions', kind: 'count', unit: 'sessions', defaultValue: DEFAULT_MAX_SESSIONS, help: 'sessions at once; when full, a new session evicts one (of the source holding the most, else the longest idle)' },
  {
    flag: '--max-sessions-per-source <n>',
    key: 'maxSessionsPerSource',
    kind: 'count',
    unit: 'sessions',
    defaultValue: DEFAULT_MAX_SESSIONS_PER_SOURCE,
    help: 'sessions one source address may hold; its next one evicts its own longest idle',
  },
  { flag: '--rate-per-source <n>', key: 'ratePerSource', kind: 'rate', defaultValue: Number.POSITIVE_INFINITY, unlimited: true, help: 'packets answered per second per source address (token bucket, one second of burst); the rest dropped as source-rate' },
  { flag: '--rate-per-session <n>', key: 'ratePerSession', kind: 'rate', defaultValue: Number.POSITIVE_INFINITY, unlimited: true, help: 'packets answered per second per session; the rest dropped as session-rate' },
] as const satisfies readonly LimitSpec[];

export type ResponderLimitKey = (typeof RESPONDER_LIMIT_OPTIONS)[number]['key'];

/** With -v and no --interval-report: a packet-rate line this often. */
export const VERBOSE_RATE_PERIOD_MS = 1000;
export const RESPONDER_JSON_SCHEMA_VERSION = 1;

export interface RawResponderOptions extends RawLoggingOptions, RawStampAuthOptions, Partial<Readonly<Record<ResponderLimitKey, string>>> {
  readonly stamp?: boolean;
  readonly stateless?: boolean;
  readonly allow?: readonly string[];
  readonly idleTimeout?: string;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
  readonly json?: boolean;
  readonly jsonl?: boolean;
  readonly intervalReport?: string;
}

export interface ResponderPlan {
  readonly local: EndpointArgument;
  readonly family: IpFamily;
  readonly protocol: 'twamp-light' | 'stamp';
  /** --auth: STAMP authenticated mode (requests without the right HMAC are dropped as bad-hmac); undefined: open. */
  readonly stampAuth: StampAuthPlan | undefined;
  readonly stateful: boolean;
  readonly allowedSources: readonly string[] | undefined;
  readonly maxSessions: number;
  readonly maxSessionsPerSource: number;
  /** Packets per second; Infinity: unlimited. */
  readonly ratePerSource: number;
  readonly ratePerSession: number;
  readonly idleTimeoutMs: number;
  readonly logging: LoggingPlan;
  readonly format: RecordFormat;
  /** --interval-report: a statistics line (or record) this often; undefined: none. */
  readonly intervalReportMs: number | undefined;
}

/** Checks every argument of `twamp responder`; throws a ConfigError naming the first bad one. Pure. */
export function parseResponderArguments(localText: string | undefined, raw: RawResponderOptions, debug = false): ResponderPlan {
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: DEFAULT_TEST_PORT, allowPortZero: true });
  const family = chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [['local', local]]);
  const allowedSources = raw.allow?.map((cidr) => parseCidrOption(cidr));
  const limits = parseLimits(RESPONDER_LIMIT_OPTIONS, raw);
  return {
    local,
    family,
    protocol: raw.stamp === true ? 'stamp' : 'twamp-light',
    stampAuth: parseStampAuth(raw, raw.stamp === true),
    stateful: raw.stateless !== true,
    allowedSources: allowedSources === undefined || allowedSources.length === 0 ? undefined : allowedSources,
    ...limits,
    idleTimeoutMs:
      (raw.idleTimeout === undefined
        ? DEFAULT_IDLE_TIMEOUT_S
        : parseIntegerOption(raw.idleTimeout, { path: '--idle-timeout', min: 1, max: 86_400, unit: 'seconds' })) * 1000,
    logging: parseLoggingOptions(raw, debug),
    format: parseRecordFormat(raw),
    intervalReportMs: parseIntervalReportOption(raw.intervalReport),
  };
}

/** The engine's options; `stampKey` is the --auth key (read by `resolveStampKey`), undefined in open mode. */
export function reflectorOptionsFor(plan: ResponderPlan, address: string, stampKey?: Uint8Array): ReflectorOptions {
  return {
    family: plan.family,
    address,
    port: plan.local.port,
    protocol: plan.protocol,
    stateful: plan.stateful,
    idleTimeoutMs: plan.idleTimeoutMs,
    maxSessions: plan.maxSessions,
    maxSessionsPerSource: plan.maxSessionsPerSource,
    ...(Number.isFinite(plan.ratePerSource) ? { perSourceRate: plan.ratePerSource } : {}),
    ...(Number.isFinite(plan.ratePerSession) ? { perSessionRate: plan.ratePerSession } : {}),
    ...(plan.allowedSources === undefined ? {} : { allowedSources: plan.allowedSources }),
    ...stampSecurityOptions(stampKey),
  };
}

/** A copy of the counters as they stand (the engine's object keeps changing, and closing forgets sessions). */
function snapshot(stats: ReflectorStats): ReflectorStats {
  return { ...stats, dropped: { ...stats.dropped } };
}

/**
 * Reads the --auth key, opens the reflector, prints the listening line, waits for a signal, prints
 * the statistics. `control` reads the key file, the environment or the terminal for --auth.
 */
export async function runResponder(plan: ResponderPlan, context: CommandContext, control: ControlEngine = defaultControlEngine): Promise<number> {
  // Before the log opens and before any socket: a key that cannot be read is a usage error (exit 2).
  const stampKey = await resolveStampKey(plan.stampAuth, control, context, 'responder');
  if (stampKey.kind === 'interrupted') return ExitCode.Interrupted;
  // Opened first: a log file that cannot be written is a usage error, before any socket exists.
  const log = new CommandLog(plan.logging, plan.format, context.io).open();
  let stop: ((signal: CliSignal) => void) | undefined;
  const stopped = new Promise<CliSignal>((resolve) => {
    stop = resolve;
  });
  // Subscribe before opening, so a signal that arrives while the socket opens still stops cleanly.
  const unsubscribe = context.io.onSignal?.((signal) => stop?.(signal));
  let stopReports = (): void => undefined;
  try {
    const address = await resolveAddress(plan.local, plan.family, wildcardAddress(plan.family), context);
    const wantsEvents = log.verbose || plan.format === 'jsonl';
    const onSessionEvent = (event: ReflectorSessionEvent): void => {
      log.detail(formatReflectorSessionEvent('responder', event));
      log.record(reflectorSessionEventJson(event, now(context)));
    };
    // Drops are reported by the reflector at most once per reason per interval, never per packet.
    const onDropReport = (report: ReflectorDropReport): void => {
      logDropReport(log, 'responder', report, now(context));
    };
    const options = { ...reflectorOptionsFor(plan, address, stampKey.key), onDropReport, ...(wantsEvents ? { onSessionEvent } : {}) };
    // Never the key itself in the debug line.
    log.debug(`responder: opening a reflector with ${JSON.stringify({ ...options, onSessionEvent: undefined, onDropReport: undefined, stampKey: undefined })}`);
    const reflector = await context.engine.openReflector(options);
    const startedAt = now(context);
    let stats: ReflectorStats;
    try {
      const listening = {
        address: reflector.localAddress,
        port: reflector.localPort,
        protocol: plan.protocol,
        stateful: plan.stateful,
        capabilities: reflector.capabilities,
        ...(plan.stampAuth === undefined ? {} : { authenticatedKeyId: plan.stampAuth.keyId }),
      };
      // A status line (stderr), like the sender's start line: stdout keeps the statistics.
      log.info(formatListening(listening));
      log.record({
        type: 'listening',
        time: new Date(startedAt).toISOString(),
        address: listening.address,
        port: listening.port,
        protocol: plan.protocol,
        stampSecurity: stampSecuritySetting(plan.protocol, plan.stampAuth),
        stateful: plan.stateful,
        implementation: reflector.capabilities.implementation,
        missing: missingCapabilities(reflector.capabilities),
      });
      // --interval-report prints what was asked for at any verbosity; -v alone adds a rate line a second.
      const period = plan.intervalReportMs ?? (log.verbose ? VERBOSE_RATE_PERIOD_MS : undefined);
      let before = snapshot(reflector.stats);
      stopReports = every(period, () => {
        const current = snapshot(reflector.stats);
        const at = now(context);
        const line = formatReflectorActivity('responder', at - startedAt, period ?? 0, current, before);
        if (plan.intervalReportMs === undefined) log.detail(line);
        else log.result(line);
        log.record(reflectorActivityJson(at, at - startedAt, period ?? 0, current, before));
        before = current;
      });
      const signal = await stopped;
      log.debug(`responder: ${signal}: closing`);
    } finally {
      stopReports();
      // Counters as they stood while running (closing forgets the active sessions).
      stats = snapshot(reflector.stats);
      reflector.close();
    }
    const uptimeMs = now(context) - startedAt;
    log.result(formatResponderStats(stats, uptimeMs));
    log.record({ type: 'stopped', time: new Date(now(context)).toISOString(), uptimeMs, stats: reflectorStatsJson(stats) });
    if (plan.format === 'json') {
      const json = {
        schemaVersion: RESPONDER_JSON_SCHEMA_VERSION,
        command: 'responder',
        listening: {
          address: reflector.localAddress,
          port: reflector.localPort,
          protocol: plan.protocol,
          stampSecurity: stampSecuritySetting(plan.protocol, plan.stampAuth),
          stateful: plan.stateful,
          implementation: reflector.capabilities.implementation,
        },
        uptimeMs,
        stats: reflectorStatsJson(stats),
      };
      context.io.stdout.write(`${JSON.stringify(json)}\n`);
    }
    return ExitCode.Ok;
  } finally {
    stopReports();
    unsubscribe?.();
    log.close();
  }
}

/** Commander's accumulator for a repeatable option. */
function collectRepeated(value: string, previous: readonly string[] | undefined): readonly string[] {
  return [...(previous ?? []), value];
}

export function registerResponder(program: Command, context: CommandContext, control: ControlEngine = defaultControlEngine): void {
  const command = program
    .command('responder')
    .description('answer TWAMP Light (or STAMP) test packets until SIGINT/SIGTERM, then print statistics')
    .argument(
      '[local]',
      `address and port to listen on (default any address, port ${DEFAULT_TEST_PORT}; 0 = any free port); forms: ip, ip:port, [ipv6]:port, [ipv6], ipv6, :port`,
    )
    .option('-4, --ipv4', 'use IPv4 (default unless the address is IPv6)')
    .option('-6, --ipv6', 'use IPv6')
    .option('--stamp', 'reflect as a STAMP Session-Reflector (RFC 8762; also answers TWAMP Light requests)')
    .option('--stateless', 'copy the sender\'s sequence numbers instead of keeping a counter per session (RFC 8762 §4.2)')
    .option('--allow <cidr>', 'answer only these sources (repeatable), e.g. 192.0.2.0/24 or 2001:db8::/32', collectRepeated)
    .option('--idle-timeout <seconds>', `forget a session idle this long, 1-86400 s (default ${DEFAULT_IDLE_TIMEOUT_S})`)
    .option('--interval-report <s>', 'print a statistics line (packets in/out, rates, sessions, drops) every this many seconds, 0.01-86400')
    .option('--json', `print the listening line on stderr and one JSON object (schema version ${RESPONDER_JSON_SCHEMA_VERSION}) with the statistics at the end`)
    .option('--jsonl', 'print JSON Lines: listening, session events, drop reports, --interval-report statistics, stopped');
  addLimitOptions(command, RESPONDER_LIMIT_OPTIONS);
  addStampAuthOptions(command);
  addLoggingOptions(command, `also print a line per session event (created, expired) and a packet-rate line every ${VERBOSE_RATE_PERIOD_MS / 1000} s`)
    .addHelpText(
      'after',
      `\nPort ${DEFAULT_TEST_PORT} is the IANA twamp-test port and STAMP's default; nokia/twampy's reflector listens on 20001 (pass :20001 to take its place). The output has no colour; --no-color is accepted for scripts that pass it everywhere.`,
    )
    .action(async (local: string | undefined, raw: RawResponderOptions, self: Command) => {
      const plan = parseResponderArguments(local, raw, debugRequested(self));
      context.exitCode = await runResponder(plan, context, control);
    });
}
