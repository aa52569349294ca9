// `twamp server [local]`: a foreground TWAMP server. @twamp/control's ControlServer answers
// TWAMP-Control on TCP 862; each accepted session gets its own reflector from @twamp/test-session's
// ReflectorPool. Runs until SIGINT/SIGTERM, then closes gracefully and exits 0.
import type { Command } from 'commander';
import type { ControlLogger, ControlServerApi, KeyStore } from '@twamp/control';
import { type PortRange, ReflectorPool } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
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
import { formatServerListening, formatServerStopped, formatSessionEvent } from '../control/output.js';
import { ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { chooseFamily, parseCidrOption } from '../options/network.js';
import { parseIntegerOption } from '../options/numbers.js';
import { usageError } from '../options/usage-error.js';
import { type CommandContext, now, writeLine } from './context.js';
import { CONTROL_EXIT_HELP, endControlFailure, parseControlPort } from './controller.js';
import { resolveAddress, wildcardAddress } from './resolve.js';

/** Sessions at once across all connections (and reflectors open). */
export const DEFAULT_SERVER_MAX_SESSIONS = 1024;
/** How long connections get to finish on SIGINT/SIGTERM before they are closed. */
export const SERVER_CLOSE_GRACE_MS = 1000;

export interface RawServerOptions extends RawServerSecurityOptions {
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
}

/** Checks every argument of `twamp server`; throws a ConfigError naming the first bad one. Pure. */
export function parseServerArguments(localText: string | undefined, raw: RawServerOptions): ServerPlan {
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
  };
}

function describePorts(ports: PortRange | 'ephemeral'): string {
  return ports === 'ephemeral' ? 'ephemeral' : `${ports.first}-${ports.last}`;
}

/** Control log events as `twamp server: event key=value ...` on stderr (control never logs secrets). */
function logger(context: CommandContext): ControlLogger {
  const line = (level: string, event: string, fields: Readonly<Record<string, unknown>>): void => {
    const parts = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    writeLine(context.io.stderr, `twamp server: ${level === 'warn' ? 'warning: ' : ''}${event}${parts.length === 0 ? '' : ` ${parts.join(' ')}`}`);
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

export async function runServer(plan: ServerPlan, context: CommandContext, control: ControlEngine): Promise<number> {
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
      writeLine(context.io.stdout, formatSessionEvent(event));
    },
  });
  let server: ControlServerApi | undefined;
  try {
    const address = await resolveAddress(plan.local, plan.family, wildcardAddress(plan.family), context);
    const keys: KeyStore | undefined = plan.keyFile === undefined ? undefined : await control.loadKeys(plan.keyFile);
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
      logger: logger(context),
    });
    const startedAt = now(context);
    writeLine(
      context.io.stdout,
      formatServerListening({ address: server.address, port: server.port, modes: plan.modes, reflectorPorts: describePorts(plan.reflectorPorts), keys: keys?.size }),
    );
    const signal = await stopped;
    writeLine(context.io.stderr, `twamp server: ${signal}: closing (connections get ${SERVER_CLOSE_GRACE_MS} ms)`);
    const connections = server.stats.connectionsTotal;
    await server.close(SERVER_CLOSE_GRACE_MS);
    const stats = pool.stats;
    pool.close();
    writeLine(context.io.stdout, formatServerStopped(stats, connections, now(context) - startedAt));
    return ExitCode.Ok;
  } catch (error) {
    const code = endControlFailure(error, 'server', plan.port, context);
    if (code === undefined) throw error;
    return code;
  } finally {
    unsubscribe?.();
    pool.close();
    if (server !== undefined) await server.close(0).catch(() => undefined);
  }
}

export function registerServer(program: Command, context: CommandContext, control: ControlEngine): void {
  program
    .command('server')
    .description('run a TWAMP server (TWAMP-Control on TCP, a reflector per session) until SIGINT/SIGTERM')
    .argument('[local]', `address (and TCP port) to listen on (default any address, port ${DEFAULT_CONTROL_PORT}; 0 = any free port); forms: ip, ip:port, [ipv6]:port, [ipv6], ipv6, :port`)
    .option('-4, --ipv4', 'use IPv4 (default unless the address is IPv6)')
    .option('-6, --ipv6', 'use IPv6')
    .option('--control-port <port>', `TCP port for TWAMP-Control, 0-65535 (default ${DEFAULT_CONTROL_PORT})`)
    .option('--mode <modes>', 'security modes offered: open, auth, encrypted, mixed (repeatable or comma list; default all with --key-file, else open)', collectRepeated)
    .option('--key-file <file>', 'shared secrets by identity (perfSONAR "identity hex", or "identity: passphrase")')
    .option('--count <n>', `PBKDF2 iterations asked of clients, a power of 2 from 1024 (default ${DEFAULT_PBKDF2_COUNT})`)
    .option('--max-sessions <n>', `test sessions at once, 1-1000000 (default ${DEFAULT_SERVER_MAX_SESSIONS})`)
    .option('--allow <cidr>', 'accept control connections only from these clients (repeatable), e.g. 192.0.2.0/24', collectRepeated)
    .option('--port-range <a-b>', `UDP ports for reflectors, or ephemeral (default ${describePorts(DEFAULT_REFLECTOR_PORT_RANGE)}, as perfSONAR)`)
    .option('--no-extensions', 'offer only the security modes, none of RFC 5938 (individual session control), RFC 6038 (reflect octets, symmetrical size), RFC 7750 (DSCP/ECN monitoring)')
    .addHelpText(
      'after',
      `${CONTROL_EXIT_HELP}\nA session asking for a free receiver port of 1024 or above gets it (twampy ignores the port the server answers); otherwise the next free port of --port-range.`,
    )
    .action(async (local: string | undefined, raw: RawServerOptions) => {
      const plan = parseServerArguments(local, raw);
      context.exitCode = await runServer(plan, context, control);
    });
}
