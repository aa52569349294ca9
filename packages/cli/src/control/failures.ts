// How the control commands end on a failure: the exit code (3 refused, 4 timed out, 1 anything else
// that started) and the rendered error, with the connectivity checks of Accept 1 when no TWAMP
// server answered at all (a refused or unreachable TCP connection says as little as Accept 1 does).
import { AcceptCode, AuthenticationError, describeAcceptCode, formatError, NetworkError, PeerRejectedError, renderError, TimeoutError } from '@twamp/errors';
import { ExitCode } from '../io.js';

/** Exit codes of the control commands beyond the common ones (0, 1, 2, 130, 143). */
export const ControlExitCode = {
  /** The server refused: a non-zero Accept (Server-Start, Accept-Session, Start-Ack), or no mode both sides allow. */
  Refused: 3,
  /** A wait on the server ran out (connect, greeting, a reply), or the run overran its deadline. */
  TimedOut: 4,
} as const;

/** Connection failures that mean no TWAMP-Control server answered where we connected. */
const NO_SERVER = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EADDRNOTAVAIL']);

/** The exit code for an error of a control command, or undefined for errors `main` handles (usage errors). */
export function controlExitCode(error: unknown): number {
  if (error instanceof PeerRejectedError || error instanceof AuthenticationError) return ControlExitCode.Refused;
  if (error instanceof TimeoutError) return ControlExitCode.TimedOut;
  return ExitCode.Failure;
}

/** True for a connect failure that means no server listens (or is reachable) at the control port. */
export function isNoServer(error: unknown): error is NetworkError {
  return error instanceof NetworkError && error.operation === 'connect' && NO_SERVER.has(error.systemCode);
}

/** The error as text; a missing server gets the checks Accept 1 lists, since it tells us as little. */
export function formatControlFailure(error: unknown, controlPort: number): string {
  if (!isNoServer(error)) return formatError(error);
  const failure = describeAcceptCode(AcceptCode.Failure);
  // formatError's steps for a refused connection speak of UDP (ICMP); here no TCP server answered.
  return [
    `error: ${renderError(error).headline}`,
    `  no TWAMP-Control server accepted a TCP connection on port ${controlPort}; as with Accept ${failure.code} (${failure.name}), check:`,
    ...failure.whatToDo.map((step, i) => `    ${i + 1}. ${step}`),
  ].join('\n');
}
