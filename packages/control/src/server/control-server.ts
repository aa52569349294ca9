// The node:net adapter around ServerConnection: it owns the listening socket, each connection's
// socket and timers, the limits that span connections, and the calls into the session handler.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { AcceptCode, ConfigError, isTwampError } from '@twamp/errors';
import { checkPbkdf2Count, Mode, modeNames, Port, SECURITY_MODE_MASK } from '@twamp/wire';
import type {
  ConnectionRefusalReason,
  ControlLogger,
  ControlServerApi,
  ControlServerOptions,
  ControlServerReconfiguration,
  ControlServerStats,
  KeyStore,
  ServerLimits,
  ServerSessionRequest,
  ServerTimeoutName,
  ServerTimeouts,
  SessionOpenResult,
  SessionRefusalReason,
} from '../types.js';
import { type ClientFilter, clientFilter, unwrapMappedAddress } from './allowed-clients.js';
import { AuthBackoff } from './auth-backoff.js';
import { type ServerAction, ServerConnection, type ServerTimeoutKind } from './connection.js';
import { KeyDeriver } from './key-derivation.js';
import { budgetedLogger, LogLimiter } from './log-limiter.js';
import { CONNECTION_REFUSAL_REASONS, SESSION_REFUSAL_REASONS, zeroCounts } from './refusal-reasons.js';
import { RequestRateBucket } from './request-rate.js';

export interface ControlServerListenOptions extends ControlServerOptions {
  /** Address to listen on. Default: '::' (dual stack) or, with `family: 4`, '0.0.0.0'. */
  readonly address?: string;
  /** TCP port; default 862 (needs privileges on most systems); 0 picks a free one. */
  readonly port?: number;
  /** 6 listens on IPv6 only; 4 on IPv4. */
  readonly family?: 4 | 6;
}

/**
 * Every server limit's default, in one place so that `twamp server` and twampd show and use the same
 * values (the README says why each is what it is). Infinity means unlimited.
 */
export const DEFAULT_SERVER_LIMITS: Readonly<Required<ServerLimits>> = Object.freeze({
  maxConnections: 1000,
  maxConnectionsPerClient: 16,
  maxSessionsPerConnection: 64,
  maxSessionsTotal: 1024,
  requestsPerSecond: Number.POSITIVE_INFINITY,
  sessionRequestsPerSecond: Number.POSITIVE_INFINITY,
  // A quarter of the total: one address can never take every session, four busy ones still can.
  maxSessionsPerClient: 256,
  // Honest clients fail once or twice (a typo); a guesser needs thousands.
  authFailuresPerMinute: 10,
});

/** Every server timeout's default, in milliseconds (see DEFAULT_SERVER_LIMITS). */
export const DEFAULT_SERVER_TIMEOUTS: Readonly<Required<ServerTimeouts>> = Object.freeze({
  handshakeMs: 30_000,
  servwaitMs: 900_000,
  messageMs: 30_000,
  idleWithoutSessionsMs: 30_000,
  unstartedSessionMs: 60_000,
});

/** The same object as DEFAULT_SERVER_LIMITS (the name twampd has used). */
export const DEFAULT_LIMITS = DEFAULT_SERVER_LIMITS;
/** The same object as DEFAULT_SERVER_TIMEOUTS (the name twampd has used). */
export const DEFAULT_TIMEOUTS = DEFAULT_SERVER_TIMEOUTS;

export const DEFAULT_PBKDF2_COUNT = 2048;

/**
 * The extension bits this server implements, offered by default next to the security modes: RFC 5938
 * individual session control, RFC 6038 reflect octets and symmetrical size, RFC 7750 DSCP/ECN
 * monitoring. (RFC 8186 PTP timestamps is left to owners that have a PTP clock to claim.)
 */
export const DEFAULT_SERVER_EXTENSIONS = Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize | Mode.DscpEcnMonitoring;

const TIMEOUT_MS: Readonly<Record<ServerTimeoutKind, (timeouts: Required<ServerTimeouts>) => number>> = {
  handshake: (timeouts) => timeouts.handshakeMs,
  servwait: (timeouts) => timeouts.servwaitMs,
  message: (timeouts) => timeouts.messageMs,
  idle: (timeouts) => timeouts.idleWithoutSessionsMs,
};

/** How long a closed connection may take to flush before its socket is destroyed. */
const CLOSE_FLUSH_MS = 2_000;

const TIMEOUT_KINDS: readonly ServerTimeoutKind[] = ['handshake', 'servwait', 'message', 'idle'];

interface Tracked {
  readonly socket: Socket;
  readonly connection: ServerConnection;
  readonly clientAddress: string;
  /** Refused and evicted connections do not count towards the connection limits. */
  served: boolean;
  readonly timeouts: Required<ServerTimeouts>;
  readonly timers: Record<ServerTimeoutKind, NodeJS.Timeout | undefined>;
  /** The unstartedSessionMs timer, armed for the oldest unstarted session; and when it fires. */
  unstartedTimer: NodeJS.Timeout | undefined;
  unstartedDue: number;
  /** Times (ms) of the latest requests, for requestsPerSecond; never longer than the limit. */
  readonly requestTimes: number[];
  /** When the client last sent anything (or connected): eviction takes the longest idle first. */
  lastActivity: number;
  flushTimer: NodeJS.Timeout | undefined;
}

function positiveInteger(value: number, path: string, allowInfinity = false): void {
  if (allowInfinity && value === Number.POSITIVE_INFINITY) return;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError([{ path, expected: 'a positive integer', received: String(value) }]);
  }
}

function checkLimits(limits: ServerLimits | undefined): Required<ServerLimits> {
  const merged = { ...DEFAULT_SERVER_LIMITS, ...limits };
  positiveInteger(merged.maxConnections, 'limits.maxConnections');
  positiveInteger(merged.maxConnectionsPerClient, 'limits.maxConnectionsPerClient');
  positiveInteger(merged.maxSessionsPerConnection, 'limits.maxSessionsPerConnection');
  positiveInteger(merged.maxSessionsTotal, 'limits.maxSessionsTotal');
  positiveInteger(merged.maxSessionsPerClient, 'limits.maxSessionsPerClient', true);
  positiveInteger(merged.authFailuresPerMinute, 'limits.authFailuresPerMinute', true);
  for (const key of ['requestsPerSecond', 'sessionRequestsPerSecond'] as const) {
    if (!(merged[key] > 0)) {
      throw new ConfigError([{ path: `limits.${key}`, expected: 'a positive number', received: String(merged[key]) }]);
    }
  }
  return merged;
}

/** setTimeout's longest delay (about 24.8 days); Node fires a longer one after 1 ms instead. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

function checkTimeouts(timeouts: ServerTimeouts | undefined): Required<ServerTimeouts> {
  const merged = { ...DEFAULT_SERVER_TIMEOUTS, ...timeouts };
  for (const key of ['handshakeMs', 'servwaitMs', 'messageMs', 'idleWithoutSessionsMs', 'unstartedSessionMs'] as const) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
      throw new ConfigError([{ path: `timeouts.${key}`, expected: `an integer number of ms from 1 to ${MAX_TIMEOUT_MS}`, received: String(value) }]);
    }
  }
  return merged;
}

function checkModes(modes: number, keys: KeyStore | undefined): void {
  const security = modes & SECURITY_MODE_MASK;
  if (!Number.isInteger(modes) || modes < 0 || modes > 0xffff_ffff || security === 0) {
    throw new ConfigError([{ path: 'modes', expected: 'at least one security mode (unauthenticated, authenticated, encrypted, mixed)', received: String(modes) }]);
  }
  if ((security & ~Mode.Unauthenticated) !== 0 && keys === undefined) {
    throw new ConfigError([{ path: 'keys', expected: 'a key store when authenticated, encrypted or mixed mode is offered' }]);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ControlServer implements ControlServerApi {
  readonly #server: Server;
  readonly #options: ControlServerOptions;
  readonly #logger: ControlLogger | undefined;
  readonly #now: () => number;
  readonly #randomBytes: (size: number) => Uint8Array;
  #limits: Required<ServerLimits>;
  #timeouts: Required<ServerTimeouts>;
  #filter: ClientFilter;
  #keys: KeyStore | undefined;
  #thirdPartySenders: boolean;
  /** The server-wide request rate (undefined: unlimited); kept across reloads that leave the rate alone. */
  #requestBucket: RequestRateBucket | undefined;
  readonly #connections = new Set<Tracked>();
  readonly #deriver = new KeyDeriver();
  readonly #authBackoff: AuthBackoff;
  readonly #limitedLog: LogLimiter;
  readonly #perClient = new Map<string, number>();
  #served = 0;
  #closing = false;
  /** While close() waits for connections to end: called when the last one is gone. */
  #onDrained: (() => void) | undefined;
  #connectionsTotal = 0;
  #connectionsRefused = 0;
  readonly #acceptsSent: Record<number, number> = {};
  readonly #timeoutCounts: Record<ServerTimeoutName, number> = { handshake: 0, servwait: 0, message: 0, idle: 0 };
  #authFailures = 0;
  #connectionsEvicted = 0;
  #sessionsReleasedUnstarted = 0;
  readonly #refusedByReason = zeroCounts(CONNECTION_REFUSAL_REASONS);
  readonly #sessionsRefused = zeroCounts(SESSION_REFUSAL_REASONS);

  private constructor(server: Server, options: ControlServerOptions) {
    this.#server = server;
    this.#options = options;
    // Per-connection and per-session lines on a budget (a flood of connections must not fill the
    // disk); the warnings an attacker triggers at will go through the LogLimiter instead.
    this.#logger = budgetedLogger(options.logger);
    this.#now = options.now ?? Date.now;
    this.#randomBytes = options.randomBytes ?? nodeRandomBytes;
    this.#limits = checkLimits(options.limits);
    this.#timeouts = checkTimeouts(options.timeouts);
    this.#filter = clientFilter(options.allowedClients);
    this.#keys = options.keys;
    this.#thirdPartySenders = options.thirdPartySenders ?? false;
    this.#requestBucket = this.#bucketFor(this.#limits.sessionRequestsPerSecond);
    this.#authBackoff = new AuthBackoff(this.#limits.authFailuresPerMinute);
    this.#limitedLog = new LogLimiter(options.logger);
    checkModes(options.modes, options.keys);
    const count = options.pbkdf2Count ?? DEFAULT_PBKDF2_COUNT;
    try {
      checkPbkdf2Count(count, Math.max(count, 1024));
    } catch {
      throw new ConfigError([{ path: 'pbkdf2Count', expected: 'a power of 2 of at least 1024', received: String(count) }]);
    }
    server.on('connection', (socket: Socket) => {
      this.#accept(socket);
    });
  }

  /** Validate the options, then listen. Resolves once the port is bound. */
  static async listen(options: ControlServerListenOptions): Promise<ControlServer> {
    const server = createServer({ noDelay: true });
    const control = new ControlServer(server, options);
    const host = options.address ?? (options.family === 4 ? '0.0.0.0' : '::');
    const port = options.port ?? Port.TwampControl;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(error);
      };
      server.once('error', onError);
      server.listen({ host, port, ipv6Only: options.family === 6 }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => {
      options.logger?.warn('server-error', { error: error.message });
    });
    options.logger?.info('server-listening', { address: control.address, port: control.port, modes: modeNames(options.modes) });
    return control;
  }

  get address(): string {
    const bound = this.#server.address();
    return typeof bound === 'object' && bound !== null ? bound.address : '';
  }

  get port(): number {
    const bound = this.#server.address();
    return typeof bound === 'object' && bound !== null ? bound.port : 0;
  }

  get stats(): ControlServerStats {
    let sessionsActive = 0;
    for (const tracked of this.#connections) sessionsActive += tracked.connection.sessionsInUse;
    return {
      connectionsActive: this.#served,
      connectionsTotal: this.#connectionsTotal,
      connectionsRefused: this.#connectionsRefused,
      sessionsActive,
      acceptsSent: { ...this.#acceptsSent },
      timeouts: { ...this.#timeoutCounts },
      authFailures: this.#authFailures,
      authBackoffRefusals: this.#refusedByReason['auth-backoff'],
      connectionsEvicted: this.#connectionsEvicted,
      sessionsReleasedUnstarted: this.#sessionsReleasedUnstarted,
      connectionsRefusedByReason: { ...this.#refusedByReason },
      sessionsRefusedByReason: { ...this.#sessionsRefused },
    };
  }

  reconfigure(options: ControlServerReconfiguration): void {
    // Check everything before changing anything: a bad reload leaves the old configuration in place.
    const limits = 'limits' in options ? checkLimits(options.limits) : this.#limits;
    const timeouts = 'timeouts' in options ? checkTimeouts(options.timeouts) : this.#timeouts;
    const filter = 'allowedClients' in options ? clientFilter(options.allowedClients) : this.#filter;
    const keys = 'keys' in options ? options.keys : this.#keys;
    const thirdPartySenders = 'thirdPartySenders' in options ? (options.thirdPartySenders ?? false) : this.#thirdPartySenders;
    checkModes(this.#options.modes, keys);
    this.#limits = limits;
    this.#authBackoff.limit = limits.authFailuresPerMinute;
    this.#requestBucket = this.#bucketFor(limits.sessionRequestsPerSecond);
    this.#timeouts = timeouts;
    this.#filter = filter;
    this.#keys = keys;
    this.#thirdPartySenders = thirdPartySenders;
    this.#logger?.info('server-reconfigured', { keyCount: keys?.size ?? 0, limits, timeouts, thirdPartySenders });
  }

  async close(graceMs = 0): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
    if (!this.#closing) {
      this.#closing = true;
      this.#logger?.info('server-closing', { connections: this.#connections.size, graceMs });
      if (graceMs > 0 && this.#connections.size > 0) await this.#drained(graceMs);
      for (const tracked of [...this.#connections]) this.#run(tracked, tracked.connection.close());
    } else {
      // Closing already: a shorter grace (a reopened server's, then the daemon's stop) cuts the wait.
      const endGrace = this.#onDrained;
      if (endGrace !== undefined) setTimeout(endGrace, graceMs).unref();
    }
    await closed;
  }

  /** Resolves when every connection has ended by itself, or after `graceMs`, whichever comes first. */
  async #drained(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      this.#onDrained = resolve;
    });
    clearTimeout(timer);
    this.#onDrained = undefined;
  }

  // -------------------------------------------------------------------------------------------

  #bucketFor(rate: number): RequestRateBucket | undefined {
    if (!Number.isFinite(rate)) return undefined;
    if (this.#requestBucket?.rate === rate) return this.#requestBucket;
    return new RequestRateBucket(rate, this.#now());
  }

  /**
   * Whether this client may be served now; when a connection limit is what stands in the way, the
   * longest-idle connection holding no session is closed to make room first (slot hoarding: idle
   * connections must not keep an honest client out).
   */
  #refusal(clientAddress: string): { readonly reason: ConnectionRefusalReason; readonly text: string } | undefined {
    if (this.#closing) return { reason: 'closing', text: 'the server is closing' };
    if (!this.#filter(clientAddress)) return { reason: 'not-allowed', text: 'client address not allowed' };
    const backoff = this.#authBackoff.remaining(clientAddress, this.#now());
    if (backoff > 0) return { reason: 'auth-backoff', text: `backed off for ${backoff} ms after failed authentications` };
    const { maxConnections, maxConnectionsPerClient } = this.#limits;
    // Loops, because a reload may have lowered a limit below what is open: then more than one goes.
    while (this.#served >= maxConnections) {
      if (!this.#evict(undefined)) return { reason: 'max-connections', text: `connection limit (${maxConnections}) reached` };
    }
    while ((this.#perClient.get(clientAddress) ?? 0) >= maxConnectionsPerClient) {
      if (!this.#evict(clientAddress)) {
        return { reason: 'max-connections-per-client', text: `per-client connection limit (${maxConnectionsPerClient}) reached` };
      }
    }
    return undefined;
  }

  /**
   * Close the served connection (of `clientAddress`, or of anyone) that holds no session, has no
   * request with the handler, and has been idle longest. False when there is none.
   */
  #evict(clientAddress: string | undefined): boolean {
    let victim: Tracked | undefined;
    for (const tracked of this.#connections) {
      if (!tracked.served || tracked.connection.closed || tracked.connection.sessionsInUse > 0) continue;
      if (clientAddress !== undefined && tracked.clientAddress !== clientAddress) continue;
      if (victim === undefined || tracked.lastActivity < victim.lastActivity) victim = tracked;
    }
    if (victim === undefined) return false;
    this.#connectionsEvicted += 1;
    this.#unserve(victim);
    const idleMs = this.#now() - victim.lastActivity;
    this.#limitedLog.warn('connection-evicted', { client: victim.clientAddress, idleMs }, this.#now());
    this.#run(victim, victim.connection.close(`evicted after ${idleMs} ms idle without sessions, to make room`, 'evicted'));
    return true;
  }

  /** The connection stops counting towards the connection limits (once). */
  #unserve(tracked: Tracked): void {
    if (!tracked.served) return;
    tracked.served = false;
    this.#served -= 1;
    const count = (this.#perClient.get(tracked.clientAddress) ?? 1) - 1;
    if (count <= 0) this.#perClient.delete(tracked.clientAddress);
    else this.#perClient.set(tracked.clientAddress, count);
  }

  #accept(socket: Socket): void {
    const clientAddress = unwrapMappedAddress(socket.remoteAddress ?? '');
    const client = { address: clientAddress, port: socket.remotePort ?? 0 };
    const server = { address: unwrapMappedAddress(socket.localAddress ?? ''), port: socket.localPort ?? 0 };
    const refusal = this.#refusal(clientAddress);
    this.#connectionsTotal += 1;
    const connection = new ServerConnection({
      modes: this.#options.modes,
      keys: this.#keys,
      pbkdf2Count: this.#options.pbkdf2Count ?? DEFAULT_PBKDF2_COUNT,
      client,
      server,
      now: this.#now,
      randomBytes: this.#randomBytes,
      refuse: refusal?.text,
      maxSessions: () => this.#limits.maxSessionsPerConnection,
      maxSessionsPerMessage: Math.max(this.#limits.maxSessionsPerConnection, 1),
      logger: this.#logger,
      thirdPartySenders: this.#thirdPartySenders,
      onAccept: (accept, message) => {
        if (message === 'server-start' || message === 'accept-session') {
          this.#acceptsSent[accept] = (this.#acceptsSent[accept] ?? 0) + 1;
        }
      },
      onAuthentication: (ok) => {
        this.#authenticated(clientAddress, ok);
      },
      onSessionRefused: (reason) => {
        this.#sessionsRefused[reason] += 1;
      },
    });
    const tracked: Tracked = {
      socket,
      connection,
      clientAddress,
      served: refusal === undefined,
      timeouts: this.#timeouts,
      timers: { handshake: undefined, servwait: undefined, message: undefined, idle: undefined },
      unstartedTimer: undefined,
      unstartedDue: 0,
      requestTimes: [],
      lastActivity: this.#now(),
      flushTimer: undefined,
    };
    this.#connections.add(tracked);
    if (tracked.served) {
      this.#served += 1;
      this.#perClient.set(clientAddress, (this.#perClient.get(clientAddress) ?? 0) + 1);
      this.#logger?.info('connection-accepted', { client: `${client.address}:${client.port}` });
    } else if (refusal !== undefined) {
      this.#connectionsRefused += 1;
      this.#refusedByReason[refusal.reason] += 1;
      // Refusals are the attacker's to trigger: rate-limited.
      this.#limitedLog.warn('connection-refused', { client: `${client.address}:${client.port}`, reason: refusal.text }, this.#now());
    }
    socket.on('data', (chunk: Buffer) => {
      tracked.lastActivity = this.#now();
      this.#clearTimer(tracked, 'servwait');
      this.#clearTimer(tracked, 'idle');
      this.#step(tracked, () => connection.receive(chunk));
    });
    socket.on('end', () => {
      this.#step(tracked, () => connection.end());
    });
    socket.on('error', (error) => {
      this.#logger?.warn('connection-error', { client: `${client.address}:${client.port}`, error: error.message });
    });
    socket.on('close', () => {
      this.#forget(tracked);
    });
    this.#run(tracked, connection.start());
  }

  /** A Set-Up-Response was checked: count failures per client, back the client off past the limit. */
  #authenticated(clientAddress: string, ok: boolean): void {
    if (ok) {
      this.#authBackoff.success(clientAddress);
      return;
    }
    this.#authFailures += 1;
    const now = this.#now();
    const backoffMs = this.#authBackoff.failure(clientAddress, now);
    // Never the KeyID or the Token: only who failed, and how often.
    this.#limitedLog.warn('authentication-failed', { client: clientAddress, failures: this.#authFailures }, now);
    if (backoffMs > 0) this.#limitedLog.warn('client-backed-off', { client: clientAddress, backoffMs }, now);
  }

  /**
   * Run one step of the state machine. Peer input never throws out of it; should a bug make it
   * throw anyway, that one connection is closed (releasing its sessions) and the server lives on.
   */
  #step(tracked: Tracked, step: () => readonly ServerAction[]): void {
    let actions: readonly ServerAction[];
    try {
      actions = step();
    } catch (error) {
      this.#logger?.warn('connection-internal-error', { client: tracked.clientAddress, error: describe(error) });
      actions = tracked.connection.close('internal error');
    }
    this.#run(tracked, actions);
  }

  #run(tracked: Tracked, actions: readonly ServerAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case 'send':
          if (!tracked.socket.destroyed && tracked.socket.writable) tracked.socket.write(action.bytes);
          break;
        case 'open-session':
          this.#open(tracked, action.requestId, action.request);
          break;
        case 'start':
          this.#callHandler('start', () => {
            this.#options.handler.start(action.sids);
          });
          break;
        case 'stop':
          this.#callHandler('stop', () => {
            this.#options.handler.stop(action.sids);
          });
          break;
        case 'release':
          this.#callHandler('release', () => {
            this.#options.handler.release(action.sids);
          });
          break;
        case 'close':
          this.#endSocket(tracked);
          break;
        case 'derive':
          this.#derive(tracked, action.requestId, action.secret, action.salt, action.count);
          break;
      }
    }
    this.#syncTimers(tracked);
  }

  #derive(tracked: Tracked, requestId: number, secret: Uint8Array, salt: Uint8Array, count: number): void {
    this.#deriver.derive({
      secret,
      salt,
      count,
      wanted: () => !tracked.connection.closed && tracked.connection.waitingForKey,
      done: (key) => {
        this.#step(tracked, () => tracked.connection.keyDerived(requestId, key));
      },
    });
  }

  #callHandler(what: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      // The handler is the owner's code; its failure must not take the server down.
      this.#logger?.warn('handler-error', { call: what, error: describe(error) });
    }
  }

  /** Limits across connections and the rate limit, then the handler (bounded by the message timeout). */
  #open(tracked: Tracked, requestId: number, request: ServerSessionRequest): void {
    const refusal = this.#sessionRefusal(tracked);
    if (refusal !== undefined) {
      this.#step(tracked, () => tracked.connection.sessionOpened(requestId, refusal));
      return;
    }
    let settled = false;
    const finish = (result: SessionOpenResult): void => {
      if (settled) {
        // Too late: the request was answered with Accept 2 already; give back what was opened.
        if (result.accept === AcceptCode.Ok) this.#callHandler('release', () => {
          this.#options.handler.release([request.sid]);
        });
        return;
      }
      settled = true;
      clearTimeout(timer);
      if (result.accept !== AcceptCode.Ok) this.#sessionsRefused.handler += 1;
      this.#step(tracked, () => tracked.connection.sessionOpened(requestId, result));
    };
    const timer = setTimeout(() => {
      finish({ accept: AcceptCode.InternalError, reason: `the session handler did not answer within ${tracked.timeouts.messageMs} ms` });
    }, tracked.timeouts.messageMs);
    timer.unref();
    let pending: Promise<SessionOpenResult>;
    try {
      pending = this.#options.handler.open(request);
    } catch (error) {
      pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    pending.then(finish, (error: unknown) => {
      this.#logger?.warn('handler-error', { call: 'open', error: describe(error) });
      const code = isTwampError(error) ? error.acceptCode : AcceptCode.InternalError;
      finish({ accept: code === AcceptCode.Ok ? AcceptCode.InternalError : code, reason: describe(error) });
    });
  }

  #sessionRefusal(tracked: Tracked): SessionOpenResult | undefined {
    const refused = (why: SessionRefusalReason, result: SessionOpenResult): SessionOpenResult => {
      this.#sessionsRefused[why] += 1;
      return result;
    };
    let total = 0;
    let client = 0;
    for (const other of this.#connections) {
      total += other.connection.sessionsInUse;
      if (other.clientAddress === tracked.clientAddress) client += other.connection.sessionsInUse;
    }
    // Both counts include this request (it is pending on its connection). Both limits are configured
    // capacities: permanent (Accept 4), as the error-code reference says of "maximum number of
    // concurrent sessions reached", whose remedy is "reduce number of concurrent sessions". For the
    // per-client share that is the client's own doing: retrying the same request will not help
    // until the client ends sessions of its own, so Accept 5 ("may succeed if retried") would mislead.
    // The per-client share is checked first, so that the client filling it hears about its own limit.
    if (client > this.#limits.maxSessionsPerClient) {
      return refused('max-sessions-per-client', {
        accept: AcceptCode.PermanentResourceLimitation,
        reason: `${client - 1} sessions from ${tracked.clientAddress} (limit per client ${this.#limits.maxSessionsPerClient})`,
      });
    }
    if (total > this.#limits.maxSessionsTotal) {
      return refused('max-sessions-total', {
        accept: AcceptCode.PermanentResourceLimitation,
        reason: `${total - 1} sessions on the server (limit ${this.#limits.maxSessionsTotal})`,
      });
    }
    // Rates are temporary (Accept 5): the same request succeeds a moment later. Both are checked
    // before either is charged, so a request refused by one does not use up the other.
    const now = this.#now();
    const rate = this.#limits.requestsPerSecond;
    const times = tracked.requestTimes;
    if (Number.isFinite(rate)) {
      while (times.length > 0 && now - (times[0] ?? 0) >= 1000) times.shift();
      if (times.length >= rate) {
        return refused('rate', { accept: AcceptCode.TemporaryResourceLimitation, reason: `more than ${rate} requests per second on this connection` });
      }
    }
    const bucket = this.#requestBucket;
    if (bucket !== undefined && !bucket.take(now)) {
      return refused('rate', { accept: AcceptCode.TemporaryResourceLimitation, reason: `more than ${bucket.rate} requests per second on the server` });
    }
    if (Number.isFinite(rate)) times.push(now);
    return undefined;
  }

  #syncTimers(tracked: Tracked): void {
    const closed = tracked.connection.closed;
    for (const kind of TIMEOUT_KINDS) {
      if (closed || !tracked.connection.timers[kind]) {
        this.#clearTimer(tracked, kind);
      } else if (tracked.timers[kind] === undefined) {
        const ms = TIMEOUT_MS[kind](tracked.timeouts);
        const timer = setTimeout(() => {
          tracked.timers[kind] = undefined;
          this.#timeoutCounts[kind] += 1;
          this.#run(tracked, tracked.connection.timeout(kind));
        }, ms);
        timer.unref();
        tracked.timers[kind] = timer;
      }
    }
    this.#syncUnstartedTimer(tracked);
  }

  /** One timer per connection, due when its oldest unstarted session has waited unstartedSessionMs. */
  #syncUnstartedTimer(tracked: Tracked): void {
    const oldest = tracked.connection.closed ? undefined : tracked.connection.oldestUnstartedAt;
    if (oldest === undefined) {
      if (tracked.unstartedTimer !== undefined) clearTimeout(tracked.unstartedTimer);
      tracked.unstartedTimer = undefined;
      return;
    }
    const due = oldest + tracked.timeouts.unstartedSessionMs;
    if (tracked.unstartedTimer !== undefined && tracked.unstartedDue === due) return;
    if (tracked.unstartedTimer !== undefined) clearTimeout(tracked.unstartedTimer);
    tracked.unstartedDue = due;
    tracked.unstartedTimer = setTimeout(() => {
      tracked.unstartedTimer = undefined;
      const { actions, released } = tracked.connection.releaseUnstarted(this.#now() - tracked.timeouts.unstartedSessionMs);
      this.#sessionsReleasedUnstarted += released;
      this.#run(tracked, actions);
    }, Math.max(0, due - this.#now()));
    tracked.unstartedTimer.unref();
  }

  #clearTimer(tracked: Tracked, kind: ServerTimeoutKind): void {
    const timer = tracked.timers[kind];
    if (timer !== undefined) {
      clearTimeout(timer);
      tracked.timers[kind] = undefined;
    }
  }

  #endSocket(tracked: Tracked): void {
    const { socket } = tracked;
    if (socket.destroyed || tracked.flushTimer !== undefined) return;
    // end() flushes what was written (a refusal, an Accept 3) before the FIN; a peer that never
    // reads is cut off after a bounded wait.
    socket.end();
    tracked.flushTimer = setTimeout(() => {
      socket.destroy();
    }, CLOSE_FLUSH_MS);
    tracked.flushTimer.unref();
  }

  #forget(tracked: Tracked): void {
    if (!this.#connections.delete(tracked)) return;
    if (!tracked.connection.closed) this.#run(tracked, tracked.connection.end());
    for (const kind of TIMEOUT_KINDS) this.#clearTimer(tracked, kind);
    if (tracked.flushTimer !== undefined) clearTimeout(tracked.flushTimer);
    if (tracked.unstartedTimer !== undefined) clearTimeout(tracked.unstartedTimer);
    this.#unserve(tracked);
    if (this.#connections.size === 0) this.#onDrained?.();
  }
}
