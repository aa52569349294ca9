// Test helpers for the server: a raw TWAMP-Control client built only from @twamp/wire (encoders,
// a client ControlFramer, a ControlStreamEncryptor), so the server is tested against the wire
// format rather than against this package's own client; and a recording session handler.
import { connect, type Socket } from 'node:net';
import { AcceptCode } from '@twamp/errors';
import {
  ControlFramer,
  type ControlKeys,
  ControlStreamEncryptor,
  deriveKey,
  encodeRequestTwSession,
  encodeSetUpResponse,
  encryptToken,
  type ExpectedReply,
  type FramedMessage,
  generateClientIv,
  generateControlKeys,
  KEY_ID_LENGTH,
  ntpIntervalFromSeconds,
  type RequestTwSessionFields,
  type ServerGreeting,
  type ServerStart,
  ZERO_TIMESTAMP,
} from '@twamp/wire';
import { ControlServer, type ControlServerListenOptions } from '../../src/server/index.js';
import type { KeyStore, ServerSessionHandler, ServerSessionRequest, SessionOpenResult } from '../../src/types.js';

export const KEY_ID = 'server-test';
export const SECRET = 'server test secret';
/** The smallest Count RFC 4656 allows, to keep each handshake cheap. */
export const COUNT = 1024;

type Message<T extends FramedMessage['type']> = Extract<FramedMessage, { type: T }>;

export class RawClient {
  readonly socket: Socket;
  readonly framer = new ControlFramer({ role: 'client' });
  readonly closed: Promise<void>;
  #messages: FramedMessage[] = [];
  #error: Error | undefined;
  #ended = false;
  #wake: (() => void) | undefined;
  #encryptor: ControlStreamEncryptor | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#messages.push(...this.framer.feed(chunk));
      } catch (error) {
        this.#error = error as Error;
      }
      this.#wake?.();
    });
    socket.on('error', () => {
      // A reset by the server is an expected outcome in several tests; 'close' follows.
    });
  }

  /** `localAddress`: the source address (any 127.x works on loopback), to act as several clients. */
  static async connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    const socket = connect({ port, host, noDelay: true, ...(localAddress === undefined ? {} : { localAddress }) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** The next framed message, which must be of `type`; rejects after `timeoutMs` or on close. */
  async next<T extends FramedMessage['type']>(type: T, timeoutMs = 2000): Promise<Message<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.#messages.shift();
      if (message !== undefined) {
        if (message.type !== type) throw new Error(`expected ${type}, got ${message.type}`);
        return message as Message<T>;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) throw new Error(`connection closed while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Read the greeting, answer it with `mode`, and return Server-Start. */
  async handshake(mode: number, keyId = KEY_ID, secret: string = SECRET): Promise<{ greeting: ServerGreeting; start: ServerStart }> {
    const greeting = await this.next('server-greeting');
    const open = (mode & 0x0f) === 1;
    if (open) {
      this.#messages.push(...this.framer.useUnauthenticated());
      this.write(encodeSetUpResponse({ mode }));
    } else {
      const keys: ControlKeys = generateControlKeys();
      const clientIv = generateClientIv();
      const keyIdField = Buffer.alloc(KEY_ID_LENGTH);
      Buffer.from(keyId, 'utf8').copy(keyIdField);
      const token = encryptToken(deriveKey(secret, greeting.salt, greeting.count), greeting.challenge, keys);
      this.#messages.push(...this.framer.useKeys(keys));
      this.#encryptor = new ControlStreamEncryptor(keys, clientIv);
      this.write(encodeSetUpResponse({ mode, keyId: keyIdField, token, clientIv }));
    }
    const start = await this.next('server-start');
    return { greeting, start };
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Send a command (plaintext); encrypted and HMACed after a keyed handshake. */
  command(plain: Uint8Array): void {
    this.write(this.seal(plain));
  }

  seal(plain: Uint8Array): Buffer {
    return this.#encryptor === undefined ? Buffer.from(plain) : this.#encryptor.seal(plain);
  }

  expect(reply: ExpectedReply): void {
    try {
      this.#messages.push(...this.framer.expect(reply));
    } catch (error) {
      this.#error = error as Error;
    }
  }

  async request(fields: Partial<RequestTwSessionFields> = {}): Promise<Message<'accept-session'>> {
    this.command(encodeRequestTwSession({ ...defaultRequest(), ...fields }));
    this.expect('accept-session');
    return this.next('accept-session');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function defaultRequest(): RequestTwSessionFields {
  return {
    ipvn: 4,
    senderPort: 20000,
    receiverPort: 20001,
    senderAddress: '0.0.0.0',
    receiverAddress: '0.0.0.0',
    paddingLength: 27,
    startTime: ZERO_TIMESTAMP,
    timeout: ntpIntervalFromSeconds(2),
    typeP: 0,
  };
}

/** A handler that records every call and answers with the next port (or a scripted result). */
export class RecordingHandler implements ServerSessionHandler {
  readonly requests: ServerSessionRequest[] = [];
  readonly started: string[][] = [];
  readonly stopped: string[][] = [];
  readonly released: string[][] = [];
  nextPort = 30000;
  /** Returns the answer for a request; default: accept on the next port. */
  answer: (request: ServerSessionRequest) => SessionOpenResult | Promise<SessionOpenResult> = () => ({
    accept: AcceptCode.Ok,
    port: this.nextPort++,
  });

  async open(request: ServerSessionRequest): Promise<SessionOpenResult> {
    this.requests.push(request);
    return this.answer(request);
  }

  start(sids: readonly Uint8Array[]): void {
    this.started.push(sids.map(hex));
  }

  stop(sids: readonly Uint8Array[]): void {
    this.stopped.push(sids.map(hex));
  }

  release(sids: readonly Uint8Array[]): void {
    this.released.push(sids.map(hex));
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function memoryKeys(): KeyStore {
  const secret = Buffer.from(SECRET, 'utf8');
  return { secret: (keyId) => (keyId === KEY_ID ? Uint8Array.from(secret) : undefined), size: 1 };
}

export async function startServer(
  options: Partial<ControlServerListenOptions> & { handler?: RecordingHandler } = {},
): Promise<{ server: ControlServer; handler: RecordingHandler }> {
  const handler = options.handler ?? new RecordingHandler();
  const server = await ControlServer.listen({
    modes: 0x0f,
    keys: memoryKeys(),
    pbkdf2Count: COUNT,
    address: '127.0.0.1',
    port: 0,
    ...options,
    handler,
  });
  return { server, handler };
}

/** Wait until `condition` holds (polling), failing after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
