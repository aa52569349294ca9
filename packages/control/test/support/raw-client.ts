// A TWAMP-Control client built only from @twamp/wire's encoders, its client-role ControlFramer and
// ControlStreamEncryptor: it sends exactly the octets a test asks for (invalid fields, forged
// HMACs, unoffered modes, half messages), which the real ControlClient would never do.
import { connect, type Socket } from 'node:net';
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
  Mode,
  type RequestTwSessionFields,
  SERVER_GREETING_LENGTH,
  SERVER_START_LENGTH,
  type ServerGreeting,
  type ServerStart,
  ZERO_TIMESTAMP,
} from '@twamp/wire';

export interface RawEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface SetUpOptions {
  /** The Modes value put in Set-Up-Response (may be one the server did not offer). */
  readonly mode: number;
  readonly keyId?: string;
  readonly secret?: Uint8Array | string;
}

/** A request every server accepts in any mode; tests patch single octets of its encoding. */
export function baseRequest(overrides: Partial<RequestTwSessionFields> = {}): RequestTwSessionFields {
  return {
    ipvn: 4,
    senderPort: 30_000,
    receiverPort: 0,
    senderAddress: '0.0.0.0',
    receiverAddress: '0.0.0.0',
    paddingLength: 27,
    startTime: ZERO_TIMESTAMP,
    timeout: { seconds: 2, fraction: 0 },
    typeP: 0,
    ...overrides,
  };
}

export function keyIdField(keyId: string): Uint8Array {
  const field = new Uint8Array(80);
  field.set(new TextEncoder().encode(keyId).subarray(0, 80));
  return field;
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => { reject(new Error(`raw client: ${what} did not happen within ${ms} ms`)); }, ms);
    }),
  ]).finally(() => { clearTimeout(timer); });
}

export class RawControlClient {
  readonly socket: Socket;
  readonly framer = new ControlFramer({ role: 'client' });
  /** Every octet the server sent, in order (for replies the framer cannot frame, e.g. to unknown commands). */
  readonly received: Buffer[] = [];
  /** The framer's error, if the server's bytes broke it. */
  framerError: Error | undefined;
  #messages: FramedMessage[] = [];
  #wake: (() => void) | undefined;
  #encryptor: ControlStreamEncryptor | undefined;
  #ended = false;
  readonly #closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.#closed = new Promise((resolve) => socket.once('close', () => { resolve(); }));
    socket.on('error', () => {
      // A reset from the server is an expected ending in these tests; 'close' follows.
    });
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.#feed(() => this.framer.feed(chunk));
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  static connect(server: RawEndpoint, ms = 3000): Promise<RawControlClient> {
    return timeout(
      new Promise<RawControlClient>((resolve, reject) => {
        const socket = connect({ host: server.address, port: server.port });
        socket.setNoDelay(true);
        socket.once('error', reject);
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(new RawControlClient(socket));
        });
      }),
      ms,
      'connect',
    );
  }

  get closedYet(): boolean {
    return this.socket.closed;
  }

  /** All received octets after the greeting and Server-Start (what answered our commands). */
  get afterServerStart(): Buffer {
    return Buffer.concat(this.received).subarray(SERVER_GREETING_LENGTH + SERVER_START_LENGTH);
  }

  #feed(step: () => FramedMessage[]): void {
    if (this.framerError !== undefined) return;
    try {
      this.#messages.push(...step());
    } catch (error) {
      this.framerError = error instanceof Error ? error : new Error(String(error));
    }
    this.#wake?.();
  }

  /** The next framed message, announcing `reply` first when given. */
  async next(reply?: ExpectedReply, ms = 3000): Promise<FramedMessage> {
    if (reply !== undefined) this.#feed(() => this.framer.expect(reply));
    const deadline = Date.now() + ms;
    for (;;) {
      const message = this.#messages.shift();
      if (message !== undefined) return message;
      if (this.framerError !== undefined) throw this.framerError;
      if (this.#ended || this.socket.closed) throw new Error('raw client: the server closed the connection');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`raw client: no message within ${ms} ms`);
      await timeout(
        new Promise<void>((resolve) => {
          this.#wake = resolve;
        }),
        left,
        'next message',
      ).catch(() => undefined);
      this.#wake = undefined;
    }
  }

  async greeting(ms = 3000): Promise<ServerGreeting> {
    const message = await this.next(undefined, ms);
    if (message.type !== 'server-greeting') throw new Error(`expected a greeting, got ${message.type}`);
    return message;
  }

  /** Reads the greeting, sends Set-Up-Response as told, returns Server-Start. */
  async setUp(options: SetUpOptions, ms = 3000): Promise<{ greeting: ServerGreeting; serverStart: ServerStart }> {
    const greeting = await this.greeting(ms);
    const security = options.mode & (Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed);
    if (security === Mode.Unauthenticated || options.secret === undefined) {
      this.#feed(() => this.framer.useUnauthenticated());
      this.write(encodeSetUpResponse({ mode: options.mode }));
    } else {
      const keys: ControlKeys = generateControlKeys();
      const clientIv = generateClientIv();
      const dk = deriveKey(options.secret, greeting.salt, greeting.count);
      this.#feed(() => this.framer.useKeys(keys));
      this.write(
        encodeSetUpResponse({
          mode: options.mode,
          keyId: keyIdField(options.keyId ?? ''),
          token: encryptToken(dk, greeting.challenge, keys),
          clientIv,
        }),
      );
      this.#encryptor = new ControlStreamEncryptor(keys, clientIv);
    }
    const start = await this.next(undefined, ms);
    if (start.type !== 'server-start') throw new Error(`expected Server-Start, got ${start.type}`);
    return { greeting, serverStart: start };
  }

  /** Sends a plaintext command: sealed (HMAC + encryption) in the keyed modes, as is in open mode. */
  send(plain: Uint8Array, tamper?: (wire: Buffer) => void): void {
    const wire = this.#encryptor === undefined ? Buffer.from(plain) : this.#encryptor.seal(plain);
    tamper?.(wire);
    this.write(wire);
  }

  /** Request-TW-Session with optional octet patches applied to the plaintext before sealing. */
  request(fields: Partial<RequestTwSessionFields> = {}, patch?: (plain: Buffer) => void): void {
    const plain = Buffer.from(encodeRequestTwSession(baseRequest(fields)));
    patch?.(plain);
    this.send(plain);
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Resolves when the server has closed the connection; rejects after `ms`. */
  closed(ms = 3000): Promise<void> {
    return timeout(this.#closed, ms, 'the server closing the connection');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
