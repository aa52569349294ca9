// What a command touches outside itself, injected so that commands run in-process in tests: the two
// output streams, the exit, interrupts, and a clock.

export interface CliWriter {
  write(text: string): unknown;
}

export type CliSignal = 'SIGINT' | 'SIGTERM';

export interface CliIo {
  readonly stdout: CliWriter;
  readonly stderr: CliWriter;
  /** Called once with the exit code when the command is over (`main` also resolves with it). */
  readonly exit?: (code: number) => void;
  /**
   * Subscribe to interrupts; returns the unsubscribe. Without it a command cannot be interrupted
   * (a responder then runs until its process ends).
   */
  readonly onSignal?: (handler: (signal: CliSignal) => void) => () => void;
  /** Wall clock in ms; default Date.now. */
  readonly now?: () => number;
  /** Which streams are terminals (colour, the sender's progress line); default: neither. */
  readonly isTTY?: { readonly stdout: boolean; readonly stderr: boolean };
  /** Width of the terminal on stderr in columns, when it is one. */
  readonly columns?: number | undefined;
}

/**
 * The exit codes every command shares, stable for scripts. What each means and when it happens is
 * said once, in EXIT_CODES (errors/exit-codes.ts), which --help and the docs are generated from;
 * these names only give the numbers to the code.
 */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Interrupted: 130,
  Terminated: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for a run a signal cut short. */
export function exitCodeForSignal(signal: CliSignal): ExitCode {
  return signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated;
}

/** A stream piped or redirected is a plain stream whose isTTY is undefined, whatever its type says. */
function isTerminal(stream: { readonly isTTY?: boolean }): boolean {
  return stream.isTTY === true;
}

/** The real process: its streams, process.exit, and SIGINT/SIGTERM handlers that replace the default exit. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: { stdout: isTerminal(process.stdout), stderr: isTerminal(process.stderr) },
    // A getter: the terminal may be resized while a long run draws its progress line.
    get columns() {
      return process.stderr.columns;
    },
    exit: (code) => {
      // Writes to pipes and files are synchronous on POSIX, so nothing printed is lost here.
      process.exit(code);
    },
    onSignal: (handler) => {
      const onInt = (): void => {
        handler('SIGINT');
      };
      const onTerm = (): void => {
        handler('SIGTERM');
      };
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}
