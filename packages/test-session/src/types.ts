// The contract of @twamp/test-session: a Session-Reflector and a Session-Sender for TWAMP (RFC 5357,
// full and Light), and STAMP (RFC 8762/8972), on @twamp/udp sockets. Codecs and crypto come from
// @twamp/wire, statistics from @twamp/metrics; this layer owns sessions, schedules, timeouts and guards.
import type { PacketSample, ReplyDisposition, SessionSummary } from '@twamp/metrics';
import type { ClockStatus, IpFamily, UdpCapabilities, UdpImplementation } from '@twamp/udp';
import type { StampSecurity, StampTlv, TestPacketCrypto, TwampLayout } from '@twamp/wire';

/**
 * Which packets a reflector answers with / a sender sends.
 * - `twamp-light`: RFC 5357 Appendix I test packets without a control session (41-octet reply base).
 * - `stamp`: RFC 8762 (44-octet base, SSID) with RFC 8972 TLVs. A STAMP reflector also answers
 *   shorter TWAMP Light requests (RFC 8762 §4.6).
 * - `twamp`: test packets of a session negotiated by TWAMP-Control (layout and keys handed over).
 */
export type TestProtocol = 'twamp-light' | 'stamp' | 'twamp';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Where a time came from, stated in every report. */
export type TimestampSource = 'kernel' | 'stamp-on-send' | 'userspace';

// ---------------------------------------------------------------------------------------------
// Session-Reflector
// ---------------------------------------------------------------------------------------------

/** Why a reflector dropped a packet; each reason has its own counter. */
export type ReflectorDropReason =
  | 'too-short'
  | 'truncated'
  | 'source-not-allowed'
  | 'unknown-session'
  | 'session-limit'
  | 'source-rate'
  | 'session-rate'
  | 'bad-hmac'
  | 'bad-reflect-octets'
  | 'send-failed'
  /** The source is the reflector's own address and port (or another local address with its port): answering would talk to itself. */
  | 'own-address'
  /** Source port 0: no reply can be sent to it. */
  | 'source-port-zero'
  /** Multicast, broadcast, unspecified or otherwise unanswerable source address (IPv4, IPv6, IPv4-mapped). */
  | 'bad-source-address'
  /** The request carries a timestamp this process wrote into a reply recently: one of our replies came back (a loop). */
  | 'looped-reply';

/**
 * A rate-limited summary of one drop reason (`ReflectorOptions.onDropReport`): at most one per reason
 * per `dropReportIntervalMs`, for log lines.
 */
export interface ReflectorDropReport {
  readonly reason: ReflectorDropReason;
  /** Drops of this reason since the last report of it. */
  readonly count: number;
  /** Drops of this reason since the reflector opened. */
  readonly total: number;
  /** The latest offending source. */
  readonly source: Endpoint;
}

export interface ReflectorOptions {
  readonly family?: IpFamily;
  /** Local address; default the family's wildcard. */
  readonly address?: string;
  /** UDP port; default 862. 0 = ephemeral (see `localPort`). */
  readonly port?: number;
  /** Reply format for sessions created on first packet. Default `twamp-light`. */
  readonly protocol?: 'twamp-light' | 'stamp';
  /** Stateful: the reflector's own sequence counter per session (default). Stateless: copy the sender's (RFC 8762 §4.2). */
  readonly stateful?: boolean;
  /** STAMP: authenticated mode (RFC 8762 §4.3) with this HMAC-SHA-256 key; open otherwise. */
  readonly stampSecurity?: StampSecurity;
  readonly stampKey?: Uint8Array;
  /**
   * TWAMP Light with authenticated or encrypted packets (keys supplied directly, no control session):
   * every session created on first packet uses this layout and a crypto made by this factory.
   */
  readonly lightLayout?: TwampLayout;
  readonly lightCrypto?: () => TestPacketCrypto;
  /** Only answer sessions registered with `register` (a TWAMP-Control server's reflector). */
  readonly registeredOnly?: boolean;
  /** REFWAIT: a session idle this long is forgotten. Default 900 000 ms. */
  readonly idleTimeoutMs?: number;
  /** Sources allowed to be answered (CIDRs, IPv4 and IPv6). Default: everyone. */
  readonly allowedSources?: readonly string[];
  /**
   * At most this many sessions at once. Default 10 000. When the table is full a new session evicts
   * one (of the source holding the most, then one that saw a single packet, longest idle first).
   */
  readonly maxSessions?: number;
  /**
   * Light/STAMP sessions one source address may hold; a source at its cap that starts another session
   * evicts its own longest-idle one. Default 256 (DEFAULT_MAX_SESSIONS_PER_SOURCE).
   */
  readonly maxSessionsPerSource?: number;
  /** Packets per second answered per source address (token bucket, burst = 1 s worth). Default unlimited. */
  readonly perSourceRate?: number;
  /** Packets per second answered per session. Default unlimited. */
  readonly perSessionRate?: number;
  /** TTL / Hop Limit of replies. Default 255 (RFC 5357 §4.2). */
  readonly ttl?: number;
  /** TOS of replies for sessions without a negotiated DSCP. Default: copy the request's TOS when readable, else 0. */
  readonly tos?: number;
  /** Override the clock status used for the Error Estimate (default: @twamp/udp clockStatus(), re-read every second). */
  readonly clock?: () => ClockStatus;
  readonly implementation?: UdpImplementation | 'auto';
  /** Told about session lifecycle (for logs and metrics). */
  readonly onSessionEvent?: (event: ReflectorSessionEvent) => void;
  /**
   * Told about drops, at most once per reason per `dropReportIntervalMs` (from the sweep timer, never
   * per packet): the hook for rate-limited log lines.
   */
  readonly onDropReport?: (report: ReflectorDropReport) => void;
  /** Default 10 000 ms (DEFAULT_DROP_REPORT_INTERVAL_MS). */
  readonly dropReportIntervalMs?: number;
  /** Injected time source (ms), for idle-timeout tests. Default Date.now / performance. */
  readonly now?: () => number;
}

export interface ReflectorSessionEvent {
  /** 'evicted': forgotten to make room for a new session (per-source cap or full table). */
  readonly type: 'created' | 'expired' | 'stopped' | 'evicted';
  readonly key: string;
  readonly peer: Endpoint;
  readonly protocol: TestProtocol;
  readonly ssid?: number;
  readonly packets: number;
}

/** A session a TWAMP-Control server negotiated, handed to the reflector. */
export interface RegisteredSession {
  /** The SID (16 octets) from Accept-Session; for logs and lookup. */
  readonly sid: Uint8Array;
  /** The negotiated sender address/port. Undefined port or address: match any (NAT-friendly). */
  readonly sender?: Partial<Endpoint>;
  readonly layout: TwampLayout;
  /** Packet protection for authenticated/encrypted sessions; undefined for open/mixed. */
  readonly crypto?: TestPacketCrypto;
  /** Type-P DSCP the session was requested with; replies use it. */
  readonly dscp?: number;
  readonly stateful?: boolean;
}

export interface RegisteredSessionHandle {
  readonly sid: Uint8Array;
  /** Packets reflected so far. */
  readonly packets: number;
  /** Keep reflecting for `timeoutMs` (the Request-TW-Session Timeout), then forget the session. */
  stop(timeoutMs: number): void;
}

export interface ReflectorStats {
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly dropped: Readonly<Record<ReflectorDropReason, number>>;
  readonly sessionsActive: number;
  readonly sessionsCreated: number;
  readonly sessionsExpired: number;
  /** Sessions forgotten to make room for new ones (per-source cap or full table). */
  readonly sessionsEvicted: number;
}

export interface ReflectorSessionInfo {
  readonly key: string;
  readonly peer: Endpoint;
  readonly protocol: TestProtocol;
  readonly ssid?: number;
  readonly packets: number;
  readonly lastSeenMs: number;
}

/**
 * What `SessionReflectorApi.reconfigure` changes (a reload). An absent member keeps its value; a
 * member present as undefined goes back to the default (everyone allowed, no rate cap).
 */
export interface ReflectorReconfiguration {
  readonly allowedSources?: readonly string[] | undefined;
  readonly maxSessions?: number;
  readonly maxSessionsPerSource?: number;
  readonly perSourceRate?: number | undefined;
  readonly perSessionRate?: number | undefined;
  readonly idleTimeoutMs?: number;
}

/** Implemented by `SessionReflector` (static `open(options): Promise<SessionReflector>`). */
export interface SessionReflectorApi {
  readonly localAddress: string;
  readonly localPort: number;
  readonly capabilities: UdpCapabilities;
  register(session: RegisteredSession): RegisteredSessionHandle;
  readonly stats: ReflectorStats;
  sessions(): ReflectorSessionInfo[];
  /**
   * New limits for what comes next, without touching running sessions: allowedSources, maxSessions,
   * maxSessionsPerSource and the rate caps apply to sessions created afterwards (a session keeps the
   * rates it started with; a lower maxSessions evicts nothing at the reload, later new sessions make
   * room as on a full table); idleTimeoutMs applies to every session from the next sweep (an idle
   * session is idle). Throws a ConfigError, changing nothing,
   * when a value is bad.
   */
  reconfigure(changes: ReflectorReconfiguration): void;
  /** Stop and release the socket. Idempotent. */
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// Session-Sender
// ---------------------------------------------------------------------------------------------

export type SenderSchedule =
  | { readonly kind: 'periodic'; readonly intervalMs: number }
  /** Exponential inter-send times with this mean (RFC 3432-style Poisson stream); seed for reproducibility. */
  | { readonly kind: 'poisson'; readonly meanIntervalMs: number; readonly seed?: number };

/** Padding: a fixed length, 'symmetric' (request as long as the reply base), or 'imix' (7:4:1 of 64/576/1500-octet packets). */
export type SenderPadding = number | 'symmetric' | 'imix';

export interface SenderOptions {
  readonly target: Endpoint;
  readonly local?: Partial<Endpoint>;
  readonly family?: IpFamily;
  readonly protocol: TestProtocol;
  /** STAMP: SSID (0-65535), security, HMAC key, TLVs to send. */
  readonly ssid?: number;
  readonly stampSecurity?: StampSecurity;
  readonly stampKey?: Uint8Array;
  readonly tlvs?: readonly StampTlv[];
  /** TWAMP (full, or Light with keys): the layout and, for authenticated/encrypted, the crypto. */
  readonly layout?: TwampLayout;
  readonly crypto?: TestPacketCrypto;
  readonly schedule?: SenderSchedule;
  /** Send this many packets in a row at each scheduled time. Default 1. */
  readonly burst?: number;
  /** Stop after this many packets; with neither count nor durationMs, run until stopped. */
  readonly count?: number;
  readonly durationMs?: number;
  /** Default 'symmetric'. */
  readonly padding?: SenderPadding;
  readonly paddingFill?: 'zero' | 'random';
  readonly tos?: number;
  /** Default 255. */
  readonly ttl?: number;
  readonly dontFragment?: boolean;
  /** Default 2000 ms. */
  readonly lossTimeoutMs?: number;
  readonly percentiles?: readonly number[];
  /** Emit an interval summary every this many ms (continuous runs). */
  readonly intervalReportMs?: number;
  /**
   * Keep the whole run's delay and IPDV distributions for the final summary (default true). False
   * for continuous runs read through their interval summaries (twampd's agent): intervals are whole,
   * the final summary keeps the run's counts but reports no distributions (count 0), and each session
   * holds one window's samples instead of growing to seven histograms.
   */
  readonly sessionDistributions?: boolean;
  /** Whether the peer reflector is stateful (enables per-direction loss). Default true. */
  readonly reflectorStateful?: boolean;
  /**
   * The reflector reads the same clock as this sender (same process, or an address of this host: see
   * @twamp/udp's isLocalAddress): one-way delays are then valid without synchronised clocks (the
   * summary's clock verdict says so). Default false: the Error Estimates decide.
   */
  readonly sharedClock?: boolean;
  /** Stop sending; in-flight packets still get their loss timeout and the summary is complete. */
  readonly signal?: AbortSignal;
  readonly implementation?: UdpImplementation | 'auto';
  /** Max events buffered for `events()`; beyond it events are dropped and counted. Default 65 536. */
  readonly eventQueueLimit?: number;
}

/** One request's outcome. Times are ns relative to the report's epoch. */
export interface PacketResult extends PacketSample {
  readonly disposition: ReplyDisposition;
  /** (T4 − T1) − (T3 − T2), ns. */
  readonly rtt: number;
  readonly forward: number;
  readonly backward: number;
  readonly processing: number;
}

export type SenderEvent =
  | { readonly type: 'packet'; readonly result: PacketResult }
  | { readonly type: 'lost'; readonly sequence: number }
  | { readonly type: 'interval'; readonly index: number; readonly summary: SessionSummary };

export interface SenderEventOptions {
  /** Packet events and their results are reused between replies (see onEvent). Default false. */
  readonly reusePacketResults?: boolean;
}

export interface SenderReport {
  readonly protocol: TestProtocol;
  readonly target: Endpoint;
  readonly local: Endpoint;
  /** Unix seconds (integer) that every relative time in this run counts from. */
  readonly epochUnixSeconds: number;
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly summary: SessionSummary;
  readonly timestamps: {
    readonly t1: TimestampSource;
    readonly t4: TimestampSource;
  };
  /** Our clock when the run started. */
  readonly clock: ClockStatus;
  readonly capabilities: UdpCapabilities;
  /** Replies that failed to decode or authenticate, by reason. */
  readonly malformedReplies: number;
  readonly sendErrors: number;
  readonly eventsDropped: number;
  /** True when stopped by the signal before count/duration. */
  readonly aborted: boolean;
}

/** Implemented by `SessionSender` (static `open(options): Promise<SessionSender>`, which opens the socket and starts sending). */
export interface SessionSenderApi {
  readonly localAddress: string;
  readonly localPort: number;
  /** Per-packet results and interval summaries while running (bounded queue). */
  events(): AsyncIterable<SenderEvent>;
  /**
   * Fast path alternative to events(): called synchronously for each event. With
   * `reusePacketResults`, every packet event (and its result) is one object the sender refills for
   * the next reply: valid only during the call, copy what you keep. That spares an allocation per
   * reply (about 600 octets), which counts for thousands of sessions in one process.
   */
  onEvent(handler: (event: SenderEvent) => void, options?: SenderEventOptions): void;
  /** Resolves when the run is over (count/duration reached or aborted, and every loss timeout passed). */
  readonly done: Promise<SenderReport>;
  /** Same as aborting the signal. */
  stop(): void;
}
