// The TWAMP-Control client as a sans-IO state machine: fed the server's octets, it returns the
// octets to send and the outcome of each step (handshake, then one reply per command). No socket,
// no timer, no clock; random octets are injected. The node:net adapter (control-client.ts) owns
// the socket, the timeouts and the promises.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  type AcceptCode,
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  describeAcceptCode,
  formatEndpoint,
  MalformedInputError,
  NetworkError,
  PeerRejectedError,
} from '@twamp/errors';
import {
  type AcceptSession,
  checkPbkdf2Count,
  chooseSecurityMode,
  ControlFramer,
  type ControlKeys,
  ControlStreamEncryptor,
  deriveKey,
  encodeRequestTwSession,
  encodeSetUpResponse,
  encodeStartNSessions,
  encodeStartSessions,
  encodeStopNSessions,
  encodeStopSessions,
  encryptToken,
  type ExpectedReply,
  type FramedMessage,
  generateClientIv,
  generateControlKeys,
  isUnspecifiedAddress,
  KEY_ID_LENGTH,
  Mode,
  modeNames,
  ntpIntervalFromSeconds,
  PBKDF2_DEFAULT_MAX_COUNT,
  type RandomBytes,
  SECURITY_MODE_MASK,
  type SecurityMode,
  type ServerGreeting,
  type StartNAck,
  type StopNAck,
  tryParseIpAddress,
  typePForDscp,
  type WireTimestamp,
  ZERO_TIMESTAMP,
} from '@twamp/wire';
import { negotiatedSession } from '../shared/negotiated-session.js';
import type { Endpoint, NegotiatedSession, SessionRequestOptions } from '../types.js';

/** Every security mode: the default of `allowedModes`. */
export const ALL_SECURITY_MODES = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;

/** Extension bits this client can use (RFC 7717's IKEv2 keying is not implemented). */
export const CLIENT_EXTENSIONS =
  Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize | Mode.DscpEcnMonitoring | Mode.PtpTimestamps;

/** Request-TW-Session Timeout when the caller gives none (seconds). */
export const DEFAULT_SESSION_TIMEOUT_SECONDS = 2;

/**
 * Default Padding Length: the sender packet is then as long as the reflector's reply, so both
 * directions carry the same size (41 − 14 = 27 open/mixed, 112 − 48 = 64 authenticated/encrypted;
 * perfSONAR twping's convention). With RFC 6038 Symmetrical Size the sender base already carries
 * the MBZ octets that make it as long as the reply, so no padding is needed.
 */
export function defaultPaddingLength(mode: number): number {
  if ((mode & Mode.SymmetricalSize) !== 0) return 0;
  return (mode & (Mode.Authenticated | Mode.Encrypted)) !== 0 ? 64 : 27;
}

export interface ClientConnectionOptions {
  /** The control connection's own endpoint (replaces zero Sender Addresses). */
  readonly local: Endpoint;
  /** The server's endpoint (replaces zero Receiver Addresses; its family sets IPVN). */
  readonly remote: Endpoint;
  readonly allowedModes?: number;
  readonly preference?: readonly SecurityMode[];
  readonly keyId?: string;
  readonly secret?: Uint8Array;
  readonly maxPbkdf2Count?: number;
  readonly extensions?: number;
  readonly randomBytes?: RandomBytes;
}

/** What the client is waiting for, by the name of the server message (used in timeouts and errors). */
export type ClientWait = 'Server Greeting' | 'Server-Start' | 'Accept-Session' | 'Start-Ack' | 'Start-N-Ack' | 'Stop-N-Ack';

/** One outcome of feeding octets or issuing a command. */
export type ClientEvent =
  /** Octets to write to the socket, in order. */
  | { readonly type: 'send'; readonly bytes: Buffer }
  /** The greeting was read and Set-Up-Response is among the `send` events. */
  | { readonly type: 'greeting'; readonly serverModes: number; readonly mode: number; readonly count: number }
  /** Server-Start accepted: commands may be sent. */
  | { readonly type: 'ready'; readonly serverStartTime: WireTimestamp }
  /** A command's reply arrived and accepted it. `session` is set for Request-TW-Session. */
  | { readonly type: 'done'; readonly id: number; readonly session?: NegotiatedSession }
  /** A command was refused (Accept ≠ 0) or its reply was unusable; the connection stays up. */
  | { readonly type: 'refused'; readonly id: number; readonly error: Error }
  /** Fatal: the connection must be closed. Every outstanding command fails with this error. */
  | { readonly type: 'failed'; readonly error: Error };

/** A command's id (matched by `done`/`refused` events) and the events it produced at once. */
export interface IssuedCommand {
  readonly id: number;
  readonly events: ClientEvent[];
}

interface PendingRequest {
  readonly kind: 'accept-session';
  readonly id: number;
  readonly ipvn: 4 | 6;
  readonly sender: Endpoint;
  readonly receiverAddress: string;
  readonly requestedReceiverPort: number;
  readonly paddingLength: number;
  readonly startTime: WireTimestamp;
  readonly timeout: WireTimestamp;
  readonly typeP: number;
  readonly octetsToBeReflected: number;
  readonly paddingToReflect: number;
}

interface PendingStart {
  readonly kind: 'start-ack';
  readonly id: number;
}

interface PendingList {
  readonly kind: 'start-n-ack' | 'stop-n-ack';
  readonly id: number;
  /** SIDs (hex) not yet acknowledged: RFC 5938 lets the server split its ack by Accept value. */
  readonly remaining: Set<string>;
  /** The first non-zero Accept among the acks, reported once all have arrived. */
  refusal: number | undefined;
  /** SIDs (hex) acknowledged with Accept 0. */
  readonly accepted: string[];
}

type Pending = PendingRequest | PendingStart | PendingList;

const WAIT_NAMES: Readonly<Record<ExpectedReply, ClientWait>> = {
  'accept-session': 'Accept-Session',
  'start-ack': 'Start-Ack',
  'start-n-ack': 'Start-N-Ack',
  'stop-n-ack': 'Stop-N-Ack',
};

type Phase = 'greeting' | 'server-start' | 'commands' | 'failed' | 'ended';

function hex(sid: Uint8Array): string {
  return Buffer.from(sid).toString('hex');
}

function configError(path: string, expected: string, received?: string | number): ConfigError {
  return new ConfigError([{ path, expected, ...(received === undefined ? {} : { received: String(received) }) }]);
}

function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

/** The KeyID field: UTF-8, zero-padded to 80 octets (RFC 4656 §3.1). */
function keyIdField(keyId: string): Buffer {
  const octets = Buffer.from(keyId, 'utf8');
  if (octets.length > KEY_ID_LENGTH) throw configError('keyId', `at most ${KEY_ID_LENGTH} octets of UTF-8`, `${octets.length} octets`);
  const field = Buffer.alloc(KEY_ID_LENGTH);
  octets.copy(field);
  return field;
}

/** A PeerRejectedError whose message also says what the Accept value means (describeAcceptCode). */
export function serverRefusal(received: number, message: string): PeerRejectedError {
  const error = new PeerRejectedError({ received, peer: 'server', message });
  error.message = `${error.message}: ${describeAcceptCode(error.acceptCode).meaning}`;
  return error;
}

/**
 * One TWAMP-Control client connection (RFC 4656 §3, RFC 5357 §3). Commands may be issued as soon
 * as `ready` has been emitted; their octets are emitted at once (pipelined), and their replies are
 * matched in order. Only the oldest outstanding reply is announced to the framer, so a Start-N-Ack
 * split by Accept value (RFC 5938) cannot be mistaken for the next command's reply.
 */
export class ClientConnection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** IPVN of Request-TW-Session: the family of the control connection. */
  readonly ipvn: 4 | 6;

  readonly #allowed: number;
  readonly #preference: readonly SecurityMode[] | undefined;
  readonly #keyId: string | undefined;
  readonly #secret: Uint8Array | undefined;
  readonly #maxCount: number;
  readonly #extensions: number;
  readonly #random: RandomBytes;
  readonly #framer = new ControlFramer({ role: 'client' });

  #phase: Phase = 'greeting';
  #serverModes = 0;
  #mode = 0;
  #keys: ControlKeys | undefined;
  #encryptor: ControlStreamEncryptor | undefined;
  #nextId = 1;
  readonly #pending: Pending[] = [];
  /** True once the framer has been told to expect the head of #pending. */
  #headAnnounced = false;
  /** Sessions accepted on this connection and not yet stopped (hex SID → true), in order. */
  readonly #active = new Set<string>();
  #failure: Error | undefined;

  constructor(options: ClientConnectionOptions) {
    this.local = options.local;
    this.remote = options.remote;
    this.ipvn = ipvnOf(options.remote.address);
    const allowed = options.allowedModes ?? ALL_SECURITY_MODES;
    if (!isUint(allowed, 0xffffffff) || (allowed & SECURITY_MODE_MASK) === 0 || (allowed & ~SECURITY_MODE_MASK) !== 0) {
      throw configError('allowedModes', 'a non-empty set of security mode bits (1, 2, 4, 8)', allowed);
    }
    const extensions = options.extensions ?? 0;
    if (!isUint(extensions, 0xffffffff) || (extensions & ~CLIENT_EXTENSIONS) !== 0) {
      throw configError('extensions', `extension bits among ${modeNames(CLIENT_EXTENSIONS).join(', ')}`, extensions);
    }
    const maxCount = options.maxPbkdf2Count ?? PBKDF2_DEFAULT_MAX_COUNT;
    if (!Number.isInteger(maxCount) || maxCount < 1024) {
      throw configError('maxPbkdf2Count', 'an integer of at least 1024', maxCount);
    }
    const keyed = Mode.Authenticated | Mode.Encrypted | Mode.Mixed;
    const hasSecret = options.secret !== undefined && options.keyId !== undefined;
    if ((options.secret === undefined) !== (options.keyId === undefined)) {
      throw configError(options.secret === undefined ? 'secret' : 'keyId', 'keyId and secret together (or neither)');
    }
    if (options.keyId !== undefined) keyIdField(options.keyId);
    // Without a secret only open mode can work: leave the keyed modes out rather than choose one
    // and fail after the server has spent a connection on us.
    this.#allowed = hasSecret ? allowed : allowed & ~keyed;
    if (this.#allowed === 0) {
      throw configError('secret', 'a keyId and secret for the authenticated, encrypted or mixed modes allowed', 'none');
    }
    this.#preference = options.preference;
    this.#keyId = options.keyId;
    this.#secret = options.secret;
    this.#maxCount = maxCount;
    this.#extensions = extensions;
    this.#random = options.randomBytes ?? nodeRandomBytes;
  }

  /** The selected Modes value (0 before the greeting). */
  get mode(): number {
    return this.#mode;
  }

  get securityMode(): SecurityMode {
    return (this.#mode & SECURITY_MODE_MASK) as SecurityMode;
  }

  get serverModes(): number {
    return this.#serverModes;
  }

  /** Ready for commands (Server-Start accepted, nothing fatal since). */
  get ready(): boolean {
    return this.#phase === 'commands';
  }

  /** The fatal error, once the connection has failed. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Sessions accepted on this connection and not yet stopped: Stop-Sessions' Number of Sessions. */
  get activeSessions(): number {
    return this.#active.size;
  }

  /** What the client waits for from the server now, or undefined when it waits for nothing. */
  get waitingFor(): ClientWait | undefined {
    switch (this.#phase) {
      case 'greeting':
        return 'Server Greeting';
      case 'server-start':
        return 'Server-Start';
      case 'commands': {
        const head = this.#pending[0];
        return head === undefined ? undefined : WAIT_NAMES[head.kind];
      }
      case 'failed':
      case 'ended':
        return undefined;
    }
  }

  /** The id of the command whose reply is awaited now (the head of the queue). */
  get waitingId(): number | undefined {
    return this.#phase === 'commands' ? this.#pending[0]?.id : undefined;
  }

  /** Octets from the server. */
  receive(chunk: Uint8Array): ClientEvent[] {
    if (this.#phase === 'failed' || this.#phase === 'ended') return [];
    const events: ClientEvent[] = [];
    try {
      this.#handle(this.#framer.feed(chunk), events);
    } catch (error) {
      this.#fail(asError(error), events);
    }
    return events;
  }

  /**
   * The server closed its side. Fails the connection when anything was still expected (or a
   * message was cut off), naming it; otherwise the connection simply ends.
   */
  end(): ClientEvent[] {
    if (this.#phase === 'failed' || this.#phase === 'ended') return [];
    const events: ClientEvent[] = [];
    const waiting = this.waitingFor;
    let partial = 0;
    try {
      partial = this.#framer.buffered;
      this.#framer.end();
    } catch {
      // Reported below as a closed connection, with the partial length.
    }
    if (waiting === undefined && partial === 0) {
      this.#phase = 'ended';
      return events;
    }
    const what = waiting ?? 'nothing (an unexpected message)';
    const cut = partial === 0 ? '' : ` (${partial} octet${partial === 1 ? '' : 's'} of it had arrived)`;
    const error = new NetworkError({
      operation: 'receive',
      systemCode: 'EOF',
      endpoint: formatEndpoint(this.remote),
      detail: `the server closed the connection while we waited for ${what}${cut}`,
    });
    this.#fail(error, events);
    return events;
  }

  /** Stop: every outstanding command fails with `error` (a timeout, a local close). */
  abort(error: Error): ClientEvent[] {
    if (this.#phase === 'failed' || this.#phase === 'ended') return [];
    const events: ClientEvent[] = [];
    this.#fail(error, events);
    return events;
  }

  /** Request-TW-Session (RFC 5357 §3.5, RFC 6038 §4.2). */
  requestSession(options: SessionRequestOptions = {}): IssuedCommand {
    this.#checkReady();
    const zero = this.ipvn === 4 ? '0.0.0.0' : '::';
    const senderAddress = this.#address(options.sender?.address, 'sender.address') ?? zero;
    const receiverAddress = this.#address(options.receiver?.address, 'receiver.address') ?? zero;
    const senderPort = options.sender?.port ?? 0;
    if (senderPort === 0) {
      // RFC 5357 §3.5: the port the Session-Sender sends from and receives on. There is no "any" here
      // (servers refuse 0 with Accept 3), so the sender's UDP socket has to be bound first.
      throw configError('sender.port', 'the UDP port the Session-Sender sends from (1-65535; bind the sender socket first)', senderPort);
    }
    const receiverPort = options.receiver?.port ?? 0;
    if (!isUint(senderPort, 0xffff)) throw configError('sender.port', 'an integer from 0 to 65535', senderPort);
    if (!isUint(receiverPort, 0xffff)) throw configError('receiver.port', 'an integer from 0 to 65535', receiverPort);
    const paddingLength = options.paddingLength ?? defaultPaddingLength(this.#mode);
    if (!isUint(paddingLength, 0xffffffff)) throw configError('paddingLength', 'an integer from 0 to 2^32 - 1', paddingLength);
    const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS;
    if (!(Number.isFinite(timeoutSeconds) && timeoutSeconds >= 0 && timeoutSeconds < 2 ** 32)) {
      throw configError('timeoutSeconds', 'a number of seconds from 0 to below 2^32', timeoutSeconds);
    }
    const dscp = options.dscp ?? 0;
    if (!isUint(dscp, 63)) throw configError('dscp', 'an integer from 0 to 63', dscp);
    const reflectOctets = (this.#mode & Mode.ReflectOctets) !== 0;
    const octetsToBeReflected = options.octetsToBeReflected ?? 0;
    const paddingToReflect = options.paddingToReflect ?? 0;
    if (!isUint(octetsToBeReflected, 0xffff)) throw configError('octetsToBeReflected', 'an integer from 0 to 65535', octetsToBeReflected);
    if (!isUint(paddingToReflect, 0xffff)) throw configError('paddingToReflect', 'an integer from 0 to 65535', paddingToReflect);
    if (!reflectOctets && (octetsToBeReflected !== 0 || paddingToReflect !== 0)) {
      // The fields are MBZ without RFC 6038 Reflect Octets: sending them would be ignored silently.
      throw configError('octetsToBeReflected', 'RFC 6038 Reflect Octets in the selected mode (the server did not offer it or it was not requested)');
    }
    const startTime = options.startTime ?? ZERO_TIMESTAMP;
    const timeout = ntpIntervalFromSeconds(timeoutSeconds);
    const typeP = typePForDscp(dscp);
    const message = encodeRequestTwSession({
      ipvn: this.ipvn,
      senderPort,
      receiverPort,
      senderAddress,
      receiverAddress,
      paddingLength,
      startTime,
      timeout,
      typeP,
      ...(reflectOctets ? { octetsToBeReflected, lengthOfPaddingToReflect: paddingToReflect } : {}),
    });
    const id = this.#nextId++;
    return this.#issue(
      {
        kind: 'accept-session',
        id,
        ipvn: this.ipvn,
        sender: { address: isUnspecifiedAddress(senderAddress) ? this.local.address : senderAddress, port: senderPort },
        receiverAddress: isUnspecifiedAddress(receiverAddress) ? this.remote.address : receiverAddress,
        requestedReceiverPort: receiverPort,
        paddingLength,
        startTime,
        timeout,
        typeP,
        octetsToBeReflected: reflectOctets ? octetsToBeReflected : 0,
        paddingToReflect: reflectOctets ? paddingToReflect : 0,
      },
      message,
    );
  }

  /** Start-Sessions → Start-Ack (forbidden with RFC 5938 Individual Session Control: use startSessionsN). */
  startSessions(): IssuedCommand {
    this.#checkReady();
    this.#checkNotIndividual('startSessions', 'startSessionsN');
    return this.#issue({ kind: 'start-ack', id: this.#nextId++ }, encodeStartSessions({}));
  }

  /**
   * Stop-Sessions: no reply (RFC 5357 §3.8). Number of Sessions is the count of sessions accepted
   * on this connection and not stopped yet; they all count as stopped afterwards.
   */
  stopSessions(accept: AcceptCode = 0): ClientEvent[] {
    this.#checkReady();
    this.#checkNotIndividual('stopSessions', 'stopSessionsN');
    if (!isUint(accept, 255)) throw configError('accept', 'an Accept value from 0 to 255', accept);
    const bytes = this.#seal(encodeStopSessions({ accept, numberOfSessions: this.#active.size }));
    this.#active.clear();
    return [{ type: 'send', bytes }];
  }

  /** RFC 5938 Start-N-Sessions → Start-N-Ack(s). */
  startSessionsN(sids: readonly Uint8Array[]): IssuedCommand {
    return this.#listCommand('start-n-ack', sids);
  }

  /** RFC 5938 Stop-N-Sessions → Stop-N-Ack(s). */
  stopSessionsN(sids: readonly Uint8Array[]): IssuedCommand {
    return this.#listCommand('stop-n-ack', sids);
  }

  #listCommand(kind: 'start-n-ack' | 'stop-n-ack', sids: readonly Uint8Array[]): IssuedCommand {
    this.#checkReady();
    const name = kind === 'start-n-ack' ? 'startSessionsN' : 'stopSessionsN';
    if ((this.#mode & Mode.IndividualSessionControl) === 0) {
      throw configError(
        name,
        'RFC 5938 Individual Session Control in the selected mode (request it with extensions and use a server that offers it)',
        modeNames(this.#mode).join(','),
      );
    }
    if (sids.length === 0) throw configError(`${name}(sids)`, 'at least one SID (RFC 5938: N ≥ 1)', 'none');
    for (const [index, sid] of sids.entries()) {
      if (sid.length !== 16) throw configError(`${name}(sids[${index}])`, 'a 16-octet SID', `${sid.length} octets`);
    }
    const message = kind === 'start-n-ack' ? encodeStartNSessions({ sids }) : encodeStopNSessions({ sids });
    const pending: PendingList = { kind, id: this.#nextId++, remaining: new Set(sids.map(hex)), refusal: undefined, accepted: [] };
    return this.#issue(pending, message);
  }

  #checkReady(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#phase === 'ended') {
      throw new NetworkError({
        operation: 'send',
        systemCode: 'EOF',
        endpoint: formatEndpoint(this.remote),
        detail: 'the server has closed the control connection',
      });
    }
    // Only a caller driving the state machine by hand can get here; the adapter waits for `ready`.
    if (this.#phase !== 'commands') throw new Error('the control connection is not ready (no Server-Start yet)');
  }

  #checkNotIndividual(name: string, instead: string): void {
    if ((this.#mode & Mode.IndividualSessionControl) !== 0) {
      // RFC 5938 §3: with Individual Session Control the server refuses commands 2 and 3.
      throw configError(name, `no RFC 5938 Individual Session Control in the selected mode (use ${instead})`, modeNames(this.#mode).join(','));
    }
  }

  #address(address: string | undefined, path: string): string | undefined {
    if (address === undefined) return undefined;
    const parsed = tryParseIpAddress(address);
    if (parsed === undefined) throw configError(path, 'an IP address literal', address);
    if (parsed.family !== this.ipvn) {
      throw configError(path, `an IPv${this.ipvn} address (the control connection is IPv${this.ipvn})`, address);
    }
    return address;
  }

  #issue(pending: Pending, message: Buffer): IssuedCommand {
    const bytes = this.#seal(message);
    this.#pending.push(pending);
    const events: ClientEvent[] = [{ type: 'send', bytes }];
    try {
      this.#announceHead(events);
    } catch (error) {
      this.#fail(asError(error), events);
    }
    return { id: pending.id, events };
  }

  /** Encrypt and HMAC in keyed modes; in open mode the HMAC field stays zero (RFC 5357 §3.2). */
  #seal(message: Buffer): Buffer {
    return this.#encryptor === undefined ? message : this.#encryptor.seal(message);
  }

  /** Tell the framer what the oldest outstanding command's reply is, once. */
  #announceHead(events: ClientEvent[]): void {
    const head = this.#pending[0];
    if (head === undefined || this.#headAnnounced || this.#phase !== 'commands') return;
    this.#headAnnounced = true;
    this.#handle(this.#framer.expect(head.kind), events);
  }

  #handle(messages: readonly FramedMessage[], events: ClientEvent[]): void {
    for (const message of messages) {
      if (this.#phase === 'failed') return;
      switch (message.type) {
        case 'server-greeting':
          this.#onGreeting(message, events);
          break;
        case 'server-start':
          if (message.accept !== 0) {
            this.#fail(serverRefusal(message.accept, 'Server-Start'), events);
            return;
          }
          this.#phase = 'commands';
          events.push({ type: 'ready', serverStartTime: message.startTime });
          break;
        case 'accept-session':
          this.#onAcceptSession(message, events);
          break;
        case 'start-ack': {
          const head = this.#shift();
          if (message.accept === 0) events.push({ type: 'done', id: head.id });
          else events.push({ type: 'refused', id: head.id, error: serverRefusal(message.accept, 'Start-Ack') });
          break;
        }
        case 'start-n-ack':
        case 'stop-n-ack':
          this.#onListAck(message, events);
          break;
        default:
          // The client framer emits nothing else; anything else is a bug worth failing loudly on.
          throw new Error(`unexpected ${message.type} on a client connection`);
      }
    }
    this.#announceHead(events);
  }

  #shift(): Pending {
    const head = this.#pending.shift();
    this.#headAnnounced = false;
    if (head === undefined) throw new Error('a reply arrived with no command outstanding');
    return head;
  }

  #onGreeting(greeting: ServerGreeting, events: ClientEvent[]): void {
    this.#serverModes = greeting.modes;
    if (greeting.modes >>> 0 === 0) {
      // RFC 4656 §3.1: Modes 0 is the server declining to serve us; it closes next.
      const error = new PeerRejectedError({ received: 1, peer: 'server', message: 'Server Greeting (Modes 0: the server refuses service to this client)' });
      this.#fail(error, events);
      return;
    }
    const security = chooseSecurityMode(greeting.modes, this.#allowed, this.#preference);
    if (security === undefined) {
      this.#fail(
        new AuthenticationError(
          AuthenticationFailure.NoAcceptableMode,
          `the server offers ${modeNames(greeting.modes & SECURITY_MODE_MASK).join(', ') || 'no security mode'}; ` +
            `we allow ${modeNames(this.#allowed).join(', ')}`,
        ),
        events,
      );
      return;
    }
    const mode = security | (this.#extensions & greeting.modes);
    this.#mode = mode;
    let response: Buffer;
    let drained: FramedMessage[];
    if (security === Mode.Unauthenticated) {
      // RFC 4656 §3.1: KeyID, Token and Client-IV are unused in unauthenticated mode: zeros.
      response = encodeSetUpResponse({ mode });
      drained = this.#framer.useUnauthenticated();
    } else {
      // Checked before any PBKDF2 work: an inflated Count is a CPU attack (RFC 4656 §3.1).
      checkPbkdf2Count(greeting.count, this.#maxCount);
      const secret = this.#secret;
      const keyId = this.#keyId;
      if (secret === undefined || keyId === undefined) throw new Error('a keyed mode was chosen without a secret');
      const keys = generateControlKeys(this.#random);
      const clientIv = generateClientIv(this.#random);
      const token = encryptToken(deriveKey(secret, greeting.salt, greeting.count), greeting.challenge, keys);
      response = encodeSetUpResponse({ mode, keyId: keyIdField(keyId), token, clientIv });
      this.#keys = keys;
      this.#encryptor = new ControlStreamEncryptor(keys, clientIv);
      drained = this.#framer.useKeys(keys);
    }
    this.#phase = 'server-start';
    events.push({ type: 'send', bytes: response });
    events.push({ type: 'greeting', serverModes: greeting.modes, mode, count: greeting.count });
    // A server cannot have sent Server-Start before our Set-Up-Response, but if octets came early
    // they were buffered while the mode was undecided: frame them now, in order.
    this.#handle(drained, events);
  }

  #onAcceptSession(message: AcceptSession, events: ClientEvent[]): void {
    const head = this.#shift();
    if (head.kind !== 'accept-session') throw new Error('Accept-Session framed for another command');
    if (message.accept !== 0) {
      events.push({ type: 'refused', id: head.id, error: serverRefusal(message.accept, 'Accept-Session') });
      return;
    }
    // The server now holds the session whatever we make of the reply: count it for Stop-Sessions.
    this.#active.add(hex(message.sid));
    if (message.port === 0) {
      const error = new MalformedInputError({ what: 'Accept-Session', field: 'Port', offset: 2, reason: 'Accept 0 with port 0: no reflector port to send to' });
      events.push({ type: 'refused', id: head.id, error });
      return;
    }
    const session = negotiatedSession({
      sid: message.sid,
      mode: this.#mode,
      controlKeys: this.#keys,
      sender: head.sender,
      // RFC 8545 §5.1: the port the server returned, which may differ from the one requested.
      receiver: { address: head.receiverAddress, port: message.port },
      paddingLength: head.paddingLength,
      startTime: head.startTime,
      timeout: head.timeout,
      typeP: head.typeP,
      octetsToBeReflected: head.octetsToBeReflected,
      lengthOfPaddingToReflect: head.paddingToReflect,
    });
    events.push({ type: 'done', id: head.id, session });
  }

  #onListAck(message: StartNAck | StopNAck, events: ClientEvent[]): void {
    const head = this.#pending[0];
    if (head === undefined || (head.kind !== 'start-n-ack' && head.kind !== 'stop-n-ack')) {
      throw new Error(`${message.type} framed for another command`);
    }
    let progress = false;
    for (const sid of message.sids) {
      const key = hex(sid);
      if (head.remaining.delete(key)) {
        progress = true;
        if (message.accept === 0) head.accepted.push(key);
      }
    }
    if (message.accept !== 0) head.refusal ??= message.accept;
    // An ack that names none of the outstanding SIDs (N = 0, or others) would otherwise keep us
    // waiting for acks that never come: take it as the server's answer for all that remain.
    if (!progress) {
      if (message.accept === 0) head.accepted.push(...head.remaining);
      head.remaining.clear();
    }
    if (head.remaining.size > 0) {
      // RFC 5938 §3: the server split its answer by Accept value; the rest follows.
      this.#headAnnounced = false;
      return;
    }
    this.#shift();
    if (head.kind === 'stop-n-ack') for (const key of head.accepted) this.#active.delete(key);
    const what = head.kind === 'start-n-ack' ? 'Start-N-Ack' : 'Stop-N-Ack';
    if (head.refusal === undefined) events.push({ type: 'done', id: head.id });
    else events.push({ type: 'refused', id: head.id, error: serverRefusal(head.refusal, what) });
  }

  #fail(error: Error, events: ClientEvent[]): void {
    if (this.#phase === 'failed') return;
    this.#phase = 'failed';
    this.#failure = error;
    this.#pending.length = 0;
    events.push({ type: 'failed', error });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function ipvnOf(address: string): 4 | 6 {
  const parsed = tryParseIpAddress(address);
  if (parsed === undefined) throw configError('server.address', 'the connected IP address of the server', address);
  return parsed.family;
}

