// What twampd prints when it cannot start or has to stop, and the exit code that goes with it: what
// happened and what to do, from @twamp/errors' renderer (the same words the CLI uses), without the
// CLI's advice about its own flags. Config mistakes are listed one per line by the config module.
import { ConfigError, NetworkError, renderError } from '@twamp/errors';
import { formatConfigError } from '../config/index.js';

/** twampd's exit codes. */
export const DaemonExitCode = {
  /** Stopped on request (SIGTERM/SIGINT), everything flushed; `--check-config` found no mistake. */
  Ok: 0,
  /** Failed at run time: a port taken, a permission missing, a crash, a second stop signal. */
  Failure: 1,
  /** The config file or the command line has mistakes (each printed with its path); nothing started. */
  Usage: 2,
} as const;

export type DaemonExitCode = (typeof DaemonExitCode)[keyof typeof DaemonExitCode];

/** Steps for an error @twamp/errors knows nothing specific about. */
const UNKNOWN_STEPS = [
  'read the log lines before this one for the event that failed',
  'if it persists, report it with the log and the config file (never the key file)',
];

/** 2 for config mistakes (including an unusable key file), 1 for everything else. */
export function exitCodeForFailure(error: unknown): DaemonExitCode {
  return error instanceof ConfigError ? DaemonExitCode.Usage : DaemonExitCode.Failure;
}

/** The failure as lines for stderr: `twampd: <what happened>`, then what to do. */
export function formatDaemonFailure(error: unknown): string {
  if (error instanceof ConfigError) return formatConfigError(error);
  const rendered = renderError(error);
  const known = error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('ERR_TWAMP_');
  const steps = known ? rendered.whatToDo : UNKNOWN_STEPS;
  const lines = [`twampd: ${rendered.headline}`];
  if (error instanceof NetworkError && error.systemCode === 'EADDRINUSE') {
    lines.push('  a port in the config is taken: `ss -lntup` shows which process holds it');
  }
  if (steps.length > 0) {
    lines.push('  what to do:');
    steps.forEach((step, i) => lines.push(`    ${i + 1}. ${step}`));
  }
  return lines.join('\n');
}
