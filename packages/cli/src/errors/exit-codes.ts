// Every exit code of `twamp`, with what it means and when it happens, as data: the one definition.
// The failure renderer picks from it, every command's `--help` prints it (commands/help.ts), and
// scripts/gen-errors-doc.ts writes the tables of docs/errors.md, docs/usage.md and the package README
// from it; tests hold them all equal to it and to the codes the commands really use.
import { ExitCode } from '../io.js';

/** Exit codes beyond io.ts's common ones: a refusal by the peer and a wait that ran out. */
export const PeerExitCode = {
  /** The peer refused: a non-zero Accept value, or no security mode both sides allow. */
  Refused: 3,
  /** A wait ran out (connect, greeting, a reply, the whole run), or the peer is unreachable. */
  TimedOutOrUnreachable: 4,
} as const;

export interface ExitCodeInfo {
  readonly code: number;
  /** A few words: the name `exit code: N (name)` and every table use. */
  readonly name: string;
  /** One short line for `--help`: the common cases, never one that ends with another code. */
  readonly brief: string;
  /** When a command ends with this code, in full (docs/errors.md). */
  readonly when: string;
}

/** In numeric order. */
export const EXIT_CODES: readonly ExitCodeInfo[] = [
  {
    code: ExitCode.Ok,
    brief: 'a run got replies; a responder or server stopped on request; --help, --version',
    name: 'success',
    when: 'the command did what was asked: a run got replies, a server or responder stopped on request, the sessions of controlclient were stopped, a key was written; also --help and --version',
  },
  {
    code: ExitCode.Failure,
    brief: 'started and failed: a socket error, nothing listening where we connected, an unexpected error',
    name: 'failure',
    when: 'something started and failed: a socket could not be opened, nothing listens where we connected, an unexpected error',
  },
  {
    code: ExitCode.Usage,
    brief: 'a bad argument or file, named with what it accepts; nothing was started',
    name: 'usage error',
    when: 'an argument is wrong (the message names it and what it accepts) or a file named by an option cannot be used; nothing was started',
  },
  {
    code: PeerExitCode.Refused,
    brief: 'the TWAMP server answered with a non-zero Accept code (shown with its meaning), or offers no mode we allow',
    name: 'refused by the peer',
    when: 'the TWAMP server answered with a non-zero Accept value (Server-Start, Accept-Session, Start-Ack), or it offers no security mode that --mode allows',
  },
  {
    code: PeerExitCode.TimedOutOrUnreachable,
    brief: 'no reply at all (summary printed first), no answer from the server in time, or no route',
    name: 'timeout or unreachable',
    when: 'a wait ran out (the TCP connection, the Server Greeting, a reply, the end of the run), a run got no reply at all (its summary is printed first), or there is no route to the peer',
  },
  {
    code: ExitCode.Interrupted,
    brief: 'SIGINT (Ctrl-C); a sender or controller prints its partial summary first',
    name: 'interrupted',
    when: 'SIGINT (Ctrl-C): sending stopped, Stop-Sessions was sent where a session was running, and the partial summary was printed',
  },
  {
    code: ExitCode.Terminated,
    brief: 'SIGTERM; as for SIGINT',
    name: 'terminated',
    when: 'SIGTERM: as for SIGINT (a server or responder stopping on SIGTERM exits 0: that is how they are stopped)',
  },
];

/** The entry for `code`, if it is one of ours. */
export function exitCodeInfo(code: number): ExitCodeInfo | undefined {
  return EXIT_CODES.find((info) => info.code === code);
}
