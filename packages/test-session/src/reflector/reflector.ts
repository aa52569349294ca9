// The Session-Reflector: one UDP socket, sessions keyed by the 4-tuple (plus SSID for STAMP), made on
// first packet (TWAMP Light, STAMP) or registered by a TWAMP-Control server, and answered from inside
// the socket's batch callback through wire's allocation-free reflectInto. Per packet: a session
// lookup (usually the last session again), the protection the session needs, reflectInto, a few
// counters, reply(); the socket stamps T3 just before sendmmsg() where the crypto allows it.
import { ConfigError, type ConfigIssue, formatEndpoint } from '@twamp/errors';
import {
  type ClockStatus,
  clockStatus,
  openUdpSocket,
  type ReceiveBatch,
  type UdpCapabilities,
  type UdpSocket,
} from '@twamp/udp';
import {
  createStampReflectContext,
  createTwampReflectContext,
  formatIpAddress,
  isUnspecifiedAddress,
  NTP_UNIX_OFFSET_SECONDS,
  ntpFractionFromNanos,
  Port,
  type ReflectContext,
  ReflectStatus,
  reflectInto,
  signStampPacket,
  STAMP_AUTH_BASE,
  StampSecurity,
  stampBase,
  stampSenderOffsets,
  SyncSource,
  type TestPacketCrypto,
  TestPacketKind,
  TestSecurity,
  TimestampMethod,
  tryParseIpAddress,
  TWAMP_SENDER_AUTH_BASE,
  TWAMP_SENDER_OPEN_BASE,
  type TwampLayout,
  twampLayout,
  verifyStampPacket,
  TTL_UNKNOWN,
  tosFrom,
} from '@twamp/wire';
import { errorEstimateForClock } from '../shared/clock.js';
import type {
  Endpoint,
  RegisteredSession,
  RegisteredSessionHandle,
  ReflectorDropReason,
  ReflectorDropReport,
  ReflectorOptions,
  ReflectorReconfiguration,
  ReflectorSessionEvent,
  ReflectorSessionInfo,
  ReflectorStats,
  SessionReflectorApi,
  TestProtocol,
} from '../types.js';
import { CidrMatcher } from './cidr.js';
import { isLoopedReply, rememberReplyStamp } from './loop-guard.js';
import { SourceLimiter, TokenBucket } from './rate-limit.js';
import { ReflectorSession } from './session.js';
import { SessionTable } from './session-table.js';
import { isOwnEndpoint, isUnanswerableSource, refreshLocalAddresses } from './source-check.js';
import { fillReflectedTlvs, reflectorUnderstoodTlvs, requestTlvsFailIntegrity, signReplyTlvs, TlvFillState } from './stamp-tlvs.js';

export const REFLECTOR_DROP_REASONS: readonly ReflectorDropReason[] = Object.freeze([
  'too-short',
  'truncated',
  'source-not-allowed',
  'unknown-session',
  'session-limit',
  'source-rate',
  'session-rate',
  'bad-hmac',
  'bad-reflect-octets',
  'send-failed',
  'own-address',
  'source-port-zero',
  'bad-source-address',
  'looped-reply',
]);

/** RFC 5357 §4.2: REFWAIT default, 900 s. */
export const DEFAULT_REFWAIT_MS = 900_000;
export const DEFAULT_MAX_SESSIONS = 10_000;
/** Light/STAMP sessions one source address may hold: far more than an honest multi-session sender opens. */
export const DEFAULT_MAX_SESSIONS_PER_SOURCE = 256;
/** onDropReport is called at most once per reason per this many ms. */
export const DEFAULT_DROP_REPORT_INTERVAL_MS = 10_000;
/** Largest request answered; longer datagrams arrive truncated and are dropped ('truncated'). Jumbo frames fit. */
export const REFLECTOR_MAX_PACKET = 9216;
/** Room for the longest reply: the request, or a base up to 112 octets past a shorter sender base. */
const REPLY_BUFFER_LENGTH = REFLECTOR_MAX_PACKET + 128;
const SOCKET_BUFFER_BYTES = 4 << 20;
/** The clock status (for the Error Estimate) is read at most this often. */
const CLOCK_REFRESH_MS = 1000;
/** How often the sweep looks for idle sessions and full rate buckets (shorter for short REFWAITs). */
const SWEEP_MAX_MS = 1000;
const SWEEP_MIN_MS = 10;
/** Source buckets kept beyond one per session, for sources that have not made a session yet. */
const EXTRA_SOURCE_BUCKETS = 4096;
/** Sessions one new session may evict to make room (more only after a reload lowered maxSessions a lot). */
const MAX_EVICTIONS_PER_ADMISSION = 16;
/** setTimeout's largest delay (about 24.8 days); a Timeout beyond it is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Bench-only timing of the packet path (see `traceTurnaround`). Each call reads the socket's own
 * clock first (stampNow, CLOCK_REALTIME like T2 and T3) and passes the NTP value in `stamp`.
 */
export interface TurnaroundProbe {
  /** The batch callback started (before anything else); `batch` gives each packet's T2. */
  delivered(batch: ReceiveBatch, stamp: Uint32Array): void;
  /** Every reply of the batch is queued; flush (and the T3 stamp) comes next. */
  queued(stamp: Uint32Array): void;
  /**
   * After flush. On a socket that stamps on send (native), `stamp` holds the T3 it wrote into the
   * replies of this batch; otherwise it still holds the `queued` reading.
   */
  flushed(stamp: Uint32Array): void;
}

let attachProbe: (reflector: SessionReflector, probe: TurnaroundProbe | undefined) => void = () => undefined;

/**
 * Bench-only: time every batch of this reflector with `probe` (undefined detaches). Not exported
 * from the package: production pays three undefined checks per batch, nothing per packet.
 */
export function traceTurnaround(reflector: SessionReflector, probe: TurnaroundProbe | undefined): void {
  attachProbe(reflector, probe);
}

/** A registered session's wish for its sender, normalised; undefined parts match anything. */
interface SenderFilter {
  readonly address: string | undefined;
  readonly port: number | undefined;
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function hex(octets: Uint8Array): string {
  return Buffer.from(octets.buffer, octets.byteOffset, octets.byteLength).toString('hex');
}

function normaliseAddress(address: string): string | undefined {
  const parsed = tryParseIpAddress(address);
  return parsed === undefined ? undefined : formatIpAddress(parsed.octets);
}

/** Where the socket may stamp T3 (see ReflectorSession.lateStamp), or -1. */
function lateStampOffset(ctx: ReflectContext, security: TestSecurity | StampSecurity, protocol: 'twamp' | 'stamp'): number {
  if (protocol === 'twamp') return security === TestSecurity.Encrypted ? -1 : ctx.rTs;
  return security === StampSecurity.Authenticated ? -1 : ctx.rTs;
}

function checkOptions(options: ReflectorOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const bad = (path: string, expected: string, received: unknown): void => {
    issues.push({ path, expected, received: String(received) });
  };
  // Plain-JavaScript callers can pass anything: check what the types already promise.
  const family: unknown = options.family;
  const protocol: unknown = options.protocol;
  if (family !== undefined && family !== 4 && family !== 6) bad('family', '4 or 6', family);
  if (options.port !== undefined && !isInteger(options.port, 0, 65535)) bad('port', 'an integer from 0 to 65535', options.port);
  if (protocol !== undefined && protocol !== 'twamp-light' && protocol !== 'stamp') {
    bad('protocol', "'twamp-light' or 'stamp'", protocol);
  }
  if (options.idleTimeoutMs !== undefined && !isPositive(options.idleTimeoutMs)) bad('idleTimeoutMs', 'a positive number of ms', options.idleTimeoutMs);
  if (options.maxSessions !== undefined && !isInteger(options.maxSessions, 1, 10_000_000)) bad('maxSessions', 'an integer from 1', options.maxSessions);
  if (options.maxSessionsPerSource !== undefined && !isInteger(options.maxSessionsPerSource, 1, 10_000_000)) {
    bad('maxSessionsPerSource', 'an integer from 1', options.maxSessionsPerSource);
  }
  if (options.dropReportIntervalMs !== undefined && !isPositive(options.dropReportIntervalMs)) {
    bad('dropReportIntervalMs', 'a positive number of ms', options.dropReportIntervalMs);
  }
  if (options.perSourceRate !== undefined && !isPositive(options.perSourceRate)) bad('perSourceRate', 'a positive packet rate', options.perSourceRate);
  if (options.perSessionRate !== undefined && !isPositive(options.perSessionRate)) bad('perSessionRate', 'a positive packet rate', options.perSessionRate);
  if (options.ttl !== undefined && !isInteger(options.ttl, 1, 255)) bad('ttl', 'an integer from 1 to 255', options.ttl);
  if (options.tos !== undefined && !isInteger(options.tos, 0, 255)) bad('tos', 'an integer from 0 to 255', options.tos);
  if (options.protocol === 'stamp' && options.stampSecurity === StampSecurity.Authenticated && (options.stampKey === undefined || options.stampKey.length === 0)) {
    bad('stampKey', 'an HMAC key for authenticated STAMP', 'none');
  }
  if (options.lightLayout !== undefined && options.lightLayout.security !== TestSecurity.Open && options.lightCrypto === undefined) {
    bad('lightCrypto', `a crypto factory for ${options.lightLayout.security} TWAMP Light`, 'none');
  }
  return issues;
}

/**
 * A TWAMP / TWAMP Light / STAMP Session-Reflector on one UDP socket. `open` binds it (default UDP 862,
 * IPv4); every packet is answered from the socket's receive callback. Never throws on peer input:
 * what it cannot answer is counted by reason in `stats.dropped`.
 */
export class SessionReflector implements SessionReflectorApi {
  readonly #socket: UdpSocket;
  readonly #now: () => number;
  readonly #clockSource: () => ClockStatus;
  readonly #protocol: 'twamp-light' | 'stamp';
  readonly #stateful: boolean;
  readonly #stampSecurity: StampSecurity;
  readonly #stampKey: Uint8Array | undefined;
  /** STAMP: where the SSID sits in a request, and the base below which a request is TWAMP Light (no SSID). */
  readonly #ssidAt: number;
  readonly #stampBase: number;
  readonly #lightLayout: TwampLayout;
  readonly #lightCrypto: (() => TestPacketCrypto) | undefined;
  /** Checks first packets of Light sessions with keys before a session (and its own crypto) is made. */
  readonly #lightProbe: TestPacketCrypto | undefined;
  readonly #understood: Uint8Array;
  readonly #registeredOnly: boolean;
  // Reloadable (reconfigure): read when a session is made, or by the sweep.
  #idleMs: number;
  #maxSessions: number;
  #maxPerSource: number;
  #allowed: CidrMatcher | undefined;
  #sourceRate: number | undefined;
  #sourceLimiter: SourceLimiter | undefined;
  #sessionRate: number;
  readonly #tos: number;
  readonly #canSetTos: boolean;
  readonly #onEvent: ((event: ReflectorSessionEvent) => void) | undefined;
  readonly #onDropReport: ((report: ReflectorDropReport) => void) | undefined;
  readonly #dropReportMs: number;
  /** Per drop reason: the latest offending source (mutated in place), and what the last report said. */
  readonly #dropSource: Record<ReflectorDropReason, { address: string; port: number }>;
  readonly #reportedTotal: Record<ReflectorDropReason, number>;
  readonly #reportedAtMs: Record<ReflectorDropReason, number>;
  /** Where a request of a new Light/STAMP session carries the sender's timestamp, and where a reply carries a copy of it. */
  readonly #senderTsAt: number;
  readonly #receiveTsAt: number;
  readonly #copiedTsAt: number;
  /** The socket stamps each reply as it sends it (no batching): `stamp` holds that reply's T3 right after reply(). */
  readonly #stampsEachReply: boolean;

  readonly #table = new SessionTable();
  /** Registered sessions that have not seen their first packet (not in the table yet). */
  readonly #waiting: ReflectorSession[] = [];
  readonly #filters = new WeakMap<ReflectorSession, SenderFilter>();
  #last: ReflectorSession | undefined;

  readonly #reply = Buffer.alloc(REPLY_BUFFER_LENGTH);
  readonly #fill = new TlvFillState();
  readonly #boundAddress: string;
  readonly #wildcard: boolean;

  #errorEstimate = 0x0001;
  #clockReadMs = Number.NEGATIVE_INFINITY;
  #sweepTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #probe: TurnaroundProbe | undefined;

  static {
    attachProbe = (reflector, probe): void => {
      reflector.#probe = probe;
    };
  }

  #packetsIn = 0;
  #packetsOut = 0;
  #sessionsCreated = 0;
  #sessionsExpired = 0;
  #sessionsEvicted = 0;
  readonly #dropped: Record<ReflectorDropReason, number>;

  private constructor(socket: UdpSocket, options: ReflectorOptions) {
    this.#socket = socket;
    this.#now = options.now ?? Date.now;
    this.#clockSource = options.clock ?? clockStatus;
    this.#protocol = options.protocol ?? 'twamp-light';
    this.#stateful = options.stateful ?? true;
    this.#stampSecurity = options.stampSecurity ?? StampSecurity.Open;
    this.#stampKey = options.stampKey !== undefined && options.stampKey.length > 0 ? Buffer.from(options.stampKey) : undefined;
    this.#ssidAt = stampSenderOffsets(this.#stampSecurity).ssid;
    this.#stampBase = stampBase(this.#stampSecurity);
    this.#lightLayout = options.lightLayout ?? twampLayout({ security: TestSecurity.Open });
    this.#lightCrypto = this.#lightLayout.security === TestSecurity.Open ? undefined : options.lightCrypto;
    this.#lightProbe = this.#lightCrypto?.();
    this.#understood = reflectorUnderstoodTlvs(this.#stampKey !== undefined);
    this.#registeredOnly = options.registeredOnly ?? false;
    this.#idleMs = options.idleTimeoutMs ?? DEFAULT_REFWAIT_MS;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#maxPerSource = options.maxSessionsPerSource ?? DEFAULT_MAX_SESSIONS_PER_SOURCE;
    this.#allowed = options.allowedSources === undefined ? undefined : new CidrMatcher(options.allowedSources);
    this.#sourceRate = options.perSourceRate;
    this.#sourceLimiter = this.#limiterFor(this.#sourceRate, this.#maxSessions);
    this.#sessionRate = options.perSessionRate ?? 0;
    this.#tos = options.tos ?? -1;
    this.#canSetTos = socket.capabilities.setTos;
    this.#onEvent = options.onSessionEvent;
    this.#onDropReport = options.onDropReport;
    this.#dropReportMs = options.dropReportIntervalMs ?? DEFAULT_DROP_REPORT_INTERVAL_MS;
    this.#dropSource = Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, { address: '', port: 0 }])) as Record<
      ReflectorDropReason,
      { address: string; port: number }
    >;
    this.#reportedTotal = Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, 0])) as Record<ReflectorDropReason, number>;
    this.#reportedAtMs = Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, Number.NEGATIVE_INFINITY])) as Record<ReflectorDropReason, number>;
    // The offsets of the sessions this reflector makes on first packet (registered sessions use their own ctx's).
    const template =
      this.#protocol === 'stamp'
        ? createStampReflectContext({ security: this.#stampSecurity, stateful: true, errorEstimate: 0, understoodTlvs: this.#understood })
        : createTwampReflectContext({ layout: this.#lightLayout, stateful: true, errorEstimate: 0 });
    this.#senderTsAt = template.sTs;
    this.#receiveTsAt = template.rRx;
    this.#copiedTsAt = template.rSTs;
    this.#stampsEachReply = !socket.capabilities.batching;
    refreshLocalAddresses();
    this.#boundAddress = socket.localAddress;
    this.#wildcard = isUnspecifiedAddress(socket.localAddress);
    this.#dropped = Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, 0])) as Record<ReflectorDropReason, number>;
    this.#fill.canSetTos = this.#canSetTos;
    this.#fill.localPort = socket.localPort;
    this.#fill.timestampIn = TimestampMethod.SwLocal;
    this.#fill.timestampOut = TimestampMethod.SwLocal;

    socket.onReceive(this.#onBatch);
    // Asynchronous socket errors (ICMP errors, failed sends reported later) must not crash the
    // process; replies that fail synchronously are counted as 'send-failed'.
    socket.onError(() => undefined);
    this.#armSweep();
  }

  #armSweep(): void {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    const sweepMs = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, Math.floor(this.#idleMs / 4)));
    this.#sweepTimer = setInterval(this.#sweep, sweepMs);
    this.#sweepTimer.unref();
  }

  #limiterFor(rate: number | undefined, maxSessions: number): SourceLimiter | undefined {
    return rate === undefined ? undefined : new SourceLimiter(rate, maxSessions + EXTRA_SOURCE_BUCKETS);
  }

  /**
   * Bind the reflector's socket and start answering. Bad options are a ConfigError (every problem
   * listed); a bind failure is @twamp/udp's NetworkError.
   */
  static async open(options: ReflectorOptions = {}): Promise<SessionReflector> {
    const issues = checkOptions(options);
    // Parse the CIDRs now so a bad one is reported before anything binds.
    if (options.allowedSources !== undefined) {
      try {
        new CidrMatcher(options.allowedSources);
      } catch (error) {
        if (error instanceof ConfigError) issues.push(...error.issues);
        else throw error;
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);
    const socket = await openUdpSocket({
      family: options.family ?? 4,
      ...(options.address === undefined ? {} : { address: options.address }),
      port: options.port ?? Port.TwampTest,
      ttl: options.ttl ?? 255,
      maxPacketSize: REFLECTOR_MAX_PACKET,
      receiveBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
      implementation: options.implementation ?? 'auto',
    });
    try {
      if (options.tos !== undefined && !socket.capabilities.setTos) {
        throw new ConfigError([
          { path: 'tos', expected: `a socket that can set the TOS (the ${socket.capabilities.implementation} socket cannot)`, received: String(options.tos) },
        ]);
      }
      return new SessionReflector(socket, options);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  get localAddress(): string {
    return this.#socket.localAddress;
  }

  get localPort(): number {
    return this.#socket.localPort;
  }

  get capabilities(): UdpCapabilities {
    return this.#socket.capabilities;
  }

  get stats(): ReflectorStats {
    return {
      packetsIn: this.#packetsIn,
      packetsOut: this.#packetsOut,
      dropped: { ...this.#dropped },
      sessionsActive: this.#table.size + this.#waiting.length,
      sessionsCreated: this.#sessionsCreated,
      sessionsExpired: this.#sessionsExpired,
      sessionsEvicted: this.#sessionsEvicted,
    };
  }

  sessions(): ReflectorSessionInfo[] {
    const out: ReflectorSessionInfo[] = [];
    const add = (s: ReflectorSession): void => {
      out.push({
        key: s.key,
        peer: { address: s.address, port: s.port },
        protocol: s.protocol,
        ...(s.protocol === 'stamp' ? { ssid: s.ssid } : {}),
        packets: s.packets,
        lastSeenMs: s.lastSeenMs,
      });
    };
    for (const s of this.#table.values()) add(s);
    for (const s of this.#waiting) add(s);
    return out;
  }

  /**
   * Hand over a session a TWAMP-Control server accepted. Its packets are recognised by the sender
   * address/port it was negotiated with (a missing part matches anything, for NAT); the first
   * packet that authenticates binds the session to the flow it came from. Not counted against
   * maxSessions (the control server decides how many it accepts).
   */
  register(session: RegisteredSession): RegisteredSessionHandle {
    const now = this.#now();
    const ctx = createTwampReflectContext({ layout: session.layout, stateful: session.stateful ?? true, errorEstimate: this.#errorEstimate });
    const sid = Uint8Array.from(session.sid);
    const wantAddress = session.sender?.address === undefined ? undefined : normaliseAddress(session.sender.address);
    const wantPort = session.sender?.port;
    const crypto = session.layout.security === TestSecurity.Open ? undefined : session.crypto;
    const dscp = session.dscp;
    const state = new ReflectorSession(
      {
        key: `twamp:${hex(sid)}`,
        protocol: 'twamp',
        address: wantAddress ?? '',
        port: wantPort ?? 0,
        local: '',
        ssid: 0,
        ctx,
        crypto,
        stampKey: undefined,
        stampAuthenticated: false,
        tos: dscp !== undefined && isInteger(dscp, 0, 63) ? tosFrom(dscp) : -1,
        nowMs: now,
        sid,
      },
      lateStampOffset(ctx, session.layout.security, 'twamp'),
    );
    this.#filters.set(state, { address: wantAddress, port: wantPort });
    if (this.#sessionRate > 0) state.bucket = new TokenBucket(this.#sessionRate, now);
    if (this.#closed) {
      state.gone = true;
    } else {
      this.#waiting.push(state);
      this.#sessionsCreated++;
      this.#emit('created', state);
    }
    const stop = (timeoutMs: number): void => {
      this.#stop(state, timeoutMs);
    };
    return {
      sid,
      get packets(): number {
        return state.packets;
      },
      stop,
    };
  }

  reconfigure(changes: ReflectorReconfiguration): void {
    // The same checks as open(); nothing changes unless everything is valid.
    const checked: { -readonly [K in keyof ReflectorOptions]?: ReflectorOptions[K] } = {};
    if (changes.maxSessions !== undefined) checked.maxSessions = changes.maxSessions;
    if (changes.maxSessionsPerSource !== undefined) checked.maxSessionsPerSource = changes.maxSessionsPerSource;
    if (changes.idleTimeoutMs !== undefined) checked.idleTimeoutMs = changes.idleTimeoutMs;
    if (changes.perSourceRate !== undefined) checked.perSourceRate = changes.perSourceRate;
    if (changes.perSessionRate !== undefined) checked.perSessionRate = changes.perSessionRate;
    const issues = checkOptions(checked);
    let allowed = this.#allowed;
    if ('allowedSources' in changes) {
      try {
        allowed = changes.allowedSources === undefined ? undefined : new CidrMatcher(changes.allowedSources);
      } catch (error) {
        if (error instanceof ConfigError) issues.push(...error.issues);
        else throw error;
      }
    }
    if (issues.length > 0) throw new ConfigError(issues);

    this.#allowed = allowed;
    const maxSessions = changes.maxSessions ?? this.#maxSessions;
    const sourceRate = 'perSourceRate' in changes ? changes.perSourceRate : this.#sourceRate;
    if (sourceRate !== this.#sourceRate || (sourceRate !== undefined && maxSessions !== this.#maxSessions)) {
      // Sessions made before keep the source bucket they hold; new sessions get buckets of the new rate.
      this.#sourceLimiter?.clear();
      this.#sourceLimiter = this.#limiterFor(sourceRate, maxSessions);
      this.#sourceRate = sourceRate;
    }
    this.#maxSessions = maxSessions;
    if (changes.maxSessionsPerSource !== undefined) this.#maxPerSource = changes.maxSessionsPerSource;
    if ('perSessionRate' in changes) this.#sessionRate = changes.perSessionRate ?? 0;
    if (changes.idleTimeoutMs !== undefined && changes.idleTimeoutMs !== this.#idleMs) {
      this.#idleMs = changes.idleTimeoutMs;
      if (!this.#closed) this.#armSweep();
    }
  }

  /** Stop answering, release the socket and forget every session (no events). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.#socket.close();
    for (const s of this.#table.values()) this.#release(s);
    for (const s of this.#waiting) this.#release(s);
    this.#table.clear();
    this.#waiting.length = 0;
    this.#sourceLimiter?.clear();
    this.#last = undefined;
  }

  // ---- the packet path

  readonly #onBatch = (batch: ReceiveBatch): void => {
    if (this.#closed) return;
    const probe = this.#probe;
    if (probe !== undefined) this.#probeDelivered(probe, batch);
    const now = this.#now();
    if (now - this.#clockReadMs >= CLOCK_REFRESH_MS || now < this.#clockReadMs) this.#refreshClock(now);
    const count = batch.count;
    this.#packetsIn += count;
    for (let i = 0; i < count; i++) {
      try {
        this.#handle(batch, i, now);
      } catch {
        // Lengths are checked before every codec and crypto call, so only reply() is expected to
        // throw here (a NetworkError such as EMSGSIZE); either way the packet was not answered.
        this.#drop('send-failed', batch.address(i), batch.port(i));
      }
    }
    if (probe !== undefined) this.#probeQueued(probe);
    const socket = this.#socket;
    try {
      socket.flush();
    } catch {
      // A flush failure leaves the queue to the socket's own drop counter; nothing to undo here.
    }
    // A batching socket stamps every late-stamped reply of the batch with one reading, just before
    // sendmmsg(), and leaves it in `stamp`: remember it so the replies are known if they come back.
    rememberReplyStamp(socket.stamp[0] ?? 0, socket.stamp[1] ?? 0);
    if (probe !== undefined) probe.flushed(this.#socket.stamp);
  };

  #probeDelivered(probe: TurnaroundProbe, batch: ReceiveBatch): void {
    this.#socket.stampNow();
    probe.delivered(batch, this.#socket.stamp);
  }

  #probeQueued(probe: TurnaroundProbe): void {
    this.#socket.stampNow();
    probe.queued(this.#socket.stamp);
  }

  #handle(batch: ReceiveBatch, i: number, now: number): void {
    if (batch.truncated(i)) {
      this.#drop('truncated', batch.address(i), batch.port(i));
      return;
    }
    const length = batch.length(i);
    const data = batch.data(i);
    const address = batch.address(i);
    const port = batch.port(i);
    // Bound to one address, every packet arrived on it: skip the per-packet local-address lookup.
    const local = this.#wildcard ? (batch.localAddress(i) ?? this.#boundAddress) : this.#boundAddress;
    // STAMP sessions are told apart by SSID too; a request shorter than the STAMP base is a TWAMP
    // Light packet (RFC 8762 §4.6) whose octets 14-15 are padding, not an SSID.
    let ssid = 0;
    if (this.#protocol === 'stamp' && length >= this.#stampBase) ssid = ((data[this.#ssidAt] ?? 0) << 8) | (data[this.#ssidAt + 1] ?? 0);

    let session = this.#last;
    if (session?.port !== port || session.address !== address || session.ssid !== ssid || session.local !== local || session.gone) {
      session = this.#table.get(address, port, ssid, local);
      if (session === undefined) {
        this.#admit(batch, i, data, length, address, port, local, ssid, now);
        return;
      }
      this.#last = session;
    }
    if (session.stopAtMs >= 0 && now > session.stopAtMs) {
      // Past Stop-Sessions + Timeout: neither reflect nor answer (RFC 5357 §4.2).
      this.#forget(session, 'stopped');
      this.#drop('unknown-session', address, port);
      return;
    }
    const sourceBucket = session.sourceBucket;
    if (sourceBucket !== undefined && !sourceBucket.take(now)) {
      this.#drop('source-rate', address, port);
      return;
    }
    this.#reflect(batch, i, data, length, session, now, false);
  }

  /**
   * A packet of no known session: check the source, then make a session or bind a registered one.
   * The checks that keep the reflector out of loops and off unanswerable addresses run here, once
   * per session, never on the per-packet path.
   */
  #admit(
    batch: ReceiveBatch,
    i: number,
    data: Buffer,
    length: number,
    address: string,
    port: number,
    local: string,
    ssid: number,
    now: number,
  ): void {
    // No reply can reach port 0 (and none must be counted as sent).
    if (port === 0) {
      this.#drop('source-port-zero', address, port);
      return;
    }
    if (isOwnEndpoint(address, port, this.#socket.localPort, this.#boundAddress, this.#wildcard, local)) {
      this.#drop('own-address', address, port);
      return;
    }
    if (isUnanswerableSource(address)) {
      this.#drop('bad-source-address', address, port);
      return;
    }
    if (this.#allowed !== undefined && !this.#allowed.matches(address)) {
      this.#drop('source-not-allowed', address, port);
      return;
    }
    let sourceBucket: TokenBucket | undefined;
    if (this.#sourceLimiter !== undefined) {
      sourceBucket = this.#sourceLimiter.bucket(address, now);
      if (sourceBucket?.take(now) !== true) {
        this.#drop('source-rate', address, port);
        return;
      }
    }
    const registered = this.#waiting.length > 0 ? this.#findRegistered(address, port) : undefined;
    if (registered !== undefined) {
      // The flow is only bound once a packet of it authenticates (reflect succeeded).
      registered.address = address;
      registered.port = port;
      registered.local = local;
      registered.sourceBucket = sourceBucket;
      if (this.#reflect(batch, i, data, length, registered, now, false)) {
        this.#bind(registered);
      } else {
        // Not this flow after all (it did not authenticate): show the registration again.
        const filter = this.#filters.get(registered);
        registered.address = filter?.address ?? '';
        registered.port = filter?.port ?? 0;
        registered.local = '';
        registered.sourceBucket = undefined;
      }
      return;
    }
    if (this.#registeredOnly) {
      this.#drop('unknown-session', address, port);
      return;
    }
    // Check the packet before making (or evicting) anything for it, so garbage makes no session.
    if (!this.#firstPacketValid(data, length, address, port)) return;
    if (isLoopedReply(data, length, this.#senderTsAt, this.#receiveTsAt, this.#copiedTsAt, (batch.timeSeconds(i) + NTP_UNIX_OFFSET_SECONDS) >>> 0)) {
      this.#drop('looped-reply', address, port);
      return;
    }
    if (!this.#makeRoom(address, port)) return;
    const session = this.#createSession(address, port, local, ssid, now);
    if (sourceBucket !== undefined) {
      session.sourceBucket = sourceBucket;
      sourceBucket.holders++;
    }
    this.#table.add(session);
    this.#last = session;
    this.#sessionsCreated++;
    this.#emit('created', session);
    this.#reflect(batch, i, data, length, session, now, true);
  }

  /**
   * Room for a new session of `address`: a source at its share gives up its own victim; a full table
   * evicts (see SessionTable.victim). False (counted as 'session-limit') when nothing may be evicted.
   */
  #makeRoom(address: string, port: number): boolean {
    let evicted = 0;
    while (this.#table.heldBy(address) >= this.#maxPerSource && evicted < MAX_EVICTIONS_PER_ADMISSION) {
      const victim = this.#table.victimOf(address);
      if (victim === undefined) break;
      this.#forget(victim, 'evicted');
      evicted++;
    }
    for (; this.#table.size + this.#waiting.length >= this.#maxSessions; evicted++) {
      const victim = evicted < MAX_EVICTIONS_PER_ADMISSION ? this.#table.victim() : undefined;
      if (victim === undefined) return this.#refuse('session-limit', address, port);
      this.#forget(victim, 'evicted');
    }
    return true;
  }

  /** Length and authentication of a first packet (counted when refused). Leaves TWAMP packets decrypted. */
  #firstPacketValid(data: Buffer, length: number, address: string, port: number): boolean {
    if (this.#protocol === 'stamp') {
      if (this.#stampSecurity === StampSecurity.Authenticated) {
        if (length < STAMP_AUTH_BASE) return this.#refuse('too-short', address, port);
        if (!verifyStampPacket(this.#stampKey ?? new Uint8Array(1), data)) return this.#refuse('bad-hmac', address, port);
        return true;
      }
      return length >= TWAMP_SENDER_OPEN_BASE || this.#refuse('too-short', address, port);
    }
    if (this.#lightProbe !== undefined) {
      if (length < TWAMP_SENDER_AUTH_BASE) return this.#refuse('too-short', address, port);
      if (!this.#lightProbe.unprotect(data, TestPacketKind.Sender)) return this.#refuse('bad-hmac', address, port);
      return true;
    }
    // Open TWAMP Light: the 14 octets reflectInto reads (twampy sends no padding).
    return length >= TWAMP_SENDER_OPEN_BASE || this.#refuse('too-short', address, port);
  }

  /** Count a drop, and remember its source for the next drop report (two stores: no allocation). */
  #drop(reason: ReflectorDropReason, address: string, port: number): void {
    this.#dropped[reason]++;
    const source = this.#dropSource[reason];
    source.address = address;
    source.port = port;
  }

  #refuse(reason: ReflectorDropReason, address: string, port: number): false {
    this.#drop(reason, address, port);
    return false;
  }

  #createSession(address: string, port: number, local: string, ssid: number, now: number): ReflectorSession {
    const stamp = this.#protocol === 'stamp';
    const ctx = stamp
      ? createStampReflectContext({ security: this.#stampSecurity, stateful: this.#stateful, errorEstimate: this.#errorEstimate, understoodTlvs: this.#understood })
      : createTwampReflectContext({ layout: this.#lightLayout, stateful: this.#stateful, errorEstimate: this.#errorEstimate });
    let key = `${this.#protocol}:${formatEndpoint(address, port)}>${formatEndpoint(local, this.#socket.localPort)}`;
    if (stamp) key += `#${ssid}`;
    const session = new ReflectorSession(
      {
        key,
        protocol: this.#protocol,
        address,
        port,
        local,
        ssid,
        ctx,
        crypto: stamp ? undefined : this.#lightCrypto?.(),
        stampKey: stamp ? this.#stampKey : undefined,
        stampAuthenticated: stamp && this.#stampSecurity === StampSecurity.Authenticated,
        tos: -1,
        nowMs: now,
        sid: undefined,
      },
      stamp ? lateStampOffset(ctx, this.#stampSecurity, 'stamp') : lateStampOffset(ctx, this.#lightLayout.security, 'twamp'),
    );
    if (this.#sessionRate > 0) session.bucket = new TokenBucket(this.#sessionRate, now);
    return session;
  }

  /**
   * Protect-check the request, reflect it into the reply buffer, fill TLVs, protect the reply and
   * queue it. Returns whether a reply was queued; every refusal is counted.
   */
  #reflect(batch: ReceiveBatch, i: number, data: Buffer, length: number, session: ReflectorSession, now: number, verified: boolean): boolean {
    const bucket = session.bucket;
    if (bucket !== undefined && !bucket.take(now)) return this.#refuse('session-rate', session.address, session.port);
    const ctx = session.ctx;
    const crypto = session.crypto;
    const stampKey = session.stampKey;
    const stamp = ctx.protocol === 'stamp';
    if (!verified) {
      if (crypto !== undefined) {
        if (length < TWAMP_SENDER_AUTH_BASE) return this.#refuse('too-short', session.address, session.port);
        if (!crypto.unprotect(data, TestPacketKind.Sender)) return this.#refuse('bad-hmac', session.address, session.port);
      } else if (session.stampAuthenticated) {
        if (length < STAMP_AUTH_BASE) return this.#refuse('too-short', session.address, session.port);
        if (!verifyStampPacket(stampKey ?? new Uint8Array(1), data)) return this.#refuse('bad-hmac', session.address, session.port);
      }
    }
    // T2 in NTP form (era-relative seconds); the socket's nanoseconds are always whole and in range.
    const receiveSeconds = (batch.timeSeconds(i) + NTP_UNIX_OFFSET_SECONDS) >>> 0;
    // One of our replies coming back (checked on every packet: a loop may run through a session).
    if (isLoopedReply(data, length, ctx.sTs, ctx.rRx, ctx.rSTs, receiveSeconds)) return this.#refuse('looped-reply', session.address, session.port);
    if (stamp) ctx.hmacFailed = stampKey !== undefined && length > ctx.sPad && requestTlvsFailIntegrity(stampKey, data, ctx.sPad, length);

    ctx.receiveSeconds = receiveSeconds;
    ctx.receiveFraction = ntpFractionFromNanos(batch.timeNanos(i));
    const ttl = batch.ttl(i);
    ctx.receivedTtl = ttl >= 0 ? ttl : TTL_UNKNOWN;
    const tos = batch.tos(i);
    ctx.receivedTos = tos >= 0 ? tos : 0;
    ctx.errorEstimate = this.#errorEstimate;
    ctx.sendSeconds = 0;
    ctx.sendFraction = 0;

    const reply = this.#reply;
    const n = reflectInto(data, length, reply, ctx);
    if (n < 0) return this.#refuse(n === ReflectStatus.MissingReflectOctets ? 'bad-reflect-octets' : 'too-short', session.address, session.port);
    session.received++;

    // Reply TOS: the session's negotiated DSCP, else the configured TOS, else the request's DSCP
    // (ECN is not copied: a reply is Not-ECT unless provisioned, RFC 7750 §2.2).
    let replyTos = session.tos >= 0 ? session.tos : this.#tos >= 0 ? this.#tos : tos >= 0 ? tos & 0xfc : -1;
    if (stamp && n > ctx.rPad) {
      const fill = this.#fill;
      fill.receivedTos = tos;
      fillReflectedTlvs(reply, ctx.rPad, ctx.malformedTlvAt >= 0 ? ctx.malformedTlvAt : n, session, fill);
      // RFC 8972 §4.4: the reflector sends its reply with DSCP1 (RP says when it cannot).
      if (fill.dscp1 >= 0) replyTos = tosFrom(fill.dscp1);
      if (stampKey !== undefined && fill.hmacAt >= 0) signReplyTlvs(stampKey, reply, ctx.rPad, fill.hmacAt);
    }

    const late = session.lateStamp >= 0;
    if (!late) this.#writeT3(reply, ctx);
    if (crypto !== undefined) crypto.protect(reply, TestPacketKind.Reflector);
    else if (session.stampAuthenticated && stampKey !== undefined) signStampPacket(stampKey, reply);

    // TOS 0 is the socket's own default: no per-packet TOS for it.
    const withTos = this.#canSetTos && replyTos > 0;
    const options = withTos ? (late ? session.lateTosOptions : session.tosOptions) : late ? session.lateOptions : undefined;
    if (withTos && options !== undefined) options.tos = replyTos;
    const socket = this.#socket;
    if (!socket.reply(batch, i, reply, n, options)) return this.#refuse('send-failed', session.address, session.port);
    // A socket without batching has stamped and sent this reply already (batching ones: after flush).
    if (late && this.#stampsEachReply) rememberReplyStamp(socket.stamp[0] ?? 0, socket.stamp[1] ?? 0);
    session.packets++;
    session.lastSeenMs = now;
    // Answered twice: a real flow, no longer among the first sessions to evict.
    if (session.probation && session.packets > 1) this.#table.promote(session);
    this.#packetsOut++;
    return true;
  }

  /**
   * T3 written by the reflector itself, as late as it can be: after every other field and right
   * before the crypto that covers it. Read from the socket's own clock (stampNow), the clock T2
   * came from, so T3 − T2 is a real processing time and nothing needs clamping.
   */
  #writeT3(reply: Buffer, ctx: ReflectContext): void {
    const socket = this.#socket;
    socket.stampNow();
    const seconds = socket.stamp[0] ?? 0;
    const fraction = socket.stamp[1] ?? 0;
    const at = ctx.rTs;
    reply[at] = seconds >>> 24;
    reply[at + 1] = seconds >>> 16;
    reply[at + 2] = seconds >>> 8;
    reply[at + 3] = seconds;
    reply[at + 4] = fraction >>> 24;
    reply[at + 5] = fraction >>> 16;
    reply[at + 6] = fraction >>> 8;
    reply[at + 7] = fraction;
    rememberReplyStamp(seconds, fraction);
  }

  // ---- registered sessions

  /** The best waiting registered session for this sender: exact match, then address, then port, then any. */
  #findRegistered(address: string, port: number): ReflectorSession | undefined {
    let best: ReflectorSession | undefined;
    let bestScore = -1;
    for (const session of this.#waiting) {
      const filter = this.#filters.get(session);
      if (filter === undefined) continue;
      if (filter.address !== undefined && filter.address !== address) continue;
      if (filter.port !== undefined && filter.port !== port) continue;
      const score = (filter.address === undefined ? 0 : 2) + (filter.port === undefined ? 0 : 1);
      if (score > bestScore) {
        best = session;
        bestScore = score;
      }
    }
    return best;
  }

  #bind(session: ReflectorSession): void {
    const index = this.#waiting.indexOf(session);
    if (index >= 0) this.#waiting.splice(index, 1);
    if (session.sourceBucket !== undefined) session.sourceBucket.holders++;
    this.#table.add(session);
    this.#last = session;
  }

  #stop(session: ReflectorSession, timeoutMs: number): void {
    if (session.gone || session.stopAtMs >= 0) return;
    const wait = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
    session.stopAtMs = this.#now() + wait;
    this.#armStop(session, wait);
  }

  /** Forget a stopped session when its Timeout has passed; a Timeout beyond setTimeout's range re-arms. */
  #armStop(session: ReflectorSession, waitMs: number): void {
    session.stopTimer = setTimeout(() => {
      session.stopTimer = undefined;
      if (session.gone) return;
      const left = session.stopAtMs - this.#now();
      if (waitMs >= MAX_TIMER_MS && left > 0) this.#armStop(session, left);
      else this.#forget(session, 'stopped');
    }, Math.min(waitMs, MAX_TIMER_MS));
    session.stopTimer.unref();
  }

  // ---- lifecycle

  readonly #sweep = (): void => {
    if (this.#closed) return;
    let now: number;
    try {
      now = this.#now();
    } catch {
      return;
    }
    const idle = this.#idleMs;
    const done: ReflectorSession[] = [];
    for (const s of this.#table.values()) {
      if (now - s.lastSeenMs > idle || (s.stopAtMs >= 0 && now > s.stopAtMs)) done.push(s);
    }
    for (const s of this.#waiting) {
      if (now - s.lastSeenMs > idle || (s.stopAtMs >= 0 && now > s.stopAtMs)) done.push(s);
    }
    for (const s of done) this.#forget(s, s.stopAtMs >= 0 && now > s.stopAtMs ? 'stopped' : 'expired');
    this.#sourceLimiter?.sweep(now);
    this.#table.recount();
    refreshLocalAddresses();
    this.#reportDrops(now);
  };

  /** onDropReport: each reason with new drops, at most once per dropReportIntervalMs (from the sweep, never per packet). */
  #reportDrops(now: number): void {
    const listener = this.#onDropReport;
    if (listener === undefined) return;
    for (const reason of REFLECTOR_DROP_REASONS) {
      const total = this.#dropped[reason];
      const reported = this.#reportedTotal[reason];
      const at = this.#reportedAtMs[reason];
      if (total === reported || (now - at < this.#dropReportMs && now >= at)) continue;
      this.#reportedTotal[reason] = total;
      this.#reportedAtMs[reason] = now;
      const source = this.#dropSource[reason];
      try {
        listener({ reason, count: total - reported, total, source: { address: source.address, port: source.port } });
      } catch {
        // A listener's bug must not stop the reflector.
      }
    }
  }

  /** Drop a session from every structure, then tell the listener. */
  #forget(session: ReflectorSession, why: 'expired' | 'stopped' | 'evicted'): void {
    if (session.gone) return;
    this.#table.remove(session);
    const index = this.#waiting.indexOf(session);
    if (index >= 0) this.#waiting.splice(index, 1);
    this.#release(session);
    if (why === 'expired') this.#sessionsExpired++;
    else if (why === 'evicted') this.#sessionsEvicted++;
    this.#emit(why, session);
  }

  #release(session: ReflectorSession): void {
    session.gone = true;
    if (session.stopTimer !== undefined) clearTimeout(session.stopTimer);
    session.stopTimer = undefined;
    if (session.sourceBucket !== undefined) session.sourceBucket.holders--;
    session.sourceBucket = undefined;
    if (this.#last === session) this.#last = undefined;
  }

  #emit(type: ReflectorSessionEvent['type'], session: ReflectorSession): void {
    const listener = this.#onEvent;
    if (listener === undefined) return;
    const peer: Endpoint = { address: session.address, port: session.port };
    const protocol: TestProtocol = session.protocol;
    const event: ReflectorSessionEvent = {
      type,
      key: session.key,
      peer,
      protocol,
      ...(protocol === 'stamp' ? { ssid: session.ssid } : {}),
      packets: session.packets,
    };
    try {
      listener(event);
    } catch {
      // A listener's bug must not stop the reflector.
    }
  }

  #refreshClock(now: number): void {
    this.#clockReadMs = now;
    let status: ClockStatus;
    try {
      status = this.#clockSource();
    } catch {
      return;
    }
    this.#errorEstimate = errorEstimateForClock(status);
    this.#fill.syncSource = status.synchronized ? SyncSource.Ntp : SyncSource.LocalFreeRunning;
  }
}

