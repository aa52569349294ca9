// Shared frame of the sender ↔ reflector integration tests: a scope that opens reflectors, relays
// and senders and closes all of them after each test (also when it fails), a bounded run of one
// sender that collects its per-packet results, and fixed keys for the authenticated modes.

import { createHash } from 'node:crypto';
import { udpImplementationStatus } from '@twamp/udp';
import { deriveTestKeys, TestPacketCrypto, type TestPacketProtection } from '@twamp/wire';
import {
  type PacketResult,
  type ReflectorOptions,
  type SenderOptions,
  SessionReflector,
  SessionSender,
  type SessionSenderReport,
} from '../../src/index.js';
import { ImpairmentRelay, type ImpairmentRelayOptions } from './impairment-relay.js';

export type Family = 4 | 6;

export function loopback(family: Family): string {
  return family === 6 ? '::1' : '127.0.0.1';
}

/** Deterministic key material (tests only): the same on both sides, different per label. */
export function testKey(label: string, length: number): Buffer {
  return createHash('sha256').update(label).digest().subarray(0, length);
}

/** TWAMP control keys and SID as a control session would have agreed them. */
export const CONTROL_KEYS = { aesKey: testKey('aes session key', 16), hmacKey: Buffer.concat([testKey('hmac 1', 16), testKey('hmac 2', 16)]) };
export const SID = testKey('sid', 16);
export const STAMP_KEY = testKey('stamp hmac key', 32);

/** A fresh TestPacketCrypto for one side (each side keeps its own cipher chain state). */
export function sideCrypto(protection: TestPacketProtection, keys = CONTROL_KEYS, sid: Uint8Array = SID): TestPacketCrypto {
  return new TestPacketCrypto(deriveTestKeys(keys, sid), protection);
}

export const REQUIRE_NATIVE = process.env['TWAMP_REQUIRE_NATIVE'] === '1';

export function nativeStatus(): { readonly available: boolean; readonly reason: string } {
  const native = udpImplementationStatus().native;
  return native.available ? { available: true, reason: '' } : { available: false, reason: native.reason };
}

export interface RunResult {
  readonly report: SessionSenderReport;
  /** Every 'packet' event (counted, duplicate and late replies), in arrival order. */
  readonly packets: PacketResult[];
  readonly lostEvents: number;
}

/** Opens everything a test needs and closes it in closeAll() (call it in afterEach). */
export class SessionScope {
  readonly #closers: (() => void)[] = [];

  async reflector(options: ReflectorOptions): Promise<SessionReflector> {
    const reflector = await SessionReflector.open({ port: 0, ...options });
    this.#closers.push(() => {
      reflector.close();
    });
    return reflector;
  }

  async relay(options: ImpairmentRelayOptions): Promise<ImpairmentRelay> {
    const relay = await ImpairmentRelay.open(options);
    this.#closers.push(() => {
      relay.close();
    });
    return relay;
  }

  /** Run one sender to completion (bounded by `timeoutMs`) and collect its packet events. */
  async run(options: SenderOptions, timeoutMs = 20_000): Promise<RunResult> {
    const controller = new AbortController();
    const sender = await SessionSender.open({ ...options, signal: options.signal ?? controller.signal });
    this.#closers.push(() => {
      controller.abort();
    });
    const packets: PacketResult[] = [];
    let lostEvents = 0;
    sender.onEvent((event) => {
      if (event.type === 'packet') packets.push(event.result);
      else if (event.type === 'lost') lostEvents += 1;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`sender did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const report = await Promise.race([sender.done, timeout]);
      return { report, packets, lostEvents };
    } finally {
      clearTimeout(timer);
    }
  }

  closeAll(): void {
    for (const close of this.#closers.splice(0).reverse()) close();
  }
}

/** The percentile of a list (nearest rank), for checks on per-packet results. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
