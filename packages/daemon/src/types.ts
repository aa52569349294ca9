// The contract of @twamp/daemon: twampd's configuration (as validated, with defaults applied and
// durations in milliseconds) and the interfaces between its parts:
//
//   config/    YAML text → DaemonConfig (zod), every mistake reported with its path
//   logging/   pino logger from LoggingConfig (never secrets)
//   listeners/ the TWAMP-Control server (ControlServer + ReflectorPool) and the Light/STAMP reflectors
//   agent/     the multi-target measurement agent; results to AgentObservers (JSON Lines, Prometheus)
//   metrics/   prom-client registry: listener counters read at scrape time, agent histograms; HTTP
//              server for /metrics and /healthz
//   daemon.ts  Daemon: starts the parts from a config, reloads (SIGHUP), stops (SIGTERM)
//
// Layering: the daemon meets @twamp/control and @twamp/test-session here; it never imports @twamp/cli.
import type { ControlServerStats, KeyStore } from '@twamp/control';
import type { SessionSummary } from '@twamp/metrics';
import type { SecurityModeWord } from '@twamp/wire';
import type { PacketResult, ReflectorPoolStats, ReflectorStats, TestProtocol, TimestampSource } from '@twamp/test-session';

// ---------------------------------------------------------------------------------------------
// Configuration (the validated form; the YAML spelling is documented in docs/daemon.md)
// ---------------------------------------------------------------------------------------------

/** Security modes by the operator's word (YAML: `open`, `authenticated`, `encrypted`, `mixed`): @twamp/wire's vocabulary. */
export type { SecurityModeWord } from '@twamp/wire';

export interface ControlListenerConfig {
  /** Listener name for logs, metrics labels and `access` (always `control`). */
  readonly name: 'control';
  /** Local address; default `::` (dual-stack) — `0.0.0.0` for IPv4 only. */
  readonly address: string;
  /** TCP port for TWAMP-Control. Default 862. */
  readonly port: number;
  /** UDP ports the per-session reflectors bind. Default 8760-9960 (perfSONAR's range, as `twamp server`)... or 'ephemeral'. */
  readonly reflectorPorts: { readonly first: number; readonly last: number } | 'ephemeral';
  /** Offer RFC 5938 / 6038 / 7750 extensions. Default true. */
  readonly extensions: boolean;
  /**
   * Accept a Request-TW-Session whose Sender Address is another host than the control client
   * (third-party sessions). Default false: Accept 3, so a client cannot aim a reflector at someone else.
   */
  readonly thirdPartySenders: boolean;
}

export interface ReflectorListenerConfig {
  /** Unique name (letters, digits, `-`, `_`); used in logs, metrics labels and `access`. */
  readonly name: string;
  readonly protocol: 'twamp-light' | 'stamp';
  readonly address: string;
  /** UDP port. Default 862 for twamp-light, 862 for stamp (RFC 8762 §4.1)... must differ per address. */
  readonly port: number;
  /** Stateful (own counter per session, per-direction loss) or stateless. Default true. */
  readonly stateful: boolean;
  /** STAMP only: `open` (default) or `authenticated` with the key of `keyId` from the key file. */
  readonly stampSecurity: 'open' | 'authenticated';
  readonly keyId: string | undefined;
}

export interface ListenersConfig {
  /** The TWAMP-Control server; undefined when the section is absent or `enabled: false`. */
  readonly control: ControlListenerConfig | undefined;
  readonly reflectors: readonly ReflectorListenerConfig[];
}

export interface SecurityConfig {
  /** Modes the control server offers. Default [open] without a key file, all four with one. */
  readonly modes: readonly SecurityModeWord[];
  /** perfSONAR-style key file (identity hex, or identity: passphrase); needed for anything but open. */
  readonly keyFile: string | undefined;
  /** PBKDF2 iteration count asked of clients (power of two, ≥ 1024). Default 2048. */
  readonly pbkdf2Count: number;
}

/** Allowed client CIDRs by listener name (`control` or a reflector's name); absent = everyone. */
export type AccessConfig = Readonly<Record<string, readonly string[]>>;

export interface LimitsConfig {
  /** Control connections at once, all clients (beyond: Greeting with Modes 0). Default 1000. */
  readonly controlConnections: number;
  /** Control connections at once per client address. Default 16. */
  readonly controlConnectionsPerClient: number;
  /** TWAMP sessions per control connection (beyond: Accept 4). Default 64. */
  readonly sessionsPerConnection: number;
  /** TWAMP sessions at once across connections (beyond: Accept 4, permanent). Default 1024. */
  readonly sessionsTotal: number;
  /** Request-TW-Session per second across the server (beyond: Accept 5, temporary). Undefined: unlimited. */
  readonly sessionRequestsPerSecond: number | undefined;
  /** TWAMP sessions at once from one client address, across its connections (beyond: Accept 5). Undefined: unlimited. */
  readonly sessionsPerClient: number | undefined;
  /** Failed authentications per client address per minute before it is backed off (Modes 0). Undefined: unlimited. */
  readonly authFailuresPerMinute: number | undefined;
  /** Light/STAMP sessions at once per reflector listener. Default 10 000. */
  readonly reflectorSessions: number;
  /** Light/STAMP sessions one source address may hold per reflector (beyond: its longest idle one is evicted). */
  readonly reflectorSessionsPerSource: number;
  /** Packets per second answered per session / per source address. Undefined: unlimited. */
  readonly packetsPerSecondPerSession: number | undefined;
  readonly packetsPerSecondPerSource: number | undefined;
  /** REFWAIT for Light/STAMP sessions and SERVWAIT for idle control connections, ms. Default 900 000. */
  readonly idleTimeoutMs: number;
  /** Control handshake (accept → Set-Up-Response), ms. Default 30 000. */
  readonly handshakeTimeoutMs: number;
  /** A control connection holding no session and silent this long is closed, ms (SERVWAIT still covers those with sessions). */
  readonly idleWithoutSessionsTimeoutMs: number;
  /** A TWAMP session accepted but not started within this is released, ms. */
  readonly unstartedSessionTimeoutMs: number;
}

export type TargetProtocol = TestProtocol;

export interface AgentTargetConfig {
  /** Unique name; the `target` label in metrics and in every result record. */
  readonly name: string;
  readonly protocol: TargetProtocol;
  /** Peer address (IP literal or host name resolved at start). */
  readonly address: string;
  /** twamp: TCP control port (default 862); twamp-light/stamp: UDP port (default 862). */
  readonly port: number;
  /** Local address to send from; default the wildcard. */
  readonly localAddress: string | undefined;
  /** twamp: allowed control modes (strongest first); stamp: open or authenticated; light: open. */
  readonly modes: readonly SecurityModeWord[];
  /** Identity in the key file for authenticated/encrypted/mixed modes. */
  readonly keyId: string | undefined;
  readonly ssid: number | undefined;
  readonly schedule: 'periodic' | 'poisson';
  /** Mean interval between packets, ms. Default 1000. */
  readonly intervalMs: number;
  /** Padding octets, 'symmetric' (default) or 'imix'. */
  readonly padding: number | 'symmetric' | 'imix';
  /** DSCP (0-63) of the test packets. Default 0. */
  readonly dscp: number;
  readonly ttl: number;
  /** Reporting window, ms. Default 60 000. */
  readonly windowMs: number;
  /** Loss timeout, ms. Default 2000 (and never more than needed: min with 10 × interval is not applied). */
  readonly lossTimeoutMs: number;
  /** Is the peer reflector stateful (per-direction loss)? Default true. */
  readonly reflectorStateful: boolean;
  /** Free-form labels copied into every JSON Lines record (not into Prometheus labels: cardinality). */
  readonly labels: Readonly<Record<string, string>>;
}

export interface AgentConfig {
  readonly targets: readonly AgentTargetConfig[];
  /** JSON Lines results: a file path, `-` for stdout, or undefined for none. */
  readonly output: string | undefined;
  /** Retry after a failure: first delay, doubling up to max (± 20 % jitter), ms. Defaults 1000 / 300 000. */
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Spread target starts over this many ms (avoids 10 000 sockets sending in the same tick). Default min(intervalMs, 1000). */
  readonly startSpreadMs: number | undefined;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LoggingConfig {
  readonly level: LogLevel;
  /** `stderr` (default), `stdout`, or a file path (appended). */
  readonly destination: string;
}

export interface MetricsConfig {
  /** Serve /metrics and /healthz. Default true. */
  readonly enabled: boolean;
  /** Default 127.0.0.1 (not exposed unless asked). */
  readonly address: string;
  /** Default 9862. */
  readonly port: number;
  /** Agent histograms of RTT and one-way delay per target. Default true. */
  readonly agentHistograms: boolean;
}

export interface DaemonConfig {
  readonly listeners: ListenersConfig;
  readonly security: SecurityConfig;
  readonly access: AccessConfig;
  readonly limits: LimitsConfig;
  readonly agent: AgentConfig;
  readonly logging: LoggingConfig;
  readonly metrics: MetricsConfig;
  /** SIGTERM: how long sessions get to end before they are closed, ms. Default 10 000. */
  readonly shutdownGraceMs: number;
}

// Mistakes in a config file are reported as @twamp/errors' ConfigError: one ConfigIssue per mistake
// (path such as `agent.targets[3].port`, what is expected there, what was given), plus the YAML
// position where known (config/ owns the details).

// ---------------------------------------------------------------------------------------------
// Logging (pino's Logger satisfies this structurally; tests may pass a recorder)
// ---------------------------------------------------------------------------------------------

export interface DaemonLog {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  child(bindings: Readonly<Record<string, unknown>>): DaemonLog;
}

// ---------------------------------------------------------------------------------------------
// Listeners → metrics (read at scrape time: no per-packet cost for metrics)
// ---------------------------------------------------------------------------------------------

export interface ReflectorListenerSnapshot {
  readonly name: string;
  readonly protocol: 'twamp-light' | 'stamp';
  readonly address: string;
  readonly port: number;
  readonly stats: ReflectorStats;
}

export interface ControlListenerSnapshot {
  readonly name: 'control';
  readonly address: string;
  readonly port: number;
  readonly server: ControlServerStats;
  readonly pool: ReflectorPoolStats;
  /** Packets in/out and drops summed over the session reflectors (ended ones included). */
  readonly reflectors: ReflectorStats;
}

export interface ListenersSnapshot {
  readonly control: ControlListenerSnapshot | undefined;
  readonly reflectors: readonly ReflectorListenerSnapshot[];
}

export interface ListenerEndpoint {
  readonly name: string;
  readonly kind: 'control' | 'twamp-light' | 'stamp';
  readonly address: string;
  readonly port: number;
}

/** Implemented by listeners/ (`startListeners(config, deps)`). */
export interface ListenerSetApi {
  snapshot(): ListenersSnapshot;
  /** Where each listener is bound (for /healthz and logs). */
  endpoints(): readonly ListenerEndpoint[];
  /**
   * SIGHUP: new limits, access and keys for new sessions and connections; running sessions are kept.
   * Listeners added or removed by name are opened or closed; a changed address/port/protocol reopens
   * that listener, and when the new one cannot bind the old one keeps serving (one `reload-failed`
   * line per listener that failed; the first error is thrown).
   */
  reconfigure(config: DaemonConfig, keys: KeyStore | undefined): Promise<void>;
  /** Listeners the config in force asks for that are not running (one added by a reload that could not bind). */
  missing(): readonly string[];
  /** Stop accepting; let sessions end until `graceMs`, then close everything. */
  close(graceMs: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Agent → observers (JSON Lines sink, Prometheus)
// ---------------------------------------------------------------------------------------------

export interface AgentTargetInfo {
  readonly name: string;
  readonly protocol: TargetProtocol;
  readonly address: string;
  readonly port: number;
  /** The security mode in use once connected (twamp: negotiated; light/stamp: configured). */
  readonly mode: SecurityModeWord;
  readonly dscp: number;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The reflector reads this host's clock (its test address is local): one-way delays need no
   * synchronised clocks. False until a session is up, and for every remote peer.
   */
  readonly sharedClock: boolean;
}

export type TargetState = 'starting' | 'running' | 'backoff' | 'stopped';

export interface AgentWindow {
  readonly target: AgentTargetInfo;
  readonly index: number;
  /** Window bounds, Unix ms. */
  readonly startMs: number;
  readonly endMs: number;
  readonly summary: SessionSummary;
  /**
   * Where T1/T4 came from, and the run's totals of malformed replies and send errors (since the
   * target's session (re)started). The Session-Sender tells these only in the report at the end of
   * its run, so they are known in the last window of a run (stop, reload, failure) and undefined in
   * the windows before it: unknown, never a made-up 0.
   */
  readonly timestamps: { readonly t1: TimestampSource; readonly t4: TimestampSource } | undefined;
  readonly malformedReplies: number | undefined;
  readonly sendErrors: number | undefined;
}

export interface AgentFailure {
  readonly target: AgentTargetInfo;
  /** What failed, in words (connection refused, Accept 5: temporary resource limitation, ...). */
  readonly message: string;
  /** Error code (NetworkError/TimeoutError/PeerRejectedError's `code`) when there is one. */
  readonly code: string | undefined;
  /** The Accept value when the server refused. */
  readonly accept: number | undefined;
  /** Consecutive failures, and when the next attempt is. */
  readonly attempt: number;
  readonly retryInMs: number;
}

/** Told everything the agent measures; implemented by the JSON Lines sink and the Prometheus metrics. */
export interface AgentObserver {
  /**
   * A counted reply (disposition `counted`); the hot path: no allocation, no I/O. `result` is reused
   * for the next reply: read it during the call, keep nothing of it.
   */
  packet?(target: AgentTargetInfo, result: PacketResult): void;
  window?(window: AgentWindow): void;
  state?(target: AgentTargetInfo, state: TargetState): void;
  failure?(failure: AgentFailure): void;
  /** The target left the config (reload) or the agent stopped: forget its series. */
  removed?(target: AgentTargetInfo): void;
}

/** Implemented by agent/ (`new Agent(config.agent, deps)`). */
export interface AgentApi {
  start(): void;
  /** SIGHUP: targets added start, removed stop (their last window is written), changed ones restart. */
  reconfigure(agent: AgentConfig, keys: KeyStore | undefined): void;
  /** Stop every target: last windows are flushed to observers; resolves when every target has ended. */
  stop(graceMs: number): Promise<void>;
  readonly targets: readonly { readonly name: string; readonly state: TargetState }[];
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

export interface HealthReport {
  /**
   * `ok`: serving; `stopping`: SIGTERM received (HTTP 503); `failed`: a listener the config asks for
   * is not running (503). A reload whose listener could not move leaves the old one serving: `ok`.
   */
  readonly status: 'ok' | 'stopping' | 'failed';
  readonly uptimeMs: number;
  readonly listeners: readonly ListenerEndpoint[];
  readonly targets: { readonly total: number; readonly running: number; readonly backoff: number };
}
