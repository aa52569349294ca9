// Where a long-running command's lines go, by kind and by the logging options. The rule (docs/usage.md,
// "Output streams"): stdout carries what the command produces, stderr what it says about itself.
//   result   what the command produces (statistics, interval reports): stdout in text mode; stderr
//            when stdout carries JSON (--json, --jsonl), so stdout stays machine-readable
//   info     status lines: starting, listening on (what a script waits for), stopping: stderr,
//            like a sender's start line, whatever the output format
//   verbose  -v only: per-session events, packet rates (stdout in text mode, like results)
//   debug    -d only: stderr
//   warn     always on stderr, -q or not
//   record   a JSON Lines record on stdout (--jsonl; its `listening` record is the machine's form)
// -q silences results, info and verbose lines on the terminal; the log file (-l) still gets every line
// the verbosity asks for, each with a UTC timestamp, so `-q -l FILE` is a quiet service with a log.
import { closeSync, openSync, writeSync } from 'node:fs';
import { ConfigError } from '@twamp/errors';
import type { CliIo } from '../io.js';
import type { LoggingPlan, RecordFormat } from '../options/logging.js';

export class CommandLog {
  readonly plan: LoggingPlan;
  readonly format: RecordFormat;
  readonly #io: CliIo;
  readonly #now: () => number;
  #fd: number | undefined;
  #fileFailed = false;

  constructor(plan: LoggingPlan, format: RecordFormat, io: CliIo) {
    this.plan = plan;
    this.format = format;
    this.#io = io;
    this.#now = io.now ?? ((): number => Date.now());
  }

  /**
   * Opens the log file for appending (before anything starts: a file that cannot be opened is a
   * usage error, exit 2). No-op without -l.
   */
  open(): this {
    const path = this.plan.logFile;
    if (path === undefined || this.#fd !== undefined) return this;
    try {
      this.#fd = openSync(path, 'a', 0o644);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new ConfigError([
        {
          path: '--logfile',
          expected: 'a file this user may create or append to',
          received: `${JSON.stringify(path)} (${typeof code === 'string' ? code : String(error)})`,
        },
      ]);
    }
    return this;
  }

  get verbose(): boolean {
    return this.plan.verbosity === 'verbose';
  }

  get quiet(): boolean {
    return this.plan.verbosity === 'quiet';
  }

  result(line: string): void {
    this.#toFile(line);
    if (this.quiet) return;
    (this.format === 'text' ? this.#io.stdout : this.#io.stderr).write(`${line}\n`);
  }

  info(line: string): void {
    this.#toFile(line);
    if (!this.quiet) this.#io.stderr.write(`${line}\n`);
  }

  /** A -v line; callers may skip building it when `verbose` is false. */
  detail(line: string): void {
    if (!this.verbose) return;
    this.#toFile(line);
    (this.format === 'text' ? this.#io.stdout : this.#io.stderr).write(`${line}\n`);
  }

  debug(line: string): void {
    if (!this.plan.debug) return;
    this.#toFile(`debug: ${line}`);
    this.#io.stderr.write(`debug: ${line}\n`);
  }

  warn(line: string): void {
    this.#toFile(line);
    this.#io.stderr.write(`${line}\n`);
  }

  /** One JSON Lines record on stdout (only in --jsonl mode). */
  record(value: unknown): void {
    if (this.format === 'jsonl') this.#io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Closing a log file that failed already said so once; nothing more to do.
    }
    this.#fd = undefined;
  }

  #toFile(line: string): void {
    if (this.#fd === undefined || this.#fileFailed) return;
    try {
      writeSync(this.#fd, `${new Date(this.#now()).toISOString()} ${line}\n`);
    } catch (error) {
      // A full disk must not stop a responder: say it once and keep running without the file.
      this.#fileFailed = true;
      const code = (error as { code?: unknown }).code;
      this.#io.stderr.write(`warning: writing the log file ${this.plan.logFile ?? ''} failed (${typeof code === 'string' ? code : String(error)}); logging to it stopped\n`);
    }
  }
}
