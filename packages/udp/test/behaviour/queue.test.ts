// Shared behaviour: queued sends (queue() + flushSends()). Packets leave in queue order, every
// stamped packet of one flush carries the same stamp (one clock read per flush), each entry's stamp
// and outcome are reported by queue index, the queue is bounded, and a closed socket drops what
// was queued. Loopback only; counts and times bounded.

import { expect, it } from 'vitest';
import { NetworkError } from '@twamp/errors';
import type { IpFamily } from '../../src/index.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive, sleep } from '../support/receive.js';

const FAMILIES: readonly IpFamily[] = [4, 6];
const NTP_UNIX_OFFSET = 2_208_988_800;

describeEachImplementation((scope) => {
  it.each(FAMILIES)('sends the queue in order with one flush (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family), batchSize: 32 });
    const receiver = await scope.open({ family, address: loopback(family), receiveBufferSize: 1 << 20 });
    expect(sender.sendQueueCapacity).toBe(32);
    const arriving = receive(receiver, 20, 5_000);
    const packet = Buffer.alloc(40);
    for (let seq = 0; seq < 20; seq += 1) {
      packet.writeUInt32BE(seq, 0);
      // The caller's buffer is reused at once: queue() copies it.
      expect(sender.queue(packet, packet.length - (seq % 3), loopback(family), receiver.localPort)).toBe(seq);
    }
    expect(sender.queuedSends).toBe(20);
    expect(sender.stats.packetsSent).toBe(0);
    expect(sender.flushSends()).toBe(20);
    expect(sender.queuedSends).toBe(0);
    expect(Array.from(sender.sendResults.subarray(0, 20))).toEqual(new Array<number>(20).fill(1));
    const { packets } = await arriving;
    expect(packets.map((p) => p.data.readUInt32BE(0))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(packets.map((p) => p.length)).toEqual(Array.from({ length: 20 }, (_, i) => 40 - (i % 3)));
    expect(sender.stats.packetsSent).toBe(20);
    expect(sender.flushSends()).toBe(0);
  });

  it('stamps every stamped packet of a flush from one clock read and reports it per entry', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const arriving = receive(receiver, 4, 5_000);
    const packet = Buffer.alloc(32);
    const before = Date.now() / 1000;
    for (let seq = 0; seq < 4; seq += 1) {
      packet.writeUInt32BE(seq, 0);
      sender.queue(packet, packet.length, '127.0.0.1', receiver.localPort, seq === 2 ? undefined : { stampOffset: 8 });
    }
    // The caller's bytes are never stamped: only the queued copy.
    expect(packet.readUInt32BE(8)).toBe(0);
    sender.flushSends();
    const after = Date.now() / 1000;
    const stamps = sender.sendStamps;
    const { packets } = await arriving;
    for (const p of packets) {
      const seq = p.data.readUInt32BE(0);
      const seconds = p.data.readUInt32BE(8);
      const fraction = p.data.readUInt32BE(12);
      if (seq === 2) {
        expect([seconds, fraction, stamps[4], stamps[5]]).toEqual([0, 0, 0, 0]);
        continue;
      }
      expect([seconds, fraction]).toEqual([stamps[2 * seq], stamps[2 * seq + 1]]);
      expect([seconds, fraction]).toEqual([stamps[0], stamps[1]]);
      const unix = seconds - NTP_UNIX_OFFSET + fraction / 2 ** 32;
      expect(unix).toBeGreaterThanOrEqual(before - 0.002);
      expect(unix).toBeLessThanOrEqual(after + 0.002);
    }
    // The flush's stamp is also the socket's last stamp.
    expect([sender.stamp[0], sender.stamp[1]]).toEqual([stamps[0], stamps[1]]);
  });

  it('is bounded: a full queue refuses with -1 until flushed', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1', batchSize: 4 });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const arriving = receive(receiver, 5, 5_000);
    const packet = Buffer.alloc(16);
    for (let i = 0; i < 4; i += 1) expect(sender.queue(packet, 16, '127.0.0.1', receiver.localPort)).toBe(i);
    expect(sender.queue(packet, 16, '127.0.0.1', receiver.localPort)).toBe(-1);
    expect(sender.queuedSends).toBe(4);
    expect(sender.flushSends()).toBe(4);
    expect(sender.queue(packet, 16, '127.0.0.1', receiver.localPort)).toBe(0);
    expect(sender.flushSends()).toBe(1);
    expect((await arriving).packets).toHaveLength(5);
  });

  it('keeps each queued packet with its own destination', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1', batchSize: 4 });
    const receivers = [
      await scope.open({ family: 4, address: '127.0.0.1' }),
      await scope.open({ family: 4, address: '127.0.0.1' }),
      await scope.open({ family: 4, address: '127.0.0.1' }),
    ];
    const arriving = receivers.map((r) => receive(r, 4, 5_000));
    const packet = Buffer.alloc(8);
    // More destinations over the run than the queue has entries: slots are reused between flushes.
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < 3; i += 1) {
        packet.writeUInt32BE(round * 10 + i, 0);
        sender.queue(packet, 8, '127.0.0.1', receivers[(i + round) % 3]?.localPort ?? 0);
      }
      expect(sender.flushSends()).toBe(3);
    }
    const got = await Promise.all(arriving);
    got.forEach((receipt, r) => {
      const values = receipt.packets.map((p) => p.data.readUInt32BE(0));
      expect(values).toEqual([0, 1, 2, 3].map((round) => round * 10 + ((r - round + 3) % 3)));
    });
  });

  it('reports a failed packet by its index and sends the others', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const arriving = receive(receiver, 2, 5_000);
    const packet = Buffer.alloc(16);
    sender.queue(packet, 16, '127.0.0.1', receiver.localPort);
    // Port 0 is refused by the kernel (native: EINVAL at sendmmsg) or by the fallback's check.
    let failedIndex = -1;
    try {
      failedIndex = sender.queue(packet, 16, '127.0.0.1', 0);
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
    }
    sender.queue(packet, 16, '127.0.0.1', receiver.localPort);
    const sent = sender.flushSends();
    expect(sent).toBe(2);
    if (failedIndex >= 0) {
      expect(sender.sendResults[failedIndex]).toBeLessThan(0);
      expect(sender.sendError(failedIndex)).toBeInstanceOf(NetworkError);
    }
    expect(sender.sendError(0)).toBeUndefined();
    expect((await arriving).packets).toHaveLength(2);
  });

  it('checks its arguments when queueing', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1', maxPacketSize: 256 });
    const packet = Buffer.alloc(512);
    expect(() => sender.queue(packet, 600, '127.0.0.1', 9)).toThrow();
    expect(() => sender.queue(packet, 300, '127.0.0.1', 9)).toThrow(RangeError);
    expect(() => sender.queue(packet, 16, '127.0.0.1', 9, { stampOffset: 12 })).toThrow();
    expect(() => sender.queue(packet, 16, '::1', 9)).toThrow();
    expect(() => sender.queue(packet, 16, 'localhost', 9)).toThrow();
    expect(sender.queuedSends).toBe(0);
  });

  it('drops the queue on close and refuses to queue afterwards', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    let received = 0;
    receiver.onReceive((batch) => {
      received += batch.count;
    });
    const packet = Buffer.alloc(16);
    sender.queue(packet, 16, '127.0.0.1', receiver.localPort);
    sender.queue(packet, 16, '127.0.0.1', receiver.localPort);
    sender.close();
    expect(sender.queuedSends).toBe(0);
    expect(sender.flushSends()).toBe(0);
    expect(() => sender.queue(packet, 16, '127.0.0.1', receiver.localPort)).toThrow(NetworkError);
    await sleep(50);
    expect(received).toBe(0);
  });

  it('sends to the connected peer when no address is given', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    sender.connect('127.0.0.1', receiver.localPort);
    const arriving = receive(receiver, 3, 5_000);
    const packet = Buffer.alloc(16);
    for (let i = 0; i < 3; i += 1) {
      packet.writeUInt32BE(i, 0);
      sender.queue(packet, 16, undefined, 0);
    }
    expect(sender.flushSends()).toBe(3);
    expect((await arriving).packets.map((p) => p.data.readUInt32BE(0))).toEqual([0, 1, 2]);
  });
});
