// How the control commands end on a failure: the exit code (3 refused, 4 timed out or unreachable,
// 1 anything else that started) and the rendered failure — what happened, which side said it, the
// Accept code and what to do — both from src/errors (reportFailure), which every command shares.
import { failureExitCode, isNothingListening, PeerExitCode, reportFailure } from '../errors/index.js';

/** Exit codes of the control commands beyond the common ones (0, 1, 2, 130, 143). */
export const ControlExitCode = {
  /** The server refused: a non-zero Accept (Server-Start, Accept-Session, Start-Ack), or no mode both sides allow. */
  Refused: PeerExitCode.Refused,
  /** A wait on the server ran out (connect, greeting, a reply), the run overran its deadline, or no route to the server. */
  TimedOut: PeerExitCode.TimedOutOrUnreachable,
} as const;

/** The exit code for an error of a control command (usage errors are main's, but get 2 here too). */
export function controlExitCode(error: unknown): number {
  return failureExitCode(error);
}

/** True for a connect failure that means no server listens at the control port. */
export const isNoServer = isNothingListening;

/**
 * The error as text for stderr. `controlPort` is the port connected to (or listened on); `server`,
 * once the address is known, the server as `address:port` (IPv6 in brackets), so that a refusal
 * names which server refused; `command` names our own side (`server`: our TWAMP server).
 */
export function formatControlFailure(error: unknown, controlPort: number, server?: string, command?: string): string {
  return reportFailure(error, { controlPort, ...(server === undefined ? {} : { server }), ...(command === undefined ? {} : { command }) }).text;
}
