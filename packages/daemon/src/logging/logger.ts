// twampd's logger: pino JSON lines (ISO time, level by name, `service: "twampd"`) to stderr, stdout or
// a file opened for appending. Writes are asynchronous (pino.destination with sync: false, so a slow
// disk never stalls the data path); pino flushes synchronously on process exit, and `flush()` lets the
// daemon wait for the file before it exits on SIGTERM. `reopen()` re-opens the file by name after
// logrotate has moved it (SIGHUP).
import { ConfigError } from '@twamp/errors';
import { type Logger, pino } from 'pino';
import { appendProblem, logFileOf } from '../config/paths.js';
import type { DaemonLog, LoggingConfig, LogLevel } from '../types.js';
import { redactSecrets } from './redact.js';

export interface DaemonLogger {
  readonly log: DaemonLog;
  setLevel(level: LogLevel): void;
  /** Re-open a file destination by its name (logrotate); a no-op for stderr and stdout. */
  reopen(): void;
  /** Resolves once every line logged so far has been handed to the operating system. */
  flush(): Promise<void>;
}

/** The value of `service` in every line. */
export const LOG_SERVICE = 'twampd';

type Destination = ReturnType<typeof pino.destination>;

/** Fields of SonicBoom that say whether a write is still pending (not in its typings; see `idle`). */
interface SonicBoomProgress {
  readonly _writing?: unknown;
  readonly _len?: unknown;
  readonly fd?: unknown;
}

export function createLogger(config: LoggingConfig): DaemonLogger {
  const file = logFileOf(config.destination);
  if (file !== undefined) assertAppendable(file);
  const stream = pino.destination({
    dest: file ?? (config.destination === 'stdout' ? 1 : 2),
    sync: false,
    append: true,
    minLength: 0,
  });
  // A failed write (disk full, file removed under us) must not crash the daemon through an
  // unhandled 'error' event: say it once on stderr and keep serving.
  let reported = false;
  stream.on('error', (error: unknown) => {
    if (reported) return;
    reported = true;
    process.stderr.write(`twampd: cannot write the log ${config.destination}: ${String(error)}\n`);
  });
  const logger = pino(
    {
      level: config.level,
      base: { service: LOG_SERVICE },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactSecrets(bindings),
        log: (fields) => redactSecrets(fields),
      },
    },
    stream,
  );
  return {
    log: new RedactingLog(logger),
    setLevel(level) {
      logger.level = level;
    },
    reopen() {
      if (file === undefined) return;
      stream.reopen();
    },
    flush: () => idle(stream),
  };
}

/**
 * The pino logger seen through DaemonLog. Fields of each call are redacted by the root's `log`
 * formatter, which children inherit; child bindings are not (pino runs the `bindings` formatter for
 * the root's base only), so child() redacts them here.
 */
class RedactingLog implements DaemonLog {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  error(fields: object, message: string): void {
    this.#logger.error(fields, message);
  }

  warn(fields: object, message: string): void {
    this.#logger.warn(fields, message);
  }

  info(fields: object, message: string): void {
    this.#logger.info(fields, message);
  }

  debug(fields: object, message: string): void {
    this.#logger.debug(fields, message);
  }

  child(bindings: Readonly<Record<string, unknown>>): DaemonLog {
    return new RedactingLog(this.#logger.child(redactSecrets(bindings)));
  }
}

/**
 * SonicBoom opens the file asynchronously and would report a bad path as an 'error' event later; the
 * daemon must refuse to start instead, with the config path that holds the mistake (twampd adds the
 * file:line of the key, placeConfigError) and the absolute path tried.
 */
function assertAppendable(path: string): void {
  const problem = appendProblem(path);
  if (problem === undefined) return;
  throw new ConfigError([
    {
      path: 'logging.destination',
      expected: 'stderr, stdout, or a file this user may create or append to',
      received: `${JSON.stringify(path)} (${problem})`,
    },
  ]);
}

/**
 * Resolves when the stream has nothing in flight. SonicBoom's own flush(cb) calls back at once when
 * minLength is 0 (the lines are "already written", though an fs.write may still be running), and
 * emits 'drain' only after a write, so we read its progress fields; if a future version renames
 * them, flushSync() (what pino itself does on exit) still empties the queue.
 */
async function idle(stream: Destination): Promise<void> {
  const progress = stream as unknown as SonicBoomProgress;
  if (typeof progress.fd === 'number' && progress.fd < 0) {
    await new Promise<void>((resolve) => {
      stream.once('ready', () => {
        resolve();
      });
      stream.once('error', () => {
        resolve();
      });
    });
  }
  if (typeof progress._writing !== 'boolean' || typeof progress._len !== 'number') {
    try {
      stream.flushSync();
    } catch {
      // Destroyed or not open: nothing more can be written anyway.
    }
    return;
  }
  // Each completed fs.write emits 'write'; the last one (nothing queued) also 'drain'. A failed write
  // ends the wait: what is left cannot be written.
  while (progress._writing) {
    if (await nextWrite(stream)) return;
  }
}

/** Resolves after the stream's next write (false) or error (true). */
function nextWrite(stream: Destination): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const done = (error?: unknown): void => {
      stream.off('drain', done);
      stream.off('write', done);
      stream.off('error', done);
      resolve(error instanceof Error);
    };
    stream.on('drain', done);
    stream.on('write', done);
    stream.on('error', done);
  });
}
