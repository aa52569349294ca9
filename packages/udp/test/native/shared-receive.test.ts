// sharedReceive: sockets of one geometry receive into one area. What must hold: every socket still
// sees exactly its own packets (data, source, metadata), replies go to the right peer, closing one
// socket leaves the others working, other geometries and non-shared sockets keep their own area,
// and the option is validated like the others.

import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { openNativeSocket } from '../../src/native/index.js';
import type { ReceiveBatch, UdpSocket } from '../../src/types.js';
import { collect, LOOPBACK, requireNative, socket } from './helpers.js';

const SHARED = { family: 4, address: LOOPBACK[4], batchSize: 4, maxPacketSize: 512, sharedReceive: true } as const;

/** The batch object each socket's next callback is given. */
function nextBatch(s: UdpSocket, timeoutMs = 5000): Promise<ReceiveBatch | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(undefined);
    }, timeoutMs);
    s.onReceive((batch) => {
      clearTimeout(timer);
      resolve(batch);
    });
  });
}

function payload(tag: string, n: number): Buffer {
  return Buffer.from(`${tag}:${String(n).padStart(4, '0')}`);
}

describe('native sharedReceive', () => {
  it('delivers to each socket exactly its own packets, interleaved with the others', async () => {
    const a = socket(SHARED);
    const b = socket(SHARED);
    const c = socket(SHARED);
    const senderA = socket({ family: 4, address: LOOPBACK[4] });
    const senderB = socket({ family: 4, address: LOOPBACK[4] });
    const count = 40;
    const gotA = collect(a, count);
    const gotB = collect(b, count);
    const gotC = collect(c, 2 * count);
    for (let i = 0; i < count; i++) {
      // More than a batch per socket at a time, so the area is refilled between the sockets' reads.
      senderA.send(payload('a', i), 6, LOOPBACK[4], a.localPort);
      senderB.send(payload('b', i), 6, LOOPBACK[4], b.localPort);
      senderA.send(payload('c', i), 6, LOOPBACK[4], c.localPort);
      senderB.send(payload('c', count + i), 6, LOOPBACK[4], c.localPort);
    }
    const [ra, rb, rc] = await Promise.all([gotA, gotB, gotC]);
    expect(ra.packets.map((p) => p.data.toString())).toEqual(Array.from({ length: count }, (_, i) => payload('a', i).toString()));
    expect(rb.packets.map((p) => p.data.toString())).toEqual(Array.from({ length: count }, (_, i) => payload('b', i).toString()));
    expect(ra.packets.every((p) => p.port === senderA.localPort && p.address === LOOPBACK[4] && p.ttl > 0)).toBe(true);
    expect(rb.packets.every((p) => p.port === senderB.localPort && p.localAddress === LOOPBACK[4])).toBe(true);
    const fromA = rc.packets.filter((p) => p.port === senderA.localPort).map((p) => p.data.toString());
    const fromB = rc.packets.filter((p) => p.port === senderB.localPort).map((p) => p.data.toString());
    expect(fromA).toEqual(Array.from({ length: count }, (_, i) => payload('c', i).toString()));
    expect(fromB).toEqual(Array.from({ length: count }, (_, i) => payload('c', count + i).toString()));
    expect(a.stats.packetsReceived).toBe(count);
    expect(c.stats.packetsReceived).toBe(2 * count);
  });

  it('shares the batch object within a geometry, not across geometries or with unshared sockets', async () => {
    const a = socket(SHARED);
    const b = socket(SHARED);
    const wider = socket({ ...SHARED, maxPacketSize: 1024 });
    const own = socket({ ...SHARED, sharedReceive: false });
    const sender = socket({ family: 4, address: LOOPBACK[4] });
    const batches = [a, b, wider, own].map((s) => nextBatch(s));
    for (const s of [a, b, wider, own]) sender.send(payload('x', 1), 6, LOOPBACK[4], s.localPort);
    const [ba, bb, bw, bo] = await Promise.all(batches);
    expect(ba).toBeDefined();
    expect(ba).toBe(bb);
    expect(bw).toBeDefined();
    expect(bw).not.toBe(ba);
    expect(bo).toBeDefined();
    expect(bo).not.toBe(ba);
  });

  it('answers each peer from its own socket: replies name the right source', async () => {
    const reflectors = [socket(SHARED), socket(SHARED), socket(SHARED)];
    for (const r of reflectors) {
      r.onReceive((batch) => {
        for (let i = 0; i < batch.count; i++) {
          const echo = Buffer.concat([Buffer.from(`${r.localPort}|`), batch.data(i)]);
          r.reply(batch, i, echo, echo.length);
        }
      });
    }
    const clients = reflectors.map(() => socket({ family: 4, address: LOOPBACK[4] }));
    const answers = clients.map((client) => collect(client, 5));
    for (let n = 0; n < 5; n++) {
      clients.forEach((client, k) => {
        client.send(payload(`q${k}`, n), 7, LOOPBACK[4], reflectors[k]?.localPort ?? 0);
      });
    }
    const received = await Promise.all(answers);
    received.forEach((got, k) => {
      const port = reflectors[k]?.localPort ?? 0;
      expect(got.packets.map((p) => p.data.toString())).toEqual(
        Array.from({ length: 5 }, (_, n) => `${port}|${payload(`q${k}`, n).toString()}`),
      );
      expect(got.packets.every((p) => p.port === port)).toBe(true);
    });
  });

  it('keeps working for the others when one socket closes, also from inside its own callback', async () => {
    const a = socket(SHARED);
    const b = socket(SHARED);
    const sender = socket({ family: 4, address: LOOPBACK[4] });
    const closedInside = new Promise<void>((resolve) => {
      a.onReceive(() => {
        a.close();
        resolve();
      });
    });
    sender.send(payload('a', 0), 6, LOOPBACK[4], a.localPort);
    await closedInside;
    expect(a.closed).toBe(true);
    const gotB = collect(b, 3);
    for (let i = 0; i < 3; i++) sender.send(payload('b', i), 6, LOOPBACK[4], b.localPort);
    expect((await gotB).packets.map((p) => p.data.toString())).toEqual(['b:0000', 'b:0001', 'b:0002']);
    b.close();
    // Every socket of the area closed: a new one gets a fresh area and works.
    const c = socket(SHARED);
    const gotC = collect(c, 1);
    sender.send(payload('c', 9), 6, LOOPBACK[4], c.localPort);
    expect((await gotC).packets.map((p) => p.data.toString())).toEqual(['c:0009']);
  });

  it('counts a packet longer than the shared slot as truncated, like an own slot', async () => {
    const a = socket({ ...SHARED, maxPacketSize: 64 });
    const sender = socket({ family: 4, address: LOOPBACK[4] });
    const got = collect(a, 1);
    sender.send(Buffer.alloc(100, 7), 100, LOOPBACK[4], a.localPort);
    const [packet] = (await got).packets;
    expect(packet?.truncated).toBe(true);
    expect(packet?.length).toBe(64);
    expect(a.stats.truncated).toBe(1);
  });

  it('refuses a sharedReceive that is not a boolean', () => {
    requireNative();
    expect(() => openNativeSocket({ family: 4, sharedReceive: 'yes' as unknown as boolean })).toThrow(ConfigError);
  });
});
