// Garbage on the receive path never crashes and never stops the socket: random bytes of random
// lengths (0 to 65507, the ends included) from another socket, in paced rounds so the kernel
// buffer never overflows; then the socket must still receive and answer. Bounded in count and time.

import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { expect, it } from 'vitest';
import type { IpFamily, ReceiveBatch } from '../../src/index.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive, sleep } from '../support/receive.js';

const DATAGRAMS = 600;
const ROUND = 20;
const ROUND_WAIT_MS = 2000;
const MAX_PACKET = 2048;
const LARGEST = 65_507;

/** A small seeded generator, so a failure can be replayed with the seed the test prints. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

function lengths(seed: number): number[] {
  const random = xorshift(seed);
  const fixed = [0, 1, 2, MAX_PACKET - 1, MAX_PACKET, MAX_PACKET + 1, LARGEST];
  const drawn = Array.from({ length: DATAGRAMS - fixed.length }, () =>
    // Half small (a test packet's size range), half anywhere up to the largest datagram.
    Math.floor(random() * (random() < 0.5 ? 256 : LARGEST + 1)),
  );
  return [...fixed, ...drawn];
}

/** Read every accessor of every packet: garbage must be safe to look at, not only to receive. */
function touch(batch: ReceiveBatch): number {
  let sum = 0;
  for (let i = 0; i < batch.count; i += 1) {
    const data = batch.data(i);
    sum += data.length + (data[0] ?? 0) + batch.length(i) + batch.port(i) + batch.ttl(i) + batch.tos(i);
    sum += batch.timeSeconds(i) + batch.timeNanos(i) + batch.family(i) + (batch.truncated(i) ? 1 : 0);
    sum += batch.address(i).length + (batch.localAddress(i)?.length ?? 0);
  }
  return sum;
}

async function bind(socket: Socket, address: string): Promise<void> {
  await new Promise<void>((resolve) => {
    socket.bind(0, address, resolve);
  });
}

// The blaster is a real socket: it reaches real sockets only (the memory network has its own tests).
describeEachImplementation((scope) => {
  it.each([4, 6] as IpFamily[])('survives random datagrams of 0-65507 octets and keeps receiving (IPv%i)', async (family) => {
    const seed = Date.now() % 1_000_000;
    console.log(`garbage seed ${seed} (IPv${family})`);
    const plan = lengths(seed);
    const receiver = await scope.open({ family, address: loopback(family), receiveBufferSize: 4 << 20, maxPacketSize: MAX_PACKET });
    let delivered = 0;
    let checksum = 0;
    receiver.onReceive((batch) => {
      delivered += batch.count;
      checksum += touch(batch);
    });
    const errors: Error[] = [];
    receiver.onError((error) => errors.push(error));

    // The sender is plain node:dgram: independent of the implementation under test.
    const blaster = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    try {
      await bind(blaster, loopback(family));
      const bytes = randomFillSync(Buffer.alloc(LARGEST));
      let sent = 0;
      for (let start = 0; start < plan.length; start += ROUND) {
        for (const length of plan.slice(start, start + ROUND)) {
          const offset = Math.floor((bytes.length - length) * ((sent * 7919) % 1000) / 1000);
          blaster.send(bytes.subarray(offset, offset + length), receiver.localPort, loopback(family));
          sent += 1;
        }
        const deadline = Date.now() + ROUND_WAIT_MS;
        while (delivered < sent && Date.now() < deadline) await sleep(5);
      }
      expect(delivered).toBe(plan.length);
      expect(receiver.stats.packetsReceived).toBe(plan.length);
      expect(receiver.stats.truncated).toBe(plan.filter((length) => length > MAX_PACKET).length);
      expect(Number.isFinite(checksum)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      blaster.close();
    }

    // Still alive and still receiving: a normal exchange works afterwards.
    const sender = await scope.open({ family, address: loopback(family) });
    const arriving = receive(receiver, 1);
    sender.send(Buffer.from('still here'), 10, loopback(family), receiver.localPort);
    const { packets } = await arriving;
    expect(packets[0]?.data.toString()).toBe('still here');
  }, 60_000);
}, { only: ['native', 'dgram'] });
