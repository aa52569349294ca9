// A failure explained for the person who ran the command: what happened, which side said so (this
// host, our reflector or server, the TWAMP server at an address, or the network between), the Accept
// code with its name and meaning, and what to do. The texts of the Accept codes and of the generic
// steps come from @twamp/errors (describeAcceptCode, renderError); this module only adds what the
// command line knows: where it was connecting, which message carried a refusal, and how it exits.
import {
  type AcceptCodeInfo,
  AcceptCode,
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  describeAcceptCode,
  isTwampError,
  MalformedInputError,
  NetworkError,
  PeerRejectedError,
  renderError,
  ResourceLimitError,
  TimeoutError,
} from '@twamp/errors';
import { ExitCode } from '../io.js';
import { PeerExitCode } from './exit-codes.js';
import { networkHeadline } from './network-detail.js';

/** What the command line knows about where a failure happened; every field is optional. */
export interface FailureContext {
  /** The command that failed, e.g. `controller` (names our own side: "our reflector", "our server"). */
  readonly command?: string;
  /** The TWAMP-Control server as `address:port`, when known. */
  readonly server?: string;
  /** The control port we connected to (or listen on), when the server's address is not known. */
  readonly controlPort?: number;
  /** The reflector (Session-Reflector) as `address:port`, when known. */
  readonly reflector?: string;
}

/** Who said it: this host, our own reflector or server, the peer at an address, or the network. */
export type FailureSideKind = 'local' | 'reflector' | 'server' | 'peer' | 'network';

export interface FailureSide {
  readonly kind: FailureSideKind;
  /** For the reader, e.g. `the TWAMP server at 192.0.2.10:862 (in its Server-Start)`. */
  readonly label: string;
}

/** The Accept code of a failure, and whether the peer sent it or it only describes the failure. */
export interface FailureAccept {
  readonly info: AcceptCodeInfo;
  /**
   * `received`: the peer sent this value. `equivalent`: no Accept value was exchanged, and this is
   * the one whose meaning and checks fit the failure (e.g. nothing listening: Accept 1's checks).
   */
  readonly relation: 'received' | 'equivalent';
  /** The value exactly as received when it was outside 0-6 (then read as 1, RFC 4656 §3.3). */
  readonly received?: number;
}

export interface Failure {
  /** One line: what happened. */
  readonly what: string;
  readonly side: FailureSide;
  /** The Accept code involved; undefined when none applies. */
  readonly accept: FailureAccept | undefined;
  /**
   * Why no Accept code came with a failure of a TWAMP-Control exchange (a silence, a connection
   * lost). Undefined when `accept` is set, and for failures that involve no control exchange at all
   * (a usage error, a local socket, a test packet): Accept codes mean nothing there, so none is named.
   */
  readonly noAccept: string | undefined;
  /** Context the reader needs to act, beyond the Accept code's meaning. */
  readonly notes: readonly string[];
  readonly likelyCauses: readonly string[];
  /** Steps, most useful first. */
  readonly whatToDo: readonly string[];
  /** Set when the same request may succeed later: wait at least this long first. */
  readonly retryAfterMs: number | undefined;
  readonly exitCode: number;
  /** @twamp/errors' stable code (`ERR_TWAMP_…`), when the error is one of its typed errors. */
  readonly errorCode: string | undefined;
}

/** Connect failures meaning that no TWAMP-Control server took the connection at all. */
const NO_LISTENER = new Set(['ECONNREFUSED', 'ECONNRESET']);
/** Failures of the path rather than of either end: exit 4 ("unreachable"). */
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ETIMEDOUT']);
/** Socket operations that act only on this host. */
const LOCAL_OPERATIONS = /^(bind|listen|setsockopt|open|read|write)/i;

/** Retry waits when the Accept code gives none: a second, as Accept 5 suggests. */
const DEFAULT_RETRY_MS = 1000;

/** The exit code for an error a command did not handle itself (signals are the commands' own). */
export function failureExitCode(error: unknown): number {
  if (error instanceof ConfigError) return ExitCode.Usage;
  if (error instanceof PeerRejectedError || error instanceof AuthenticationError) return PeerExitCode.Refused;
  if (error instanceof TimeoutError) return PeerExitCode.TimedOutOrUnreachable;
  if (error instanceof NetworkError && UNREACHABLE.has(error.systemCode)) return PeerExitCode.TimedOutOrUnreachable;
  return ExitCode.Failure;
}

/** True for a connect failure that means nothing accepted a TCP connection where we connected. */
export function isNothingListening(error: unknown): error is NetworkError {
  return error instanceof NetworkError && nothingListening(error);
}

function nothingListening(error: NetworkError): boolean {
  return error.operation === 'connect' && NO_LISTENER.has(error.systemCode);
}

/**
 * The server by its address, `the TWAMP server at 192.0.2.10:862` (IPv6 in brackets), so that a
 * script looping over servers can tell which one refused. The port alone only before the address is known.
 */
function serverLabel(context: FailureContext, endpoint?: string): string {
  const where = endpoint ?? context.server;
  if (where !== undefined) return `the TWAMP server at ${where}`;
  if (context.controlPort !== undefined) return `the TWAMP server on TCP port ${context.controlPort}`;
  return 'the TWAMP server';
}

/**
 * True when the failure happened in a TWAMP-Control exchange of a client (controller, controlclient):
 * only there does "which Accept code" mean something when none came back. Our own server's failures
 * (listen, key file) and the test-packet commands have no exchange to name.
 */
function controlExchange(context: FailureContext): boolean {
  return (context.server !== undefined || context.controlPort !== undefined) && context.command !== 'server';
}

function peerLabel(role: string, context: FailureContext): string {
  if (role === 'server') return serverLabel(context);
  if (role === 'reflector') return context.reflector === undefined ? 'the reflector' : `the reflector at ${context.reflector}`;
  return `the ${role}`;
}

/** Our own side, named by the command that runs it. */
function localSide(context: FailureContext, what: string): FailureSide {
  if (context.command === 'responder') return { kind: 'reflector', label: `our reflector (twamp responder, on this host): ${what}` };
  if (context.command === 'server') return { kind: 'server', label: `our TWAMP server (twamp server, on this host): ${what}` };
  return { kind: 'local', label: `this host: ${what}` };
}

function received(info: AcceptCodeInfo, value?: number): FailureAccept {
  return value === undefined || value === info.code ? { info, relation: 'received' } : { info, relation: 'received', received: value };
}

function equivalent(code: AcceptCode): FailureAccept {
  return { info: describeAcceptCode(code), relation: 'equivalent' };
}

interface Parts {
  what: string;
  side: FailureSide;
  accept?: FailureAccept;
  /** Why no Accept code came back, should this failure be part of a control exchange (see controlExchange). */
  noAccept?: string;
  notes?: readonly string[];
  likelyCauses?: readonly string[];
  whatToDo: readonly string[];
  retryAfterMs?: number;
}

/** Steps that mention the shared secret first: in Server-Start, Accept 1 is nearly always the key. */
function keyStepsFirst(steps: readonly string[]): readonly string[] {
  const key = steps.filter((step) => step.includes('secret'));
  return [...key, ...steps.filter((step) => !step.includes('secret'))];
}

function peerRejected(error: PeerRejectedError, context: FailureContext): Parts {
  const info = describeAcceptCode(error.acceptCode);
  const who = peerLabel(error.peer, context);
  const shown = error.received === error.acceptCode ? `${error.received}` : `${error.received}, read as ${error.acceptCode}`;
  const notes: string[] = [];
  let steps = info.whatToDo;
  const stage = error.stage;
  if (stage.startsWith('Server Greeting')) {
    notes.push('the server announced no mode at all (Modes 0): it will not serve this client; its access list (such as twamp server --allow) may not include this host');
  } else if (stage === 'Server-Start' && error.acceptCode === AcceptCode.Failure) {
    notes.push('Server-Start answers our Set-Up-Response: with a key (--user), Accept 1 here almost always means the server could not verify our token, so the key identity or the shared secret differs from its key file');
    steps = keyStepsFirst(steps);
  } else if (error.received !== error.acceptCode) {
    notes.push(`${error.received} is not an Accept value we know; RFC 4656 §3.3 says to read unknown values as 1`);
  }
  const retryAfterMs = info.retryable ? (info.retryAfterMs ?? DEFAULT_RETRY_MS) : undefined;
  return {
    what: `${who} refused in ${stage}: Accept ${shown} (${info.name})`,
    side: { kind: error.peer === 'server' ? 'server' : 'peer', label: `${who}, in its ${stage}` },
    accept: received(info, error.received),
    notes,
    likelyCauses: info.likelyCauses,
    whatToDo: steps,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** `the server offers X; we allow Y` from @twamp/control's NoAcceptableMode message, when it reads so. */
function offeredModes(message: string): { offers: string; allows: string } | undefined {
  const match = /server offers (.+); we allow (.+)$/.exec(message);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { offers: match[1], allows: match[2] };
}

function authentication(error: AuthenticationError, context: FailureContext): Parts {
  const rendered = renderError(error);
  if (error.reason === AuthenticationFailure.NoAcceptableMode) {
    // No Accept value is exchanged: the client answers Mode 0 and closes (RFC 4656 §3.1). Accept 3
    // is the value a server gives for a mode it does not support, so its meaning fits.
    const modes = offeredModes(error.message);
    const steps = [...rendered.whatToDo];
    if (modes !== undefined && !modes.offers.includes('unauthenticated')) {
      steps.unshift('the server requires authentication: give the key identity with --user and its secret with --key-file or --passphrase-env, and allow auth, encrypted or mixed with --mode');
    } else if (modes !== undefined && !modes.allows.includes('unauthenticated')) {
      steps.unshift('the server offers only open (unauthenticated) mode: use --mode open, or configure keys on the server (twamp server --key-file)');
    }
    return {
      what: `no security mode both sides allow: ${error.message}`,
      side: { kind: 'local', label: `this client, after reading the Server Greeting of ${serverLabel(context)}` },
      accept: equivalent(AcceptCode.NotSupported),
      notes: ['no Accept value was exchanged: we declined every mode the server offers (Set-Up-Response with Mode 0) and closed'],
      whatToDo: steps,
    };
  }
  return {
    what: rendered.headline,
    side: { kind: 'local', label: `this host, checking what ${serverLabel(context)} sent` },
    accept: equivalent(AcceptCode.Failure),
    notes: ['a server that fails the same check answers Accept 1'],
    whatToDo: rendered.whatToDo,
  };
}

function network(error: NetworkError, context: FailureContext): Parts {
  // The head once, even when the error wraps another socket error's text.
  const rendered = { ...renderError(error), headline: networkHeadline(error) };
  const endpoint = error.endpoint;
  if (nothingListening(error)) {
    const failure = describeAcceptCode(AcceptCode.Failure);
    const port = context.controlPort ?? Number(/:(\d+)$/.exec(endpoint ?? '')?.[1] ?? Number.NaN);
    const onPort = Number.isInteger(port) ? ` on port ${port}` : '';
    const host = endpoint === undefined ? 'the server' : `the host at ${endpoint}`;
    return {
      what: rendered.headline,
      side: { kind: 'network', label: `${host}: its TCP stack refused or reset the connection (nothing listens there)` },
      accept: equivalent(AcceptCode.Failure),
      notes: [`no TWAMP-Control server accepted a TCP connection${onPort}: no Accept value was exchanged; Accept ${failure.code}'s checks apply`],
      whatToDo: [
        ...failure.whatToDo,
        `on the server host, \`ss -tlnp\` lists what listens on TCP${Number.isInteger(port) ? ` port ${port}` : ''}; if no TWAMP server does, start one (\`twamp server\`)`,
      ],
    };
  }
  if (error.systemCode === 'EOF' && endpoint !== undefined) {
    return {
      what: rendered.headline,
      side: { kind: 'server', label: `${serverLabel(context, endpoint)}: it closed the control connection` },
      accept: equivalent(AcceptCode.Failure),
      notes: ['some servers close the connection instead of answering with an Accept value; the reason is in their logs'],
      whatToDo: describeAcceptCode(AcceptCode.Failure).whatToDo,
    };
  }
  if (UNREACHABLE.has(error.systemCode)) {
    const side: FailureSide = { kind: 'network', label: `the network: ${endpoint ?? 'the peer'} cannot be reached from this host` };
    if (error.operation !== 'connect') {
      return { what: rendered.headline, side, noAccept: 'none: the request never reached a TWAMP peer', whatToDo: rendered.whatToDo };
    }
    // A control connection that cannot reach the server at all: the same checks as Accept 1.
    return {
      what: rendered.headline,
      side,
      accept: equivalent(AcceptCode.Failure),
      notes: ['the TCP connection never reached the server: no Accept value was exchanged; Accept 1\'s checks apply'],
      whatToDo: [...rendered.whatToDo, ...describeAcceptCode(AcceptCode.Failure).whatToDo],
    };
  }
  if (error.operation.startsWith('resolve')) {
    return {
      what: rendered.headline,
      side: { kind: 'network', label: `the name service (DNS): no usable address for ${endpoint ?? 'the host name'}` },
      whatToDo: rendered.whatToDo,
    };
  }
  if (LOCAL_OPERATIONS.test(error.operation) || endpoint === undefined) {
    return {
      what: rendered.headline,
      side: localSide(context, `the operating system refused to ${error.operation}`),
      whatToDo: rendered.whatToDo,
      ...(rendered.retryable ? { retryAfterMs: DEFAULT_RETRY_MS } : {}),
    };
  }
  return {
    what: rendered.headline,
    side: { kind: 'network', label: `the network or the peer at ${endpoint}` },
    noAccept: 'none: the failure is in the connection, not an answer of the peer',
    whatToDo: rendered.whatToDo,
    ...(rendered.retryable ? { retryAfterMs: DEFAULT_RETRY_MS } : {}),
  };
}

function timeout(error: TimeoutError, context: FailureContext): Parts {
  const peer = error.peer ?? context.server ?? context.reflector;
  return {
    what: error.message,
    side: { kind: 'network', label: `no answer from ${peer ?? 'the peer'}: the peer or the network between us (a silence does not say which)` },
    noAccept: 'none: nothing came back to carry one',
    whatToDo: renderError(error).whatToDo,
  };
}

/** Turns anything a command threw into a Failure: what, who, which Accept code, what to do, exit code. */
export function explainFailure(error: unknown, context: FailureContext = {}): Failure {
  let parts: Parts;
  if (error instanceof PeerRejectedError) {
    parts = peerRejected(error, context);
  } else if (error instanceof AuthenticationError) {
    parts = authentication(error, context);
  } else if (error instanceof NetworkError) {
    parts = network(error, context);
  } else if (error instanceof TimeoutError) {
    parts = timeout(error, context);
  } else if (error instanceof ConfigError) {
    const rendered = renderError(error);
    // A mistyped command or option (see usage.ts): the likely intent first.
    const suggestion = 'suggestion' in error && typeof error.suggestion === 'string' ? error.suggestion : undefined;
    parts = {
      what: rendered.headline,
      side: { kind: 'local', label: 'twamp itself, checking the command line and the files it names' },
      whatToDo: suggestion === undefined ? rendered.whatToDo : [`did you mean ${suggestion}? ${context.command === undefined || context.command === '' ? `'twamp ${suggestion} --help'` : `'twamp ${context.command} --help'`} shows how to use it`, ...rendered.whatToDo],
    };
  } else if (error instanceof ResourceLimitError) {
    const rendered = renderError(error);
    const info = describeAcceptCode(error.acceptCode);
    parts = {
      what: rendered.headline,
      side: localSide(context, 'one of its own limits'),
      accept: equivalent(error.acceptCode),
      notes: ['this is the value we answer a peer with when this limit is reached'],
      likelyCauses: info.likelyCauses,
      whatToDo: rendered.whatToDo,
      ...(info.retryable ? { retryAfterMs: info.retryAfterMs ?? DEFAULT_RETRY_MS } : {}),
    };
  } else if (error instanceof MalformedInputError) {
    const rendered = renderError(error);
    const peer = context.server ?? context.reflector;
    parts = {
      what: rendered.headline,
      side: { kind: 'peer', label: `${peer === undefined ? 'the peer' : `the peer at ${peer}`} sent it; this host found it malformed` },
      noAccept: `none received; a server receiving this would answer Accept ${error.acceptCode}`,
      whatToDo: rendered.whatToDo,
    };
  } else {
    const rendered = renderError(error);
    parts = {
      what: rendered.headline,
      side: localSide(context, 'an unexpected error in twamp'),
      whatToDo: rendered.whatToDo,
    };
  }
  return {
    what: parts.what,
    side: parts.side,
    accept: parts.accept,
    noAccept: parts.accept === undefined && controlExchange(context) ? parts.noAccept : undefined,
    notes: parts.notes ?? [],
    likelyCauses: parts.likelyCauses ?? [],
    whatToDo: parts.whatToDo,
    retryAfterMs: parts.retryAfterMs,
    exitCode: failureExitCode(error),
    errorCode: isTwampError(error) ? error.code : undefined,
  };
}
