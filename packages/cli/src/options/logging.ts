// How much a command says and where: -v / -q, -d (program-wide), -l/--logfile, --no-color (and
// NO_COLOR), --json / --jsonl. Pure: raw option values in, a checked plan (or the ConfigError naming
// the option) out. Every command that prints reads these the same way.
//
// -d/--debug is a program option, recognised before or after the command name (commander parses
// program options anywhere unless positional options are enabled), so a command must not declare
// its own -d: read it with `debugRequested(command)`.
import type { Command } from 'commander';
import { usageError } from './usage-error.js';

export interface RawLoggingOptions {
  readonly verbose?: boolean;
  readonly quiet?: boolean;
  readonly logfile?: string;
  /** Commander's `--no-color`: false when given. */
  readonly color?: boolean;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface LoggingPlan {
  readonly verbosity: Verbosity;
  /** -d: debug lines on stderr (and the stack of an unexpected error). */
  readonly debug: boolean;
  /** -l/--logfile: every log line is also appended here, with a UTC timestamp. */
  readonly logFile: string | undefined;
  /**
   * Colour allowed: not --no-color and NO_COLOR unset (https://no-color.org). Whether a stream gets
   * colour also depends on it being a terminal; that is the writer's business.
   */
  readonly color: boolean;
}

/** Records on stdout: human text, one JSON object at the end, or JSON Lines as things happen. */
export type RecordFormat = 'text' | 'json' | 'jsonl';

/** The environment these options look at (NO_COLOR). */
export type LoggingEnvironment = Readonly<Record<string, string | undefined>>;

/** Checks -v, -q, -l and --no-color; throws a ConfigError naming the first bad one. */
export function parseLoggingOptions(raw: RawLoggingOptions, debug: boolean, env: LoggingEnvironment = process.env): LoggingPlan {
  if (raw.verbose === true && raw.quiet === true) throw usageError('-q', 'either -v (more lines) or -q (fewer lines), not both');
  let logFile: string | undefined;
  if (raw.logfile !== undefined) {
    logFile = raw.logfile.trim();
    if (logFile.length === 0 || logFile.includes('\0')) throw usageError('--logfile', 'a file name to append the log lines to', raw.logfile);
  }
  const noColor = (env['NO_COLOR'] ?? '') !== '';
  return {
    verbosity: raw.quiet === true ? 'quiet' : raw.verbose === true ? 'verbose' : 'normal',
    debug,
    logFile,
    color: raw.color !== false && !noColor,
  };
}

/** `--json` and `--jsonl` exclude each other. */
export function parseRecordFormat(raw: { readonly json?: boolean; readonly jsonl?: boolean }): RecordFormat {
  if (raw.json === true && raw.jsonl === true) throw usageError('--jsonl', 'either --json (one object at the end) or --jsonl (a record per line as things happen), not both');
  return raw.json === true ? 'json' : raw.jsonl === true ? 'jsonl' : 'text';
}

/** -v, -q, -l/--logfile and --no-color: flags and help (-v's help says what it adds for each command). */
export const LOGGING_FLAGS = {
  verbose: { flags: '-v, --verbose', help: 'print more lines' },
  quiet: { flags: '-q, --quiet', help: 'print only errors, warnings and the records --json/--jsonl ask for' },
  logfile: { flags: '-l, --logfile <file>', help: 'also append every log line, with a UTC timestamp, to this file' },
  color: { flags: '--no-color', help: 'no colour in the output (also when NO_COLOR is set)' },
} as const;

/** Adds -v, -q, -l/--logfile and --no-color to a command (help texts say what -v adds for it). */
export function addLoggingOptions(command: Command, verboseHelp: string): Command {
  return command
    .option(LOGGING_FLAGS.verbose.flags, verboseHelp)
    .option(LOGGING_FLAGS.quiet.flags, LOGGING_FLAGS.quiet.help)
    .option(LOGGING_FLAGS.logfile.flags, LOGGING_FLAGS.logfile.help)
    .option(LOGGING_FLAGS.color.flags, LOGGING_FLAGS.color.help);
}

/** The program-wide -d/--debug, given before or after the command name. */
export function debugRequested(command: Command): boolean {
  return command.optsWithGlobals<{ debug?: boolean }>().debug === true;
}
