// Helpers for the native-only tests: sockets straight from the native module (not through
// openUdpSocket, so a broken addon can never be hidden by the fallback), closed after each
// test, and receipts that copy what a batch says (batches are only valid inside the callback).

import { afterEach, expect } from 'vitest';
import { nativeStatus, openNativeSocket } from '../../src/native/index.js';
import type { IpFamily, ReceiveBatch, UdpSocket, UdpSocketOptions } from '../../src/types.js';
import { type Received, snapshot } from '../support/receive.js';

/**
 * Fails the calling test with the loader's reason when the addon does not load: CI builds it,
 * so a missing addon is a failure here, never a skip.
 */
export function requireNative(): void {
  const status = nativeStatus();
  expect(status.available, status.available ? '' : `the native addon did not load: ${status.reason}`).toBe(true);
}

const open: UdpSocket[] = [];

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

/** A native socket that is closed after the test. */
export function socket(options: UdpSocketOptions): UdpSocket {
  requireNative();
  const s = openNativeSocket(options);
  open.push(s);
  return s;
}

export const LOOPBACK = { 4: '127.0.0.1', 6: '::1' } as const;

/** What a batch said about one packet (see test/support/receive.ts), and when it was delivered. */
export interface Packet extends Received {
  /** Date.now() when the batch callback ran. */
  readonly deliveredAt: number;
}

export function copyPacket(batch: ReceiveBatch, i: number): Packet {
  return { ...snapshot(batch, i), deliveredAt: Date.now() };
}

export interface Collected {
  readonly packets: Packet[];
  readonly batches: number[];
}

/**
 * Installs a receive handler and resolves once `count` packets arrived, or with what arrived
 * after `timeoutMs` (the assertion on the count then says more than a timeout would).
 * `inside` runs in the callback, for replies.
 */
export function collect(
  s: UdpSocket,
  count: number,
  timeoutMs = 5000,
  inside?: (batch: ReceiveBatch) => void,
): Promise<Collected> {
  const packets: Packet[] = [];
  const batches: number[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve({ packets, batches });
    }, timeoutMs);
    s.onReceive((batch) => {
      batches.push(batch.count);
      for (let i = 0; i < batch.count; i++) packets.push(copyPacket(batch, i));
      inside?.(batch);
      if (packets.length >= count) {
        clearTimeout(timer);
        resolve({ packets, batches });
      }
    });
  });
}

/** Resolves with the first error delivered to onError, or undefined after `timeoutMs`. */
export function firstError(s: UdpSocket, timeoutMs = 5000): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(undefined);
    }, timeoutMs);
    s.onError((error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

/** Reads the big-endian NTP timestamp at `offset` as [seconds, fraction]. */
export function readNtp(data: Buffer, offset: number): [number, number] {
  return [data.readUInt32BE(offset), data.readUInt32BE(offset + 4)];
}

/** NTP [seconds, fraction] → Unix milliseconds (for comparisons with Date.now()). */
export function ntpToUnixMs([seconds, fraction]: [number, number]): number {
  return (seconds - 2_208_988_800) * 1000 + (fraction / 4_294_967_296) * 1000;
}

/** Blocks the event loop for `ms` (so packets wait in the socket buffer meanwhile). */
export function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Nothing: the point is that nothing else runs.
  }
}

/**
 * Resolves once the kernel stamps packets on arrival. It switches receive timestamping on from
 * a workqueue after the first socket asks for it, and until then stamps a packet when recvmsg()
 * reads it. Probes: send, block the loop 20 ms, and see whether the stamp is the arrival time.
 */
export async function kernelTimestampsOn(family: IpFamily): Promise<void> {
  const here = LOOPBACK[family];
  const receiver = socket({ family, address: here });
  const sender = socket({ family, address: here });
  for (let attempt = 0; attempt < 100; attempt++) {
    const got = collect(receiver, 1, 1000);
    sender.send(Buffer.from('probe'), 5, here, receiver.localPort);
    busyWait(20);
    const { packets } = await got;
    const p = packets[0];
    if (p !== undefined && p.deliveredAt - (p.seconds * 1000 + p.nanos / 1e6) >= 10) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  receiver.close();
  sender.close();
}
