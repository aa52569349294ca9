// `twamp server [local]`: a foreground TWAMP server. @twamp/control's ControlServer answers
// TWAMP-Control on TCP 862; each accepted session gets its own reflector from @twamp/test-session's
// ReflectorPool. Runs until SIGINT/SIGTERM, then closes gracefully and exits 0.
import type { Command } from 'commander';
import { type ControlLogger, type ControlServerApi, DEFAULT_SERVER_LIMITS, DEFAULT_SERVER_TIMEOUTS, type KeyStore, type ServerLimits, type ServerTimeouts } from '@twamp/control';
import { type ControlledReflectorOptions, type PortRange, type ReflectorDropReport, ReflectorPool, type ReflectorPoolStats } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import { modeNames } from '@twamp/wire';
import type { ControlEngine } from '../control/engine.js';
import { DEFAULT_REFLECTOR_PORT_RANGE } from '@twamp/test-session';
import {
  collectRepeated,
  DEFAULT_CONTROL_PORT,
  DEFAULT_PBKDF2_COUNT,
  parseReflectorPorts,
  parseServerSecurity,
  type RawServerSecurityOptions,
  type ServerSecurityPlan,
} from '../control/options.js';
import { checkServerKeys, keyFileWarningPrinter } from '../control/secret.js';
import { formatServerListening, formatServerStopped, formatSessionEvent } from '../control/output.js';
import { ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { parseIntervalReportOption } from '../options/interval-report.js';
import { addLoggingOptions, debugRequested, type LoggingPlan, parseLoggingOptions, parseRecordFormat, type RawLoggingOptions, type RecordFormat } from '../options/logging.js';
import { chooseFamily, parseCidrOption } from '../options/network.js';
import { addLimitOptions, type LimitSpec, parseLimits } from '../options/limits.js';
import { usageError } from '../options/usage-error.js';
import { every, logDropReport, perSecond } from './activity.js';
import { type CommandContext, now } from './context.js';
import { endControlFailure, parseControlPort } from './controller.js';
import { CommandLog } from './log.js';
import { resolveAddress, wildcardAddress } from './resolve.js';

const L = DEFAULT_SERVER_LIMITS;
const T = DEFAULT_SERVER_TIMEOUTS;

/**
 * Every limit of `twamp server`, with @twamp/control's defaults (the ones twampd uses too). The names
 * follow twampd's config keys (docs/usage.md maps them); --idle-timeout is SERVWAIT and the REFWAIT of
 * the session reflectors, as twampd's limits.idleTimeout is.
 */
export const SERVER_LIMIT_OPTIONS = [
  { flag: '--max-connections <n>', key: 'maxConnections', kind: 'count', unit: 'connections', defaultValue: L.maxConnections, help: 'control connections at once, all clients; beyond it idle ones without sessions make room, else Modes 0' },
  { flag: '--max-connections-per-client <n>', key: 'maxConnectionsPerClient', kind: 'count', unit: 'connections', defaultValue: L.maxConnectionsPerClient, help: 'control connections at once from one client address' },
  { flag: '--max-sessions <n>', key: 'maxSessions', kind: 'count', unit: 'sessions', defaultValue: L.maxSessionsTotal, help: 'test sessions (reflectors) at once across all clients; beyond it Accept 4' },
  { flag: '--max-sessions-per-connection <n>', key: 'maxSessionsPerConnection', kind: 'count', unit: 'sessions', defaultValue: L.maxSessionsPerConnection, help: 'test sessions one control connection may hold; beyond it Accept 4' },
  { flag: '--max-sessions-per-client <n>', key: 'maxSessionsPerClient', kind: 'count', unit: 'sessions', defaultValue: L.maxSessionsPerClient, unlimited: true, help: 'test sessions one client address may hold over all its connections, so one address cannot take them all; beyond it refused' },
  { flag: '--request-rate <n>', key: 'requestRate', kind: 'rate', defaultValue: L.requestsPerSecond, unlimited: true, help: 'Request-TW-Session per second on one control connection; beyond it Accept 5' },
  { flag: '--server-request-rate <n>', key: 'serverRequestRate', kind: 'rate', defaultValue: L.sessionRequestsPerSecond, unlimited: true, help: 'Request-TW-Session per second across the server; beyond it Accept 5' },
  { flag: '--auth-failures-per-minute <n>', key: 'authFailuresPerMinute', kind: 'count', unit: 'failures', defaultValue: L.authFailuresPerMinute, unlimited: true, help: 'failed authentications from one client address in a minute before its new connections get Modes 0 (a backoff from 1 s, doubling up to 5 min)' },
  { flag: '--handshake-timeout <s>', key: 'handshakeTimeout', kind: 'seconds', defaultValue: T.handshakeMs, help: 'from accepting a control connection to its Set-Up-Response' },
  { flag: '--idle-timeout <s>', key: 'idleTimeout', kind: 'seconds', defaultValue: T.servwaitMs, help: 'SERVWAIT: a control connection with sessions and no message for this long is closed; also the REFWAIT of its reflectors' },
  { flag: '--idle-without-sessions-timeout <s>', key: 'idleWithoutSessionsTimeout', kind: 'seconds', defaultValue: T.idleWithoutSessionsMs, help: 'a control connection holding no session and sending nothing is closed after this' },
  { flag: '--unstarted-session-timeout <s>', key: 'unstartedSessionTimeout', kind: 'seconds', defaultValue: T.unstartedSessionMs, help: 'a session accepted but never started is released after this' },
  { flag: '--rate-per-source <n>', key: 'ratePerSource', kind: 'rate', defaultValue: Number.POSITIVE_INFINITY, unlimited: true, help: 'test packets answered per second per source address, over every session reflector' },
  { flag: '--rate-per-session <n>', key: 'ratePerSession', kind: 'rate', defaultValue: Number.POSITIVE_INFINITY, unlimited: true, help: 'test packets answered per second per session' },
] as const satisfies readonly LimitSpec[];

export type ServerLimitKey = (typeof SERVER_LIMIT_OPTIONS)[number]['key'];
/** How long connections get to finish on SIGINT/SIGTERM before they are closed. */
export const SERVER_CLOSE_GRACE_MS = 1000;
/** With -v and no --interval-report: a packet-rate line this often. */
export const SERVER_RATE_PERIOD_MS = 1000;
export const SERVER_JSON_SCHEMA_VERSION = 1;

export interface RawServerOptions extends RawServerSecurityOptions, RawLoggingOptions, Partial<Readonly<Record<ServerLimitKey, string>>> {
  readonly json?: boolean;
  readonly jsonl?: boolean;
  readonly intervalReport?: string;
  readonly controlPort?: string;
  readonly allow?: readonly string[];
  readonly thirdPartySenders?: boolean;
  readonly portRange?: string;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

export interface ServerPlan extends ServerSecurityPlan {
  readonly local: EndpointArgument;
  readonly port: number;
  readonly family: IpFamily;
  /** Sessions at once: the server's maxSessionsTotal and the reflector pool's size, so both refuse alike. */
  readonly maxSessions: number;
  /** Every --max-*, rate and timeout option (timeouts in ms, Infinity: unlimited). */
  readonly limits: Readonly<Record<ServerLimitKey, number>>;
  /** --third-party-senders: accept sessions whose sender address is not the client's. */
  readonly thirdPartySenders: boolean;
  readonly allowedClients: readonly string[] | undefined;
  readonly reflectorPorts: PortRange | 'ephemeral';
  readonly logging: LoggingPlan;
  readonly format: RecordFormat;
  readonly intervalReportMs: number | undefined;
}

/** Checks every argument of `twamp server`; throws a ConfigError naming the first bad one. Pure. */
export function parseServerArguments(localText: string | undefined, raw: RawServerOptions, debug = false): ServerPlan {
  // -1: no port in the argument, so --control-port (or 862) decides.
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: -1, allowPortZero: true });
  const controlPort = raw.controlPort === undefined ? undefined : parseControlPort(raw.controlPort, true);
  if (controlPort !== undefined && local.port !== -1 && local.port !== controlPort) {
    throw usageError('--control-port', `the same port as the local argument (${local.port}), or only one of the two`, raw.controlPort);
  }
  const port = controlPort ?? (local.port === -1 ? DEFAULT_CONTROL_PORT : local.port);
  const allowedClients = raw.allow?.map((cidr) => parseCidrOption(cidr));
  const limits = parseLimits(SERVER_LIMIT_OPTIONS, raw);
  return {
    ...parseServerSecurity(raw),
    local: { ...local, port },
    port,
    family: chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [['local', local]]),
    maxSessions: limits.maxSessions,
    limits,
    thirdPartySenders: raw.thirdPartySenders === true,
    allowedClients: allowedClients === undefined || allowedClients.length === 0 ? undefined : allowedClients,
    reflectorPorts: parseReflectorPorts(raw.portRange) ?? DEFAULT_REFLECTOR_PORT_RANGE,
    logging: parseLoggingOptions(raw, debug),
    format: parseRecordFormat(raw),
    intervalReportMs: parseIntervalReportOption(raw.intervalReport),
  };
}

/** The control server's limits and timeouts from the plan (unlimited rates and caps as Infinity, which control takes). */
export function serverControlLimits(plan: ServerPlan): { readonly limits: ServerLimits; readonly timeouts: ServerTimeouts } {
  const l = plan.limits;
  return {
    limits: {
      maxConnections: l.maxConnections,
      maxConnectionsPerClient: l.maxConnectionsPerClient,
      maxSessionsTotal: l.maxSessions,
      maxSessionsPerConnection: l.maxSessionsPerConnection,
      maxSessionsPerClient: l.maxSessionsPerClient,
      requestsPerSecond: l.requestRate,
      sessionRequestsPerSecond: l.serverRequestRate,
      authFailuresPerMinute: l.authFailuresPerMinute,
    },
    timeouts: {
      handshakeMs: l.handshakeTimeout,
      servwaitMs: l.idleTimeout,
      idleWithoutSessionsMs: l.idleWithoutSessionsTimeout,
      unstartedSessionMs: l.unstartedSessionTimeout,
    },
  };
}

/** What each session's reflector is told: REFWAIT, the packet rates, and where drop reports go. */
export function sessionReflectorOptions(plan: ServerPlan, onDropReport: (report: ReflectorDropReport) => void): ControlledReflectorOptions {
  const l = plan.limits;
  return {
    idleTimeoutMs: l.idleTimeout,
    ...(Number.isFinite(l.ratePerSource) ? { perSourceRate: l.ratePerSource } : {}),
    ...(Number.isFinite(l.ratePerSession) ? { perSessionRate: l.ratePerSession } : {}),
    onDropReport,
  };
}

function describePorts(ports: PortRange | 'ephemeral'): string {
  return ports === 'ephemeral' ? 'ephemeral' : `${ports.first}-${ports.last}`;
}

/** Control log events as `twamp server: event key=value ...` on stderr (control never logs secrets), and as records. */
function logger(log: CommandLog, context: CommandContext): ControlLogger {
  const line = (level: 'info' | 'warn', event: string, fields: Readonly<Record<string, unknown>>): void => {
    const parts = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    const text = `twamp server: ${level === 'warn' ? 'warning: ' : ''}${event}${parts.length === 0 ? '' : ` ${parts.join(' ')}`}`;
    if (level === 'warn') log.warn(text);
    else log.info(text);
    log.record({ type: 'log', time: new Date(now(context)).toISOString(), level, event, fields });
  };
  return {
    info: (event, fields) => {
      line('info', event, fields);
    },
    warn: (event, fields) => {
      line('warn', event, fields);
    },
  };
}

/** `twamp server: 10.0 s: 2000 packets reflected (200.0/s), 1 session running, 1 reflector open`. */
function formatServerActivity(elapsedMs: number, periodMs: number, current: ReflectorPoolStats, before: ReflectorPoolStats): string {
  const packets = current.packetsReflected - before.packetsReflected;
  const running = `${current.sessionsRunning} ${current.sessionsRunning === 1 ? 'session' : 'sessions'} running`;
  const open = `${current.reflectorsOpen} ${current.reflectorsOpen === 1 ? 'reflector' : 'reflectors'} open`;
  return `twamp server: ${(elapsedMs / 1000).toFixed(1)} s: ${packets} packets reflected (${perSecond(packets, periodMs)}/s), ${running}, ${open}`;
}

function poolStatsJson(stats: ReflectorPoolStats): Record<string, unknown> {
  return { ...stats, refused: { ...stats.refused } };
}

export async function runServer(plan: ServerPlan, context: CommandContext, control: ControlEngine): Promise<number> {
  // Opened first: a log file that cannot be written is a usage error, before any socket exists.
  const log = new CommandLog(plan.logging, plan.format, context.io).open();
  let stopReports = (): void => undefined;
  let stop: ((signal: CliSignal) => void) | undefined;
  const stopped = new Promise<CliSignal>((resolve) => {
    stop = resolve;
  });
  // Subscribe first, so a signal during start-up still ends the process cleanly.
  const unsubscribe = context.io.onSignal?.((signal) => stop?.(signal));
  const pool = new ReflectorPool({
    portRange: plan.reflectorPorts,
    maxReflectors: plan.maxSessions,
    reflector: sessionReflectorOptions(plan, (report) => {
      logDropReport(log, 'server', report, now(context));
    }),
    openReflector: (options) => context.engine.openReflector(options),
    onEvent: (event) => {
      log.result(formatSessionEvent(event));
      const { type, ...rest } = event;
      log.record({ type: 'session', time: new Date(now(context)).toISOString(), event: type, ...rest });
    },
  });
  let server: ControlServerApi | undefined;
  try {
    const address = await resolveAddress(plan.local, plan.family, wildcardAddress(plan.family), context);
    // A short secret is a warning (stderr and the log file), not a reason to refuse to start.
    const warn = keyFileWarningPrinter((line) => {
      log.warn(line);
    }, 'server');
    const keys: KeyStore | undefined = plan.keyFile === undefined ? undefined : await control.loadKeys(plan.keyFile, warn);
    if (keys !== undefined && plan.keyFile !== undefined) checkServerKeys(keys, plan.keyFile, plan.modes);
    server = await control.listen({
      address,
      port: plan.port,
      family: plan.family,
      modes: plan.modes,
      ...(keys === undefined ? {} : { keys }),
      pbkdf2Count: plan.pbkdf2Count,
      ...serverControlLimits(plan),
      ...(plan.thirdPartySenders ? { thirdPartySenders: true } : {}),
      ...(plan.allowedClients === undefined ? {} : { allowedClients: plan.allowedClients }),
      handler: pool,
      logger: logger(log, context),
    });
    const startedAt = now(context);
    const listening = { address: server.address, port: server.port, modes: plan.modes, reflectorPorts: describePorts(plan.reflectorPorts), keys: keys?.size };
    // A status line (stderr), like the sender's start line: stdout keeps the session lines and statistics.
    log.info(formatServerListening(listening));
    log.record({ type: 'listening', time: new Date(startedAt).toISOString(), ...listening, modeNames: modeNames(plan.modes), keys: keys?.size ?? null });
    // --interval-report prints what was asked for at any verbosity; -v alone adds a rate line a second.
    const period = plan.intervalReportMs ?? (log.verbose ? SERVER_RATE_PERIOD_MS : undefined);
    let before = pool.stats;
    stopReports = every(period, () => {
      const current = pool.stats;
      const at = now(context);
      const line = formatServerActivity(at - startedAt, period ?? 0, current, before);
      if (plan.intervalReportMs === undefined) log.detail(line);
      else log.result(line);
      const packets = current.packetsReflected - before.packetsReflected;
      log.record({ type: 'interval', time: new Date(at).toISOString(), elapsedMs: at - startedAt, periodMs: period ?? 0, packetsReflected: packets, packetsPerSecond: perSecond(packets, period ?? 0), totals: poolStatsJson(current) });
      before = current;
    });
    const signal = await stopped;
    stopReports();
    log.info(`twamp server: ${signal}: closing (connections get ${SERVER_CLOSE_GRACE_MS} ms)`);
    await server.close(SERVER_CLOSE_GRACE_MS);
    const controlStats = server.stats;
    const connections = controlStats.connectionsTotal;
    const stats = pool.stats;
    pool.close();
    const uptimeMs = now(context) - startedAt;
    log.result(formatServerStopped(stats, controlStats, uptimeMs));
    log.record({ type: 'stopped', time: new Date(now(context)).toISOString(), uptimeMs, connections, stats: poolStatsJson(stats), control: controlStats });
    if (plan.format === 'json') {
      const json = {
        schemaVersion: SERVER_JSON_SCHEMA_VERSION,
        command: 'server',
        listening: { address: listening.address, port: listening.port, modes: plan.modes, modeNames: modeNames(plan.modes), reflectorPorts: listening.reflectorPorts, keys: keys?.size ?? null },
        uptimeMs,
        connections,
        stats: poolStatsJson(stats),
        control: controlStats,
      };
      context.io.stdout.write(`${JSON.stringify(json)}\n`);
    }
    return ExitCode.Ok;
  } catch (error) {
    const code = endControlFailure(error, 'server', plan.port, context);
    if (code === undefined) throw error;
    return code;
  } finally {
    stopReports();
    unsubscribe?.();
    log.close();
    pool.close();
    if (server !== undefined) await server.close(0).catch(() => undefined);
  }
}

export function registerServer(program: Command, context: CommandContext, control: ControlEngine): void {
  const command = program
    .command('server')
    .description('run a TWAMP server (TWAMP-Control on TCP, a reflector per session) until SIGINT/SIGTERM')
    .argument('[local]', `address (and TCP port) to listen on (default any address, port ${DEFAULT_CONTROL_PORT}; 0 = any free port); forms: ip, ip:port, [ipv6]:port, [ipv6], ipv6, :port`)
    .option('-4, --ipv4', 'use IPv4 (default unless the address is IPv6)')
    .option('-6, --ipv6', 'use IPv6')
    .option('--control-port <port>', `TCP port for TWAMP-Control, 0-65535 (default ${DEFAULT_CONTROL_PORT})`)
    .option('--mode <modes>', 'security modes offered: open, auth, encrypted, mixed (repeatable or comma list; default all with --key-file, else open)', collectRepeated)
    .option('--key-file <file>', 'shared secrets by identity (perfSONAR "identity hex", or "identity: passphrase")')
    .option('--count <n>', `PBKDF2 iterations asked of clients, a power of 2 from 1024 (default ${DEFAULT_PBKDF2_COUNT})`)
    .option('--allow <cidr>', 'accept control connections only from these clients (repeatable), e.g. 192.0.2.0/24', collectRepeated)
    .option('--third-party-senders', 'accept sessions whose sender address is not the control client\'s (third-party sessions; default: refused with Accept 3)')
    .option('--port-range <a-b>', `UDP ports for reflectors, or ephemeral (default ${describePorts(DEFAULT_REFLECTOR_PORT_RANGE)}, as perfSONAR)`)
    .option('--no-extensions', 'offer only the security modes, none of RFC 5938 (individual session control), RFC 6038 (reflect octets, symmetrical size), RFC 7750 (DSCP/ECN monitoring)')
    .option('--interval-report <s>', 'print a statistics line (packets reflected, rate, sessions) every this many seconds, 0.01-86400')
    .option('--json', `print the human lines on stderr and one JSON object (schema version ${SERVER_JSON_SCHEMA_VERSION}) with the statistics at the end`)
    .option('--jsonl', 'print JSON Lines: listening, session events, control log events, drop reports, --interval-report statistics, stopped');
  addLimitOptions(command, SERVER_LIMIT_OPTIONS);
  addLoggingOptions(command, `also print a packet-rate line every ${SERVER_RATE_PERIOD_MS / 1000} s (session events are printed without -v)`)
    .addHelpText(
      'after',
      '\nA session asking for a free receiver port of 1024 or above gets it (twampy ignores the port the server answers); otherwise the next free port of --port-range. The TWAMP test sessions of a server are stateful (RFC 5357): there is no --stateless or --stamp here (see twamp responder).',
    )
    .action(async (local: string | undefined, raw: RawServerOptions, self: Command) => {
      const plan = parseServerArguments(local, raw, debugRequested(self));
      context.exitCode = await runServer(plan, context, control);
    });
}
