import { type AcceptCodeInfo, describeAcceptCode } from './accept-codes.js';
import {
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  MalformedInputError,
  NetworkError,
  PeerRejectedError,
  ResourceLimitError,
  TimeoutError,
} from './errors.js';

/** An error turned into what a person needs: what happened, the Accept code if any, what to do. */
export interface RenderedError {
  /** One line: what happened. */
  readonly headline: string;
  /** The Accept code involved, with its meaning, when a peer refused or a code applies. */
  readonly accept?: AcceptCodeInfo;
  /** Concrete steps, most useful first. */
  readonly whatToDo: readonly string[];
  /** True when retrying the same thing later may succeed. */
  readonly retryable: boolean;
}

const TIMEOUT_STEPS = [
  'check that the peer is running and that its address and port are right',
  'check the route and any firewall between the hosts (both directions, TCP for control and UDP for tests)',
  'raise the timeout if the path is known to be slow',
];

const AUTH_STEPS: Record<AuthenticationFailure, readonly string[]> = {
  [AuthenticationFailure.TokenMismatch]: [
    'check that both sides use the same shared secret for this key identity',
  ],
  [AuthenticationFailure.UnknownKeyId]: [
    'check the key identity (--user) against the server\'s key file',
  ],
  [AuthenticationFailure.HmacMismatch]: [
    'check that both sides use the same shared secret',
    'if the secrets match, something in the path changed the traffic; capture it to find out where',
  ],
  [AuthenticationFailure.NoAcceptableMode]: [
    'allow a mode the peer offers (see --mode), or enable a mode we allow on the peer',
  ],
  [AuthenticationFailure.CountTooLarge]: [
    'the server asks for more key-derivation work than allowed; raise the client\'s maximum count only if you trust the server',
  ],
};

const NETWORK_STEPS: Readonly<Record<string, readonly string[]>> = {
  EADDRINUSE: ['another process uses this port: pick another port (or 0 for any free port), or stop the other process'],
  EACCES: ['ports below 1024 need root or CAP_NET_BIND_SERVICE; use a higher port or grant the capability'],
  EPERM: ['the system refused the operation: check privileges, firewall rules and socket options'],
  EMSGSIZE: ['the packet is larger than the path allows: lower the padding, or allow fragmentation'],
  ECONNREFUSED: ['nothing listens on the peer\'s port (an ICMP port unreachable came back): check the peer and its port'],
  EHOSTUNREACH: ['there is no route to the peer: check addresses, routes and firewalls'],
  ENETUNREACH: ['there is no route to the peer\'s network: check addresses and routes'],
  EADDRNOTAVAIL: ['the local address is not configured on this host: bind to an address it has, or to 0.0.0.0 / ::'],
};

/** Turn any thrown value into a headline, the Accept code it stands for, and the steps to take. */
export function renderError(error: unknown): RenderedError {
  if (error instanceof PeerRejectedError) {
    const accept = describeAcceptCode(error.acceptCode);
    return { headline: error.message, accept, whatToDo: accept.whatToDo, retryable: accept.retryable };
  }
  if (error instanceof TimeoutError) {
    return { headline: error.message, whatToDo: TIMEOUT_STEPS, retryable: true };
  }
  if (error instanceof AuthenticationError) {
    return {
      headline: `authentication failed: ${error.message}`,
      accept: describeAcceptCode(error.acceptCode),
      whatToDo: AUTH_STEPS[error.reason],
      retryable: false,
    };
  }
  if (error instanceof ResourceLimitError) {
    const accept = describeAcceptCode(error.acceptCode);
    return { headline: error.message, accept, whatToDo: accept.whatToDo, retryable: accept.retryable };
  }
  if (error instanceof MalformedInputError) {
    return {
      headline: `malformed input: ${error.message}`,
      whatToDo: [
        'the peer sent data that does not follow the TWAMP/STAMP format; check that it speaks the same protocol and mode',
        'capture the traffic (tshark -d udp.port==PORT,twamp.test) and report it with the peer\'s make and version',
      ],
      retryable: false,
    };
  }
  if (error instanceof NetworkError) {
    return {
      headline: error.message,
      whatToDo: NETWORK_STEPS[error.systemCode] ?? ['check the addresses, ports and permissions involved'],
      retryable: error.systemCode === 'ENOBUFS' || error.systemCode === 'EAGAIN',
    };
  }
  if (error instanceof ConfigError) {
    return {
      headline: `invalid configuration: ${error.message}`,
      whatToDo: ['correct the values named above; nothing was started'],
      retryable: false,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    headline: message,
    whatToDo: ['run again with -d for details; if it persists, report it with the command you ran'],
    retryable: false,
  };
}

/** The rendered error as plain text lines, for a terminal or a log. */
export function formatError(error: unknown): string {
  const r = renderError(error);
  const lines = [`error: ${r.headline}`];
  if (r.accept !== undefined && r.accept.code !== 0) {
    lines.push(`  Accept ${r.accept.code} (${r.accept.name}): ${r.accept.meaning}`);
    if (r.accept.likelyCauses.length > 0) {
      lines.push('  likely causes:');
      for (const cause of r.accept.likelyCauses) lines.push(`    - ${cause}`);
    }
  }
  if (r.whatToDo.length > 0) {
    lines.push('  what to do:');
    r.whatToDo.forEach((step, i) => lines.push(`    ${i + 1}. ${step}`));
  }
  if (r.retryable && r.accept?.retryAfterMs !== undefined) {
    lines.push(`  retrying after ${r.accept.retryAfterMs} ms or more may succeed`);
  }
  return lines.join('\n');
}
