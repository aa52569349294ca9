// The contract of @twamp/control: TWAMP-Control (RFC 4656 §3, RFC 5357 §3) client and server, with
// RFC 5618 (mixed), RFC 5938 (individual session control), RFC 6038 (reflect octets, symmetrical
// size), RFC 7750 (DSCP/ECN monitoring) and RFC 8186 (PTP timestamps) negotiated through Modes.
//
// Layering: this package knows nothing of UDP. Codecs, framing and crypto come from @twamp/wire.
// The server asks its owner (the CLI or the daemon) to open a reflector for each accepted session
// through `ServerSessionHandler`; the client hands each accepted session back to its caller as a
// `NegotiatedSession` (layout + crypto factory) for a @twamp/test-session sender.
//
// Each side is a sans-IO state machine (bytes in → messages/actions out, injected clock and random)
// plus a node:net adapter that owns the socket and the timers.
import type { AcceptCode } from '@twamp/errors';
import type { SecurityMode, TestPacketCrypto, TwampLayout, WireTimestamp } from '@twamp/wire';
import type { CONNECTION_REFUSAL_REASONS, SESSION_REFUSAL_REASONS } from './server/refusal-reasons.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Log lines (never secrets: no keys, tokens, passphrases or derived keys). */
export interface ControlLogger {
  info(event: string, fields: Readonly<Record<string, unknown>>): void;
  warn(event: string, fields: Readonly<Record<string, unknown>>): void;
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/** Shared secrets by KeyID (RFC 4656 §3.1: up to 80 octets of UTF-8 identity). */
export interface KeyStore {
  /** The shared secret (the PBKDF2 password octets) for this KeyID, or undefined when unknown. */
  secret(keyId: string): Uint8Array | undefined;
  /** How many identities the store holds (for logs; never their secrets). */
  readonly size: number;
}

// ---------------------------------------------------------------------------------------------
// What both sides agree on per test session
// ---------------------------------------------------------------------------------------------

/** One accepted Request-TW-Session, as both ends see it after Accept-Session. */
export interface NegotiatedSession {
  /** The SID the server assigned (16 octets, RFC 4656 §3.5). */
  readonly sid: Uint8Array;
  /** The connection's selected Modes value: one security mode plus the extension bits in use. */
  readonly mode: number;
  readonly securityMode: SecurityMode;
  /** Test packet layout for this session (security, RFC 6038 symmetrical size / reflect octets, RFC 7750). */
  readonly layout: TwampLayout;
  /**
   * A new TestPacketCrypto for this session (fresh chaining state), or undefined when test packets
   * travel in clear (unauthenticated, mixed). Call once per side: sender and reflector each need their own.
   */
  createCrypto(): TestPacketCrypto | undefined;
  /** Session-Sender and Session-Reflector test endpoints (zero addresses already replaced by the control connection's). */
  readonly sender: Endpoint;
  /** The receiver port is the one the server returned in Accept-Session (it may differ from the requested one). */
  readonly receiver: Endpoint;
  /** Padding Length of the request (octets after the sender base). */
  readonly paddingLength: number;
  readonly startTime: WireTimestamp;
  /** Request-TW-Session Timeout: how long the reflector keeps answering after Stop-Sessions, seconds. */
  readonly timeoutSeconds: number;
  /** Type-P Descriptor as a DSCP when it is one (RFC 5357 §3.5), else undefined (best effort). */
  readonly dscp: number | undefined;
  /** RFC 6038: Octets to be reflected and Length of padding to reflect, 0 when the feature is off. */
  readonly octetsToBeReflected: number;
  readonly paddingToReflect: number;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

/** What the server asks its owner when a Request-TW-Session passes validation. */
export interface ServerSessionRequest extends NegotiatedSession {
  /** The control connection's client endpoint (for logs and limits). */
  readonly client: Endpoint;
  /** The receiver port the client asked for (0 = any). The owner may pick another: RFC 5357 §3.5. */
  readonly requestedReceiverPort: number;
}

export type SessionOpenResult =
  /** Accepted: the UDP port the reflector listens on (goes into Accept-Session). */
  | { readonly accept: typeof AcceptCode.Ok; readonly port: number }
  /** Refused with an Accept value (1-5) and a reason for the log. */
  | { readonly accept: Exclude<AcceptCode, typeof AcceptCode.Ok>; readonly reason: string };

/**
 * The server's owner: opens, starts, stops and releases reflectors. All SIDs are 16-octet Uint8Arrays
 * (compare by content). Calls for one connection never overlap in a way that reorders them.
 */
export interface ServerSessionHandler {
  open(request: ServerSessionRequest): Promise<SessionOpenResult>;
  /** Start-Sessions (all sessions of the connection) or RFC 5938 Start-N-Sessions (these). */
  start(sids: readonly Uint8Array[]): void;
  /**
   * Stop-Sessions / Stop-N-Sessions: stop these sessions; keep reflecting for each one's Timeout
   * (NegotiatedSession.timeoutSeconds) and then release it.
   */
  stop(sids: readonly Uint8Array[]): void;
  /** The connection ended (closed, failed or timed out): release these sessions now. */
  release(sids: readonly Uint8Array[]): void;
}

/** Limits; each refusal is answered as the error-code reference says (4 permanent, 5 temporary). */
export interface ServerLimits {
  /** Control connections at once, all clients (beyond: Greeting with Modes 0, then close). Default 1000. */
  readonly maxConnections?: number;
  /** Control connections at once per client address. Default 16. */
  readonly maxConnectionsPerClient?: number;
  /** Sessions per control connection (beyond: Accept 4). Default 64. */
  readonly maxSessionsPerConnection?: number;
  /**
   * Sessions at once across connections (beyond: Accept 4). A configured capacity, so the refusal
   * is the permanent one, as the error-code reference has it ("maximum number of concurrent sessions
   * reached"). Default 1024.
   */
  readonly maxSessionsTotal?: number;
  /** Requests per second per connection (beyond: Accept 5). Default unlimited. */
  readonly requestsPerSecond?: number;
  /**
   * Request-TW-Session per second across the server, a token bucket holding one second's worth
   * (beyond: Accept 5, temporary: the same request succeeds once the rate drops). Default unlimited.
   */
  readonly sessionRequestsPerSecond?: number;
  /**
   * Sessions at once (accepted or with the handler, not stopped) across all control connections of
   * one client address, so one address cannot take the whole server. Beyond: Accept 4, like the
   * other session caps ("maximum number of concurrent sessions reached": retrying the same request
   * does not help until the client ends sessions of its own). Default 256 (a quarter of
   * maxSessionsTotal's default 1024). Infinity: no per-client cap.
   */
  readonly maxSessionsPerClient?: number;
  /**
   * Failed authentications (a Set-Up-Response whose KeyID is unknown or whose Token does not match)
   * per client address within one minute before that address is backed off: its new connections get
   * a Greeting with Modes 0 for 1 s, then 2, 4 … up to 5 min as failures go on; a successful
   * authentication, or five quiet minutes after the backoff, start the address afresh. IPv6 clients
   * count per /64. Default 10. Infinity: never back off (failures are still counted and logged).
   */
  readonly authFailuresPerMinute?: number;
}

export interface ServerTimeouts {
  /** From accept to a complete Set-Up-Response (and to Server-Start sent). Default 30 000 ms. */
  readonly handshakeMs?: number;
  /** SERVWAIT: an idle connection with no running sessions is closed after this. Default 900 000 ms. */
  readonly servwaitMs?: number;
  /** A message started but not completed within this is a stalled peer: close. Default 30 000 ms. */
  readonly messageMs?: number;
  /**
   * After the handshake, a connection that holds no session (none requested, or all released) and
   * sends nothing is closed after this. Much shorter than SERVWAIT, which still applies to
   * connections that hold sessions. Default 30 000 ms.
   */
  readonly idleWithoutSessionsMs?: number;
  /**
   * A session accepted but not started (no Start-Sessions / Start-N-Sessions naming it) is released
   * after this. The client sees its later Start-Sessions start only the sessions still held, and a
   * Start-N-Sessions naming a released SID refused with Accept 1 (unknown SID); with no session left
   * the connection then falls under idleWithoutSessionsMs. Default 60 000 ms.
   */
  readonly unstartedSessionMs?: number;
}

export interface ControlServerOptions {
  /**
   * Modes offered in the Server Greeting: security modes (Mode.Unauthenticated | Authenticated |
   * Encrypted | Mixed) plus extension bits (IndividualSessionControl, ReflectOctets, SymmetricalSize,
   * DscpEcnMonitoring, PtpTimestamps). A client choosing anything not offered is refused.
   */
  readonly modes: number;
  /** Required when an authenticated, encrypted or mixed mode is offered. */
  readonly keys?: KeyStore;
  /** PBKDF2 iteration count sent in the greeting. Default 2048 (RFC 4656 minimum 1024). */
  readonly pbkdf2Count?: number;
  readonly limits?: ServerLimits;
  readonly timeouts?: ServerTimeouts;
  /** Client addresses allowed (CIDRs); others get a Greeting with Modes 0 (RFC 4656 §3.1). Default all. */
  readonly allowedClients?: readonly string[];
  /**
   * Third-party sessions: accept a Request-TW-Session whose Sender Address is neither zero nor the
   * control connection's client address. Default false (refused with Accept 3), so a client cannot
   * point a reflector at someone else. Multicast and broadcast sender addresses are refused even when true.
   */
  readonly thirdPartySenders?: boolean;
  /** Opens reflectors for accepted requests (the owner allocates UDP ports; see ServerSessionHandler). */
  readonly handler: ServerSessionHandler;
  readonly logger?: ControlLogger;
  /** Injected for tests (sans-IO parts). */
  readonly now?: () => number;
  readonly randomBytes?: (size: number) => Uint8Array;
}

export interface ControlServerStats {
  readonly connectionsActive: number;
  readonly connectionsTotal: number;
  /** Connections refused before the handshake (not allowed, over a limit). */
  readonly connectionsRefused: number;
  readonly sessionsActive: number;
  /** Accept values sent in Server-Start and Accept-Session, by value. */
  readonly acceptsSent: Readonly<Record<number, number>>;
  /** Connections closed by a timeout, by which one ('idle': idleWithoutSessionsMs). */
  readonly timeouts: Readonly<Record<ServerTimeoutName, number>>;
  /** Failed authentications (Server-Start with Accept ≠ 0 after a Set-Up-Response in a secured mode). */
  readonly authFailures: number;
  /** Connections refused with Modes 0 because their client address was backed off after failed authentications. */
  readonly authBackoffRefusals: number;
  /** Connections without sessions closed to make room for a new one when a connection limit was reached. */
  readonly connectionsEvicted: number;
  /** Sessions released because they were not started within unstartedSessionMs. */
  readonly sessionsReleasedUnstarted: number;
  /** Connections refused before the handshake, by reason (their sum is connectionsRefused). */
  readonly connectionsRefusedByReason: Readonly<Record<ConnectionRefusalReason, number>>;
  /** Request-TW-Session refused, by reason (the Accept value each got is in the README). */
  readonly sessionsRefusedByReason: Readonly<Record<SessionRefusalReason, number>>;
}

/** Timers that close a connection. */
export type ServerTimeoutName = 'handshake' | 'servwait' | 'message' | 'idle';

/** Why a connection got a Greeting with Modes 0 (the keys of ControlServerStats.connectionsRefusedByReason). */
export type ConnectionRefusalReason = (typeof CONNECTION_REFUSAL_REASONS)[number];

/** Why a Request-TW-Session was refused (see SESSION_REFUSAL_REASONS for each one's Accept value). */
export type SessionRefusalReason = (typeof SESSION_REFUSAL_REASONS)[number];

/** What a reload may change on a running server (see ControlServerApi.reconfigure). */
export type ControlServerReconfiguration = {
  readonly [K in 'limits' | 'timeouts' | 'allowedClients' | 'keys' | 'thirdPartySenders']?: ControlServerOptions[K] | undefined;
};

/** Implemented by `ControlServer` (static `listen(options & { address?, port? }): Promise<ControlServer>`; port default 862). */
export interface ControlServerApi {
  readonly address: string;
  readonly port: number;
  readonly stats: ControlServerStats;
  /**
   * Apply new limits/keys/allowed clients to new connections and new requests (SIGHUP reload). A
   * member left out keeps its value; one given as undefined goes back to the default (every client
   * allowed, no keys, default limits and timeouts, no third-party senders).
   */
  reconfigure(options: ControlServerReconfiguration): void;
  /**
   * Stop accepting; close every connection (releasing its sessions) once `graceMs` has passed or
   * the last connection has ended. Calling again while closing may shorten the grace, never extend it.
   */
  close(graceMs?: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

export interface ControlClientOptions {
  readonly server: Endpoint;
  readonly local?: Partial<Endpoint>;
  /**
   * Security modes the user allows (Mode bits). Default: all four. The strongest allowed mode the
   * server offers is chosen: encrypted > authenticated > mixed > open, unless `preference` says otherwise.
   */
  readonly allowedModes?: number;
  readonly preference?: readonly SecurityMode[];
  /** KeyID (identity) and shared secret for authenticated, encrypted and mixed modes. */
  readonly keyId?: string;
  readonly secret?: Uint8Array;
  /** Refuse a server's PBKDF2 Count above this (CPU exhaustion guard). Default 32 768. */
  readonly maxPbkdf2Count?: number;
  /** Extension bits to use when the server offers them (IndividualSessionControl, ReflectOctets, SymmetricalSize, DscpEcnMonitoring). Default none. */
  readonly extensions?: number;
  /** Every wait for the server (connect, greeting, each reply). Default 10 000 ms. */
  readonly timeoutMs?: number;
  readonly logger?: ControlLogger;
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** What the user may set in a Request-TW-Session (RFC 5357 §3.5, RFC 6038). */
export interface SessionRequestOptions {
  /** Session-Sender test endpoint. Address default: unspecified (the server uses the control connection's). */
  readonly sender?: Partial<Endpoint>;
  /** Session-Reflector test endpoint. Address default: unspecified; port 0 = server's choice. */
  readonly receiver?: Partial<Endpoint>;
  /** Padding Length (octets after the sender base). Default: symmetric (27 open/mixed, 64 authenticated/encrypted; 0 with RFC 6038 symmetrical size). */
  readonly paddingLength?: number;
  /** Start Time; default zero (start on Start-Sessions). */
  readonly startTime?: WireTimestamp;
  /** Timeout after Stop-Sessions, seconds. Default 2. */
  readonly timeoutSeconds?: number;
  /** Type-P DSCP. Default 0 (best effort). */
  readonly dscp?: number;
  /** RFC 6038 §4 (needs ReflectOctets negotiated). */
  readonly octetsToBeReflected?: number;
  readonly paddingToReflect?: number;
}

/** Implemented by `ControlClient` (static `connect(options): Promise<ControlClient>`). */
export interface ControlClientApi {
  /** The selected Modes value (security mode + extensions in use). */
  readonly mode: number;
  readonly securityMode: SecurityMode;
  /** What the server offered in its greeting. */
  readonly serverModes: number;
  readonly local: Endpoint;
  readonly server: Endpoint;
  /** Request-TW-Session; resolves with the accepted session, rejects with PeerRejectedError (Accept ≠ 0). */
  requestSession(options?: SessionRequestOptions): Promise<NegotiatedSession>;
  /** Start-Sessions (all). Resolves on Start-Ack 0. */
  startSessions(): Promise<void>;
  /** RFC 5938 Start-N-Sessions / Stop-N-Sessions (only when IndividualSessionControl is in `mode`). */
  startSessionsN(sids: readonly Uint8Array[]): Promise<void>;
  stopSessionsN(sids: readonly Uint8Array[]): Promise<void>;
  /** Stop-Sessions with Accept 0 (or the given value) and the correct Number of Sessions. */
  stopSessions(accept?: AcceptCode): Promise<void>;
  /** Close the connection (the server releases every session). Idempotent. */
  close(): void;
  /** Resolves when the connection ends; rejects if it ended by an error the caller did not see yet. */
  readonly closed: Promise<void>;
}
