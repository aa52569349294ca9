// Kernel receive timestamps (SO_TIMESTAMPNS) and stamp-on-send: the NTP time the addon writes
// into a packet just before sendmsg()/sendmmsg() is exactly the one it leaves in `stamp`.

import { describe, expect, it } from 'vitest';
import type { IpFamily } from '../../src/types.js';
import { busyWait, collect, kernelTimestampsOn, LOOPBACK, ntpToUnixMs, readNtp, socket } from './helpers.js';

const FAMILIES: IpFamily[] = [4, 6];

describe.each(FAMILIES)('native IPv%i time', (family) => {
  const here = LOOPBACK[family];

  it('receive times come from the kernel: at arrival, not at delivery, and never decreasing', async () => {
    await kernelTimestampsOn(family);
    const receiver = socket({ family, address: here });
    const sender = socket({ family, address: here });
    const got = collect(receiver, 20);
    const before = Date.now();
    for (let i = 0; i < 20; i++) sender.send(Buffer.from([i]), 1, here, receiver.localPort);
    const afterSend = Date.now();
    // The packets now sit in the socket buffer; they are delivered only after this.
    busyWait(100);
    const { packets } = await got;
    expect(packets).toHaveLength(20);
    let previous = -Infinity;
    for (const p of packets) {
      expect(p.timeSource).toBe('kernel');
      expect(Number.isInteger(p.seconds)).toBe(true);
      expect(p.nanos).toBeGreaterThanOrEqual(0);
      expect(p.nanos).toBeLessThan(1e9);
      const at = p.seconds * 1000 + p.nanos / 1e6;
      // Date.now() is whole milliseconds: allow one either side of the bracket.
      expect(at).toBeGreaterThanOrEqual(before - 1);
      // On loopback the kernel stamps during the sender's sendmsg(); the margin is for a loaded
      // machine that defers the receive softirq. Delivery came ≥ 100 ms later: not what counts.
      expect(at).toBeLessThanOrEqual(afterSend + 25);
      expect(p.deliveredAt - at).toBeGreaterThanOrEqual(50);
      const ns = p.seconds * 1e9 + p.nanos;
      expect(ns).toBeGreaterThanOrEqual(previous);
      previous = ns;
    }
  });

  it('send() writes at stampOffset exactly the NTP time it leaves in `stamp`', async () => {
    const receiver = socket({ family, address: here });
    const sender = socket({ family, address: here });
    const got = collect(receiver, 10);
    const exposed: [number, number][] = [];
    const packet = Buffer.alloc(24, 0xaa);
    for (let i = 0; i < 10; i++) {
      const before = Date.now();
      expect(sender.send(packet, packet.length, here, receiver.localPort, { stampOffset: 4 })).toBe(true);
      const after = Date.now();
      const stamp: [number, number] = [sender.stamp[0] ?? -1, sender.stamp[1] ?? -1];
      exposed.push(stamp);
      // The stamp is the wall clock now, and it is what the packet buffer holds (written in place).
      expect(readNtp(packet, 4)).toEqual(stamp);
      expect(ntpToUnixMs(stamp)).toBeGreaterThanOrEqual(before - 1);
      expect(ntpToUnixMs(stamp)).toBeLessThanOrEqual(after + 1);
    }
    const { packets } = await got;
    expect(packets.map((p) => readNtp(p.data, 4))).toEqual(exposed);
    // Only the 8 stamp octets change.
    for (const p of packets) {
      expect(p.data.subarray(0, 4).every((b) => b === 0xaa)).toBe(true);
      expect(p.data.subarray(12).every((b) => b === 0xaa)).toBe(true);
    }
    // Each send reads the clock anew.
    for (let i = 1; i < exposed.length; i++) expect(ntpToUnixMs(exposed[i]!)).toBeGreaterThanOrEqual(ntpToUnixMs(exposed[i - 1]!));
  });

  it('reply() stamps each queued reply just before sendmmsg, with the value left in `stamp`', async () => {
    const reflector = socket({ family, address: here });
    const sender = socket({ family, address: here });
    const stampsAfterFlush: [number, number][] = [];
    void collect(reflector, 6, 5000, (batch) => {
      for (let i = 0; i < batch.count; i++) {
        const reply = Buffer.alloc(32, 0x55);
        batch.data(i).copy(reply, 0, 0, 1);
        reflector.reply(batch, i, reply, reply.length, { stampOffset: 16 });
      }
      reflector.flush();
      stampsAfterFlush.push([reflector.stamp[0] ?? -1, reflector.stamp[1] ?? -1]);
    });
    const replies = collect(sender, 6);
    for (let i = 0; i < 6; i++) sender.send(Buffer.from([i]), 1, here, reflector.localPort);
    const { packets } = await replies;
    expect(packets).toHaveLength(6);
    // Every reply flushed together carries the same stamp: the one `stamp` shows after flush().
    const written = packets.map((p) => readNtp(p.data, 16));
    for (const value of written) expect(stampsAfterFlush).toContainEqual(value);
    expect(packets.every((p) => p.data.subarray(24).every((b) => b === 0x55))).toBe(true);
  });

  it('the flush after the callback returns stamps too', async () => {
    const reflector = socket({ family, address: here });
    const sender = socket({ family, address: here });
    void collect(reflector, 1, 5000, (batch) => {
      reflector.reply(batch, 0, Buffer.alloc(16), 16, { stampOffset: 8 });
    });
    const replies = collect(sender, 1);
    const before = Date.now();
    sender.send(Buffer.from('go'), 2, here, reflector.localPort);
    const { packets } = await replies;
    const written = readNtp(packets[0]!.data, 8);
    expect([reflector.stamp[0], reflector.stamp[1]]).toEqual(written);
    expect(ntpToUnixMs(written)).toBeGreaterThanOrEqual(before - 1);
    expect(ntpToUnixMs(written)).toBeLessThanOrEqual(Date.now() + 1);
  });
});
