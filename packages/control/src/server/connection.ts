// One TWAMP-Control connection, server side, as a sans-IO state machine: bytes and events in,
// actions out. No sockets, no timers, no promises: the node:net adapter (control-server.ts) owns
// those, runs the actions in order, and asks `timers` which timers should be running.
//
//   start() ──▶ Server Greeting (or Modes 0 + close) ──▶ Set-Up-Response ──(secured: derive …
//   keyDerived())──▶ Server-Start
//   ──Accept 0──▶ commands: Request-TW-Session ⇄ open-session … sessionOpened() ──▶ Accept-Session,
//                 Start-Sessions / Start-N-Sessions ──▶ start + ack, Stop-Sessions / Stop-N-Sessions ──▶ stop
//   any fatal input, a timeout, end() or close() ──▶ release (sessions never stopped) + close
//
// Framing, decryption and HMAC checks are the wire package's ControlFramer; what this side sends
// after Server-Start goes through one ControlStreamEncryptor (the server-to-client AES-CBC chain).
//
// PBKDF2 is the one expensive step (a millisecond or more per Set-Up-Response), so it is not done
// here: a 'derive' action asks the adapter, which runs it off the event loop and calls keyDerived().
// An unknown KeyID is derived too, from a per-process random dummy secret, and its Token checked and
// refused exactly like a wrong secret: same work, same answer, same time, nothing to enumerate.
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { AcceptCode, isTwampError } from '@twamp/errors';
import {
  acceptToken,
  ControlFramer,
  type ControlKeys,
  ControlStreamEncryptor,
  decodeTypeP,
  encodeAcceptSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeStartAck,
  encodeStartNAck,
  encodeStopNAck,
  type FramedMessage,
  generateChallenge,
  generateSalt,
  generateServerIv,
  isGroupAddress,
  isSecurityMode,
  isUnspecifiedAddress,
  Mode,
  modeNames,
  ntpFromUnixNanos,
  type RequestTwSession,
  SECURITY_MODE_MASK,
  SERVER_START_ENCRYPTED_OFFSET,
  type SetUpResponse,
  sameIpAddress,
  SID_LENGTH,
  tryParseIpAddress,
  type WireTimestamp,
  writeTimestamp,
  MAX_UDP_PAYLOAD,
} from '@twamp/wire';
import { keyIdFromField } from '../keys/key-store.js';
import { negotiatedSession } from '../shared/negotiated-session.js';
import type { ControlLogger, Endpoint, KeyStore, ServerSessionRequest, SessionOpenResult } from '../types.js';

/** Timers the adapter runs for a connection ('idle': after the handshake, no session held). */
export type ServerTimeoutKind = 'handshake' | 'servwait' | 'message' | 'idle';

/** Why a connection ended (for logs and tests). */
export type ServerCloseReason =
  /** Greeting with Modes 0: client not allowed or a connection limit reached. */
  | 'service-refused'
  /** The client answered the greeting with Mode 0. */
  | 'client-declined'
  /** Server-Start carried Accept ≠ 0 (mode not offered, unknown KeyID, wrong secret). */
  | 'setup-refused'
  /** A command this server cannot frame: Accept 3 was sent first. */
  | 'unknown-command'
  /** A control message failed its HMAC check. */
  | 'authentication-failed'
  /** Malformed or oversized input. */
  | 'protocol-error'
  /** The client pipelined more than the bounded queue holds while a request was with the handler. */
  | 'input-overflow'
  | 'timeout'
  | 'peer-closed'
  /** The owner closed the connection (server shutdown). */
  | 'server-closing'
  /** The owner closed this connection (it held no session) to make room for a new one. */
  | 'evicted'
  /** Every session was released unstarted, or none was requested (see ServerTimeouts). */
  | 'idle';

export type ServerAction =
  | { readonly type: 'send'; readonly bytes: Buffer }
  | { readonly type: 'close'; readonly reason: ServerCloseReason; readonly detail: string }
  | { readonly type: 'open-session'; readonly requestId: number; readonly request: ServerSessionRequest }
  | { readonly type: 'start'; readonly sids: readonly Uint8Array[] }
  | { readonly type: 'stop'; readonly sids: readonly Uint8Array[] }
  | { readonly type: 'release'; readonly sids: readonly Uint8Array[] }
  /**
   * Derive the Token key: PBKDF2-HMAC-SHA1(secret, salt, count) → 16 octets (RFC 4656 §3.1), then
   * call keyDerived(requestId, key). The secret may be the dummy one (unknown KeyID); the adapter
   * must not tell the two apart, and must not log the secret.
   */
  | { readonly type: 'derive'; readonly requestId: number; readonly secret: Uint8Array; readonly salt: Uint8Array; readonly count: number };

/** Why this side refused a Request-TW-Session itself (the adapter adds its own limits). */
export type ConnectionSessionRefusal = 'invalid' | 'receiver-address' | 'sender-address' | 'max-sessions-per-connection';

/** Which message carried an Accept value this side sent (for statistics). */
export type AcceptMessage = 'server-start' | 'accept-session' | 'start-ack' | 'start-n-ack' | 'stop-n-ack';

export interface ServerConnectionOptions {
  /** Modes offered in the greeting (security modes plus extension bits). */
  readonly modes: number;
  readonly keys?: KeyStore | undefined;
  /** PBKDF2 Count sent in the greeting. */
  readonly pbkdf2Count: number;
  /** The control connection's remote (client) and local (server) endpoints, IPv4-mapped addresses unwrapped. */
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Wall clock, milliseconds since the Unix epoch (SIDs, Server-Start Start-Time). */
  readonly now: () => number;
  readonly randomBytes: (size: number) => Uint8Array;
  /**
   * Set by the adapter when this client must not be served (not allowed, or a connection limit):
   * start() then sends a Greeting with Modes 0 and closes. The text goes to the log only.
   */
  readonly refuse?: string | undefined;
  /** Sessions per connection not yet stopped (beyond: Accept 4). Read at each request. */
  readonly maxSessions: () => number;
  /** Largest N accepted in an RFC 5938 message (the framer refuses more before buffering). */
  readonly maxSessionsPerMessage?: number;
  /** Octets of complete commands held while a request is with the handler (beyond: close). Default 64 KiB. */
  readonly maxQueuedOctets?: number;
  readonly logger?: ControlLogger | undefined;
  /** Told of every Accept value sent. */
  readonly onAccept?: (accept: number, message: AcceptMessage) => void;
  /** Told of each Set-Up-Response checked against a key: true when the Token matched. */
  readonly onAuthentication?: (ok: boolean) => void;
  /** Told of each Request-TW-Session this side refuses by itself, with why. */
  readonly onSessionRefused?: (reason: ConnectionSessionRefusal) => void;
  /**
   * Third-party sessions: accept a Sender Address other than the client's (never multicast or
   * broadcast). Default false: such a request gets Accept 3.
   */
  readonly thirdPartySenders?: boolean;
}

/** Derived for unknown KeyIDs, so they cost what known ones cost; one per process, never sent. */
const DUMMY_SECRET = Uint8Array.from(nodeRandomBytes(32));

type Phase = 'new' | 'setup' | 'commands' | 'closed';
type SessionState = 'accepted' | 'running' | 'stopped';

interface SessionEntry {
  readonly sid: Uint8Array;
  state: SessionState;
  /** options.now() when it was accepted (for releaseUnstarted). */
  readonly acceptedAt: number;
}

/** A Set-Up-Response whose key is being derived. */
interface PendingSetUp {
  readonly id: number;
  readonly message: SetUpResponse;
  readonly mode: number;
  readonly keyId: string;
  /** False for an unknown KeyID: the Token is checked against the dummy key, then refused anyway. */
  readonly known: boolean;
}

interface Refusal {
  readonly accept: AcceptCode;
  readonly reason: string;
  readonly why: ConnectionSessionRefusal;
}

interface PendingRequest {
  readonly id: number;
  readonly request: ServerSessionRequest;
  readonly reflectedOctets: number;
}

/** A Type-P this server can honour: a DSCP (the PHB ID form has no mapping the reflector could apply). */
function typePProblem(raw: number): string | undefined {
  const typeP = decodeTypeP(raw);
  if (typeP.kind === 'dscp') return undefined;
  return typeP.kind === 'phb-id' ? 'PHB ID Type-P descriptors are not supported' : typeP.reason;
}

/** The authenticated sender base (the larger one): with padding it must still fit a datagram. */
const MAX_SENDER_BASE = 112;

const DEFAULT_MAX_QUEUED_OCTETS = 64 * 1024;

function hex(sid: Uint8Array): string {
  return Buffer.from(sid.buffer, sid.byteOffset, sid.byteLength).toString('hex');
}

function unixNanos(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

function queuedSize(message: FramedMessage): number {
  switch (message.type) {
    case 'request-tw-session':
      return 112;
    case 'start-n-sessions':
    case 'stop-n-sessions':
      return 32 + SID_LENGTH * message.sids.length;
    default:
      return 32;
  }
}

export class ServerConnection {
  readonly client: Endpoint;
  readonly server: Endpoint;

  readonly #options: ServerConnectionOptions;
  readonly #framer: ControlFramer;
  readonly #challenge: Buffer;
  readonly #salt: Buffer;
  #phase: Phase = 'new';
  #mode = 0;
  #controlKeys: ControlKeys | undefined;
  #encryptor: ControlStreamEncryptor | undefined;
  readonly #sessions = new Map<string, SessionEntry>();
  #pending: PendingRequest | undefined;
  #deriving: PendingSetUp | undefined;
  #nextRequestId = 1;
  readonly #queue: FramedMessage[] = [];
  #queuedOctets = 0;
  #out: ServerAction[] = [];
  #closeReason: ServerCloseReason | undefined;

  constructor(options: ServerConnectionOptions) {
    this.#options = options;
    this.client = options.client;
    this.server = options.server;
    this.#framer = new ControlFramer({
      role: 'server',
      ...(options.maxSessionsPerMessage === undefined ? {} : { maxSessionsPerMessage: options.maxSessionsPerMessage }),
    });
    this.#challenge = generateChallenge(options.randomBytes);
    this.#salt = generateSalt(options.randomBytes);
  }

  /** The selected Modes value, 0 until Server-Start accepted the client. */
  get mode(): number {
    return this.#mode;
  }

  get closed(): boolean {
    return this.#phase === 'closed';
  }

  get closeReason(): ServerCloseReason | undefined {
    return this.#closeReason;
  }

  /** Sessions accepted and not stopped, plus a request with the handler (for the adapter's limits). */
  get sessionsInUse(): number {
    let count = this.#pending === undefined ? 0 : 1;
    for (const entry of this.#sessions.values()) if (entry.state !== 'stopped') count += 1;
    return count;
  }

  /** Sessions started and not stopped: SERVWAIT is suspended while there is one (RFC 5357 §3.1, RFC 5938 §3.6). */
  get runningSessions(): number {
    let count = 0;
    for (const entry of this.#sessions.values()) if (entry.state === 'running') count += 1;
    return count;
  }

  /** True while a request is with the handler (later commands are queued in order). */
  get waitingForHandler(): boolean {
    return this.#pending !== undefined;
  }

  /** True while a 'derive' action is waiting for keyDerived(). */
  get waitingForKey(): boolean {
    return this.#deriving !== undefined;
  }

  /** When the oldest session accepted and not started was accepted (options.now()), or undefined. */
  get oldestUnstartedAt(): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.#sessions.values()) {
      if (entry.state === 'accepted' && (oldest === undefined || entry.acceptedAt < oldest)) oldest = entry.acceptedAt;
    }
    return oldest;
  }

  /** Which timers the adapter should have running now. */
  get timers(): Readonly<Record<ServerTimeoutKind, boolean>> {
    const commands = this.#phase === 'commands';
    const quiet = commands && this.#pending === undefined;
    return {
      handshake: this.#phase === 'new' || this.#phase === 'setup',
      message: commands && this.#framer.buffered > 0,
      servwait: quiet && this.runningSessions === 0,
      // Nothing held: no session accepted and not stopped, none with the handler.
      idle: quiet && this.sessionsInUse === 0,
    };
  }

  /** The greeting (or a refusal: Modes 0, then close). Call once, first. */
  start(): ServerAction[] {
    if (this.#phase !== 'new') throw new Error('start() may be called once, first');
    return this.#collect(() => {
      const refuse = this.#options.refuse;
      const modes = refuse === undefined ? this.#options.modes : 0;
      this.#send(
        encodeServerGreeting({ modes, challenge: this.#challenge, salt: this.#salt, count: this.#options.pbkdf2Count }),
      );
      if (refuse !== undefined) {
        this.#finish('service-refused', refuse);
        return;
      }
      this.#phase = 'setup';
    });
  }

  /** Bytes from the client. */
  receive(chunk: Uint8Array): ServerAction[] {
    if (this.#phase === 'closed') return [];
    if (this.#phase === 'new') throw new Error('receive() before start()');
    return this.#collect(() => {
      this.#process(this.#feedFramer(() => this.#framer.feed(chunk)));
    });
  }

  /** The handler's answer to the open-session action with this id. */
  sessionOpened(requestId: number, result: SessionOpenResult): ServerAction[] {
    const pending = this.#pending;
    if (pending?.id !== requestId) throw new Error(`no request ${requestId} is waiting for the handler`);
    this.#pending = undefined;
    return this.#collect(() => {
      const { sid } = pending.request;
      if (this.#phase === 'closed') {
        // The connection ended while the handler worked: whatever it opened is released at once.
        if (result.accept === AcceptCode.Ok) this.#out.push({ type: 'release', sids: [sid] });
        return;
      }
      if (result.accept === AcceptCode.Ok) {
        if (!Number.isInteger(result.port) || result.port < 1 || result.port > 0xffff) {
          this.#out.push({ type: 'release', sids: [sid] });
          this.#refuseRequest(AcceptCode.InternalError, `the handler returned port ${result.port}`, pending.request.client);
        } else {
          this.#sessions.set(hex(sid), { sid, state: 'accepted', acceptedAt: this.#options.now() });
          this.#sendAccept(
            { accept: AcceptCode.Ok, port: result.port, sid, reflectedOctets: pending.reflectedOctets },
            'accept-session',
          );
          this.#options.logger?.info('session-accepted', {
            client: `${this.client.address}:${this.client.port}`,
            mode: this.#mode,
            sid: hex(sid),
            port: result.port,
            requestedPort: pending.request.requestedReceiverPort,
            sender: `${pending.request.sender.address}:${pending.request.sender.port}`,
            receiver: pending.request.receiver.address,
          });
        }
      } else {
        this.#refuseRequest(result.accept, result.reason, pending.request.client);
      }
      this.#drainQueue();
    });
  }

  /** The adapter's answer to a 'derive' action: the 16-octet key, or the error deriving it failed with. */
  keyDerived(requestId: number, key: Uint8Array | Error): ServerAction[] {
    const setUp = this.#deriving;
    if (setUp?.id !== requestId) throw new Error(`no key derivation ${requestId} is pending`);
    this.#deriving = undefined;
    if (this.#phase === 'closed') return [];
    return this.#collect(() => {
      this.#onKey(setUp, key);
    });
  }

  /** A timer the adapter runs fired. */
  timeout(kind: ServerTimeoutKind): ServerAction[] {
    if (this.#phase === 'closed') return [];
    return this.#collect(() => {
      this.#finish(kind === 'idle' ? 'idle' : 'timeout', kind);
    });
  }

  /**
   * Release every session accepted at or before `acceptedBefore` (options.now() scale) and not
   * started: the client asked for them and never started them. They are forgotten, so a later
   * Start-N-Sessions naming one gets Accept 1 (unknown SID), and Start-Sessions starts the others.
   */
  releaseUnstarted(acceptedBefore: number): { readonly actions: ServerAction[]; readonly released: number } {
    if (this.#phase === 'closed') return { actions: [], released: 0 };
    let released = 0;
    const actions = this.#collect(() => {
      const sids: Uint8Array[] = [];
      for (const [key, entry] of this.#sessions) {
        if (entry.state === 'accepted' && entry.acceptedAt <= acceptedBefore) {
          this.#sessions.delete(key);
          sids.push(entry.sid);
        }
      }
      released = sids.length;
      if (sids.length === 0) return;
      this.#out.push({ type: 'release', sids });
      this.#options.logger?.info('sessions-released-unstarted', { client: this.#who(), sids: sids.map(hex) });
    });
    return { actions, released };
  }

  /** The client closed its side (or the socket failed). */
  end(): ServerAction[] {
    if (this.#phase === 'closed') return [];
    return this.#collect(() => {
      let messages: FramedMessage[] = [];
      try {
        messages = this.#framer.end();
      } catch (error) {
        this.#options.logger?.warn('control-incomplete-message', { client: this.#who(), error: describe(error) });
      }
      if (this.#pending === undefined) this.#process(messages);
      this.#finish('peer-closed', 'the client closed the connection');
    });
  }

  /** The owner ends the connection (server shutdown, or eviction): sessions never stopped are released. */
  close(detail = 'the server is closing', reason: 'server-closing' | 'evicted' = 'server-closing'): ServerAction[] {
    if (this.#phase === 'closed') return [];
    return this.#collect(() => {
      this.#finish(reason, detail);
    });
  }

  // -------------------------------------------------------------------------------------------

  #collect(step: () => void): ServerAction[] {
    this.#out = [];
    step();
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #who(): string {
    return `${this.client.address}:${this.client.port}`;
  }

  #feedFramer(step: () => FramedMessage[]): FramedMessage[] {
    try {
      return step();
    } catch (error) {
      // Owner misuse would be a TypeError from a call made here, never peer input; anything the
      // peer caused is a TwampError. Either way the stream can no longer be trusted.
      const reason = isTwampError(error) && error.name === 'AuthenticationError' ? 'authentication-failed' : 'protocol-error';
      this.#finish(reason, describe(error));
      return [];
    }
  }

  #process(messages: readonly FramedMessage[]): void {
    for (const message of messages) {
      if (this.#phase === 'closed') return;
      if (this.#pending !== undefined) {
        this.#enqueue(message);
        continue;
      }
      this.#handle(message);
    }
  }

  #enqueue(message: FramedMessage): void {
    const size = queuedSize(message);
    const max = this.#options.maxQueuedOctets ?? DEFAULT_MAX_QUEUED_OCTETS;
    if (this.#queuedOctets + size > max) {
      this.#finish('input-overflow', `more than ${max} octets of commands queued while a request is with the handler`);
      return;
    }
    this.#queue.push(message);
    this.#queuedOctets += size;
  }

  #drainQueue(): void {
    while (this.#pending === undefined && this.#phase !== 'closed') {
      const message = this.#queue.shift();
      if (message === undefined) return;
      this.#queuedOctets -= queuedSize(message);
      this.#handle(message);
    }
  }

  #handle(message: FramedMessage): void {
    if (this.#phase === 'setup') {
      if (message.type === 'set-up-response' && this.#deriving === undefined) this.#onSetUp(message);
      return;
    }
    switch (message.type) {
      case 'request-tw-session':
        this.#onRequest(message);
        return;
      case 'start-sessions':
        this.#onStartSessions();
        return;
      case 'stop-sessions':
        this.#onStopSessions(message.accept, message.numberOfSessions);
        return;
      case 'legacy-stop-sessions':
        this.#onStopSessions(message.accept, undefined);
        return;
      case 'start-n-sessions':
        this.#onStartN(message.sids);
        return;
      case 'stop-n-sessions':
        this.#onStopN(message.sids);
        return;
      case 'unknown-command':
        this.#onUnknownCommand(message.command);
        return;
      default:
        // The server framer emits nothing else once commands flow.
        return;
    }
  }

  // --- handshake ------------------------------------------------------------------------------

  #onSetUp(message: SetUpResponse): void {
    const mode = message.mode >>> 0;
    if (mode === 0) {
      this.#finish('client-declined', 'the client answered the greeting with Mode 0');
      return;
    }
    const offered = this.#options.modes;
    const security = mode & SECURITY_MODE_MASK;
    // Every bit the client sets must have been offered (never OR-check: see interop-notes, twampd).
    if (!isSecurityMode(security) || (mode & ~offered) >>> 0 !== 0) {
      this.#refuseSetUp(`mode ${modeNames(mode).join('+')} was not offered (offered ${modeNames(offered).join('+')})`);
      return;
    }
    if (security === Mode.Unauthenticated) {
      this.#mode = mode;
      this.#phase = 'commands';
      this.#sendServerStart(encodeServerStart({ accept: AcceptCode.Ok, serverIv: this.#serverIv(), startTime: this.#startTime() }));
      this.#logMode(mode);
      this.#process(this.#feedFramer(() => this.#framer.useUnauthenticated()));
      return;
    }
    const keyId = keyIdFromField(message.keyId);
    const secret = this.#options.keys?.secret(keyId);
    const id = this.#nextRequestId++;
    this.#deriving = { id, message, mode, keyId, known: secret !== undefined };
    this.#out.push({ type: 'derive', requestId: id, secret: secret ?? DUMMY_SECRET, salt: this.#salt, count: this.#options.pbkdf2Count });
  }

  #onKey(setUp: PendingSetUp, key: Uint8Array | Error): void {
    const { message, mode, keyId } = setUp;
    if (key instanceof Error) {
      this.#refuseSetUp(`key derivation failed: ${key.message}`, AcceptCode.InternalError);
      return;
    }
    let keys: ControlKeys | undefined;
    try {
      // Checked for an unknown KeyID too (against the dummy key), so both cost the same.
      keys = acceptToken(key, message.token, this.#challenge);
    } catch (error) {
      if (!isTwampError(error)) throw error;
    }
    if (keys === undefined || !setUp.known) {
      this.#options.onAuthentication?.(false);
      this.#refuseSetUp(
        setUp.known
          ? `the Token of KeyID ${JSON.stringify(keyId)} does not decrypt to our Challenge (wrong secret)`
          : `unknown KeyID ${JSON.stringify(keyId)}`,
      );
      return;
    }
    this.#options.onAuthentication?.(true);
    const serverIv = this.#serverIv();
    this.#mode = mode;
    this.#phase = 'commands';
    this.#controlKeys = keys;
    const encryptor = new ControlStreamEncryptor(keys, serverIv);
    this.#encryptor = encryptor;
    const plain = encodeServerStart({ accept: AcceptCode.Ok, serverIv, startTime: this.#startTime() });
    // Octets 32-47 open the server's cipher chain; its first HMAC covers them (RFC 5357 §3.2).
    this.#sendServerStart(
      Buffer.concat([
        plain.subarray(0, SERVER_START_ENCRYPTED_OFFSET),
        encryptor.encryptUncovered(plain.subarray(SERVER_START_ENCRYPTED_OFFSET)),
      ]),
    );
    this.#options.logger?.info('control-authenticated', { client: this.#who(), keyId });
    this.#logMode(mode);
    this.#process(this.#feedFramer(() => this.#framer.useKeys(keys, message.clientIv)));
  }

  #serverIv(): Buffer {
    return generateServerIv(this.#options.randomBytes);
  }

  #startTime(): WireTimestamp {
    return ntpFromUnixNanos(unixNanos(this.#options.now()));
  }

  #logMode(mode: number): void {
    this.#options.logger?.info('control-mode', { client: this.#who(), mode, modes: modeNames(mode) });
  }

  #sendServerStart(bytes: Buffer): void {
    this.#send(bytes);
    this.#options.onAccept?.(AcceptCode.Ok, 'server-start');
  }

  #refuseSetUp(detail: string, accept: AcceptCode = AcceptCode.Failure): void {
    // A refusal sends Server-Start in clear, Accept 1, zero IV and Start-Time (RFC 4656 §3.1), then
    // closes. Unknown KeyID and wrong secret get the same Accept 1; only the log tells them apart.
    this.#send(encodeServerStart({ accept }));
    this.#options.onAccept?.(accept, 'server-start');
    this.#finish('setup-refused', detail);
  }

  // --- Request-TW-Session ---------------------------------------------------------------------

  /** The Accept value for a request this server cannot take as it is, with the reason; undefined when valid. */
  #validate(request: RequestTwSession): Refusal | undefined {
    const notSupported = (reason: string): Refusal => ({ accept: AcceptCode.NotSupported, reason, why: 'invalid' });
    if (request.ipvn !== 4 && request.ipvn !== 6) return notSupported(`IPVN ${request.ipvn}`);
    if (request.confSender !== 0 || request.confReceiver !== 0) {
      return notSupported(`Conf-Sender ${request.confSender} / Conf-Receiver ${request.confReceiver} (TWAMP needs 0 / 0)`);
    }
    if (request.numberOfScheduleSlots !== 0) return notSupported(`Number of Schedule Slots ${request.numberOfScheduleSlots}`);
    if (request.numberOfPackets !== 0) return notSupported(`Number of Packets ${request.numberOfPackets}`);
    const typeP = typePProblem(request.typeP);
    if (typeP !== undefined) return notSupported(`Type-P 0x${request.typeP.toString(16)}: ${typeP}`);
    if (request.paddingLength > MAX_UDP_PAYLOAD - MAX_SENDER_BASE) {
      return notSupported(`Padding Length ${request.paddingLength} cannot fit in a UDP datagram`);
    }
    if (request.senderPort === 0) return notSupported('Sender Port 0');
    const addresses = this.#addressProblem(request);
    if (addresses !== undefined) return addresses;
    const sessions = this.sessionsInUse;
    const max = this.#options.maxSessions();
    if (sessions >= max) {
      return {
        accept: AcceptCode.PermanentResourceLimitation,
        reason: `${sessions} sessions on this connection (limit ${max})`,
        why: 'max-sessions-per-connection',
      };
    }
    return undefined;
  }

  /**
   * The reflector binds the address this control connection arrived on, and answers the client:
   * a request naming another Receiver Address, or (without thirdPartySenders) another Sender
   * Address, asks for something this server does not do, so it gets Accept 3 ("some aspect of the
   * request is not supported"), not Accept 2 (the fault is not the server's) and never reaches the
   * handler. Multicast and broadcast are refused whatever the options: a reflector must never
   * answer a group. Zero addresses mean the connection's own (RFC 5357 §3.5).
   */
  #addressProblem(request: RequestTwSession): Refusal | undefined {
    const { receiverAddress, senderAddress } = request;
    if (!isUnspecifiedAddress(receiverAddress) && !sameIpAddress(receiverAddress, this.server.address)) {
      return {
        accept: AcceptCode.NotSupported,
        reason: `Receiver Address ${receiverAddress}: the reflector binds only ${this.server.address}, where this connection arrived`,
        why: 'receiver-address',
      };
    }
    if (isUnspecifiedAddress(senderAddress) || sameIpAddress(senderAddress, this.client.address)) return undefined;
    if (isGroupAddress(senderAddress) || tryParseIpAddress(senderAddress) === undefined) {
      return { accept: AcceptCode.NotSupported, reason: `Sender Address ${senderAddress} is multicast, broadcast or not an address`, why: 'sender-address' };
    }
    if (this.#options.thirdPartySenders !== true) {
      return {
        accept: AcceptCode.NotSupported,
        reason: `Sender Address ${senderAddress} is not the client's (${this.client.address}); third-party senders are off`,
        why: 'sender-address',
      };
    }
    return undefined;
  }

  #onRequest(request: RequestTwSession): void {
    const invalid = this.#validate(request);
    if (invalid !== undefined) {
      this.#options.onSessionRefused?.(invalid.why);
      this.#refuseRequest(invalid.accept, invalid.reason, this.client);
      return;
    }
    // Zero addresses mean the control connection's (RFC 5357 §3.5); twampy also sends IPVN 4 over
    // IPv6 with zero addresses, which this replacement makes work. The receiver is always this
    // connection's local address (#addressProblem), in the connection's own spelling.
    const senderAddress =
      isUnspecifiedAddress(request.senderAddress) || sameIpAddress(request.senderAddress, this.client.address)
        ? this.client.address
        : request.senderAddress;
    const receiverAddress = this.server.address;
    const sid = this.#newSid(receiverAddress);
    const session = negotiatedSession({
      sid,
      mode: this.#mode,
      controlKeys: this.#controlKeys,
      sender: { address: senderAddress, port: request.senderPort },
      receiver: { address: receiverAddress, port: request.receiverPort },
      paddingLength: request.paddingLength,
      startTime: request.startTime,
      timeout: request.timeout,
      typeP: request.typeP,
      octetsToBeReflected: request.octetsToBeReflected,
      lengthOfPaddingToReflect: request.lengthOfPaddingToReflect,
    });
    const serverRequest: ServerSessionRequest = { ...session, client: this.client, requestedReceiverPort: request.receiverPort };
    const id = this.#nextRequestId++;
    this.#pending = { id, request: serverRequest, reflectedOctets: session.octetsToBeReflected };
    this.#out.push({ type: 'open-session', requestId: id, request: serverRequest });
  }

  #refuseRequest(accept: number, reason: string, client: Endpoint): void {
    // RFC 5357 §3.5: a refusal carries Port 0 and no SID; the connection stays open (RFC 4656 §3.5).
    this.#sendAccept({ accept, port: 0, sid: new Uint8Array(SID_LENGTH), reflectedOctets: 0 }, 'accept-session');
    this.#options.logger?.info('session-refused', { client: `${client.address}:${client.port}`, mode: this.#mode, accept, reason });
  }

  #sendAccept(fields: { accept: number; port: number; sid: Uint8Array; reflectedOctets: number }, message: 'accept-session'): void {
    this.#sendCommandReply(encodeAcceptSession(fields));
    this.#options.onAccept?.(fields.accept, message);
  }

  /**
   * SID (RFC 4656 §3.5): the receiver's IPv4 address (for IPv6, 4 octets of a hash of it), the NTP
   * time, and 4 random octets, so that SIDs are unique and unpredictable.
   */
  #newSid(receiverAddress: string): Uint8Array {
    for (;;) {
      const sid = Buffer.alloc(SID_LENGTH);
      const parsed = tryParseIpAddress(receiverAddress);
      if (parsed?.family === 4) {
        sid.set(parsed.octets, 0);
      } else if (parsed !== undefined) {
        createHash('sha256').update(parsed.octets).digest().copy(sid, 0, 0, 4);
      }
      const time: WireTimestamp = ntpFromUnixNanos(unixNanos(this.#options.now()));
      writeTimestamp(sid, 4, time);
      const random = this.#options.randomBytes(4);
      sid.set(random.subarray(0, 4), 12);
      if (!this.#sessions.has(hex(sid))) return new Uint8Array(sid);
    }
  }

  // --- Start / Stop ---------------------------------------------------------------------------

  get #individual(): boolean {
    return (this.#mode & Mode.IndividualSessionControl) !== 0;
  }

  #onStartSessions(): void {
    if (this.#individual) {
      // RFC 5938 §3: with Individual Session Control selected, Start-Sessions must not be used.
      // Its length is known, so the stream stays in step: refuse it and keep the connection.
      this.#sendCommandReply(encodeStartAck({ accept: AcceptCode.NotSupported }));
      this.#options.onAccept?.(AcceptCode.NotSupported, 'start-ack');
      this.#options.logger?.warn('start-refused', { client: this.#who(), reason: 'Start-Sessions with Individual Session Control selected' });
      return;
    }
    const sids: Uint8Array[] = [];
    for (const entry of this.#sessions.values()) {
      if (entry.state === 'accepted') {
        entry.state = 'running';
        sids.push(entry.sid);
      }
    }
    // The reflectors start before the ack leaves: the client may send as soon as it reads Start-Ack.
    if (sids.length > 0) this.#out.push({ type: 'start', sids });
    this.#sendCommandReply(encodeStartAck({ accept: AcceptCode.Ok }));
    this.#options.onAccept?.(AcceptCode.Ok, 'start-ack');
    this.#options.logger?.info('sessions-started', { client: this.#who(), sids: sids.map(hex) });
  }

  #onStopSessions(accept: number, numberOfSessions: number | undefined): void {
    const entries = [...this.#sessions.values()].filter((entry) => entry.state !== 'stopped');
    const sids = entries.map((entry) => entry.sid);
    if (this.#individual) {
      // RFC 5938 forbids Stop-Sessions here too, but it has no reply to refuse with; stopping is
      // what the client asks for and frees resources, so it is honoured with a warning.
      this.#options.logger?.warn('stop-sessions-with-individual-control', { client: this.#who() });
    }
    if (numberOfSessions === undefined || numberOfSessions === 0) {
      // twampy sends N = 0 and twamp-rs sends no N at all: tolerated.
      if (sids.length > 0) this.#options.logger?.info('stop-sessions-without-count', { client: this.#who(), sessions: sids.length });
    } else if (numberOfSessions !== sids.length) {
      this.#options.logger?.warn('stop-sessions-count-mismatch', { client: this.#who(), numberOfSessions, sessions: sids.length });
    }
    for (const entry of entries) entry.state = 'stopped';
    if (sids.length > 0) this.#out.push({ type: 'stop', sids });
    this.#options.logger?.info('sessions-stopped', { client: this.#who(), sids: sids.map(hex), accept });
  }

  #onStartN(sids: readonly Uint8Array[]): void {
    const refusal = this.#checkSessionList(sids, 'accepted-or-running');
    if (refusal !== undefined) {
      this.#sendCommandReply(encodeStartNAck({ accept: refusal.accept, sids }));
      this.#options.onAccept?.(refusal.accept, 'start-n-ack');
      this.#options.logger?.warn('start-refused', { client: this.#who(), accept: refusal.accept, reason: refusal.reason });
      return;
    }
    const started = this.#transition(sids, 'accepted', 'running');
    if (started.length > 0) this.#out.push({ type: 'start', sids: started });
    this.#sendCommandReply(encodeStartNAck({ accept: AcceptCode.Ok, sids }));
    this.#options.onAccept?.(AcceptCode.Ok, 'start-n-ack');
    this.#options.logger?.info('sessions-started', { client: this.#who(), sids: started.map(hex) });
  }

  #onStopN(sids: readonly Uint8Array[]): void {
    const refusal = this.#checkSessionList(sids, 'any');
    if (refusal !== undefined) {
      this.#sendCommandReply(encodeStopNAck({ accept: refusal.accept, sids }));
      this.#options.onAccept?.(refusal.accept, 'stop-n-ack');
      this.#options.logger?.warn('stop-refused', { client: this.#who(), accept: refusal.accept, reason: refusal.reason });
      return;
    }
    const stopped = [...this.#transition(sids, 'accepted', 'stopped'), ...this.#transition(sids, 'running', 'stopped')];
    if (stopped.length > 0) this.#out.push({ type: 'stop', sids: stopped });
    this.#sendCommandReply(encodeStopNAck({ accept: AcceptCode.Ok, sids }));
    this.#options.onAccept?.(AcceptCode.Ok, 'stop-n-ack');
    this.#options.logger?.info('sessions-stopped', { client: this.#who(), sids: stopped.map(hex) });
  }

  /**
   * RFC 5938 commands are answered all or nothing: one ack per command, naming every SID it named,
   * so a client never has to guess whether a second, split ack is coming.
   */
  #checkSessionList(
    sids: readonly Uint8Array[],
    allowed: 'accepted-or-running' | 'any',
  ): { accept: AcceptCode; reason: string } | undefined {
    if (!this.#individual) return { accept: AcceptCode.NotSupported, reason: 'Individual Session Control was not selected' };
    if (sids.length === 0) return { accept: AcceptCode.NotSupported, reason: 'Number of Sessions 0 (RFC 5938 needs at least 1)' };
    for (const sid of sids) {
      const entry = this.#entry(sid);
      if (entry === undefined) return { accept: AcceptCode.Failure, reason: `unknown SID ${hex(sid)}` };
      if (allowed === 'accepted-or-running' && entry.state === 'stopped') {
        return { accept: AcceptCode.Failure, reason: `SID ${hex(sid)} was already stopped` };
      }
    }
    return undefined;
  }

  /** Move the named sessions in state `from` to `to`; each SID once, in the order named. */
  #transition(sids: readonly Uint8Array[], from: SessionState, to: SessionState): Uint8Array[] {
    const moved: Uint8Array[] = [];
    for (const sid of sids) {
      const entry = this.#entry(sid);
      if (entry?.state === from) {
        entry.state = to;
        moved.push(entry.sid);
      }
    }
    return moved;
  }

  #entry(sid: Uint8Array): SessionEntry | undefined {
    return this.#sessions.get(hex(sid));
  }

  #onUnknownCommand(command: number): void {
    // RFC 5357 §3.5: answer an unsupported command with Accept 3, then close. Its length is
    // unknown, so the reply takes Accept-Session's shape (the reply a request command gets).
    this.#sendAccept({ accept: AcceptCode.NotSupported, port: 0, sid: new Uint8Array(SID_LENGTH), reflectedOctets: 0 }, 'accept-session');
    this.#finish('unknown-command', `command ${command} is not supported`);
  }

  // --- output ---------------------------------------------------------------------------------

  #send(bytes: Buffer): void {
    this.#out.push({ type: 'send', bytes });
  }

  /** A reply after Server-Start: encrypted and HMACed in the authenticated modes, in clear when open. */
  #sendCommandReply(plain: Buffer): void {
    this.#send(this.#encryptor === undefined ? plain : this.#encryptor.seal(plain));
  }

  #finish(reason: ServerCloseReason, detail: string): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#closeReason = reason;
    this.#queue.length = 0;
    this.#queuedOctets = 0;
    // Stopped sessions belong to the handler until their Timeout ends; the others go now.
    const release: Uint8Array[] = [];
    for (const entry of this.#sessions.values()) if (entry.state !== 'stopped') release.push(entry.sid);
    this.#sessions.clear();
    if (release.length > 0) this.#out.push({ type: 'release', sids: release });
    this.#out.push({ type: 'close', reason, detail });
    const fields = { client: this.#who(), reason, detail };
    // Refusals an attacker can repeat at will are info: the adapter warns about them, rate-limited.
    if (reason === 'peer-closed' || reason === 'server-closing' || reason === 'service-refused' || reason === 'setup-refused' || reason === 'evicted' || reason === 'idle') {
      this.#options.logger?.info('connection-closed', fields);
    } else {
      this.#options.logger?.warn('connection-closed', fields);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
