// Shared behaviour, part 3: receive times and send stamps. Only sanity bounds on time (seconds of
// slack), never speed: the point is the clock and the epoch are right and times never go back.

import { expect, it } from 'vitest';
import type { IpFamily } from '../../src/index.js';
import { NTP_UNIX_OFFSET_SECONDS } from '../../src/ntp-stamp.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive, receivedAt } from '../support/receive.js';

const FAMILIES: readonly IpFamily[] = [4, 6];
const SLACK_SECONDS = 5;

function ntpToUnix(seconds: number, fraction: number): number {
  return seconds - NTP_UNIX_OFFSET_SECONDS + fraction / 2 ** 32;
}

describeEachImplementation((scope) => {
  it.each(FAMILIES)('stamps receive times from the wall clock, never decreasing (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family), receiveBufferSize: 1 << 20 });
    const count = 50;
    const arriving = receive(receiver, count);
    const before = Date.now() / 1000;
    for (let i = 0; i < count; i += 1) sender.send(Buffer.alloc(32, i), 32, loopback(family), receiver.localPort);
    const { packets } = await arriving;
    const after = Date.now() / 1000;
    expect(packets).toHaveLength(count);
    const expectedSource = receiver.capabilities.kernelTimestamps ? 'kernel' : 'userspace';
    let previous = 0n;
    for (const packet of packets) {
      expect(packet.timeSource).toBe(expectedSource);
      expect(Number.isInteger(packet.seconds)).toBe(true);
      expect(Number.isInteger(packet.nanos)).toBe(true);
      expect(packet.nanos).toBeGreaterThanOrEqual(0);
      expect(packet.nanos).toBeLessThan(1e9);
      const at = receivedAt(packet);
      expect(at).toBeGreaterThan(before - SLACK_SECONDS);
      expect(at).toBeLessThan(after + SLACK_SECONDS);
      // Exact comparison on (seconds, nanos): no double rounding in the way.
      const ns = BigInt(packet.seconds) * 1_000_000_000n + BigInt(packet.nanos);
      expect(ns >= previous).toBe(true);
      previous = ns;
    }
  });

  it.each(FAMILIES)('stamp-on-send writes the NTP time it leaves in `stamp` (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family) });
    const arriving = receive(receiver, 3);
    const sent: [number, number][] = [];
    const packet = Buffer.alloc(44);
    for (let i = 0; i < 3; i += 1) {
      packet.writeUInt32BE(i, 0);
      expect(sender.send(packet, packet.length, loopback(family), receiver.localPort, { stampOffset: 4 })).toBe(true);
      sent.push([sender.stamp[0]!, sender.stamp[1]!]);
      // The caller's packet holds the stamp too.
      expect([packet.readUInt32BE(4), packet.readUInt32BE(8)]).toEqual(sent[i]);
    }
    const now = Date.now() / 1000;
    const { packets } = await arriving;
    expect(packets).toHaveLength(3);
    for (const [i, received] of packets.entries()) {
      const [seconds, fraction] = sent[received.data.readUInt32BE(0)]!;
      expect([received.data.readUInt32BE(4), received.data.readUInt32BE(8)]).toEqual([seconds, fraction]);
      expect(received.data.subarray(12).equals(Buffer.alloc(32))).toBe(true);
      const stampedAt = ntpToUnix(seconds, fraction);
      expect(Math.abs(stampedAt - now)).toBeLessThan(SLACK_SECONDS);
      // Sent before received, on the same wall clock (a millisecond of slack for clock reads).
      expect(stampedAt).toBeLessThanOrEqual(receivedAt(received) + 0.001);
      if (i > 0) expect(stampedAt).toBeGreaterThanOrEqual(ntpToUnix(...sent[i - 1]!));
    }
  });

  it.each(FAMILIES)('stampNow() reads the clock of the receive times: before send ≤ received ≤ after (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family) });
    const ntpNanos = (stamp: Uint32Array): bigint =>
      (BigInt(stamp[0]! - NTP_UNIX_OFFSET_SECONDS) * 1_000_000_000n) + ((BigInt(stamp[1]!) * 1_000_000_000n) >> 32n);
    for (let round = 0; round < 20; round += 1) {
      const arriving = receive(receiver, 1);
      sender.stampNow();
      const before = ntpNanos(sender.stamp);
      sender.send(Buffer.alloc(16), 16, loopback(family), receiver.localPort);
      const { packets } = await arriving;
      receiver.stampNow();
      const after = ntpNanos(receiver.stamp);
      const packet = packets[0]!;
      const at = BigInt(packet.seconds) * 1_000_000_000n + BigInt(packet.nanos);
      // No slack: one clock, so a send stamped earlier can never be received earlier (the NTP
      // fraction rounds down, so `before` may sit up to 1 ns below the true reading).
      expect(before <= at).toBe(true);
      expect(at <= after + 1n).toBe(true);
    }
    sender.close();
    expect(() => {
      sender.stampNow();
    }).toThrow(/closed/);
  });

  it('stamps on a connected socket and at the very end of the packet', async () => {
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    sender.connect('127.0.0.1', receiver.localPort);
    const arriving = receive(receiver, 1);
    const packet = Buffer.alloc(16);
    sender.send(packet, 16, undefined, 0, { stampOffset: 8 });
    const { packets } = await arriving;
    expect(packets[0]?.data.readUInt32BE(8)).toBe(sender.stamp[0]);
    expect(packets[0]?.data.readUInt32BE(12)).toBe(sender.stamp[1]);
  });

  it('refuses a stamp that does not fit in the packet', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const packet = Buffer.alloc(16);
    expect(() => sender.send(packet, 16, '127.0.0.1', 9, { stampOffset: 9 })).toThrow();
    expect(() => sender.send(packet, 7, '127.0.0.1', 9, { stampOffset: 0 })).toThrow();
    expect(() => sender.send(packet, 16, '127.0.0.1', 9, { stampOffset: -1 })).toThrow();
    expect(sender.stats.packetsSent).toBe(0);
  });
});
