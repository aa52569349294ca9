// The reflectors behind a TWAMP-Control server: one registered-only SessionReflector per accepted
// Request-TW-Session, on the port the client asked for when that is possible, else on a port of a
// configured range. The server's owner hands an instance to the control server as its session
// handler; this layer cannot import @twamp/control (a sibling), so the request is described here
// structurally and the results are plain values control's SessionOpenResult accepts.
import { AcceptCode, ConfigError, NetworkError } from '@twamp/errors';
import type { IpFamily } from '@twamp/udp';
import { isUnspecifiedAddress, type TestPacketCrypto, type TwampLayout } from '@twamp/wire';
import { SessionReflector, sumReflectorStats } from '../reflector/index.js';
import type {
  Endpoint,
  ReflectorOptions,
  ReflectorStats,
  RegisteredSession,
  RegisteredSessionHandle,
  SessionReflectorApi,
} from '../types.js';
import { checkPortRange, DEFAULT_REFLECTOR_PORT_RANGE, PortCursor, type PortRange } from './port-range.js';

/** The fields of control's ServerSessionRequest (a NegotiatedSession plus the request) this pool reads. */
export interface ControlledSessionRequest {
  /** 16 octets, assigned by the control server. */
  readonly sid: Uint8Array;
  readonly layout: TwampLayout;
  /** A fresh crypto for the reflector's side (undefined for open and mixed sessions). */
  createCrypto(): TestPacketCrypto | undefined;
  /** The Session-Sender endpoint (zero address already replaced by the control connection's). */
  readonly sender: Endpoint;
  /** The Session-Reflector endpoint; its address is where the reflector binds. */
  readonly receiver: Endpoint;
  /** The receiver port the client asked for (0 = any). */
  readonly requestedReceiverPort: number;
  /** Request-TW-Session Timeout: reflect this long after Stop-Sessions. */
  readonly timeoutSeconds: number;
  readonly dscp: number | undefined;
}

/** The refusals this pool produces (a subset of control's non-zero Accept values). */
export type ControlledRefusalCode =
  | typeof AcceptCode.InternalError
  | typeof AcceptCode.PermanentResourceLimitation
  | typeof AcceptCode.TemporaryResourceLimitation;

/** Structurally a control `SessionOpenResult`: the reflector's port, or an Accept value and why. */
export type ControlledOpenResult =
  | { readonly accept: typeof AcceptCode.Ok; readonly port: number }
  | { readonly accept: ControlledRefusalCode; readonly reason: string };

/**
 * Reflector options the pool passes through (it sets address, port, family and registeredOnly itself).
 * maxSessionsPerSource is not among them: a registered-only reflector makes no session on first packet.
 */
export type ControlledReflectorOptions = Pick<
  ReflectorOptions,
  | 'ttl'
  | 'tos'
  | 'idleTimeoutMs'
  | 'perSessionRate'
  | 'perSourceRate'
  | 'allowedSources'
  | 'clock'
  | 'implementation'
  | 'now'
  | 'onDropReport'
  | 'dropReportIntervalMs'
>;

export interface ReflectorPoolOptions {
  /** Ports handed to reflectors; 'ephemeral' lets the system pick. Default 8760-9960 (perfSONAR's). */
  readonly portRange?: PortRange | 'ephemeral';
  /**
   * Bind the receiver port the client asked for when it is free (twampy ignores the port of
   * Accept-Session and sends to the one it asked for). Ports below 1024 are never taken this way.
   * Default true.
   */
  readonly honourRequestedPort?: boolean;
  /** Reflectors (sessions) at once; beyond it Accept 4. Default 1024. */
  readonly maxReflectors?: number;
  /**
   * Longest linger after Stop-Sessions, whatever Timeout the client asked for (a huge Timeout would
   * otherwise hold a port for days). Default 60 000 ms.
   */
  readonly maxStopTimeoutMs?: number;
  /** A session neither started nor released within this is released (a lost control connection). Default 900 000 ms (SERVWAIT). */
  readonly startTimeoutMs?: number;
  /**
   * Match test packets on the negotiated sender address (default true) and port (default false).
   * The port is left out by default so that a NAT in the path (which rewrites source ports) does
   * not break the session; the address still keeps strangers from using the reflector.
   */
  readonly matchSenderAddress?: boolean;
  readonly matchSenderPort?: boolean;
  /**
   * Bind attempts per request in the range. When every port of the range was tried (or is held by
   * this pool) and none was free, the answer is Accept 4 (the range is too small: permanent); when
   * the attempts ran out before the whole range was tried, Accept 5 (another request may find one).
   * Default 32.
   */
  readonly bindAttempts?: number;
  readonly reflector?: ControlledReflectorOptions;
  /** How reflectors are opened (the CLI passes its engine's). Default SessionReflector.open. */
  readonly openReflector?: (options: ReflectorOptions) => Promise<SessionReflectorApi>;
  /** Told about each session's lifecycle (for per-session log lines). */
  readonly onEvent?: (event: ControlledSessionEvent) => void;
}

export type ControlledSessionEnd = 'stopped' | 'released' | 'expired' | 'not-started' | 'closed';

export type ControlledSessionEvent =
  | { readonly type: 'opened'; readonly session: ControlledSessionInfo }
  | { readonly type: 'refused'; readonly accept: ControlledRefusalCode; readonly reason: string; readonly sid: string }
  | { readonly type: 'started'; readonly session: ControlledSessionInfo }
  | { readonly type: 'stopping'; readonly session: ControlledSessionInfo; readonly lingerMs: number }
  | { readonly type: 'ended'; readonly session: ControlledSessionInfo; readonly why: ControlledSessionEnd };

export interface ControlledSessionInfo {
  /** The SID in hex (32 digits). */
  readonly sid: string;
  readonly sender: Endpoint;
  /** Where the reflector listens. */
  readonly reflector: Endpoint;
  readonly started: boolean;
  readonly stopping: boolean;
  /** Packets reflected so far. */
  readonly packets: number;
}

export interface ReflectorPoolStats {
  readonly reflectorsOpen: number;
  readonly sessionsOpened: number;
  readonly sessionsRunning: number;
  /** Refusals by Accept value. */
  readonly refused: Readonly<Record<ControlledRefusalCode, number>>;
  /** Packets reflected by every session, ended ones included. */
  readonly packetsReflected: number;
  /**
   * The session reflectors' own counters summed, ended reflectors included: packets received and
   * sent, drops by reason (a packet from a stranger, a bad HMAC, a rate cap, ...).
   */
  readonly reflectors: ReflectorStats;
}

/** What `ReflectorPool.reconfigure` changes; an absent member keeps its value. Applies to sessions opened afterwards. */
export interface ReflectorPoolReconfiguration {
  readonly maxReflectors?: number;
  readonly portRange?: PortRange | 'ephemeral';
  /** Replaces the options every new session's reflector is opened with. */
  readonly reflector?: ControlledReflectorOptions;
}

export const DEFAULT_MAX_REFLECTORS = 1024;
/** The most reflectors (sessions) a pool may be allowed. */
export const MAX_REFLECTORS = 1_000_000;
export const DEFAULT_MAX_STOP_TIMEOUT_MS = 60_000;
export const DEFAULT_START_TIMEOUT_MS = 900_000;
const DEFAULT_BIND_ATTEMPTS = 32;
/** Requested ports below this belong to system services; never bound on a client's request. */
const LOWEST_REQUESTABLE_PORT = 1024;
const MAX_TIMER_MS = 2_147_483_647;

interface Entry {
  readonly sid: string;
  readonly sender: Endpoint;
  readonly reflector: SessionReflectorApi;
  readonly handle: RegisteredSessionHandle;
  readonly port: number;
  readonly timeoutSeconds: number;
  started: boolean;
  stopping: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Errors that mean "this port is taken (or not ours to take), try another". */
const PORT_BUSY = new Set(['EADDRINUSE', 'EACCES']);
/** Errors that mean "the system is short of something right now": Accept 5, the same request may succeed later. */
const BIND_TRANSIENT = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EAGAIN', 'EINTR']);

function sidHex(sid: Uint8Array): string {
  return Buffer.from(sid.buffer, sid.byteOffset, sid.byteLength).toString('hex');
}

/** An IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4 peer) as plain IPv4. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

function familyOf(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

function checkCount(value: number | undefined, path: string, min: number, max: number, issues: { path: string; expected: string; received: string }[]): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) issues.push({ path, expected: `an integer from ${min} to ${max}`, received: String(value) });
}

/**
 * Opens, starts, stops and releases the reflectors of a TWAMP-Control server's sessions. Use an
 * instance as the control server's `handler`. Every timer is unref'd; `close()` releases everything.
 */
export class ReflectorPool {
  readonly #options: ReflectorPoolOptions;
  #cursor: PortCursor | undefined;
  #maxReflectors: number;
  #reflectorOptions: ControlledReflectorOptions | undefined;
  readonly #maxStopMs: number;
  readonly #startTimeoutMs: number;
  readonly #bindAttempts: number;
  readonly #openReflector: (options: ReflectorOptions) => Promise<SessionReflectorApi>;
  readonly #entries = new Map<string, Entry>();
  /** Every port a reflector of ours holds (range or requested): never bound twice. */
  readonly #ports = new Set<number>();
  #opening = 0;
  #closed = false;
  #opened = 0;
  #packetsEnded = 0;
  /** Counters of reflectors already closed, so totals never go backwards. */
  /** Counters of the reflectors of ended sessions (their sessions no longer active). */
  #ended: ReflectorStats = sumReflectorStats([]);
  readonly #refused: Record<ControlledRefusalCode, number> = { 2: 0, 4: 0, 5: 0 };

  constructor(options: ReflectorPoolOptions = {}) {
    const issues: { path: string; expected: string; received: string }[] = [];
    checkCount(options.maxReflectors, 'maxReflectors', 1, MAX_REFLECTORS, issues);
    checkCount(options.maxStopTimeoutMs, 'maxStopTimeoutMs', 0, MAX_TIMER_MS, issues);
    checkCount(options.startTimeoutMs, 'startTimeoutMs', 1, MAX_TIMER_MS, issues);
    checkCount(options.bindAttempts, 'bindAttempts', 1, 65535, issues);
    if (issues.length > 0) throw new ConfigError(issues);
    const range = options.portRange ?? DEFAULT_REFLECTOR_PORT_RANGE;
    this.#cursor = range === 'ephemeral' ? undefined : new PortCursor(range);
    this.#options = options;
    this.#maxReflectors = options.maxReflectors ?? DEFAULT_MAX_REFLECTORS;
    this.#reflectorOptions = options.reflector;
    this.#maxStopMs = options.maxStopTimeoutMs ?? DEFAULT_MAX_STOP_TIMEOUT_MS;
    this.#startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.#bindAttempts = options.bindAttempts ?? DEFAULT_BIND_ATTEMPTS;
    this.#openReflector = options.openReflector ?? ((reflectorOptions) => SessionReflector.open(reflectorOptions));
  }

  get stats(): ReflectorPoolStats {
    let packets = this.#packetsEnded;
    let running = 0;
    const live: ReflectorStats[] = [this.#ended];
    for (const entry of this.#entries.values()) {
      packets += entry.handle.packets;
      if (entry.started && !entry.stopping) running++;
      live.push(entry.reflector.stats);
    }
    return {
      reflectorsOpen: this.#entries.size,
      sessionsOpened: this.#opened,
      sessionsRunning: running,
      refused: { ...this.#refused },
      packetsReflected: packets,
      reflectors: sumReflectorStats(live),
    };
  }

  /**
   * New limits, port range and reflector options for sessions opened from now on (a reload).
   * Running sessions keep their reflectors, ports and options; a lower maxReflectors refuses new
   * requests until enough sessions have ended, it never closes one. Everything is checked before
   * anything changes: a ConfigError leaves the pool as it was.
   */
  reconfigure(changes: ReflectorPoolReconfiguration): void {
    const issues: { path: string; expected: string; received: string }[] = [];
    checkCount(changes.maxReflectors, 'maxReflectors', 1, MAX_REFLECTORS, issues);
    if (issues.length > 0) throw new ConfigError(issues);
    let cursor = this.#cursor;
    if (changes.portRange !== undefined) {
      const range = changes.portRange;
      if (range !== 'ephemeral') checkPortRange(range);
      cursor = range === 'ephemeral' ? undefined : new PortCursor(range);
      // Ports our running sessions hold stay theirs: the new cursor skips them.
      for (const port of this.#ports) cursor?.hold(port);
    }
    this.#cursor = cursor;
    if (changes.maxReflectors !== undefined) this.#maxReflectors = changes.maxReflectors;
    if (changes.reflector !== undefined) this.#reflectorOptions = changes.reflector;
  }

  sessions(): ControlledSessionInfo[] {
    return [...this.#entries.values()].map((entry) => this.#info(entry));
  }

  /** Accept-Session's answer for a validated Request-TW-Session: a bound, registered reflector, or a refusal. */
  async open(request: ControlledSessionRequest): Promise<ControlledOpenResult> {
    const sid = sidHex(request.sid);
    if (this.#closed) return this.#refuse(sid, AcceptCode.TemporaryResourceLimitation, 'the server is shutting down');
    if (this.#entries.size + this.#opening >= this.#maxReflectors) {
      return this.#refuse(sid, AcceptCode.PermanentResourceLimitation, `at most ${this.#maxReflectors} test sessions at once`);
    }
    if (this.#entries.has(sid)) return this.#refuse(sid, AcceptCode.InternalError, 'a session with this SID is already open');
    const address = plainAddress(request.receiver.address);
    this.#opening++;
    let bound: SessionReflectorApi | ControlledOpenResult;
    // The reflector's lifecycle events need the entry, which exists only once the bind succeeded.
    const ref: { entry: Entry | undefined } = { entry: undefined };
    try {
      bound = await this.#bind(sid, address, request.requestedReceiverPort, (why) => {
        if (ref.entry !== undefined) this.#end(ref.entry, why);
      });
    } finally {
      this.#opening--;
    }
    if (!('localPort' in bound)) return bound;
    const reflector = bound;
    // close() may have run while the bind was awaited (TypeScript's narrowing does not see that).
    if (this.#isClosed()) {
      reflector.close();
      return this.#refuse(sid, AcceptCode.TemporaryResourceLimitation, 'the server is shutting down');
    }
    let handle: RegisteredSessionHandle;
    try {
      handle = reflector.register(this.#registration(request));
    } catch (error) {
      reflector.close();
      return this.#refuse(sid, AcceptCode.InternalError, `cannot register the session: ${error instanceof Error ? error.message : String(error)}`);
    }
    const entry: Entry = {
      sid,
      sender: { address: plainAddress(request.sender.address), port: request.sender.port },
      reflector,
      handle,
      port: reflector.localPort,
      timeoutSeconds: request.timeoutSeconds,
      started: false,
      stopping: false,
      timer: undefined,
    };
    ref.entry = entry;
    this.#entries.set(sid, entry);
    this.#ports.add(entry.port);
    this.#cursor?.hold(entry.port);
    this.#opened++;
    entry.timer = setTimeout(() => {
      this.#end(entry, 'not-started');
    }, this.#startTimeoutMs);
    entry.timer.unref();
    this.#emit({ type: 'opened', session: this.#info(entry) });
    return { accept: AcceptCode.Ok, port: entry.port };
  }

  /** Start-Sessions / Start-N-Sessions. Unknown SIDs are ignored. */
  start(sids: readonly Uint8Array[]): void {
    for (const sid of sids) {
      const entry = this.#entries.get(sidHex(sid));
      if (entry === undefined || entry.started || entry.stopping) continue;
      entry.started = true;
      clearTimeout(entry.timer);
      entry.timer = undefined;
      this.#emit({ type: 'started', session: this.#info(entry) });
    }
  }

  /** Stop-Sessions / Stop-N-Sessions: reflect for each session's Timeout (capped), then close its reflector. */
  stop(sids: readonly Uint8Array[]): void {
    for (const sid of sids) {
      const entry = this.#entries.get(sidHex(sid));
      if (entry === undefined || entry.stopping) continue;
      entry.stopping = true;
      const seconds = Number.isFinite(entry.timeoutSeconds) && entry.timeoutSeconds > 0 ? entry.timeoutSeconds : 0;
      const lingerMs = Math.min(Math.ceil(seconds * 1000), this.#maxStopMs);
      clearTimeout(entry.timer);
      entry.handle.stop(lingerMs);
      entry.timer = setTimeout(() => {
        this.#end(entry, 'stopped');
      }, lingerMs);
      entry.timer.unref();
      this.#emit({ type: 'stopping', session: this.#info(entry), lingerMs });
    }
  }

  /** The control connection ended: close these sessions' reflectors now. */
  release(sids: readonly Uint8Array[]): void {
    for (const sid of sids) {
      const entry = this.#entries.get(sidHex(sid));
      if (entry !== undefined) this.#end(entry, 'released');
    }
  }

  /** Close every reflector; later requests are refused (Accept 5). Idempotent. */
  close(): void {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) this.#end(entry, 'closed');
  }

  // ---- internals

  #isClosed(): boolean {
    return this.#closed;
  }

  #registration(request: ControlledSessionRequest): RegisteredSession {
    const crypto = request.createCrypto();
    const address = plainAddress(request.sender.address);
    const sender: { address?: string; port?: number } = {};
    if ((this.#options.matchSenderAddress ?? true) && address !== '' && !isUnspecifiedAddress(address)) sender.address = address;
    if ((this.#options.matchSenderPort ?? false) && request.sender.port !== 0) sender.port = request.sender.port;
    return {
      sid: request.sid,
      layout: request.layout,
      sender,
      ...(crypto === undefined ? {} : { crypto }),
      ...(request.dscp === undefined ? {} : { dscp: request.dscp }),
    };
  }

  /** The ports to try, best first: the requested one when allowed, then the range (or an ephemeral port). */
  *#candidates(requested: number): Generator<number> {
    const honour = this.#options.honourRequestedPort ?? true;
    if (honour && requested >= LOWEST_REQUESTABLE_PORT && requested <= 65535 && !this.#ports.has(requested)) yield requested;
    if (this.#cursor === undefined) {
      yield 0;
      return;
    }
    // One walk of the range at most per request, and at most bindAttempts binds.
    const limit = Math.min(this.#bindAttempts, this.#cursor.size);
    for (let tried = 0; tried < limit; tried++) {
      const port = this.#cursor.next();
      if (port === undefined) return;
      if (port !== requested) yield port;
    }
  }

  async #bind(sid: string, address: string, requested: number, onGone: (why: 'expired' | 'stopped') => void): Promise<SessionReflectorApi | ControlledOpenResult> {
    const family = familyOf(address);
    const cursor = this.#cursor;
    let attempts = 0;
    for (const port of this.#candidates(requested)) {
      // A concurrent open may have taken this port while we awaited a previous bind.
      if (port !== 0 && this.#ports.has(port)) continue;
      attempts++;
      try {
        return await this.#openReflector({
          ...this.#reflectorOptions,
          family,
          address,
          port,
          registeredOnly: true,
          onSessionEvent: (event) => {
            if (event.type === 'expired' || event.type === 'stopped') onGone(event.type);
          },
        });
      } catch (error) {
        if (error instanceof NetworkError && PORT_BUSY.has(error.systemCode)) continue;
        const why = error instanceof Error ? error.message : String(error);
        if (error instanceof NetworkError && BIND_TRANSIENT.has(error.systemCode)) {
          return this.#refuse(sid, AcceptCode.TemporaryResourceLimitation, `cannot open a reflector on ${address} right now: ${why}`);
        }
        return this.#refuse(sid, AcceptCode.InternalError, `cannot open a reflector on ${address}: ${why}`);
      }
    }
    // The error-code reference: "insufficient port range available" is a permanent limitation.
    if (attempts === 0) {
      return this.#refuse(sid, AcceptCode.PermanentResourceLimitation, 'every port of the reflector port range is in use by this server');
    }
    if (cursor === undefined || this.#bindAttempts >= cursor.size) {
      return this.#refuse(sid, AcceptCode.PermanentResourceLimitation, `no free port in the reflector port range (${attempts} tried)`);
    }
    // Only part of the range was tried: the next request starts where this one stopped.
    return this.#refuse(sid, AcceptCode.TemporaryResourceLimitation, `no free reflector port after ${attempts} attempts`);
  }

  #refuse(sid: string, accept: ControlledRefusalCode, reason: string): ControlledOpenResult {
    this.#refused[accept]++;
    this.#emit({ type: 'refused', accept, reason, sid });
    return { accept, reason };
  }

  #end(entry: Entry, why: ControlledSessionEnd): void {
    if (this.#entries.get(entry.sid) !== entry) return;
    this.#entries.delete(entry.sid);
    clearTimeout(entry.timer);
    entry.timer = undefined;
    const info = this.#info(entry);
    this.#packetsEnded += entry.handle.packets;
    this.#ended = sumReflectorStats([this.#ended, { ...entry.reflector.stats, sessionsActive: 0 }]);
    entry.reflector.close();
    this.#ports.delete(entry.port);
    this.#cursor?.release(entry.port);
    this.#emit({ type: 'ended', session: info, why });
  }

  #info(entry: Entry): ControlledSessionInfo {
    return {
      sid: entry.sid,
      sender: entry.sender,
      reflector: { address: entry.reflector.localAddress, port: entry.port },
      started: entry.started,
      stopping: entry.stopping,
      packets: entry.handle.packets,
    };
  }

  #emit(event: ControlledSessionEvent): void {
    const listener = this.#options.onEvent;
    if (listener === undefined) return;
    try {
      listener(event);
    } catch {
      // A failing log line must not break the control server's session handling.
    }
  }
}
