// node:net adapter around ClientConnection: owns the TCP socket, bounds every wait with one timer,
// turns the connection's events into promises, and makes sure nothing is ever left to reject
// unhandled (every internal promise has a handler; `closed` carries a no-op one).
import { connect as netConnect, type Socket } from 'node:net';
import { type AcceptCode, ConfigError, formatEndpoint, NetworkError, TimeoutError } from '@twamp/errors';
import { modeNames, type SecurityMode } from '@twamp/wire';
import type { ControlClientApi, ControlClientOptions, ControlLogger, Endpoint, NegotiatedSession, SessionRequestOptions } from '../types.js';
import { ClientConnection, type ClientEvent, type IssuedCommand } from './connection.js';

/** Every wait for the server when the caller gives no `timeoutMs`. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

interface Waiter {
  readonly resolve: (session: NegotiatedSession | undefined) => void;
  readonly reject: (error: Error) => void;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function systemCode(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/**
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4) as the
 * IPv4 address it stands for: the session is IPv4 (IPVN 4), and the server sees IPv4 addresses.
 */
function unmapped(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match?.[1] ?? address;
}

function checkTimeout(timeoutMs: number): void {
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= 2_147_483_647)) {
    throw new ConfigError([{ path: 'timeoutMs', expected: 'a positive integer number of milliseconds', received: String(timeoutMs) }]);
  }
}

/** Open the TCP connection, bounded by `timeoutMs`. */
function openSocket(options: ControlClientOptions, timeoutMs: number): Promise<Socket> {
  const peer = formatEndpoint(options.server);
  return new Promise<Socket>((resolve, reject) => {
    const socket = netConnect({
      host: options.server.address,
      port: options.server.port,
      ...(options.local?.address === undefined ? {} : { localAddress: options.local.address }),
      ...(options.local?.port === undefined ? {} : { localPort: options.local.port }),
      noDelay: true,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError({ waitingFor: 'the TCP connection', afterMs: timeoutMs, peer }));
    }, timeoutMs);
    const onError = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new NetworkError({ operation: 'connect', systemCode: systemCode(error), endpoint: peer, detail: error.message }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * A TWAMP-Control client over TCP (RFC 4656 §3, RFC 5357 §3). `connect` resolves once the server
 * has accepted the connection (Server-Start, Accept 0). Commands may be issued without waiting for
 * the previous reply: they are sent at once and their replies matched in order, each reply bounded
 * by `timeoutMs` from the moment it becomes the one awaited. A timeout, a failed HMAC or a server
 * that closes early ends the connection and fails every outstanding command with a typed error.
 */
export class ControlClient implements ControlClientApi {
  readonly local: Endpoint;
  readonly server: Endpoint;
  readonly closed: Promise<void>;

  readonly #socket: Socket;
  readonly #connection: ClientConnection;
  readonly #timeoutMs: number;
  readonly #logger: ControlLogger | undefined;
  readonly #handshake = deferred<undefined>();
  readonly #closed = deferred<undefined>();
  readonly #waiters = new Map<number, Waiter>();
  #handshakeDone = false;
  #timer: NodeJS.Timeout | undefined;
  /** What the running timer bounds (`phase:id`), so it restarts only when the awaited reply changes. */
  #timerKey: string | undefined;
  #error: Error | undefined;
  /** True once `#error` has reached the caller through a rejected promise. */
  #errorSeen = false;
  #closing = false;
  #settled = false;

  private constructor(socket: Socket, connection: ClientConnection, timeoutMs: number, logger: ControlLogger | undefined) {
    this.#socket = socket;
    this.#connection = connection;
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
    this.local = connection.local;
    this.server = connection.remote;
    this.closed = this.#closed.promise.then(() => undefined);
    // The caller may never look at `closed`; its rejection must not count as unhandled.
    this.closed.catch(() => undefined);
    this.#handshake.promise.catch(() => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.#process(connection.receive(chunk));
    });
    socket.on('end', () => {
      this.#process(connection.end());
      if (!socket.destroyed) socket.end();
    });
    socket.on('error', (error: Error) => {
      const failure = new NetworkError({
        operation: 'receive',
        systemCode: systemCode(error),
        endpoint: formatEndpoint(connection.remote),
        detail: error.message,
      });
      this.#process(connection.abort(failure));
    });
    socket.on('close', () => {
      this.#process(connection.end());
      this.#finish();
    });
    this.#rearm();
  }

  /** Connect, read the greeting, choose the mode, authenticate, and wait for Server-Start. */
  static async connect(options: ControlClientOptions): Promise<ControlClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    checkTimeout(timeoutMs);
    const settings = {
      ...(options.allowedModes === undefined ? {} : { allowedModes: options.allowedModes }),
      ...(options.preference === undefined ? {} : { preference: options.preference }),
      ...(options.keyId === undefined ? {} : { keyId: options.keyId }),
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      ...(options.maxPbkdf2Count === undefined ? {} : { maxPbkdf2Count: options.maxPbkdf2Count }),
      ...(options.extensions === undefined ? {} : { extensions: options.extensions }),
      ...(options.randomBytes === undefined ? {} : { randomBytes: options.randomBytes }),
    };
    // Check the options before opening anything: a ConfigError should not cost the server a connection.
    const placeholder = { address: '0.0.0.0', port: 0 };
    new ClientConnection({ ...settings, local: placeholder, remote: placeholder });

    const socket = await openSocket(options, timeoutMs);
    let connection: ClientConnection;
    try {
      connection = new ClientConnection({
        ...settings,
        local: { address: unmapped(socket.localAddress ?? ''), port: socket.localPort ?? 0 },
        remote: { address: unmapped(socket.remoteAddress ?? options.server.address), port: socket.remotePort ?? options.server.port },
      });
    } catch (error) {
      socket.destroy();
      throw error;
    }
    const client = new ControlClient(socket, connection, timeoutMs, options.logger);
    options.logger?.info('client-connected', { server: formatEndpoint(client.server), local: formatEndpoint(client.local) });
    await client.#handshake.promise;
    return client;
  }

  get mode(): number {
    return this.#connection.mode;
  }

  get securityMode(): SecurityMode {
    return this.#connection.securityMode;
  }

  get serverModes(): number {
    return this.#connection.serverModes;
  }

  /** Sessions accepted on this connection and not stopped yet (Stop-Sessions' Number of Sessions). */
  get activeSessions(): number {
    return this.#connection.activeSessions;
  }

  requestSession(options: SessionRequestOptions = {}): Promise<NegotiatedSession> {
    return this.#command(() => this.#connection.requestSession(options)).then((session) => {
      if (session === undefined) throw new Error('Accept-Session produced no session');
      this.#logger?.info('client-session-accepted', {
        sid: Buffer.from(session.sid).toString('hex'),
        sender: formatEndpoint(session.sender),
        receiver: formatEndpoint(session.receiver),
        paddingLength: session.paddingLength,
      });
      return session;
    });
  }

  async startSessions(): Promise<void> {
    await this.#command(() => this.#connection.startSessions());
  }

  async startSessionsN(sids: readonly Uint8Array[]): Promise<void> {
    await this.#command(() => this.#connection.startSessionsN(sids));
  }

  async stopSessionsN(sids: readonly Uint8Array[]): Promise<void> {
    await this.#command(() => this.#connection.stopSessionsN(sids));
  }

  stopSessions(accept?: AcceptCode): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failure = this.#unusable();
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      let events: ClientEvent[];
      try {
        events = this.#connection.stopSessions(accept);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      // No reply exists (RFC 5357 §3.8): done once the octets are handed to the kernel, which a
      // server that stopped reading could delay forever, so that wait is bounded too.
      const timer = setTimeout(() => {
        const error = new TimeoutError({ waitingFor: 'Stop-Sessions to be sent', afterMs: this.#timeoutMs, peer: formatEndpoint(this.server) });
        reject(error);
        this.#errorSeen = true;
        this.#process(this.#connection.abort(error));
      }, this.#timeoutMs);
      for (const event of events) {
        if (event.type !== 'send') continue;
        this.#socket.write(event.bytes, (error) => {
          clearTimeout(timer);
          if (error === undefined || error === null) resolve();
          else reject(new NetworkError({ operation: 'send', systemCode: systemCode(error), endpoint: formatEndpoint(this.server), detail: error.message }));
        });
      }
    });
  }

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const pending = this.#waiters.size > 0 || !this.#handshakeDone;
    if (pending) {
      this.#process(
        this.#connection.abort(
          new NetworkError({ operation: 'close', systemCode: 'ECANCELED', endpoint: formatEndpoint(this.server), detail: 'the client closed the connection' }),
        ),
      );
    }
    this.#clearTimer();
    if (!this.#socket.destroyed) {
      this.#socket.end();
      // The server should close its side at our FIN; do not wait for it longer than any other reply.
      setTimeout(() => this.#socket.destroy(), this.#timeoutMs).unref();
    }
  }

  #unusable(): Error | undefined {
    if (this.#error !== undefined) return this.#error;
    if (this.#closing || this.#settled) {
      return new NetworkError({ operation: 'send', systemCode: 'ECANCELED', endpoint: formatEndpoint(this.server), detail: 'the connection is closed' });
    }
    return undefined;
  }

  #command(issue: () => IssuedCommand): Promise<NegotiatedSession | undefined> {
    return new Promise<NegotiatedSession | undefined>((resolve, reject) => {
      const failure = this.#unusable();
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      let issued: IssuedCommand;
      try {
        issued = issue();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.#waiters.set(issued.id, { resolve, reject });
      this.#process(issued.events);
    });
  }

  #process(events: readonly ClientEvent[]): void {
    for (const event of events) {
      switch (event.type) {
        case 'send':
          if (!this.#socket.destroyed) this.#socket.write(event.bytes);
          break;
        case 'greeting':
          this.#logger?.info('client-mode', {
            serverModes: modeNames(event.serverModes),
            mode: modeNames(event.mode),
            count: event.count,
          });
          break;
        case 'ready':
          this.#handshakeDone = true;
          this.#logger?.info('client-ready', { mode: modeNames(this.mode) });
          this.#handshake.resolve(undefined);
          break;
        case 'done':
          this.#settleWaiter(event.id, (waiter) => {
            waiter.resolve(event.session);
          });
          break;
        case 'refused':
          this.#logger?.warn('client-refused', { error: event.error.message });
          this.#settleWaiter(event.id, (waiter) => {
            waiter.reject(event.error);
          });
          break;
        case 'failed':
          this.#fail(event.error);
          break;
      }
    }
    this.#rearm();
  }

  #settleWaiter(id: number, settle: (waiter: Waiter) => void): void {
    const waiter = this.#waiters.get(id);
    if (waiter === undefined) return;
    this.#waiters.delete(id);
    settle(waiter);
  }

  #fail(error: Error): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    this.#clearTimer();
    if (!this.#closing) this.#logger?.warn('client-failed', { error: error.message });
    if (!this.#handshakeDone) {
      this.#errorSeen = true;
      this.#handshake.reject(error);
    }
    for (const waiter of this.#waiters.values()) {
      this.#errorSeen = true;
      waiter.reject(error);
    }
    this.#waiters.clear();
    this.#socket.destroy();
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#clearTimer();
    this.#logger?.info('client-closed', { server: formatEndpoint(this.server) });
    const error = this.#error;
    if (error !== undefined && !this.#errorSeen && !this.#closing) this.#closed.reject(error);
    else this.#closed.resolve(undefined);
  }

  /** One timer bounds whatever the connection waits for now; it restarts when that changes. */
  #rearm(): void {
    const waiting = this.#connection.waitingFor;
    if (waiting === undefined || this.#error !== undefined || this.#closing) {
      this.#clearTimer();
      return;
    }
    const key = `${waiting}:${this.#connection.waitingId ?? 0}`;
    if (key === this.#timerKey) return;
    this.#clearTimer();
    this.#timerKey = key;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerKey = undefined;
      const error = new TimeoutError({ waitingFor: waiting, afterMs: this.#timeoutMs, peer: formatEndpoint(this.server) });
      this.#process(this.#connection.abort(error));
    }, this.#timeoutMs);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerKey = undefined;
  }
}
