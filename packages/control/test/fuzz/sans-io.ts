// Sans-IO fuzz drivers: hostile bytes straight into ServerConnection / ClientConnection, with a
// synchronous in-memory handler. Orders of magnitude faster than TCP, so this is where the volume
// is; the TCP drivers (drivers.ts) check the node:net adapters with a smaller share.
import { AcceptCode, isTwampError } from '@twamp/errors';
import {
  decodeServerGreeting,
  deriveKey,
  encodeAcceptSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeSetUpResponse,
  encodeStartAck,
  encryptToken,
  generateClientIv,
  generateControlKeys,
  Mode,
  SERVER_GREETING_LENGTH,
  SET_UP_RESPONSE_LENGTH,
  ControlStreamEncryptor,
} from '@twamp/wire';
import { ClientConnection, type ClientEvent, ServerConnection, type ServerAction } from '../../src/index.js';
import { KEY_ID, memoryKeys, SECRET } from '../support/keys.js';
import { clientCase, type Mutation, Prng, serverCase, split } from '../support/mutators.js';
import { hex } from '../support/recording-handler.js';
import { keyIdField } from '../support/raw-client.js';

export interface SansIoServerResult {
  readonly cases: number;
  readonly messages: number;
  readonly byMutation: Partial<Record<Mutation, number>>;
  readonly byCloseReason: Record<string, number>;
  readonly sessionsOpened: number;
}

const OFFERED = Mode.Unauthenticated | Mode.Encrypted | Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize;
const KEYS = memoryKeys();
const CLIENT = { address: '127.0.0.1', port: 50_000 };
const SERVER = { address: '127.0.0.1', port: 862 };

/** A failed invariant, with the case that broke it so it can be replayed. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
}

/**
 * Drives one ServerConnection through a case and checks, whatever the input:
 * - no call throws (a throw would be a crash in the adapter);
 * - the connection is closed at the end (by itself, or by `end()`/a timeout we deliver);
 * - exactly one close action is emitted;
 * - every session the handler opened is stopped or released by then (no leaked reflectors).
 */
class ServerHarness {
  readonly opened = new Set<string>();
  readonly finished = new Set<string>();
  closes = 0;
  closeReason = '';
  readonly #prng: Prng;
  readonly #connection: ServerConnection;
  #nextPort = 40_000;

  constructor(prng: Prng, modes: number) {
    this.#prng = prng;
    this.#connection = new ServerConnection({
      modes,
      keys: KEYS,
      pbkdf2Count: 1024,
      client: CLIENT,
      server: SERVER,
      now: () => 1_750_000_000_000,
      randomBytes: (size) => prng.bytes(size),
      maxSessions: () => 8,
      maxSessionsPerMessage: 64,
    });
  }

  get connection(): ServerConnection {
    return this.#connection;
  }

  /** Applies actions as the adapter would, answering open-session at once. Returns the octets sent. */
  apply(actions: readonly ServerAction[]): Buffer[] {
    const sent: Buffer[] = [];
    const queue = [...actions];
    for (let action = queue.shift(); action !== undefined; action = queue.shift()) {
      switch (action.type) {
        case 'send':
          sent.push(action.bytes);
          break;
        case 'close':
          this.closes += 1;
          this.closeReason = action.reason;
          break;
        case 'open-session': {
          const refuse = this.#prng.chance(0.1);
          if (!refuse) this.opened.add(hex(action.request.sid));
          const result = refuse
            ? ({ accept: AcceptCode.TemporaryResourceLimitation, reason: 'fuzz' } as const)
            : ({ accept: AcceptCode.Ok, port: this.#nextPort++ } as const);
          queue.push(...this.#connection.sessionOpened(action.requestId, result));
          break;
        }
        case 'derive': {
          // As the adapter would, later: the key (now and then a failed derivation).
          const key = this.#prng.chance(0.05) ? new Error('fuzz: derivation failed') : deriveKey(action.secret, action.salt, action.count);
          queue.push(...this.#connection.keyDerived(action.requestId, key));
          break;
        }
        case 'start':
          // Unstarted sessions released by their timer, now and then, in the middle of things.
          if (this.#prng.chance(0.05)) queue.push(...this.#connection.releaseUnstarted(Number.POSITIVE_INFINITY).actions);
          break;
        case 'stop':
        case 'release':
          for (const sid of action.sids) this.finished.add(hex(sid));
          break;
      }
    }
    return sent;
  }

  finish(where: string): void {
    if (!this.#connection.closed) {
      // The peer stops: deliver what the adapter would, a timeout or the peer's FIN.
      const timers = this.#connection.timers;
      const kind = timers.message ? 'message' : timers.handshake ? 'handshake' : timers.idle ? 'idle' : 'servwait';
      this.apply(this.#prng.chance(0.5) ? this.#connection.end() : this.#connection.timeout(kind));
    }
    if (!this.#connection.closed) throw new FuzzFailure(`${where}: the connection is still open after end/timeout`);
    if (this.closes !== 1) throw new FuzzFailure(`${where}: ${this.closes} close actions`);
    for (const sid of this.opened) {
      if (!this.finished.has(sid)) throw new FuzzFailure(`${where}: session ${sid} was never stopped or released`);
    }
  }
}

/** Open-mode streams (mutated, split) fed to ServerConnection. */
export function fuzzServerSansIo(seed: number, cases: number): SansIoServerResult {
  const prng = new Prng(seed);
  const byMutation: Partial<Record<Mutation, number>> = {};
  const byCloseReason: Record<string, number> = {};
  let messages = 0;
  let sessionsOpened = 0;
  for (let i = 0; i < cases; i++) {
    const where = `server case ${i} (seed ${seed})`;
    const fuzz = serverCase(prng);
    byMutation[fuzz.mutation] = (byMutation[fuzz.mutation] ?? 0) + 1;
    messages += fuzz.messages;
    const harness = new ServerHarness(prng, OFFERED);
    try {
      harness.apply(harness.connection.start());
      for (const chunk of fuzz.chunks) harness.apply(harness.connection.receive(chunk));
      harness.finish(where);
    } catch (error) {
      if (error instanceof FuzzFailure) throw error;
      throw new FuzzFailure(`${where} (${fuzz.mutation}) threw: ${String(error)}`);
    }
    sessionsOpened += harness.opened.size;
    byCloseReason[harness.closeReason] = (byCloseReason[harness.closeReason] ?? 0) + 1;
  }
  return { cases, messages, byMutation, byCloseReason, sessionsOpened };
}

/**
 * Encrypted-mode streams: a correct Set-Up-Response (real Token), then valid commands sealed with
 * the real keys whose ciphertext is then bit-flipped, truncated or extended with garbage.
 * Nothing forged may be acted on; the connection must end with an authentication or protocol error
 * or at a timeout.
 */
export function fuzzServerEncryptedSansIo(seed: number, cases: number): SansIoServerResult {
  const prng = new Prng(seed);
  const byCloseReason: Record<string, number> = {};
  let messages = 0;
  let sessionsOpened = 0;
  for (let i = 0; i < cases; i++) {
    const where = `encrypted server case ${i} (seed ${seed})`;
    const harness = new ServerHarness(prng, OFFERED);
    try {
      const greetingBytes = Buffer.concat(harness.apply(harness.connection.start()));
      const greeting = decodeServerGreeting(greetingBytes.subarray(0, SERVER_GREETING_LENGTH));
      const keys = generateControlKeys();
      const clientIv = generateClientIv();
      const token = encryptToken(deriveKey(SECRET, greeting.salt, greeting.count), greeting.challenge, keys);
      const setUp = encodeSetUpResponse({ mode: Mode.Encrypted, keyId: keyIdField(KEY_ID), token, clientIv });
      const sealer = new ControlStreamEncryptor(keys, clientIv);
      const commands = serverCase(prng, 'valid').chunks.reduce((all, chunk) => Buffer.concat([all, chunk]));
      const body = commands.subarray(SET_UP_RESPONSE_LENGTH);
      // Seal message by message (each has its own HMAC): the framer needs the boundaries, which
      // the plaintext stream gives by command number.
      const sealed: Buffer[] = [];
      let at = 0;
      while (at < body.length) {
        const command = body[at] ?? 0;
        const length = command === 5 ? 112 : command === 7 || command === 9 ? 32 + 16 * body.readUInt32BE(at + 12) : 32;
        sealed.push(sealer.seal(body.subarray(at, at + length)));
        at += length;
        messages += 1;
      }
      let wire = Buffer.concat(sealed);
      switch (prng.below(3)) {
        case 0:
          for (let f = 0, n = 1 + prng.below(4); f < n && wire.length > 0; f++) {
            const bit = prng.below(wire.length);
            wire[bit] = (wire[bit] ?? 0) ^ (1 << prng.below(8));
          }
          break;
        case 1:
          wire = wire.subarray(0, prng.below(wire.length + 1));
          break;
        default:
          wire = Buffer.concat([wire, prng.bytes(1 + prng.below(100))]);
          break;
      }
      for (const chunk of split(prng, Buffer.concat([setUp, wire]))) harness.apply(harness.connection.receive(chunk));
      harness.finish(where);
    } catch (error) {
      if (error instanceof FuzzFailure) throw error;
      throw new FuzzFailure(`${where} threw: ${String(error)}`);
    }
    sessionsOpened += harness.opened.size;
    byCloseReason[harness.closeReason] = (byCloseReason[harness.closeReason] ?? 0) + 1;
  }
  return { cases, messages, byMutation: {}, byCloseReason, sessionsOpened };
}

export interface SansIoClientResult {
  readonly cases: number;
  readonly ready: number;
  readonly accepted: number;
  readonly failed: number;
}

/**
 * A hostile server's bytes fed to ClientConnection: receive() and end() never throw, every failure
 * is a typed TwampError, and a failed connection stays failed.
 */
export function fuzzClientSansIo(seed: number, cases: number): SansIoClientResult {
  const prng = new Prng(seed);
  const greeting = encodeServerGreeting({
    modes: Mode.Unauthenticated | Mode.IndividualSessionControl,
    challenge: prng.bytes(16),
    salt: prng.bytes(16),
    count: 1024,
  });
  const serverStart = encodeServerStart({ accept: 0, serverIv: prng.bytes(16), startTime: { seconds: 3_900_000_000, fraction: 0 } });
  const replies = Buffer.concat([
    encodeAcceptSession({ accept: 0, port: 40_000, sid: Uint8Array.of(127, 0, 0, 1, ...prng.bytes(12)) }),
    encodeStartAck({ accept: 0 }),
  ]);
  let ready = 0;
  let accepted = 0;
  let failed = 0;
  for (let i = 0; i < cases; i++) {
    const where = `client case ${i} (seed ${seed})`;
    const connection = new ClientConnection({
      local: { address: '127.0.0.1', port: 50_001 },
      remote: { address: '127.0.0.1', port: 862 },
      allowedModes: Mode.Unauthenticated,
      extensions: prng.chance(0.5) ? Mode.IndividualSessionControl : 0,
      randomBytes: (size) => prng.bytes(size),
    });
    // An object, not two lets: the closure below mutates it, which flow analysis cannot see.
    const state = { ready: false, failed: false };
    const check = (events: readonly ClientEvent[]): void => {
      for (const event of events) {
        if (event.type === 'ready') state.ready = true;
        if (event.type === 'done' && event.session !== undefined) accepted += 1;
        if (event.type === 'failed') {
          if (state.failed) throw new FuzzFailure(`${where}: failed twice`);
          state.failed = true;
          if (!isTwampError(event.error)) throw new FuzzFailure(`${where}: untyped failure ${String(event.error)}`);
        }
        if (event.type === 'refused' && !isTwampError(event.error)) throw new FuzzFailure(`${where}: untyped refusal ${String(event.error)}`);
      }
    };
    try {
      let asked = false;
      for (const chunk of clientCase(prng, greeting, serverStart, replies)) {
        check(connection.receive(chunk));
        if (state.ready && !asked && !state.failed) {
          asked = true;
          check(connection.requestSession({ sender: { port: 30_000 } }).events);
          const individual = (connection.mode & Mode.IndividualSessionControl) !== 0;
          check(individual ? connection.startSessionsN([prng.bytes(16)]).events : connection.startSessions().events);
        }
      }
      check(connection.end());
    } catch (error) {
      if (error instanceof FuzzFailure) throw error;
      throw new FuzzFailure(`${where} threw: ${String(error)}`);
    }
    if (state.ready) ready += 1;
    if (state.failed) failed += 1;
  }
  return { cases, ready, accepted, failed };
}
