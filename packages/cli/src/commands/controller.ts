// `twamp controller [remote] [local]`: a full TWAMP run. A TWAMP-Control client negotiates one test
// session with the server (mode, keys, SID, reflector port), a Session-Sender measures it, and the
// summary is the sender's plus the facts of the control session.
import type { Command } from 'commander';
import type { ControlClientApi } from '@twamp/control';
import { ConfigError, formatEndpoint, formatError, isTwampError, TimeoutError } from '@twamp/errors';
import { reportFailure } from '../errors/index.js';
import { openNegotiatedSender, type SenderReport, type SessionSenderApi } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import { dscpOfTos } from '@twamp/wire';
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
import { type ControlFacts, controlFacts, type ControlJson, controlJson, formatControlFacts, sidText } from '../control/output.js';
import { resolveSecret } from '../control/secret.js';
import { exitCodeForSignal, ExitCode, type CliSignal } from '../io.js';
import { type EndpointArgument, parseEndpoint } from '../options/address.js';
import { chooseFamily } from '../options/network.js';
import { parseDecimalOption, parseIntegerOption } from '../options/numbers.js';
import { debugRequested } from '../options/logging.js';
import { addTestOptions, engineSettings, type RawTestOptions } from '../options/test-options.js';
import { missingCapabilities } from '../output/names.js';
import { RunOutput } from '../output/run-output.js';
import { type SenderJson, senderJson } from '../output/sender-json.js';
import { type CommandContext, writeLine } from './context.js';
import type { CommandLog } from './log.js';
import { loopbackAddress, resolveAddress } from './resolve.js';
import { commandLogFor, describeSchedule, jsonSettings, OUTPUT_HELP, parseTestPlan, runDeadlineMs, runOutputPlan, type SenderPlan } from './sender.js';
import { Watchdog } from './watchdog.js';

/** The control options as commander hands them over (text, checked by parseControlClientOptions). */
export interface RawControlOptions extends RawClientSecurityOptions {
  readonly controlPort?: string;
  readonly controlTimeout?: string;
  readonly sessionTimeout?: string;
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
}

/** `twamp controller`'s options: the control options, and the test options of the table (those it lists). */
export type RawControllerOptions = RawControlOptions & RawTestOptions;

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
  raw: RawControlOptions,
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
export function parseControllerArguments(remoteText: string | undefined, localText: string | undefined, raw: RawControllerOptions, debug = false): ControllerPlan {
  const server = parseEndpoint(remoteText ?? '', { path: 'remote', defaultPort: 0, allowPortZero: true });
  const local = parseEndpoint(localText ?? '', { path: 'local', defaultPort: 0, allowPortZero: true });
  const client = parseControlClientOptions(server, [['local', local]], raw);
  // Every test option the table lists for the controller, read as `twamp sender` reads it (same
  // ranges, same messages): none is forwarded by hand, so none can be dropped.
  const test = parseTestPlan('controller', undefined, localText, { ...raw, ...(client.family === 6 ? { ipv4: false, ipv6: true } : { ipv4: true, ipv6: false }) }, { debug });
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

/** The --json object of a controller run: the sender's, with `command: "controller"` and the control facts. */
function controllerJson(report: SenderReport, facts: ControlFacts, test: SenderPlan): SenderJson & { readonly control: ControlJson } {
  const json = senderJson(report, jsonSettings(test, report, facts.paddingLength), missingCapabilities(report.capabilities));
  return { ...json, command: 'controller', control: controlJson(facts) };
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

/**
 * Ends a control command's failure: prints it and returns the exit code, or undefined when `main`
 * should handle it. `server` is the server as `address:port` once resolved, so a refusal names it.
 */
export function endControlFailure(error: unknown, command: string, controlPort: number, context: CommandContext, server?: string): number | undefined {
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
  writeLine(context.io.stderr, formatControlFailure(error, controlPort, server, command));
  return controlExitCode(error);
}

/** Runs a checked plan: connect, request, start, send, stop, close, print. Returns the exit code. */
export async function runController(plan: ControllerPlan, context: CommandContext, control: ControlEngine): Promise<number> {
  const log = commandLogFor(plan.test, context).open();
  try {
    return await runControllerLogged(plan, context, control, log);
  } finally {
    log.close();
  }
}

async function runControllerLogged(plan: ControllerPlan, context: CommandContext, control: ControlEngine, log: CommandLog): Promise<number> {
  const signals = new RunSignals(context);
  const watchdog = new Watchdog();
  let client: ControlClientApi | undefined;
  let sender: SessionSenderApi | undefined;
  let output: RunOutput | undefined;
  /** The server as `address:port` once resolved: a failure names it (a script loops over servers). */
  let serverEndpoint: string | undefined;
  const { test } = plan;
  try {
    const serverAddress = await signals.step(resolveAddress(plan.server, plan.family, loopbackAddress(plan.family), context));
    serverEndpoint = formatEndpoint(serverAddress, plan.controlPort);
    const localAddress = plan.local.address === undefined ? undefined : await signals.step(resolveAddress(plan.local, plan.family, '', context));
    const secret = await resolveSecret(plan.security, control, context, 'controller');
    log.info(`twamp controller: connecting to ${serverEndpoint}/tcp (modes allowed: ${modeList(plan.security.allowedModes)})`);
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
    const connected = client;
    // Port, Request-TW-Session, Start-Sessions and the sender: the steps twampd's TWAMP targets take.
    // The sender binds where the control connection leaves from unless told otherwise.
    const peerOf = (session: { readonly receiver: { readonly address: string; readonly port: number } }): string =>
      formatEndpoint(session.receiver.address, session.receiver.port);
    /** Made once the session is accepted: the output needs the receiver's address. */
    const run: { out?: RunOutput } = {};
    const negotiated = await openNegotiatedSender({
      client: connected,
      localAddress,
      localPort: plan.local.port,
      receiverPort: plan.server.port,
      paddingLength: plan.paddingLength,
      timeoutSeconds: plan.sessionTimeoutSeconds,
      ...(test.tos === undefined ? {} : { dscp: dscpOfTos(test.tos) }),
      sender: (session) => {
        const out = new RunOutput(runOutputPlan(test, session.receiver.address), context.io, log);
        run.out = out;
        output = out;
        signals.running = true;
        const peer = peerOf(session);
        signals.onFirstWhileRunning = () => {
          const bound = test.lossTimeoutMs + STOP_SLACK_MS;
          watchdog.arm(bound, () => new TimeoutError({ waitingFor: 'the sender to stop after the interrupt', afterMs: bound, peer }));
        };
        return { ...engineSettings(test), onSendTiming: out.onSent, signal: signals.abort.signal };
      },
      step: (promise) => signals.step(promise),
      reservePort: (family, address) => control.reservePort(family, address),
      openSender: (options) => context.engine.openSender(options),
    });
    const { session } = negotiated;
    sender = negotiated.sender;
    const facts = controlFacts(connected, session, plan.server.port);
    const peer = peerOf(session);
    const { out } = run;
    if (out === undefined) throw new Error('the run output is made before the sender opens');
    out.attach(sender);
    out.info(
      `twamp controller: TWAMP ${modeList(connected.mode)} session ${sidText(session.sid)} from ${formatEndpoint(sender.localAddress, sender.localPort)} to ${peer}, ${describeSchedule(test)} (Ctrl-C stops and prints the summary so far)`,
    );
    if (signals.signal !== undefined) signals.onFirstWhileRunning?.();
    const runBound = runDeadlineMs(test);
    watchdog.arm(runBound, () => new TimeoutError({ waitingFor: 'the end of the test session', afterMs: runBound, peer }));
    const report = await signals.step(Promise.race([sender.done, watchdog.expired]));
    // Stop-Sessions, then close: the server keeps reflecting for the Timeout, then releases the port.
    await signals.step(connected.stopSessions()).catch((error: unknown) => {
      if (error instanceof Interrupted) throw error;
      out.warn(`twamp controller: Stop-Sessions failed (the summary stands): ${formatError(error).split('\n')[0] ?? ''}`);
    });
    connected.close();
    out.finish({ report, json: () => controllerJson(report, facts, test), extraText: formatControlFacts(facts) });
    if (signals.signal !== undefined) return exitCodeForSignal(signals.signal);
    if (report.summary.loss.sent > 0 && report.summary.loss.received === 0) {
      const failure = reportFailure(new TimeoutError({ waitingFor: 'any reply', afterMs: test.lossTimeoutMs, peer }), { command: 'controller', reflector: peer });
      out.warn(failure.text);
      return failure.exitCode;
    }
    return ExitCode.Ok;
  } catch (error) {
    output?.dispose();
    if (error instanceof Interrupted && signals.running) {
      writeLine(context.io.stderr, 'twamp controller: interrupted again: stopped without waiting for replies still in flight (no summary)');
      return exitCodeForSignal(error.signal);
    }
    const code = endControlFailure(error, 'controller', plan.controlPort, context, serverEndpoint);
    if (code === undefined) throw error;
    return code;
  } finally {
    output?.dispose();
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

/** Adds `controller` to the program. */
export function registerController(program: Command, context: CommandContext, control: ControlEngine): void {
  const command = program
    .command('controller')
    .description('negotiate a TWAMP test session with a TWAMP server (TWAMP-Control), run it and print per-direction statistics')
    .argument('[remote]', `the server (default 127.0.0.1 or ::1); a port asks for that reflector UDP port (default: the server's choice); ${ADDRESS_HELP}`)
    .argument('[local]', 'local address and UDP port to send test packets from (default the control connection\'s address, a free port)');
  addTestOptions(addControlClientOptions(command), 'controller')
    .addHelpText('after', OUTPUT_HELP)
    .action(async (remote: string | undefined, local: string | undefined, raw: RawControllerOptions, self: Command) => {
      const plan = parseControllerArguments(remote, local, raw, debugRequested(self));
      context.exitCode = await runController(plan, context, control);
    });
}
