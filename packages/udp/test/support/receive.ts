// Receive helpers: copy what a batch says into plain objects (batches are only valid during the
// callback), and wait for a number of packets with a deadline, never forever.

import type { IpFamily, ReceiveBatch, UdpSocket } from '../../src/index.js';

export interface Received {
  readonly data: Buffer;
  readonly length: number;
  readonly truncated: boolean;
  readonly family: IpFamily;
  readonly address: string;
  readonly port: number;
  readonly localAddress: string | undefined;
  readonly ttl: number;
  readonly tos: number;
  readonly seconds: number;
  readonly nanos: number;
  readonly timeSource: 'kernel' | 'userspace';
}

export function snapshot(batch: ReceiveBatch, index: number): Received {
  return {
    data: Buffer.from(batch.data(index)),
    length: batch.length(index),
    truncated: batch.truncated(index),
    family: batch.family(index),
    address: batch.address(index),
    port: batch.port(index),
    localAddress: batch.localAddress(index),
    ttl: batch.ttl(index),
    tos: batch.tos(index),
    seconds: batch.timeSeconds(index),
    nanos: batch.timeNanos(index),
    timeSource: batch.timeSource,
  };
}

export interface Receipt {
  readonly packets: Received[];
  /** The count of every batch delivered, in order. */
  readonly batchCounts: number[];
}

/**
 * Collect `count` packets from `socket`, or whatever arrived when `timeoutMs` runs out (the test
 * then asserts on the count, which gives a better message than a timeout). `onBatch` runs inside
 * the callback, for replies.
 */
export function receive(
  socket: UdpSocket,
  count: number,
  timeoutMs = 5000,
  onBatch?: (batch: ReceiveBatch) => void,
): Promise<Receipt> {
  const packets: Received[] = [];
  const batchCounts: number[] = [];
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      socket.onReceive(() => undefined);
      resolve({ packets, batchCounts });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.onReceive((batch) => {
      batchCounts.push(batch.count);
      for (let i = 0; i < batch.count; i += 1) packets.push(snapshot(batch, i));
      onBatch?.(batch);
      if (packets.length >= count) done();
    });
  });
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Receive time of a packet as Unix seconds (a double: fine for sanity bounds). */
export function receivedAt(packet: Received): number {
  return packet.seconds + packet.nanos / 1e9;
}

/** Loopback address of a family. */
export function loopback(family: IpFamily): string {
  return family === 6 ? '::1' : '127.0.0.1';
}
