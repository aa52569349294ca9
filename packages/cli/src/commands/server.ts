// `twamp server [local]`: a foreground TWAMP server. @twamp/control's ControlServer answers
// TWAMP-Control on TCP 862; each accepted session gets its own reflector from @twamp/test-session's
// ReflectorPool. Runs until SIGINT/SIGTERM, then closes gracefully and exits 0.
import type { Command } from 'commander';
import type { ControlLogger, ControlServerApi, KeyStore } from '@twamp/control';
import { type PortRange, ReflectorPool, type ReflectorPoolStats } from '@twamp/test-session';
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
import { checkServerKeys } from '../control/secret.js';
import { formatServerListening, formatServerStopped, formatSessionEvent } from '../control/output.js';
import { ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { parseIntervalReportOption } from '../options/interval-report.js';
import { addLoggingOptions, debugRequested, type LoggingPlan, parseLoggingOptions, parseRecordFormat, type RawLoggingOptions, type RecordFormat } from '../options/logging.js';
import { chooseFamily, parseCidrOption } from '../options/network.js';
import { parseIntegerOption } from '../options/numbers.js';
import { usageError } from '../options/usage-error.js';
import { every, perSecond } from './activity.js';
import { type CommandContext, now } from './context.js';
import { endControlFailure, parseControlPort } from './controller.js';
import { CommandLog } from './log.js';
import { resolveAddress, wildcardAddress } from './resolve.js';

/** Sessions at once across all connections (and reflectors open). */
export const DEFAULT_SERVER_MAX_SESSIONS = 1024;
/** How long connections get to finish on SIGINT/SIGTERM before they are closed. */
export const SERVER_CLOSE_GRACE_MS = 1000;
/** With -v and no --interval-report: a packet-rate line this often. */
export const SERVER_RATE_PERIOD_MS = 1000;
export const SERVER_JSON_SCHEMA_VERSION = 1;

export interface RawServerOptions extends RawServerSecurityOptions, RawLoggingOptions {
  readonly json?: boolean;
  readonly jsonl?: boolean;
  readonly intervalReport?: string;
  readonly controlPort?: string;
  readonly maxSessions?: string;
  readonly allow?: readonly string[];
  readonly portRange?: string;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

export interface ServerPlan extends ServerSecurityPlan {
  readonly local: EndpointArgument;
  readonly port: number;
  readonly family: IpFamily;
  readonly maxSessions: number;
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
  return {
    ...parseServerSecurity(raw),
    local: { ...local, port },
    port,
    family: chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [['local', local]]),
    maxSessions:
      raw.maxSessions === undefined
        ? DEFAULT_SERVER_MAX_SESSIONS
        : parseIntegerOption(raw.maxSessions, { path: '--max-sessions', min: 1, max: 1_000_000, unit: 'sessions' }),
    allowedClients: allowedClients === undefined || allowedClients.length === 0 ? undefined : allowedClients,
    reflectorPorts: parseReflectorPorts(raw.portRange) ?? DEFAULT_REFLECTOR_PORT_RANGE,
    logging: parseLoggingOptions(raw, debug),
    format: parseRecordFormat(raw),
    intervalReportMs: parseIntervalReportOption(raw.intervalReport),
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
    const keys: KeyStore | undefined = plan.keyFile === undefined ? undefined : await control.loadKeys(plan.keyFile);
    if (keys !== undefined && plan.keyFile !== undefined) checkServerKeys(keys, plan.keyFile, plan.modes);
    server = await control.listen({
      address,
      port: plan.port,
      family: plan.family,
      modes: plan.modes,
      ...(keys === undefined ? {} : { keys }),
      pbkdf2Count: plan.pbkdf2Count,
      limits: { maxSessionsTotal: plan.maxSessions },
      ...(plan.allowedClients === undefined ? {} : { allowedClients: plan.allowedClients }),
      handler: pool,
      logger: logger(log, context),
    });
    const startedAt = now(context);
    const listening = { address: server.address, port: server.port, modes: plan.modes, reflectorPorts: describePorts(plan.reflectorPorts), keys: keys?.size };
    log.result(formatServerListening(listening));
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
    const connections = server.stats.connectionsTotal;
    await server.close(SERVER_CLOSE_GRACE_MS);
    const stats = pool.stats;
    pool.close();
    const uptimeMs = now(context) - startedAt;
    log.result(formatServerStopped(stats, connections, uptimeMs));
    log.record({ type: 'stopped', time: new Date(now(context)).toISOString(), uptimeMs, connections, stats: poolStatsJson(stats) });
    if (plan.format === 'json') {
      const json = {
        schemaVersion: SERVER_JSON_SCHEMA_VERSION,
        command: 'server',
        listening: { address: listening.address, port: listening.port, modes: plan.modes, modeNames: modeNames(plan.modes), reflectorPorts: listening.reflectorPorts, keys: keys?.size ?? null },
        uptimeMs,
        connections,
        stats: poolStatsJson(stats),
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
    .option('--max-sessions <n>', `test sessions at once, 1-1000000 (default ${DEFAULT_SERVER_MAX_SESSIONS}); beyond it a request gets Accept 4`)
    .option('--allow <cidr>', 'accept control connections only from these clients (repeatable), e.g. 192.0.2.0/24', collectRepeated)
    .option('--port-range <a-b>', `UDP ports for reflectors, or ephemeral (default ${describePorts(DEFAULT_REFLECTOR_PORT_RANGE)}, as perfSONAR)`)
    .option('--no-extensions', 'offer only the security modes, none of RFC 5938 (individual session control), RFC 6038 (reflect octets, symmetrical size), RFC 7750 (DSCP/ECN monitoring)')
    .option('--interval-report <s>', 'print a statistics line (packets reflected, rate, sessions) every this many seconds, 0.01-86400')
    .option('--json', `print the human lines on stderr and one JSON object (schema version ${SERVER_JSON_SCHEMA_VERSION}) with the statistics at the end`)
    .option('--jsonl', 'print JSON Lines: listening, session events, control log events, --interval-report statistics, stopped');
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
