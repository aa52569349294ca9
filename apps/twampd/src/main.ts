// twampd's process logic: read the command line, load the config, run the Daemon, and turn signals
// into reloads and a graceful stop. The process itself (streams, signals, crashes, exit) is injected,
// so bin.ts is only wiring.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createLogger,
  Daemon,
  type DaemonConfig,
  DaemonExitCode,
  type DaemonLogger,
  daemonVersion,
  exitCodeForFailure,
  formatDaemonFailure,
  loadConfig,
  loadConfigKeys,
  placeConfigError,
} from '@twamp/daemon';
import { HELP_TEXT, parseTwampdArguments } from './arguments.js';

export type TwampdSignal = 'SIGHUP' | 'SIGINT' | 'SIGTERM';

export interface TwampdIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Calls `handler` on each `signal`; returns the unsubscribe. */
  onSignal(signal: TwampdSignal, handler: () => void): () => void;
  /** Calls `handler` on an uncaught exception or unhandled rejection; returns the unsubscribe. */
  onCrash(handler: (error: unknown, origin: string) => void): () => void;
}

/** How long the last log line gets to reach its file when twampd exits at once (second signal, crash). */
const LAST_FLUSH_MS = 500;

/** Runs twampd with `argv` (no `node`, no script); resolves with the exit code once it should exit. */
export async function main(argv: readonly string[], io: TwampdIo): Promise<DaemonExitCode> {
  const plan = parseTwampdArguments(argv);
  switch (plan.kind) {
    case 'usage':
      io.stderr.write(`twampd: ${plan.message}\n(twampd --help lists the options)\n`);
      return DaemonExitCode.Usage;
    case 'help':
      io.stdout.write(HELP_TEXT);
      return DaemonExitCode.Ok;
    case 'version':
      io.stdout.write(versionText());
      return DaemonExitCode.Ok;
    case 'check-config':
      return checkConfig(plan.configPath, io);
    case 'run':
      return run(plan.configPath, io);
  }
}

/** `--check-config`: the config and its key file, validated exactly as a start would; nothing is started. */
async function checkConfig(path: string, io: TwampdIo): Promise<DaemonExitCode> {
  try {
    const config = await loadConfig(path);
    // Usable but weak keys do not fail the check; they are said before the ok line.
    await loadConfigKeys(config, (warning) => io.stderr.write(`warning: ${warning.message}\n`));
    const listeners = (config.listeners.control === undefined ? 0 : 1) + config.listeners.reflectors.length;
    io.stdout.write(`${path}: ok (${plural(listeners, 'listener')}, ${plural(config.agent.targets.length, 'target')})\n`);
    return DaemonExitCode.Ok;
  } catch (error) {
    io.stderr.write(`${formatDaemonFailure(error)}\n`);
    return DaemonExitCode.Usage;
  }
}

async function run(path: string, io: TwampdIo): Promise<DaemonExitCode> {
  let config: DaemonConfig;
  try {
    config = await loadConfig(path);
  } catch (error) {
    // Whatever stops the file from being read or understood is a config mistake: nothing started.
    io.stderr.write(`${formatDaemonFailure(error)}\n`);
    return DaemonExitCode.Usage;
  }
  let logger: DaemonLogger;
  try {
    logger = createLogger(config.logging);
  } catch (error) {
    // A log file that cannot be opened for appending: a ConfigError at logging.destination, shown
    // with the file:line of that key and the absolute path tried.
    io.stderr.write(`${formatDaemonFailure(placeConfigError(config, error))}\n`);
    return exitCodeForFailure(error);
  }
  return new Promise<DaemonExitCode>((resolve) => {
    new Service(path, logger, io, resolve).start(config);
  });
}

/** One running twampd: the daemon, and what signals and crashes do to it. */
class Service {
  readonly #path: string;
  readonly #logger: DaemonLogger;
  readonly #io: TwampdIo;
  readonly #resolve: (code: DaemonExitCode) => void;
  readonly #unsubscribe: (() => void)[] = [];
  #daemon: Daemon | undefined;
  #stopSignal: TwampdSignal | undefined;
  #finished = false;

  constructor(path: string, logger: DaemonLogger, io: TwampdIo, resolve: (code: DaemonExitCode) => void) {
    this.#path = path;
    this.#logger = logger;
    this.#io = io;
    this.#resolve = resolve;
  }

  start(config: DaemonConfig): void {
    const io = this.#io;
    // Handlers first: a signal during start must not kill the process with Node's default action.
    this.#unsubscribe.push(
      io.onSignal('SIGHUP', () => void this.#reload()),
      io.onSignal('SIGTERM', () => {
        this.#stop('SIGTERM');
      }),
      io.onSignal('SIGINT', () => {
        this.#stop('SIGINT');
      }),
      io.onCrash((error, origin) => void this.#crash(error, origin)),
    );
    Daemon.start(config, { logger: this.#logger, configPath: this.#path }).then(
      (daemon) => {
        this.#daemon = daemon;
        // A stop signal that came while starting is honoured now.
        if (this.#stopSignal !== undefined) void this.#gracefulStop(daemon);
      },
      (error: unknown) => void this.#startFailed(error),
    );
  }

  get #log(): DaemonLogger['log'] {
    return this.#logger.log;
  }

  async #reload(): Promise<void> {
    const daemon = this.#daemon;
    if (daemon === undefined || this.#stopSignal !== undefined) {
      this.#log.warn({ event: 'reload-ignored', signal: 'SIGHUP', reason: daemon === undefined ? 'starting' : 'stopping' }, 'SIGHUP ignored');
      return;
    }
    this.#log.info({ event: 'reload-requested', signal: 'SIGHUP', config: this.#path }, 'SIGHUP: reading the config again');
    let next: DaemonConfig;
    try {
      next = await loadConfig(this.#path);
    } catch (error) {
      this.#log.error(
        { event: 'reload-failed', stage: 'config', config: this.#path, mistakes: formatDaemonFailure(error).split('\n') },
        'the config file has mistakes: the running config stays',
      );
      return;
    }
    // The daemon logs what failed (reload-failed) and keeps running.
    await daemon.reload(next).catch(() => undefined);
  }

  #stop(signal: TwampdSignal): void {
    if (this.#stopSignal !== undefined) {
      this.#log.error({ event: 'stop-forced', signal, first: this.#stopSignal }, `${signal} while stopping: exiting at once`);
      void this.#finishAfterFlush(DaemonExitCode.Failure);
      return;
    }
    this.#stopSignal = signal;
    this.#log.info({ event: 'signal', signal }, `${signal}: stopping gracefully`);
    if (this.#daemon !== undefined) void this.#gracefulStop(this.#daemon);
  }

  async #gracefulStop(daemon: Daemon): Promise<void> {
    try {
      await daemon.stop();
      this.#finish(DaemonExitCode.Ok);
    } catch (error) {
      // The daemon logged which part failed to stop (stop-failed).
      this.#io.stderr.write(`${formatDaemonFailure(error)}\n`);
      this.#finish(DaemonExitCode.Failure);
    }
  }

  async #startFailed(error: unknown): Promise<void> {
    this.#log.error({ event: 'start-failed', error: error instanceof Error ? error.message : String(error) }, 'twampd could not start');
    this.#io.stderr.write(`${formatDaemonFailure(error)}\n`);
    await this.#finishAfterFlush(exitCodeForFailure(error));
  }

  async #crash(error: unknown, origin: string): Promise<void> {
    const stack = error instanceof Error ? error.stack : undefined;
    this.#log.error({ event: 'crash', origin, error: error instanceof Error ? error.message : String(error), stack }, 'unexpected error: exiting');
    this.#io.stderr.write(`twampd: unexpected error (${origin}): ${stack ?? String(error)}\n`);
    await this.#finishAfterFlush(DaemonExitCode.Failure);
  }

  async #finishAfterFlush(code: DaemonExitCode): Promise<void> {
    await Promise.race([this.#logger.flush().catch(() => undefined), delay(LAST_FLUSH_MS)]);
    this.#finish(code);
  }

  #finish(code: DaemonExitCode): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#resolve(code);
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `--version`: twampd's, the engine's and Node's versions. */
function versionText(): string {
  // ../package.json is the app's from both src/ (source runs) and dist/ (the published build).
  const app = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return `twampd ${app.version}\n@twamp/daemon ${daemonVersion()}\nNode.js ${process.version}\n`;
}
