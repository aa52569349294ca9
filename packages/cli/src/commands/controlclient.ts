// `twamp controlclient [sender] [server]`: TWAMP-Control for a third-party Session-Sender. It asks a
// server for sessions whose Sender Address is the given sender, starts them, prints the SID and the
// ports that sender must use, and stops them on Ctrl-C or after --duration.
import { formatEndpoint } from '@twamp/errors';
import type { Command } from 'commander';
import type { ControlClientApi, NegotiatedSession } from '@twamp/control';
import { dscpOfTos, Mode } from '@twamp/wire';
import type { ControlEngine } from '../control/engine.js';
import { modeList, type RawClientSecurityOptions } from '../control/options.js';
import { controlFacts, type ControlJson, controlJson, sidText } from '../control/output.js';
import { resolveSecret } from '../control/secret.js';
import { ExitCode } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { addLoggingOptions, debugRequested, type LoggingPlan, parseLoggingOptions, parseRecordFormat, type RawLoggingOptions, type RecordFormat } from '../options/logging.js';
import { parseTosOptions } from '../options/network.js';
import { parseDecimalOption, parseIntegerOption } from '../options/numbers.js';
import { usageError } from '../options/usage-error.js';
import { type CommandContext, now } from './context.js';
import {
  addControlClientOptions,
  type ControlClientPlan,
  endControlFailure,
  parseControlClientOptions,
  type RawControllerOptions,
  RunSignals,
} from './controller.js';
import { CommandLog } from './log.js';
import { loopbackAddress, resolveAddress } from './resolve.js';

export const MAX_CONTROLCLIENT_SESSIONS = 64;

export interface RawControlClientOptions
  extends RawClientSecurityOptions, RawLoggingOptions, Pick<RawControllerOptions, 'controlPort' | 'controlTimeout' | 'sessionTimeout' | 'ipv4' | 'ipv6' | 'tos' | 'dscp' | 'json'> {
  readonly jsonl?: boolean;
  readonly sessions?: string;
  readonly padding?: string;
  readonly duration?: string;
}

export interface ControlClientCommandPlan extends ControlClientPlan {
  /** The third-party Session-Sender (no address: the control connection's, i.e. this host). */
  readonly sender: EndpointArgument;
  readonly sessions: number;
  readonly paddingLength: number | undefined;
  readonly dscp: number | undefined;
  /** Stop after this long; undefined: on Ctrl-C only. */
  readonly durationMs: number | undefined;
  /** --json: one object once the sessions started (the same as `format === 'json'`). */
  readonly json: boolean;
  readonly format: RecordFormat;
  readonly logging: LoggingPlan;
}

/** Checks every argument of `twamp controlclient`; throws a ConfigError naming the first bad one. Pure. */
export function parseControlClientArguments(
  senderText: string | undefined,
  serverText: string | undefined,
  raw: RawControlClientOptions,
  debug = false,
): ControlClientCommandPlan {
  // The Sender Port goes into Request-TW-Session and servers refuse 0 there: the port is required.
  const sender = parseEndpoint(senderText ?? '', { path: 'sender', defaultPort: 0, allowPortZero: false });
  if (sender.port === 0) throw usageError('sender', 'the Session-Sender\'s UDP port (ip:port, [ipv6]:port or :port): servers need it in the request', senderText ?? '');
  const server = parseEndpoint(serverText ?? '', { path: 'server', defaultPort: 0, allowPortZero: true });
  const client = parseControlClientOptions(server, [['sender', sender]], raw);
  const tos = parseTosOptions(raw.tos, raw.dscp);
  const format = parseRecordFormat(raw);
  return {
    ...client,
    sender,
    sessions: raw.sessions === undefined ? 1 : parseIntegerOption(raw.sessions, { path: '--sessions', min: 1, max: MAX_CONTROLCLIENT_SESSIONS, unit: 'sessions' }),
    paddingLength: raw.padding === undefined ? undefined : parseIntegerOption(raw.padding, { path: '--padding', min: 0, max: 9000, unit: 'octets' }),
    dscp: tos === undefined ? undefined : dscpOfTos(tos),
    durationMs: raw.duration === undefined ? undefined : parseDecimalOption(raw.duration, { path: '--duration', min: 0.001, max: 31_536_000, unit: 'seconds' }) * 1000,
    json: format === 'json',
    format,
    logging: parseLoggingOptions(raw, debug),
  };
}

/** `session <sid>: send from A:p to B:q/udp, mode ..., padding n, Timeout t s`. */
export function formatThirdPartySession(session: NegotiatedSession, mode: number): string {
  return `twamp controlclient: session ${sidText(session.sid)}: the sender sends from ${formatEndpoint(session.sender.address, session.sender.port)} to ${formatEndpoint(session.receiver.address, session.receiver.port)}/udp, TWAMP ${modeList(mode)}, padding ${session.paddingLength} octets, Timeout ${session.timeoutSeconds} s, DSCP ${session.dscp ?? 0}`;
}

const MAX_TIMER_MS = 2_147_483_647;

/** Resolves after `ms` (re-armed in steps beyond a timer's range); never when undefined. */
function sleep(ms: number | undefined): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    if (ms === undefined) return;
    const due = Date.now() + ms;
    const arm = (): void => {
      const left = due - Date.now();
      if (left <= 0) resolve();
      else timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    arm();
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
    },
  };
}

/** What the server accepted for one session, as the JSON of `--json` and `--jsonl`. */
function sessionJson(client: ControlClientApi, session: NegotiatedSession, requestedReceiverPort: number): ControlJson {
  return controlJson(controlFacts(client, session, requestedReceiverPort));
}

export async function runControlClient(plan: ControlClientCommandPlan, context: CommandContext, control: ControlEngine): Promise<number> {
  // Opened first: a log file that cannot be written is a usage error, before anything connects.
  const log = new CommandLog(plan.logging, plan.format, context.io).open();
  const time = (): string => new Date(now(context)).toISOString();
  const signals = new RunSignals(context);
  let client: ControlClientApi | undefined;
  let duration: ReturnType<typeof sleep> | undefined;
  /** The server as `address:port` once resolved: a failure names it. */
  let serverEndpoint: string | undefined;
  try {
    const serverAddress = await signals.step(resolveAddress(plan.server, plan.family, loopbackAddress(plan.family), context));
    serverEndpoint = formatEndpoint(serverAddress, plan.controlPort);
    const senderAddress = plan.sender.address === undefined ? undefined : await signals.step(resolveAddress(plan.sender, plan.family, '', context));
    const secret = await resolveSecret(plan.security, control, context, 'controlclient');
    const connecting = control.connect({
      server: { address: serverAddress, port: plan.controlPort },
      allowedModes: plan.security.allowedModes,
      ...(plan.security.keyId === undefined ? {} : { keyId: plan.security.keyId }),
      ...(secret === undefined ? {} : { secret }),
      timeoutMs: plan.controlTimeoutMs,
    });
    connecting
      .then((late) => {
        if (signals.signal !== undefined) late.close();
      })
      .catch(() => undefined);
    log.debug(`controlclient: connecting to ${serverEndpoint}/tcp, modes allowed ${modeList(plan.security.allowedModes)}`);
    client = await signals.step(connecting);
    log.detail(`twamp controlclient: connected to ${formatEndpoint(client.server.address, client.server.port)}/tcp, mode ${modeList(client.mode)} (server offers ${modeList(client.serverModes)})`);
    if ((client.mode & (Mode.Authenticated | Mode.Encrypted)) !== 0) {
      // Test keys derive from this connection's session keys, which only this process knows.
      log.warn(`twamp controlclient: warning: mode ${modeList(client.mode)} protects test packets with keys of this control connection; a third-party sender cannot produce them (use --mode mixed or open)`);
    }
    const sessions: NegotiatedSession[] = [];
    for (let i = 0; i < plan.sessions; i++) {
      const session = await signals.step(
        client.requestSession({
          sender: { ...(senderAddress === undefined ? {} : { address: senderAddress }), port: plan.sender.port },
          receiver: { port: plan.server.port },
          ...(plan.paddingLength === undefined ? {} : { paddingLength: plan.paddingLength }),
          timeoutSeconds: plan.sessionTimeoutSeconds,
          ...(plan.dscp === undefined ? {} : { dscp: plan.dscp }),
        }),
      );
      log.detail(`twamp controlclient: session ${i + 1} of ${plan.sessions} accepted: SID ${sidText(session.sid)}, reflector port ${session.receiver.port}`);
      sessions.push(session);
    }
    await signals.step(client.startSessions());
    const started = client;
    if (plan.format === 'json') {
      const json = {
        schemaVersion: 1,
        command: 'controlclient',
        sessions: sessions.map((session) => sessionJson(started, session, plan.server.port)),
      };
      context.io.stdout.write(`${JSON.stringify(json)}\n`);
    } else if (plan.format === 'jsonl') {
      for (const session of sessions) log.record({ type: 'session', time: time(), ...sessionJson(started, session, plan.server.port) });
      log.record({ type: 'started', time: time(), sessions: sessions.length, durationMs: plan.durationMs ?? null });
    } else {
      for (const session of sessions) log.result(formatThirdPartySession(session, started.mode));
    }
    const until = plan.durationMs === undefined ? 'until Ctrl-C' : `for ${plan.durationMs / 1000} s (or until Ctrl-C)`;
    log.info(`twamp controlclient: ${sessions.length} ${sessions.length === 1 ? 'session' : 'sessions'} started with ${formatEndpoint(started.server.address, started.server.port)}; running ${until}`);
    duration = sleep(plan.durationMs);
    // The end: the duration, a signal (a normal way to stop here), or the server closing on us.
    const ended = await Promise.race([
      duration.promise.then(() => 'duration' as const),
      signals.interrupted.catch(() => 'signal' as const),
      started.closed.then(() => 'closed' as const),
    ]);
    if (ended === 'closed') {
      log.warn('twamp controlclient: the server closed the control connection; the sessions are over');
      log.record({ type: 'stopped', time: time(), reason: 'server closed the connection' });
      return ExitCode.Failure;
    }
    await started.stopSessions();
    started.close();
    const reason = ended === 'signal' ? `on ${signals.signal ?? 'a signal'}` : 'duration reached';
    log.info(`twamp controlclient: sessions stopped (${reason})`);
    log.record({ type: 'stopped', time: time(), reason });
    return ExitCode.Ok;
  } catch (error) {
    const code = endControlFailure(error, 'controlclient', plan.controlPort, context, serverEndpoint);
    if (code === undefined) throw error;
    return code;
  } finally {
    duration?.cancel();
    signals.dispose();
    client?.close();
    log.close();
  }
}

export function registerControlClient(program: Command, context: CommandContext, control: ControlEngine): void {
  const command = program
    .command('controlclient')
    .description('set up and start TWAMP test sessions for another Session-Sender; stop them on Ctrl-C or after --duration')
    .argument('<sender>', 'the Session-Sender\'s address and UDP port, e.g. 192.0.2.7:20000 or :20000 (this host)')
    .argument('[server]', 'the TWAMP server (default 127.0.0.1 or ::1); a port asks for that reflector UDP port (default: the server\'s choice)');
  addControlClientOptions(command)
    .option('--sessions <n>', `sessions to set up, 1-${MAX_CONTROLCLIENT_SESSIONS} (default 1)`)
    .option('--padding <octets>', 'Padding Length the sender will use, 0-9000 (default symmetric for the mode)')
    .option('--tos <n>', 'TOS whose DSCP goes into the request (Type-P), 0-255')
    .option('--dscp <name|n>', 'DSCP for the request (Type-P): a name (ef, af41, ...) or 0-63')
    .option('--duration <s>', 'stop the sessions after this many seconds (default: on Ctrl-C)')
    .option('--json', 'print the sessions as one JSON object once they started')
    .option('--jsonl', 'print JSON Lines: a record per session, then started and stopped');
  addLoggingOptions(command, 'also print the mode the server chose and each session as it is accepted')
    .addHelpText('after', '\nCtrl-C is the normal way to stop: the sessions are stopped and the exit code is 0. The output has no colour; --no-color is accepted.')
    .action(async (sender: string | undefined, server: string | undefined, raw: RawControlClientOptions, self: Command) => {
      const plan = parseControlClientArguments(sender, server, raw, debugRequested(self));
      context.exitCode = await runControlClient(plan, context, control);
    });
}
