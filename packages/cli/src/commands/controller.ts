// `twamp controller [remote] [local]`: a full TWAMP run. A TWAMP-Control client negotiates one test
// session with the server (mode, keys, SID, reflector port), a Session-Sender measures it, and the
// summary is the sender's plus the facts of the control session.
import type { Command } from 'commander';
import type { ControlClientApi, NegotiatedSession } from '@twamp/control';
import { ConfigError, formatError, isTwampError, TimeoutError } from '@twamp/errors';
import type { SenderOptions, SenderReport, SessionSenderApi } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import type { ControlEngine } from '../control/engine.js';
import { PromptInterrupted } from '../control/engine.js';
import { controlExitCode, formatControlFailure } from '../control/failures.js';
import {
  type ClientSecurityPlan,
  collectRepeated,
  DEFAULT_CONTROL_PORT,
  DEFAULT_CONTROL_TIMEOUT_MS,
  DEFAULT_SESSION_TIMEOUT_S,
  modeList,
  parseClientSecurity,
  type RawClientSecurityOptions,
} from '../control/options.js';
import { type ControlFacts, controlJson, formatControlFacts, sidText } from '../control/output.js';
import { resolveSecret } from '../control/secret.js';
import { exitCodeForSignal, ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, formatEndpoint, parseEndpoint } from '../options/address.js';
import { chooseFamily } from '../options/network.js';
import { parseDecimalOption, parseIntegerOption } from '../options/numbers.js';
import { usageError } from '../options/usage-error.js';
import { missingCapabilities } from '../output/names.js';
import { senderJson } from '../output/sender-json.js';
import { formatSenderSummary } from '../output/sender-summary.js';
import { type CommandContext, writeLine } from './context.js';
import { loopbackAddress, resolveAddress } from './resolve.js';
import { parseSenderArguments, runDeadlineMs, type SenderPlan, senderOptionsFor } from './sender.js';
import { Watchdog } from './watchdog.js';

export interface RawControllerOptions extends RawClientSecurityOptions {
  readonly controlPort?: string;
  readonly controlTimeout?: string;
  readonly sessionTimeout?: string;
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
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

/** Options every control client command shares (controller, controlclient). */
export interface ControlClientPlan {
  /** The server's address; its port is the receiver (reflector) UDP port to ask for, 0 = the server's choice. */
  readonly server: EndpointArgument;
  readonly controlPort: number;
  readonly family: IpFamily;
  readonly security: ClientSecurityPlan;
  readonly controlTimeoutMs: number;
  readonly sessionTimeoutSeconds: number;
}

export interface ControllerPlan extends ControlClientPlan {
  /** The sender's settings (count, interval, padding, TOS, TTL, ...), as `twamp sender` checks them. */
  readonly test: SenderPlan;
  readonly local: EndpointArgument;
  /** Padding Length to request; undefined: symmetric for the mode (the control client's default). */
  readonly paddingLength: number | undefined;
}

export function parseControlPort(text: string | undefined, allowZero = false): number {
  if (text === undefined) return DEFAULT_CONTROL_PORT;
  return parseIntegerOption(text, { path: '--control-port', min: allowZero ? 0 : 1, max: 65535 });
}

export function parseControlClientOptions(
  server: EndpointArgument,
  others: readonly (readonly [string, EndpointArgument])[],
  raw: RawClientSecurityOptions & Pick<RawControllerOptions, 'controlPort' | 'controlTimeout' | 'sessionTimeout' | 'ipv4' | 'ipv6'>,
): ControlClientPlan {
  return {
    server,
    controlPort: parseControlPort(raw.controlPort),
    family: chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, [['remote', server], ...others]),
    security: parseClientSecurity(raw),
    controlTimeoutMs:
      raw.controlTimeout === undefined
        ? DEFAULT_CONTROL_TIMEOUT_MS
        : parseIntegerOption(raw.controlTimeout, { path: '--control-timeout', min: 1, max: 3_600_000, unit: 'ms' }),
    sessionTimeoutSeconds:
      raw.sessionTimeout === undefined
        ? DEFAULT_SESSION_TIMEOUT_S
        : parseDecimalOption(raw.sessionTimeout, { path: '--session-timeout', min: 0, max: 86_400, unit: 'seconds' }),
  };
}

/** Checks every argument of `twamp controller`; throws a ConfigError naming the first bad one. Pure. */
export function parseControllerArguments(remoteText: string | undefined, localText: string | undefined, raw: RawControllerOptions): ControllerPlan {
  const server = parseEndpoint(remoteText ?? '', { path: 'remote', defaultPort: 0, allowPortZero: true });
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: 0, allowPortZero: true });
  const client = parseControlClientOptions(server, [['local', local]], raw);
  // The test settings exactly as `twamp sender` reads them (same ranges, same messages).
  const test = parseSenderArguments(undefined, localText, {
    ...(raw.count === undefined ? {} : { count: raw.count }),
    ...(raw.interval === undefined ? {} : { interval: raw.interval }),
    ...(raw.padding === undefined ? {} : { padding: raw.padding }),
    ...(raw.tos === undefined ? {} : { tos: raw.tos }),
    ...(raw.dscp === undefined ? {} : { dscp: raw.dscp }),
    ...(raw.ttl === undefined ? {} : { ttl: raw.ttl }),
    ...(raw.lossTimeout === undefined ? {} : { lossTimeout: raw.lossTimeout }),
    ...(raw.percentiles === undefined ? {} : { percentiles: raw.percentiles }),
    doNotFragment: raw.doNotFragment === true,
    json: raw.json === true,
    ...(client.family === 6 ? { ipv6: true } : { ipv4: true }),
  });
  if (test.padding === 'imix') {
    throw usageError('--padding', 'a number of octets or symmetric (a TWAMP session has one Padding Length)', 'imix');
  }
  return { ...client, test, local, paddingLength: typeof test.padding === 'number' ? test.padding : undefined };
}

/** Stopped by a signal while a step of the setup was awaited. */
class Interrupted extends Error {
  readonly signal: CliSignal;
  constructor(signal: CliSignal) {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

/** Slack on top of the loss timeout for the engine to wind down and report. */
const STOP_SLACK_MS = 5000;

function familyOf(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

/** Facts of the negotiated session, for the summary. */
function factsOf(client: ControlClientApi, session: NegotiatedSession, requestedReceiverPort: number): ControlFacts {
  return {
    server: client.server,
    mode: client.mode,
    serverModes: client.serverModes,
    sid: session.sid,
    sender: session.sender,
    receiver: session.receiver,
    requestedReceiverPort,
    paddingLength: session.paddingLength,
    timeoutSeconds: session.timeoutSeconds,
    dscp: session.dscp,
  };
}

function printReport(plan: ControllerPlan, report: SenderReport, facts: ControlFacts, context: CommandContext): void {
  const { test } = plan;
  if (test.json) {
    const settings = {
      count: test.count,
      intervalMs: test.intervalMs,
      padding: facts.paddingLength,
      tos: test.tos ?? null,
      ttl: test.ttl ?? null,
      dontFragment: test.dontFragment,
      lossTimeoutMs: test.lossTimeoutMs,
      ssid: null,
    };
    const json = { ...senderJson(report, settings, missingCapabilities(report.capabilities)), command: 'controller', control: controlJson(facts) };
    writeLine(context.io.stdout, JSON.stringify(json));
  } else {
    const summary = formatSenderSummary(report, test.percentiles === undefined ? {} : { percentiles: test.percentiles });
    writeLine(context.io.stdout, `${summary}\n${formatControlFacts(facts)}`);
  }
}

/**
 * Signals for a run made of steps: during the setup the first signal interrupts at once; once the
 * test runs, the first one stops sending (in-flight packets keep their loss timeout) and a second
 * one stops waiting.
 */
export class RunSignals {
  /** Rejects with Interrupted; raced against every await. */
  readonly interrupted: Promise<never>;
  readonly abort = new AbortController();
  signal: CliSignal | undefined;
  running = false;
  onFirstWhileRunning: (() => void) | undefined;
  #reject: (error: Interrupted) => void = () => undefined;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(context: CommandContext) {
    this.interrupted = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.interrupted.catch(() => undefined);
    this.#unsubscribe = context.io.onSignal?.((signal) => {
      if (this.signal === undefined) {
        this.signal = signal;
        if (this.running) {
          this.abort.abort();
          this.onFirstWhileRunning?.();
          return;
        }
      }
      this.#reject(new Interrupted(signal));
    });
  }

  /** `promise`, or Interrupted if a signal comes first. */
  step<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.interrupted]);
  }

  dispose(): void {
    this.#unsubscribe?.();
  }
}

/** Ends a control command's failure: prints it and returns the exit code, or undefined when `main` should handle it. */
export function endControlFailure(error: unknown, command: string, controlPort: number, context: CommandContext): number | undefined {
  if (error instanceof Interrupted) {
    writeLine(context.io.stderr, `twamp ${command}: interrupted (${error.signal})`);
    return exitCodeForSignal(error.signal);
  }
  if (error instanceof PromptInterrupted) {
    writeLine(context.io.stderr, `twamp ${command}: interrupted at the passphrase prompt`);
    return ExitCode.Interrupted;
  }
  // Usage errors (exit 2) and unexpected errors (exit 1, stack with -d) are main's to print.
  if (error instanceof ConfigError || !isTwampError(error)) return undefined;
  writeLine(context.io.stderr, formatControlFailure(error, controlPort));
  return controlExitCode(error);
}

/** Runs a checked plan: connect, request, start, send, stop, close, print. Returns the exit code. */
export async function runController(plan: ControllerPlan, context: CommandContext, control: ControlEngine): Promise<number> {
  const signals = new RunSignals(context);
  const watchdog = new Watchdog();
  let client: ControlClientApi | undefined;
  let sender: SessionSenderApi | undefined;
  const { test } = plan;
  try {
    const serverAddress = await signals.step(resolveAddress(plan.server, plan.family, loopbackAddress(plan.family), context));
    const localAddress = plan.local.address === undefined ? undefined : await signals.step(resolveAddress(plan.local, plan.family, '', context));
    const secret = await resolveSecret(plan.security, control, context, 'controller');
    const serverEndpoint = formatEndpoint(serverAddress, plan.controlPort);
    writeLine(context.io.stderr, `twamp controller: connecting to ${serverEndpoint}/tcp (modes allowed: ${modeList(plan.security.allowedModes)})`);
    const connecting = control.connect({
      server: { address: serverAddress, port: plan.controlPort },
      ...(localAddress === undefined ? {} : { local: { address: localAddress } }),
      allowedModes: plan.security.allowedModes,
      ...(plan.security.keyId === undefined ? {} : { keyId: plan.security.keyId }),
      ...(secret === undefined ? {} : { secret }),
      timeoutMs: plan.controlTimeoutMs,
    });
    // A client that connects after an interrupt must still be closed.
    connecting
      .then((late) => {
        if (signals.signal !== undefined) late.close();
      })
      .catch(() => undefined);
    client = await signals.step(connecting);
    // The sender binds where the control connection leaves from unless told otherwise, so the
    // server's view of a zero Sender Address (the control connection's) is where packets come from.
    const senderAddress = localAddress ?? client.local.address;
    const senderPort = plan.local.port !== 0 ? plan.local.port : await signals.step(control.reservePort(familyOf(senderAddress), senderAddress));
    const session = await signals.step(
      client.requestSession({
        sender: { ...(localAddress === undefined ? {} : { address: localAddress }), port: senderPort },
        receiver: { port: plan.server.port },
        ...(plan.paddingLength === undefined ? {} : { paddingLength: plan.paddingLength }),
        timeoutSeconds: plan.sessionTimeoutSeconds,
        ...(test.tos === undefined ? {} : { dscp: test.tos >> 2 }),
      }),
    );
    const facts = factsOf(client, session, plan.server.port);
    await signals.step(client.startSessions());
    const crypto = session.createCrypto();
    const options: SenderOptions = {
      ...senderOptionsFor(test, session.receiver.address, senderAddress, signals.abort.signal),
      target: { address: session.receiver.address, port: session.receiver.port },
      local: { address: senderAddress, port: session.sender.port },
      family: familyOf(session.receiver.address),
      protocol: 'twamp',
      layout: session.layout,
      ...(crypto === undefined ? {} : { crypto }),
      padding: session.paddingLength,
    };
    signals.running = true;
    const peer = formatEndpoint(session.receiver.address, session.receiver.port);
    signals.onFirstWhileRunning = () => {
      const bound = test.lossTimeoutMs + STOP_SLACK_MS;
      watchdog.arm(bound, () => new TimeoutError({ waitingFor: 'the sender to stop after the interrupt', afterMs: bound, peer }));
    };
    sender = await signals.step(context.engine.openSender(options));
    writeLine(
      context.io.stderr,
      `twamp controller: TWAMP ${modeList(client.mode)} session ${sidText(session.sid)} from ${formatEndpoint(sender.localAddress, sender.localPort)} to ${peer}, ${test.count} packets every ${test.intervalMs} ms (Ctrl-C stops and prints the summary so far)`,
    );
    if (signals.signal !== undefined) signals.onFirstWhileRunning();
    const runBound = runDeadlineMs(test);
    watchdog.arm(runBound, () => new TimeoutError({ waitingFor: 'the end of the test session', afterMs: runBound, peer }));
    const report = await signals.step(Promise.race([sender.done, watchdog.expired]));
    // Stop-Sessions, then close: the server keeps reflecting for the Timeout, then releases the port.
    await signals.step(client.stopSessions()).catch((error: unknown) => {
      if (error instanceof Interrupted) throw error;
      writeLine(context.io.stderr, `twamp controller: Stop-Sessions failed (the summary stands): ${formatError(error).split('\n')[0] ?? ''}`);
    });
    client.close();
    printReport(plan, report, facts, context);
    if (signals.signal !== undefined) return exitCodeForSignal(signals.signal);
    if (report.summary.loss.sent > 0 && report.summary.loss.received === 0) {
      writeLine(context.io.stderr, formatError(new TimeoutError({ waitingFor: 'any reply', afterMs: test.lossTimeoutMs, peer })));
      return ExitCode.Failure;
    }
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof Interrupted && signals.running) {
      writeLine(context.io.stderr, 'twamp controller: interrupted again: stopped without waiting for replies still in flight (no summary)');
      return exitCodeForSignal(error.signal);
    }
    const code = endControlFailure(error, 'controller', plan.controlPort, context);
    if (code === undefined) throw error;
    return code;
  } finally {
    watchdog.cancel();
    signals.dispose();
    sender?.stop();
    client?.close();
  }
}

const ADDRESS_HELP = 'forms: ip, ip:port, [ipv6]:port, [ipv6], ipv6, :port, host[:port]';

/** The options controller and controlclient share. */
export function addControlClientOptions(command: Command): Command {
  return command
    .option('-4, --ipv4', 'use IPv4 (default unless an address is IPv6)')
    .option('-6, --ipv6', 'use IPv6')
    .option('--control-port <port>', `TWAMP-Control TCP port of the server (default ${DEFAULT_CONTROL_PORT})`)
    .option('--mode <modes>', 'security modes allowed: open, auth, encrypted, mixed (repeatable or comma list; default all with --user, else open)', collectRepeated)
    .option('--user <keyid>', 'key identity (KeyID) for authenticated, encrypted and mixed modes')
    .option('--key-file <file>', 'read the secret of --user from this key file (perfSONAR "identity hex", or "identity: passphrase")')
    .option('--passphrase-env <var>', 'read the passphrase of --user from this environment variable (else: asked on the terminal, not echoed)')
    .option('--control-timeout <ms>', `give up on the server after this long without an answer, 1-3600000 ms (default ${DEFAULT_CONTROL_TIMEOUT_MS})`)
    .option('--session-timeout <s>', `how long the reflector keeps answering after Stop-Sessions, 0-86400 s (default ${DEFAULT_SESSION_TIMEOUT_S})`);
}

export const CONTROL_EXIT_HELP =
  '\nExit codes: 0 done, 1 failed (no server, no reply), 2 usage error, 3 refused by the server (Accept code shown), 4 timed out, 130/143 interrupted.';

/** Adds `controller` to the program. */
export function registerController(program: Command, context: CommandContext, control: ControlEngine): void {
  const command = program
    .command('controller')
    .description('negotiate a TWAMP test session with a TWAMP server (TWAMP-Control), run it and print per-direction statistics')
    .argument('[remote]', `the server (default 127.0.0.1 or ::1); a port asks for that reflector UDP port (default: the server's choice); ${ADDRESS_HELP}`)
    .argument('[local]', 'local address and UDP port to send test packets from (default the control connection\'s address, a free port)');
  addControlClientOptions(command)
    .option('-c, --count <n>', 'test packets to send, 1-4294967295 (default 100)')
    .option('-i, --interval <ms>', 'milliseconds between packets, fractions allowed, 0.001-3600000 (default 100)')
    .option('--padding <octets>', 'Padding Length 0-9000, or symmetric (the mode\'s: 27 open/mixed, 64 authenticated/encrypted; default)')
    .option('--tos <n>', 'TOS / Traffic Class octet of test packets, 0-255; its DSCP goes into the request (Type-P)')
    .option('--dscp <name|n>', 'DSCP by name (ef, af41, ...) or number 0-63, for test packets and the request (Type-P)')
    .option('--ttl <n>', 'TTL / Hop Limit of test packets, 1-255 (default 255)')
    .option('--do-not-fragment', 'set the don\'t-fragment bit on test packets')
    .option('--loss-timeout <ms>', 'a packet unanswered this long is lost, 1-3600000 ms (default 2000)')
    .option('--percentiles <list>', 'extra delay percentiles to show, e.g. 90,99,99.9')
    .option('--json', 'print one JSON object (the sender\'s schema version 1, command "controller", plus "control")')
    .addHelpText('after', CONTROL_EXIT_HELP)
    .action(async (remote: string | undefined, local: string | undefined, raw: RawControllerOptions) => {
      const plan = parseControllerArguments(remote, local, raw);
      context.exitCode = await runController(plan, context, control);
    });
}
