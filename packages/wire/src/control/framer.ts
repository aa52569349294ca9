import { isTwampError, MalformedInputError, ResourceLimitError } from '@twamp/errors';
import { BLOCK, Command } from '../constants.js';
import { type ControlKeys, ControlStreamDecryptor } from '../crypto/control-stream.js';
import { ACCEPT_SESSION_LENGTH, decodeAcceptSession } from './accept-session.js';
import { ByteQueue } from './byte-queue.js';
import type { ControlMessage } from './message.js';
import { decodeRequestTwSession, REQUEST_TW_SESSION_LENGTH } from './request-tw-session.js';
import { decodeServerGreeting, SERVER_GREETING_LENGTH } from './server-greeting.js';
import { decodeServerStart, SERVER_START_ENCRYPTED_OFFSET, SERVER_START_LENGTH, ServerStartOffset } from './server-start.js';
import { SessionListOffset, sessionListLength } from './session-list.js';
import { decodeSetUpResponse, SET_UP_RESPONSE_LENGTH } from './set-up-response.js';
import { decodeStartAck, START_ACK_LENGTH } from './start-ack.js';
import { decodeStartNAck } from './start-n-ack.js';
import { decodeStartNSessions } from './start-n-sessions.js';
import { decodeStartSessions, START_SESSIONS_LENGTH } from './start-sessions.js';
import { decodeStopNAck } from './stop-n-ack.js';
import { decodeStopNSessions } from './stop-n-sessions.js';
import { decodeStopSessions, STOP_SESSIONS_LENGTH } from './stop-sessions.js';

/*
 * State model (one framer per direction of one connection):
 *
 *   server: set-up-response ──164 octets──▶ awaiting-security ──useKeys(keys, Client-IV) or
 *           useUnauthenticated()──▶ commands (2/3 → 32, 5 → 112, 7/9 → 32 + 16·N) ──▶ …
 *   client: greeting ──64──▶ awaiting-security ──useKeys(keys) or useUnauthenticated()──▶
 *           server-start ──48──▶ replies (in `expect` order) ──▶ …   or ──Accept ≠ 0──▶ rejected
 *   any:    peer-caused error or unknown command ──▶ failed;   end() ──▶ ended
 *
 * The client pauses before Server-Start rather than after it: Server-Start's last block is the
 * first block of the cipher chain, so it cannot be read until the owner has chosen the mode. A
 * client that chose before the greeting never pauses.
 *
 * Tolerance decisions (be strict in what we send, tolerant in what we accept, never at the cost
 * of framing or authenticity):
 * - MBZ octets and the high nibble of IPVN are ignored, never checked (RFC 4656 §3.1).
 * - Accept values outside 0-6 are delivered as received; the owner normalises them to 1.
 * - In unauthenticated mode HMAC fields are neither checked nor required to be zero.
 * - twamp-rs's 20-octet Stop-Sessions is accepted only by `end()`, in unauthenticated mode (see
 *   there): recognising it earlier would misframe a correct 32-octet Stop-Sessions split by TCP.
 * - Start-Sessions and Stop-Sessions are framed even when RFC 5938 forbids them (Individual
 *   Session Control negotiated): their length is known, so the owner can refuse them and the
 *   stream stays in step. N = 0 is framed too (32 octets); RFC 5938's N ≥ 1 is the owner's check.
 * - ncode/twamp's Stop-N-Sessions (N at octets 4-7, octets 12-15 zero) is not tolerated: it would
 *   be framed as 32 octets and the SIDs that follow would be read as commands. No guess at the
 *   length is safe, so such a peer ends in an unknown command or a failed HMAC and a closed
 *   connection rather than in misread sessions.
 * - Commands of unknown length (0, 1, 4, 6, 8, 10, 11 and 12-255 from a client) end the stream
 *   with an `unknown-command` result so the server can answer Accept 3 before closing.
 */

/** Which end of the control connection this framer reads for: 'server' reads what a client sends. */
export type FramerRole = 'server' | 'client';

/** The server replies a client can announce with `expect`, in the order it sent the commands. */
export type ExpectedReply = 'accept-session' | 'start-ack' | 'start-n-ack' | 'stop-n-ack';

export const FramerState = {
  /** Client: waiting for the 64-octet Server Greeting. */
  Greeting: 'greeting',
  /** Server: waiting for the 164-octet Set-Up-Response. */
  SetUpResponse: 'set-up-response',
  /** Paused until the owner calls `useKeys` or `useUnauthenticated`; input stays buffered. */
  AwaitingSecurity: 'awaiting-security',
  /** Client: waiting for the 48-octet Server-Start. */
  ServerStart: 'server-start',
  /** Server: reading client commands. */
  Commands: 'commands',
  /** Client: reading the replies announced with `expect` (paused while none is announced). */
  Replies: 'replies',
  /** Client: Server-Start carried Accept ≠ 0; the connection is over and later input is dropped. */
  Rejected: 'rejected',
  /** A fatal error or an unknown command: every later `feed` throws the same error. */
  Failed: 'failed',
  /** `end` was called. */
  Ended: 'ended',
} as const;

export type FramerState = (typeof FramerState)[keyof typeof FramerState];

/**
 * A client command the server cannot frame: reserved, forbidden, OWAMP-only, a server message, or
 * a command whose length this codec does not know (Experimentation, RFC 9533 micro-sessions).
 * Its length is unknown, so the stream cannot be re-synchronised: the server answers Accept 3
 * (RFC 5357 §3.5, IANA) and closes. It is always the last message a framer emits.
 */
export interface UnknownCommand {
  readonly type: 'unknown-command';
  readonly command: number;
  /** The first block, decrypted when the stream is encrypted (for logs). */
  readonly block: Uint8Array;
}

/**
 * The 20-octet Stop-Sessions of twamp-rs (command, Accept, 2 MBZ, 16-octet HMAC; no Number of
 * Sessions), recognised only by `end()` in unauthenticated mode. See `ControlFramer.end`.
 */
export interface LegacyStopSessions {
  readonly type: 'legacy-stop-sessions';
  readonly accept: number;
}

/** What a framer emits: decoded messages, plus the two cases the owner must handle itself. */
export type FramedMessage = ControlMessage | UnknownCommand | LegacyStopSessions;

export interface ControlFramerOptions {
  readonly role: FramerRole;
  /**
   * Largest Number of Sessions accepted in an RFC 5938 message. A larger N is refused with a
   * ResourceLimitError before anything sized by N is allocated or buffered.
   */
  readonly maxSessionsPerMessage?: number;
}

export const DEFAULT_MAX_SESSIONS_PER_MESSAGE = 1024;

/** twamp-rs's Stop-Sessions length (see LegacyStopSessions). */
const LEGACY_STOP_SESSIONS_LENGTH = 20;

/** Names used in errors and in HMAC failures. */
const REPLY_NAMES: Readonly<Record<ExpectedReply, string>> = {
  'accept-session': 'Accept-Session',
  'start-ack': 'Start-Ack',
  'start-n-ack': 'Start-N-Ack',
  'stop-n-ack': 'Stop-N-Ack',
};

/** The message being framed: its first block is already read (and decrypted) to learn its length. */
interface InProgress {
  readonly head: Buffer;
  readonly length: number;
  readonly name: string;
  readonly decode: (plain: Buffer) => ControlMessage;
}

type Security = 'undecided' | 'clear' | 'encrypted';

/**
 * Incremental TWAMP-Control framer for one direction of one connection: `feed(chunk)` returns
 * every message completed by the chunk and keeps the remainder. Sans-IO: no sockets, no timers.
 *
 * Lengths come from the role, the state and the first block (RFC 4656 §3: every command's first
 * 16 octets identify it). With keys installed each block is decrypted exactly once: the first
 * block as soon as it arrives (to learn the length), the rest when the whole message is there;
 * then the HMAC is verified (AuthenticationError on mismatch) before the message is decoded.
 *
 * Errors are fatal: after a throw the framer is `failed` and rethrows on every call, because a
 * byte stream that lost its framing (or its authenticity) cannot be trusted again. Messages
 * completed earlier in the same chunk are discarded with it; the connection is being dropped.
 */
export class ControlFramer {
  readonly role: FramerRole;
  readonly maxSessionsPerMessage: number;
  /** The most octets the framer ever holds: the largest message it can frame. */
  readonly maxBuffered: number;

  #state: FramerState;
  #security: Security = 'undecided';
  /** Client: keys given before Server-Start, used once Server-Start brings the Server-IV. */
  #keys: ControlKeys | undefined;
  #decryptor: ControlStreamDecryptor | undefined;
  readonly #queue = new ByteQueue();
  #current: InProgress | undefined;
  readonly #expected: ExpectedReply[] = [];
  #failure: Error | undefined;

  constructor(options: ControlFramerOptions) {
    const max = options.maxSessionsPerMessage ?? DEFAULT_MAX_SESSIONS_PER_MESSAGE;
    if (!Number.isSafeInteger(max) || max < 0 || max > 0xffffffff) {
      throw new RangeError(`maxSessionsPerMessage must be an integer from 0 to 2^32 - 1, got ${max}`);
    }
    this.role = options.role;
    this.maxSessionsPerMessage = max;
    this.maxBuffered = Math.max(SET_UP_RESPONSE_LENGTH, sessionListLength(max));
    this.#state = options.role === 'server' ? FramerState.SetUpResponse : FramerState.Greeting;
  }

  get state(): FramerState {
    return this.#state;
  }

  /** True while input is only buffered: waiting for the security decision or for an `expect`. */
  get paused(): boolean {
    return (
      this.#state === FramerState.AwaitingSecurity ||
      (this.#state === FramerState.Replies && this.#current === undefined && this.#expected.length === 0)
    );
  }

  /** Octets received but not yet emitted as a message. */
  get buffered(): number {
    return this.#queue.length + (this.#current?.head.length ?? 0);
  }

  /** Replies announced with `expect` and not yet received, oldest first. */
  get expecting(): readonly ExpectedReply[] {
    return [...this.#expected];
  }

  feed(chunk: Uint8Array): FramedMessage[] {
    return this.#run(() => {
      if (this.#state === FramerState.Rejected) return [];
      // Bound what a paused framer holds before copying anything: a peer that keeps sending
      // while we wait for the owner must not grow memory.
      if (this.paused && this.buffered + chunk.length > this.maxBuffered) {
        throw this.#bufferLimit(this.buffered + chunk.length);
      }
      this.#queue.push(chunk);
      return this.#drain();
    });
  }

  /**
   * Unauthenticated mode (Mode 1): the rest of the stream is in clear and HMAC fields are not
   * checked. Server: call after Set-Up-Response. Client: call any time before Server-Start is read.
   * Returns messages already buffered that can now be framed.
   */
  useUnauthenticated(): FramedMessage[] {
    return this.#run(() => {
      this.#checkSecurityCall();
      this.#security = 'clear';
      this.#resume();
      return this.#drain();
    });
  }

  /**
   * Authenticated, encrypted or mixed mode: the rest of the stream is one AES-CBC chain.
   * Server: call after Set-Up-Response with the keys from the Token and the Client-IV.
   * Client: call before Server-Start is read, without an IV (it comes in Server-Start).
   * Returns messages already buffered that can now be framed.
   */
  useKeys(keys: ControlKeys, clientIv?: Uint8Array): FramedMessage[] {
    return this.#run(() => {
      this.#checkSecurityCall();
      if (this.role === 'server') {
        if (clientIv === undefined) throw new TypeError('a server framer needs the Client-IV from Set-Up-Response');
        this.#decryptor = new ControlStreamDecryptor(keys, clientIv);
      } else {
        if (clientIv !== undefined) throw new TypeError('a client framer reads the Server-IV from Server-Start; pass no IV');
        this.#keys = keys;
      }
      this.#security = 'encrypted';
      this.#resume();
      return this.#drain();
    });
  }

  /**
   * Client: announce the next reply, in the order the commands were sent. Replies carry no type
   * tag of their own (Accept-Session and Start-Ack begin with Accept), so the client's record of
   * what it asked is the only way to frame them. A server may split one Start-N-Sessions
   * acknowledgement into several Start-N-Acks (RFC 5938); the owner then calls `expect` again.
   */
  expect(reply: ExpectedReply): FramedMessage[] {
    return this.#run(() => {
      if (this.role !== 'client') throw new Error('expect() is for client framers; a server frames commands by number');
      this.#expected.push(reply);
      return this.#drain();
    });
  }

  /**
   * The peer closed its side (or the owner stopped waiting). Returns the twamp-rs 20-octet
   * Stop-Sessions if that is exactly what is left; throws MalformedInputError if any other
   * partial message is left.
   *
   * Tolerance decision: twamp-rs sends Stop-Sessions as 20 octets (no Number of Sessions). While
   * the connection is open those 20 octets cannot be told from the first 20 of a correct
   * 32-octet Stop-Sessions split across segments, so emitting early could mis-frame every later
   * message. Only when no more octets can come is the short form unambiguous. It is accepted in
   * unauthenticated mode only: in the other modes 20 octets are not whole blocks, cannot be
   * decrypted and carry no verifiable HMAC. It is reported as its own message type so that the
   * owner, not the codec, decides how to treat the missing Number of Sessions.
   */
  end(): FramedMessage[] {
    return this.#run(() => {
      const state = this.#state;
      const current = this.#current;
      const pending = this.buffered;
      this.#state = FramerState.Ended;
      if (pending === 0 || state === FramerState.Rejected) return [];
      if (
        state === FramerState.Commands &&
        this.#security === 'clear' &&
        current?.head[0] === Command.StopSessions &&
        pending === LEGACY_STOP_SESSIONS_LENGTH
      ) {
        return [{ type: 'legacy-stop-sessions', accept: current.head[1] ?? 0 }];
      }
      throw new MalformedInputError({
        what: current?.name ?? 'TWAMP-Control stream',
        field: 'message',
        offset: 0,
        reason: `the stream ended ${pending} octet${pending === 1 ? '' : 's'} into an incomplete message`,
      });
    });
  }

  #run(step: () => FramedMessage[]): FramedMessage[] {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#state === FramerState.Ended) throw new Error('the framer has ended');
    try {
      return step();
    } catch (error) {
      // Peer-caused errors are fatal; misuse by the owner (a TypeError or a plain Error about
      // call order) leaves the framer as it was.
      if (isTwampError(error)) this.#fail(error);
      throw error;
    }
  }

  #fail(error: Error): void {
    this.#failure = error;
    this.#state = FramerState.Failed;
    this.#queue.clear();
    this.#current = undefined;
  }

  #checkSecurityCall(): void {
    if (this.#security !== 'undecided') throw new Error('the security mode is already set');
    const allowed: readonly FramerState[] =
      this.role === 'server' ? [FramerState.AwaitingSecurity] : [FramerState.Greeting, FramerState.AwaitingSecurity];
    if (!allowed.includes(this.#state)) {
      throw new Error(`the security mode cannot be set in state ${this.#state}`);
    }
  }

  #resume(): void {
    if (this.#state !== FramerState.AwaitingSecurity) return;
    this.#state = this.role === 'server' ? FramerState.Commands : FramerState.ServerStart;
  }

  #drain(): FramedMessage[] {
    const out: FramedMessage[] = [];
    for (;;) {
      const message = this.#next();
      if (message === undefined) break;
      out.push(message);
      if (message.type === 'unknown-command') break;
    }
    if (this.#state !== FramerState.Failed && this.buffered > this.maxBuffered) {
      throw this.#bufferLimit(this.buffered);
    }
    return out;
  }

  #bufferLimit(requested: number): ResourceLimitError {
    return new ResourceLimitError({ limit: 'control framer buffer', max: this.maxBuffered, requested, temporary: false });
  }

  /** One message if the buffered octets complete one, else undefined. */
  #next(): FramedMessage | undefined {
    switch (this.#state) {
      case FramerState.Greeting:
        return this.#readGreeting();
      case FramerState.SetUpResponse:
        return this.#readSetUpResponse();
      case FramerState.ServerStart:
        return this.#readServerStart();
      case FramerState.Commands:
      case FramerState.Replies:
        return this.#readBlockMessage();
      case FramerState.AwaitingSecurity:
      case FramerState.Rejected:
      case FramerState.Failed:
      case FramerState.Ended:
        return undefined;
    }
  }

  #readGreeting(): FramedMessage | undefined {
    if (this.#queue.length < SERVER_GREETING_LENGTH) return undefined;
    const greeting = decodeServerGreeting(this.#queue.take(SERVER_GREETING_LENGTH));
    // The client decides its mode from the greeting; Server-Start cannot be read before that.
    this.#state = this.#security === 'undecided' ? FramerState.AwaitingSecurity : FramerState.ServerStart;
    return greeting;
  }

  #readSetUpResponse(): FramedMessage | undefined {
    if (this.#queue.length < SET_UP_RESPONSE_LENGTH) return undefined;
    const response = decodeSetUpResponse(this.#queue.take(SET_UP_RESPONSE_LENGTH));
    // The next octets are in clear or ciphertext depending on what the owner makes of the Token.
    this.#state = FramerState.AwaitingSecurity;
    return response;
  }

  #readServerStart(): FramedMessage | undefined {
    if (this.#queue.length < SERVER_START_LENGTH) return undefined;
    const bytes = this.#queue.take(SERVER_START_LENGTH);
    const accepted = bytes[ServerStartOffset.Accept] === 0;
    if (accepted && this.#keys !== undefined) {
      // Octets 32-47 start the server's cipher chain (IV = Server-IV, octets 16-31) and carry no
      // HMAC of their own, so the server's first HMAC covers them (RFC 5357 §3.2).
      const iv = bytes.subarray(ServerStartOffset.ServerIv, ServerStartOffset.ServerIv + BLOCK);
      const decryptor = new ControlStreamDecryptor(this.#keys, iv);
      const plain = decryptor.decrypt(bytes.subarray(SERVER_START_ENCRYPTED_OFFSET, SERVER_START_LENGTH));
      decryptor.absorbUncovered(plain);
      plain.copy(bytes, SERVER_START_ENCRYPTED_OFFSET);
      this.#decryptor = decryptor;
    }
    // A refusal sends octets 32-47 in clear (RFC 4656 §3.1) and ends the conversation.
    const message = decodeServerStart(bytes);
    if (accepted) {
      this.#state = FramerState.Replies;
    } else {
      this.#state = FramerState.Rejected;
      this.#queue.clear();
    }
    return message;
  }

  /** Commands (server) and replies (client): whole blocks, possibly encrypted. */
  #readBlockMessage(): FramedMessage | undefined {
    let current = this.#current;
    if (current === undefined) {
      if (this.role === 'client' && this.#expected.length === 0) return undefined;
      if (this.#queue.length < BLOCK) return undefined;
      const head = this.#decrypt(this.#queue.take(BLOCK));
      const framed = this.role === 'server' ? this.#frameCommand(head) : this.#frameReply(head);
      if ('command' in framed) {
        this.#fail(
          new MalformedInputError({
            what: 'TWAMP-Control command',
            field: 'Command Number',
            offset: 0,
            reason: `command ${framed.command} is unknown or not allowed from a client; the stream cannot be re-synchronised`,
          }),
        );
        return framed;
      }
      current = framed;
      this.#current = current;
    }
    const rest = current.length - BLOCK;
    if (this.#queue.length < rest) return undefined;
    const message = Buffer.concat([current.head, this.#decrypt(this.#queue.take(rest))]);
    this.#decryptor?.verify(message, current.name);
    this.#current = undefined;
    if (this.role === 'client') this.#expected.shift();
    return current.decode(message);
  }

  #decrypt(block: Buffer): Buffer {
    return this.#decryptor === undefined ? block : this.#decryptor.decrypt(block);
  }

  /** Server side: the command number in octet 0 gives the length (RFC 5357 §3.5, RFC 5938). */
  #frameCommand(head: Buffer): InProgress | UnknownCommand {
    const command = head[0] ?? 0;
    switch (command) {
      case Command.StartSessions:
        return { head, length: START_SESSIONS_LENGTH, name: 'Start-Sessions', decode: decodeStartSessions };
      case Command.StopSessions:
        return { head, length: STOP_SESSIONS_LENGTH, name: 'Stop-Sessions', decode: decodeStopSessions };
      case Command.RequestTwSession:
        return { head, length: REQUEST_TW_SESSION_LENGTH, name: 'Request-TW-Session', decode: decodeRequestTwSession };
      case Command.StartNSessions:
        return { head, length: this.#listLength(head, 'Start-N-Sessions'), name: 'Start-N-Sessions', decode: decodeStartNSessions };
      case Command.StopNSessions:
        return { head, length: this.#listLength(head, 'Stop-N-Sessions'), name: 'Stop-N-Sessions', decode: decodeStopNSessions };
      default:
        // 0 and 4 reserved, 1 forbidden, 6 experimentation and 11 micro-sessions (length not
        // known here), 8 and 10 (server messages), 12-255 unassigned.
        return { type: 'unknown-command', command, block: Buffer.from(head) };
    }
  }

  /** Client side: the announced reply gives the length; the two RFC 5938 acks also name themselves. */
  #frameReply(head: Buffer): InProgress {
    const expected = this.#expected[0] ?? 'accept-session';
    const name = REPLY_NAMES[expected];
    switch (expected) {
      case 'accept-session':
        return { head, length: ACCEPT_SESSION_LENGTH, name, decode: decodeAcceptSession };
      case 'start-ack':
        return { head, length: START_ACK_LENGTH, name, decode: decodeStartAck };
      case 'start-n-ack':
        this.#checkNumber(head, Command.StartNAck, name);
        return { head, length: this.#listLength(head, name), name, decode: decodeStartNAck };
      case 'stop-n-ack':
        this.#checkNumber(head, Command.StopNAck, name);
        return { head, length: this.#listLength(head, name), name, decode: decodeStopNAck };
    }
  }

  #checkNumber(head: Buffer, command: number, name: string): void {
    if (head[0] !== command) {
      throw new MalformedInputError({
        what: name,
        field: 'Command Number',
        offset: 0,
        reason: `expected ${command}, got ${head[0] ?? 'nothing'}: the server sent something other than the reply we expected`,
      });
    }
  }

  /** 32 + 16·N, refusing N above the configured bound before anything sized by N exists. */
  #listLength(head: Buffer, name: string): number {
    const count = head.readUInt32BE(SessionListOffset.NumberOfSessions);
    if (count > this.maxSessionsPerMessage) {
      throw new ResourceLimitError({
        limit: `${name} Number of Sessions`,
        max: this.maxSessionsPerMessage,
        requested: count,
        temporary: false,
      });
    }
    return sessionListLength(count);
  }
}
