// `twamp responder [local]`: a TWAMP Light / STAMP Session-Reflector that runs until SIGINT/SIGTERM.
import type { Command } from 'commander';
import type { ReflectorOptions, ReflectorStats } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import { ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { chooseFamily, parseCidrOption } from '../options/network.js';
import { parseIntegerOption } from '../options/numbers.js';
import { formatListening, formatResponderStats } from '../output/responder-lines.js';
import { type CommandContext, now, writeLine } from './context.js';
import { resolveAddress, wildcardAddress } from './resolve.js';
import { DEFAULT_TEST_PORT } from './sender.js';

export const DEFAULT_MAX_SESSIONS = 10_000;
/** RFC 5357's REFWAIT default, 900 s. */
export const DEFAULT_IDLE_TIMEOUT_S = 900;

export interface RawResponderOptions {
  readonly stamp?: boolean;
  readonly stateless?: boolean;
  readonly allow?: readonly string[];
  readonly maxSessions?: string;
  readonly idleTimeout?: string;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

export interface ResponderPlan {
  readonly local: EndpointArgument;
  readonly family: IpFamily;
  readonly protocol: 'twamp-light' | 'stamp';
  readonly stateful: boolean;
  readonly allowedSources: readonly string[] | undefined;
  readonly maxSessions: number;
  readonly idleTimeoutMs: number;
}

/** Checks every argument of `twamp responder`; throws a ConfigError naming the first bad one. Pure. */
export function parseResponderArguments(localText: string | undefined, raw: RawResponderOptions): ResponderPlan {
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: DEFAULT_TEST_PORT, allowPortZero: true });
  const family = chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [['local', local]]);
  const allowedSources = raw.allow?.map((cidr) => parseCidrOption(cidr));
  return {
    local,
    family,
    protocol: raw.stamp === true ? 'stamp' : 'twamp-light',
    stateful: raw.stateless !== true,
    allowedSources: allowedSources === undefined || allowedSources.length === 0 ? undefined : allowedSources,
    maxSessions:
      raw.maxSessions === undefined
        ? DEFAULT_MAX_SESSIONS
        : parseIntegerOption(raw.maxSessions, { path: '--max-sessions', min: 1, max: 1_000_000, unit: 'sessions' }),
    idleTimeoutMs:
      (raw.idleTimeout === undefined
        ? DEFAULT_IDLE_TIMEOUT_S
        : parseIntegerOption(raw.idleTimeout, { path: '--idle-timeout', min: 1, max: 86_400, unit: 'seconds' })) * 1000,
  };
}

export function reflectorOptionsFor(plan: ResponderPlan, address: string): ReflectorOptions {
  return {
    family: plan.family,
    address,
    port: plan.local.port,
    protocol: plan.protocol,
    stateful: plan.stateful,
    idleTimeoutMs: plan.idleTimeoutMs,
    maxSessions: plan.maxSessions,
    ...(plan.allowedSources === undefined ? {} : { allowedSources: plan.allowedSources }),
  };
}

/** Opens the reflector, prints the listening line, waits for a signal, prints the statistics. */
export async function runResponder(plan: ResponderPlan, context: CommandContext): Promise<number> {
  const address = await resolveAddress(plan.local, plan.family, wildcardAddress(plan.family), context);
  let stop: ((signal: CliSignal) => void) | undefined;
  const stopped = new Promise<CliSignal>((resolve) => {
    stop = resolve;
  });
  // Subscribe before opening, so a signal that arrives while the socket opens still stops cleanly.
  const unsubscribe = context.io.onSignal?.((signal) => stop?.(signal));
  try {
    const reflector = await context.engine.openReflector(reflectorOptionsFor(plan, address));
    const startedAt = now(context);
    let stats: ReflectorStats;
    try {
      writeLine(
        context.io.stdout,
        formatListening({
          address: reflector.localAddress,
          port: reflector.localPort,
          protocol: plan.protocol,
          stateful: plan.stateful,
          capabilities: reflector.capabilities,
        }),
      );
      await stopped;
    } finally {
      // Counters as they stood while running (closing forgets the active sessions).
      stats = { ...reflector.stats, dropped: { ...reflector.stats.dropped } };
      reflector.close();
    }
    writeLine(context.io.stdout, formatResponderStats(stats, now(context) - startedAt));
    return ExitCode.Ok;
  } finally {
    unsubscribe?.();
  }
}

/** Commander's accumulator for a repeatable option. */
function collectRepeated(value: string, previous: readonly string[] | undefined): readonly string[] {
  return [...(previous ?? []), value];
}

export function registerResponder(program: Command, context: CommandContext): void {
  program
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
    .option('--max-sessions <n>', `sessions at once, 1-1000000 (default ${DEFAULT_MAX_SESSIONS})`)
    .option('--idle-timeout <seconds>', `forget a session idle this long, 1-86400 s (default ${DEFAULT_IDLE_TIMEOUT_S})`)
    .addHelpText(
      'after',
      `\nPort ${DEFAULT_TEST_PORT} is the IANA twamp-test port and STAMP's default; nokia/twampy's reflector listens on 20001 (pass :20001 to take its place).`,
    )
    .action(async (local: string | undefined, raw: RawResponderOptions) => {
      const plan = parseResponderArguments(local, raw);
      context.exitCode = await runResponder(plan, context);
    });
}
