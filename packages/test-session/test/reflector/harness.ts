// Test harness for the reflector suites: a plain @twamp/udp socket as the Session-Sender, requests
// built with @twamp/wire's encoders, replies copied out of the batch (it is reused) with the TTL,
// TOS and receive time they arrived with.
import { openUdpSocket, type UdpImplementation, type UdpSocket } from '@twamp/udp';
import { type WireTimestamp } from '@twamp/wire';
import { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorOptions } from '../../src/types.js';

export interface Received {
  readonly data: Buffer;
  readonly ttl: number;
  readonly tos: number;
  readonly port: number;
  readonly address: string;
  readonly seconds: number;
  readonly nanos: number;
}

export const LOOPBACK = { 4: '127.0.0.1', 6: '::1' } as const;

/** Which implementation the suites run against: env TWAMP_UDP_IMPL wins, else auto. */
export function implementationUnderTest(): UdpImplementation | 'auto' {
  const env = process.env['TWAMP_UDP_IMPL'];
  return env === 'dgram' || env === 'native' ? env : 'auto';
}

export class Client {
  readonly socket: UdpSocket;
  readonly #queue: Received[] = [];
  #waiter: (() => void) | undefined;

  private constructor(socket: UdpSocket) {
    this.socket = socket;
    socket.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) {
        this.#queue.push({
          data: Buffer.from(batch.data(i)),
          ttl: batch.ttl(i),
          tos: batch.tos(i),
          port: batch.port(i),
          address: batch.address(i),
          seconds: batch.timeSeconds(i),
          nanos: batch.timeNanos(i),
        });
      }
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.();
    });
  }

  static async open(family: 4 | 6 = 4, implementation: UdpImplementation | 'auto' = implementationUnderTest(), tos?: number): Promise<Client> {
    return new Client(
      await openUdpSocket({ family, address: LOOPBACK[family], implementation, ttl: 255, maxPacketSize: 16384, ...(tos === undefined ? {} : { tos }) }),
    );
  }

  get port(): number {
    return this.socket.localPort;
  }

  send(packet: Uint8Array, target: { localAddress: string; localPort: number } | number, options?: { ttl?: number; tos?: number }): void {
    const port = typeof target === 'number' ? target : target.localPort;
    const family = this.socket.family;
    this.socket.send(packet, packet.length, LOOPBACK[family], port, options);
  }

  /** The next reply, or undefined after `timeoutMs`. */
  async next(timeoutMs = 1000): Promise<Received | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiter = undefined;
          resolve();
        }, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#queue.shift();
  }

  /** Collect `count` replies (or as many as arrive within `timeoutMs`). */
  async collect(count: number, timeoutMs = 1000): Promise<Received[]> {
    const out: Received[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const r = await this.next(left);
      if (r === undefined) break;
      out.push(r);
    }
    return out;
  }

  /** Wait until no reply has arrived for `quietMs`, returning what came. */
  async drain(quietMs = 100): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const r = await this.next(quietMs);
      if (r === undefined) return out;
      out.push(r);
    }
  }

  /** Send and wait for one reply. */
  async exchange(packet: Uint8Array, target: { localAddress: string; localPort: number }, options?: { ttl?: number; tos?: number }): Promise<Received | undefined> {
    this.send(packet, target, options);
    return this.next();
  }

  close(): void {
    this.socket.close();
  }
}

/** A reflector on loopback, ephemeral port, the implementation under test unless told otherwise. */
export async function openReflector(options: ReflectorOptions = {}): Promise<SessionReflector> {
  const family = options.family ?? 4;
  return SessionReflector.open({
    address: LOOPBACK[family],
    port: 0,
    implementation: implementationUnderTest(),
    ...options,
  });
}

/** A sender timestamp near now (T1), NTP format. */
export function nowTimestamp(): WireTimestamp {
  const ms = Date.now();
  const unix = Math.floor(ms / 1000);
  return { seconds: (unix + 2_208_988_800) >>> 0, fraction: Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0 };
}

/** NTP timestamp → nanoseconds since 1900 as a number relative to `base` seconds (keeps precision). */
export function ntpNanos(ts: WireTimestamp, baseSeconds: number): number {
  return (ts.seconds - baseSeconds) * 1e9 + (ts.fraction * 1e9) / 2 ** 32;
}

/** Wait for a condition (polling), bounded. */
export async function waitFor(check: () => boolean, timeoutMs = 1000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

export const UNSYNCED = Object.freeze({ synchronized: false, estimatedErrorSeconds: undefined, maximumErrorSeconds: undefined, source: 'unknown' as const });
