import { type AcceptCode, AcceptCode as Codes, describeAcceptCode, normalizeAcceptCode } from './accept-codes.js';

/**
 * Stable codes for every error a @twamp package throws. Match on `code` (or `instanceof`),
 * never on message text.
 */
export const ErrorCode = {
  MalformedInput: 'ERR_TWAMP_MALFORMED_INPUT',
  PeerRejected: 'ERR_TWAMP_PEER_REJECTED',
  Timeout: 'ERR_TWAMP_TIMEOUT',
  Authentication: 'ERR_TWAMP_AUTHENTICATION',
  ResourceLimit: 'ERR_TWAMP_RESOURCE_LIMIT',
  Config: 'ERR_TWAMP_CONFIG',
  Network: 'ERR_TWAMP_NETWORK',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class: a stable `name` and `code`, and the Accept value a server would answer with. */
export abstract class TwampError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
  /**
   * The Accept value that describes this error when it has to be reported to a peer
   * (for example in Server-Start or Accept-Session).
   */
  abstract readonly acceptCode: AcceptCode;
}

export interface MalformedInputDetails {
  /** What was being decoded, e.g. `Request-TW-Session` or `STAMP Session-Sender packet`. */
  readonly what: string;
  /** The field that could not be read or whose value is invalid. */
  readonly field: string;
  /** Octet offset of that field from the start of the message or packet. */
  readonly offset: number;
  /** Why the field is wrong, in a few words. */
  readonly reason: string;
}

/** Input that does not follow the wire format: truncated, a bad length, an invalid value. */
export class MalformedInputError extends TwampError {
  override readonly name = 'MalformedInputError';
  readonly code = ErrorCode.MalformedInput;
  readonly acceptCode = Codes.NotSupported;
  readonly what: string;
  readonly field: string;
  readonly offset: number;
  readonly reason: string;

  constructor(details: MalformedInputDetails) {
    super(`${details.what}: ${details.field} at offset ${details.offset}: ${details.reason}`);
    this.what = details.what;
    this.field = details.field;
    this.offset = details.offset;
    this.reason = details.reason;
  }
}

/** Which side of a TWAMP exchange sent a refusal. */
export type PeerRole = 'server' | 'client' | 'reflector' | 'sender';

export interface PeerRejectedDetails {
  /** The Accept value exactly as received (may be outside 0-6). */
  readonly received: number;
  /** Who refused. */
  readonly peer: PeerRole;
  /** The message that carried the refusal, e.g. `Server-Start`, `Accept-Session`, `Start-Ack`. */
  readonly message: string;
}

/** The peer answered with a non-zero Accept value. */
export class PeerRejectedError extends TwampError {
  override readonly name = 'PeerRejectedError';
  readonly code = ErrorCode.PeerRejected;
  /** The received value, normalised: unknown values become 1 (RFC 4656 §3.3). */
  readonly acceptCode: AcceptCode;
  readonly received: number;
  readonly peer: PeerRole;
  readonly stage: string;

  constructor(details: PeerRejectedDetails) {
    const code = normalizeAcceptCode(details.received);
    const info = describeAcceptCode(code);
    const shown = details.received === code ? `${code}` : `${details.received}, read as ${code}`;
    super(`the ${details.peer} refused in ${details.message}: Accept ${shown} (${info.name})`);
    this.acceptCode = code;
    this.received = details.received;
    this.peer = details.peer;
    this.stage = details.message;
  }

  /** True when the same request may succeed if retried later (Accept 5). */
  get retryable(): boolean {
    return describeAcceptCode(this.acceptCode).retryable;
  }
}

export interface TimeoutDetails {
  /** What we were waiting for, e.g. `Server Greeting` or `reply packets`. */
  readonly waitingFor: string;
  readonly afterMs: number;
  /** The peer we were waiting on, as `host:port`, when known. */
  readonly peer?: string;
}

/** A wait ran out: the peer stalled, is unreachable, or dropped our packets. */
export class TimeoutError extends TwampError {
  override readonly name = 'TimeoutError';
  readonly code = ErrorCode.Timeout;
  readonly acceptCode = Codes.Failure;
  readonly waitingFor: string;
  readonly afterMs: number;
  readonly peer: string | undefined;

  constructor(details: TimeoutDetails) {
    const from = details.peer === undefined ? '' : ` from ${details.peer}`;
    super(`timed out after ${details.afterMs} ms waiting for ${details.waitingFor}${from}`);
    this.waitingFor = details.waitingFor;
    this.afterMs = details.afterMs;
    this.peer = details.peer;
  }
}

export const AuthenticationFailure = {
  /** The Token did not decrypt to the server's Challenge: wrong secret or wrong key identity. */
  TokenMismatch: 'token-mismatch',
  /** The key identity is not in the server's key store. */
  UnknownKeyId: 'unknown-key-id',
  /** A control message or test packet failed its HMAC check. */
  HmacMismatch: 'hmac-mismatch',
  /** The peer offered no mode we are willing to use. */
  NoAcceptableMode: 'no-acceptable-mode',
  /** The greeting asks for more PBKDF2 iterations than we allow. */
  CountTooLarge: 'count-too-large',
} as const;

export type AuthenticationFailure = (typeof AuthenticationFailure)[keyof typeof AuthenticationFailure];

/** Keys or modes do not match: the exchange cannot be trusted and must stop. */
export class AuthenticationError extends TwampError {
  override readonly name = 'AuthenticationError';
  readonly code = ErrorCode.Authentication;
  readonly acceptCode = Codes.Failure;
  readonly reason: AuthenticationFailure;

  constructor(reason: AuthenticationFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface ResourceLimitDetails {
  /** The limit's name as configured, e.g. `maxSessions` or `control buffer`. */
  readonly limit: string;
  readonly max: number;
  /** The value that would exceed the limit, when known. */
  readonly requested?: number;
  /** Temporary limits (rates, load) clear by themselves: Accept 5. Permanent ones: Accept 4. */
  readonly temporary: boolean;
}

/** A configured or protocol bound would be exceeded. */
export class ResourceLimitError extends TwampError {
  override readonly name = 'ResourceLimitError';
  readonly code = ErrorCode.ResourceLimit;
  readonly acceptCode: AcceptCode;
  readonly limit: string;
  readonly max: number;
  readonly requested: number | undefined;
  readonly temporary: boolean;

  constructor(details: ResourceLimitDetails) {
    const asked = details.requested === undefined ? '' : ` (asked for ${details.requested})`;
    super(`${details.limit} limit of ${details.max} reached${asked}`);
    this.limit = details.limit;
    this.max = details.max;
    this.requested = details.requested;
    this.temporary = details.temporary;
    this.acceptCode = details.temporary ? Codes.TemporaryResourceLimitation : Codes.PermanentResourceLimitation;
  }
}

export interface ConfigIssue {
  /** Where the bad value is, e.g. `limits.sessionsTotal` or `--count`. */
  readonly path: string;
  /** What is accepted there, e.g. `an integer from 1 to 65535`. */
  readonly expected: string;
  /** What was given, as text. */
  readonly received?: string;
}

/** Configuration or arguments that cannot be used; nothing was started. */
export class ConfigError extends TwampError {
  override readonly name = 'ConfigError';
  readonly code = ErrorCode.Config;
  readonly acceptCode = Codes.Failure;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join('; '));
    this.issues = issues;
  }
}

function formatConfigIssue(issue: ConfigIssue): string {
  const got = issue.received === undefined ? '' : `, got ${issue.received}`;
  return `${issue.path}: expected ${issue.expected}${got}`;
}

export interface NetworkErrorDetails {
  /** What we tried: `bind`, `send`, `receive`, `connect`, `setsockopt IP_TOS`, ... */
  readonly operation: string;
  /** The system error name, e.g. `EADDRINUSE`, `EMSGSIZE`, `ECONNREFUSED`, `EACCES`. */
  readonly systemCode: string;
  /** The local or remote endpoint involved, as `address:port`, when known. */
  readonly endpoint?: string;
  /** Extra words from the system (strerror), when known. */
  readonly detail?: string;
}

/** A socket operation failed: a port in use, a packet too big, no permission, an ICMP error. */
export class NetworkError extends TwampError {
  override readonly name = 'NetworkError';
  readonly code = ErrorCode.Network;
  readonly acceptCode = Codes.Failure;
  readonly operation: string;
  readonly systemCode: string;
  readonly endpoint: string | undefined;

  constructor(details: NetworkErrorDetails) {
    const where = details.endpoint === undefined ? '' : ` (${details.endpoint})`;
    const detail = details.detail === undefined ? '' : `: ${details.detail}`;
    super(`${details.operation} failed with ${details.systemCode}${where}${detail}`);
    this.operation = details.operation;
    this.systemCode = details.systemCode;
    this.endpoint = details.endpoint;
  }
}

export function isTwampError(value: unknown): value is TwampError {
  return value instanceof TwampError;
}
