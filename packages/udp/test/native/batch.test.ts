// recvmmsg()/sendmmsg() batching: large bursts arrive complete in batches of at most batchSize,
// the reply queue survives more replies than slots and replies larger than a slot, and reply()
// is refused outside its callback.

import { NetworkError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import type { IpFamily, ReceiveBatch } from '../../src/types.js';
import { collect, LOOPBACK, readNtp, socket } from './helpers.js';

const FAMILIES: IpFamily[] = [4, 6];
const BURST = 500;

describe.each(FAMILIES)('native IPv%i batching', (family) => {
  const here = LOOPBACK[family];

  it(`a burst of ${BURST} packets arrives complete, in batches of at most batchSize`, async () => {
    // 500 small datagrams take ~400 KiB of receive buffer (skb overhead dominates): raise it.
    const receiver = socket({ family, address: here, receiveBufferSize: 4 << 20, batchSize: 64 });
    const sender = socket({ family, address: here, sendBufferSize: 4 << 20 });
    const got = collect(receiver, BURST);
    const packet = Buffer.alloc(41);
    for (let i = 0; i < BURST; i++) {
      packet.writeUInt32BE(i, 0);
      expect(sender.send(packet, packet.length, here, receiver.localPort)).toBe(true);
    }
    const { packets, batches } = await got;
    expect(packets.map((p) => p.data.readUInt32BE(0))).toEqual(Array.from({ length: BURST }, (_, i) => i));
    expect(Math.max(...batches)).toBeLessThanOrEqual(64);
    // Sent before the loop ran once, so they came in full batches: not one call per packet.
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(BURST / 64) + 1);
    expect(receiver.stats).toMatchObject({
      packetsReceived: BURST,
      bytesReceived: BURST * 41,
      receiveBatches: batches.length,
      truncated: 0,
    });
    expect(sender.stats).toMatchObject({ packetsSent: BURST, bytesSent: BURST * 41, sendDropped: 0 });
  });

  it('more replies than the queue holds are all sent, in order', async () => {
    const reflector = socket({ family, address: here, batchSize: 4 });
    const sender = socket({ family, address: here, receiveBufferSize: 1 << 20 });
    void collect(reflector, 20, 5000, (batch) => {
      for (let i = 0; i < batch.count; i++) {
        const n = batch.data(i).readUInt8(0);
        for (let copy = 0; copy < 3; copy++) reflector.reply(batch, i, Buffer.from([n, copy]), 2);
      }
    });
    const replies = collect(sender, 60);
    for (let i = 0; i < 20; i++) sender.send(Buffer.from([i]), 1, here, reflector.localPort);
    const { packets } = await replies;
    expect(packets.map((p) => [...p.data])).toEqual(Array.from({ length: 60 }, (_, k) => [Math.floor(k / 3), k % 3]));
    expect(reflector.stats.packetsSent).toBe(60);
  });

  it('a reply longer than maxPacketSize goes out directly, stamped, and keeps its place', async () => {
    const reflector = socket({ family, address: here, maxPacketSize: 64 });
    const sender = socket({ family, address: here, maxPacketSize: 4096 });
    const big = Buffer.alloc(1000, 0x77);
    let stamp: [number, number] | undefined;
    void collect(reflector, 1, 5000, (batch) => {
      reflector.reply(batch, 0, Buffer.from('first'), 5);
      reflector.reply(batch, 0, big, big.length, { stampOffset: 992 });
      stamp = [reflector.stamp[0] ?? -1, reflector.stamp[1] ?? -1];
      reflector.reply(batch, 0, Buffer.from('last'), 4);
    });
    const replies = collect(sender, 3);
    sender.send(Buffer.from('x'), 1, here, reflector.localPort);
    const { packets } = await replies;
    expect(packets.map((p) => p.length)).toEqual([5, 1000, 4]);
    const sent = packets[1]!.data;
    expect(readNtp(sent, 992)).toEqual(stamp);
    expect(sent.subarray(0, 992).every((b) => b === 0x77)).toBe(true);
    // Like a queued reply, the caller's buffer is left as it was.
    expect(big.every((b) => b === 0x77)).toBe(true);
  });

  it('queued replies carry exactly `length` octets of the data, whatever its size, and leave it as it was', async () => {
    // Replies that fit a slot are copied into the shared send queue by JavaScript: an empty
    // reply, a short prefix (copied octet by octet), a long prefix, a whole buffer, and a
    // flush() in the middle that must not reorder anything.
    const reflector = socket({ family, address: here, maxPacketSize: 1024 });
    const sender = socket({ family, address: here, maxPacketSize: 2048 });
    const source = Buffer.from(Array.from({ length: 1024 }, (_, k) => k & 0xff));
    const whole = new Uint8Array(source.subarray(0, 700));
    const lengths = [0, 41, 128, 129, 700, 1024];
    void collect(reflector, 1, 5000, (batch) => {
      reflector.reply(batch, 0, source, 0);
      reflector.reply(batch, 0, source, 41);
      reflector.reply(batch, 0, source, 128);
      reflector.flush();
      reflector.reply(batch, 0, source, 129);
      reflector.reply(batch, 0, whole, whole.length);
      reflector.reply(batch, 0, source, source.length);
    });
    const replies = collect(sender, lengths.length);
    sender.send(Buffer.from('x'), 1, here, reflector.localPort);
    const { packets } = await replies;
    expect(packets.map((p) => p.length)).toEqual(lengths);
    for (const p of packets) expect(p.data.equals(source.subarray(0, p.length))).toBe(true);
    expect(source.every((b, k) => b === (k & 0xff))).toBe(true);
    expect(reflector.stats).toMatchObject({ packetsSent: lengths.length, sendDropped: 0 });
  });

  it('the addon checks the shared reply queue: a corrupt entry is dropped and counted, the rest sent', async () => {
    const reflector = socket({ family, address: here, batchSize: 4 });
    const sender = socket({ family, address: here });
    // The queue's metadata is shared memory that JavaScript writes; reach it as the addon sees it.
    const shared = reflector as unknown as { sendMeta: Int32Array };
    void collect(reflector, 1, 5000, (batch) => {
      reflector.reply(batch, 0, Buffer.from('one'), 3);
      reflector.reply(batch, 0, Buffer.from('bad'), 3);
      shared.sendMeta[8] = 1000; // entry 1: a packet index outside the batch
      reflector.reply(batch, 0, Buffer.from('two'), 3);
      shared.sendMeta[8 * 2 + 1] = 1 << 20; // entry 2: longer than a slot
      reflector.reply(batch, 0, Buffer.from('three'), 5);
    });
    const replies = collect(sender, 2);
    sender.send(Buffer.from('x'), 1, here, reflector.localPort);
    const { packets } = await replies;
    expect(packets.map((p) => p.data.toString())).toEqual(['one', 'three']);
    expect(reflector.stats).toMatchObject({ packetsSent: 2, sendDropped: 2 });
  });

  it('reply() is refused outside its callback and for another batch', async () => {
    const reflector = socket({ family, address: here });
    const other = socket({ family, address: here });
    const sender = socket({ family, address: here });
    let kept: ReceiveBatch | undefined;
    let otherBatch: ReceiveBatch | undefined;
    const errors: unknown[] = [];
    const got = collect(reflector, 1, 5000, (batch) => {
      kept = batch;
      if (otherBatch !== undefined) {
        try {
          reflector.reply(otherBatch, 0, Buffer.from('no'), 2);
        } catch (error) {
          errors.push(error);
        }
      }
      try {
        reflector.reply(batch, batch.count, Buffer.from('no'), 2);
      } catch (error) {
        errors.push(error);
      }
    });
    const gotOther = collect(other, 1, 5000, (batch) => {
      otherBatch = batch;
    });
    sender.send(Buffer.from('o'), 1, here, other.localPort);
    await gotOther;
    sender.send(Buffer.from('r'), 1, here, reflector.localPort);
    await got;
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(RangeError);
    expect(() => reflector.reply(kept!, 0, Buffer.from('late'), 4)).toThrow(RangeError);
    expect(reflector.stats.packetsSent).toBe(0);
  });

  it('close() inside the batch callback stops delivery and drops queued replies, without a crash', async () => {
    const reflector = socket({ family, address: here, batchSize: 2 });
    const sender = socket({ family, address: here });
    let calls = 0;
    let after: unknown;
    reflector.onReceive((batch) => {
      calls++;
      reflector.reply(batch, 0, Buffer.from('queued'), 6);
      reflector.close();
      try {
        reflector.reply(batch, 0, Buffer.from('closed'), 6);
      } catch (error) {
        after = error;
      }
    });
    const replies = collect(sender, 1, 300);
    for (let i = 0; i < 10; i++) sender.send(Buffer.from([i]), 1, here, reflector.localPort);
    const { packets } = await replies;
    expect(calls).toBe(1);
    expect(packets).toHaveLength(0);
    expect(reflector.closed).toBe(true);
    expect(after).toBeInstanceOf(NetworkError);
    expect((after as NetworkError).systemCode).toBe('EBADF');
  });
});
