// Shared behaviour, part 1: binding, loopback round trips, replies and counters. Every test runs
// against each implementation; what an implementation cannot know is asserted as reported
// unknown, never guessed.

import { ConfigError } from '@twamp/errors';
import { expect, it } from 'vitest';
import type { IpFamily } from '../../src/index.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive } from '../support/receive.js';

const FAMILIES: readonly IpFamily[] = [4, 6];

describeEachImplementation((scope, implementation) => {
  it('reports its capabilities, and only what it can do', async () => {
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    const caps = socket.capabilities;
    expect(caps.implementation).toBe(implementation);
    for (const value of Object.values(caps)) expect(['boolean', 'string']).toContain(typeof value);
    expect(caps.setTtl).toBe(true);
    if (implementation === 'dgram') {
      expect(caps).toEqual({
        implementation: 'dgram',
        setTtl: true,
        setTos: false,
        dontFragment: false,
        receiveTtl: false,
        receiveTos: false,
        localAddress: false,
        kernelTimestamps: false,
        stampOnSend: false,
        batching: false,
      });
    }
    if (implementation === 'memory') {
      // The memory network knows everything a real socket could tell: nothing is reported unknown.
      expect(caps).toEqual({
        implementation: 'memory',
        setTtl: true,
        setTos: true,
        dontFragment: true,
        receiveTtl: true,
        receiveTos: true,
        localAddress: true,
        kernelTimestamps: true,
        stampOnSend: true,
        batching: true,
      });
    }
  });

  it.each(FAMILIES)('binds IPv%i to an ephemeral port and reports address and port', async (family) => {
    const socket = await scope.open({ family, address: loopback(family) });
    expect(socket.family).toBe(family);
    expect(socket.localAddress).toBe(loopback(family));
    expect(socket.localPort).toBeGreaterThan(0);
    expect(socket.localPort).toBeLessThanOrEqual(65_535);
    expect(socket.closed).toBe(false);
    const wildcard = await scope.open({ family });
    expect(wildcard.localAddress).toBe(family === 6 ? '::' : '0.0.0.0');
    expect(wildcard.localPort).toBeGreaterThan(0);
  });

  it.each(FAMILIES)('sends and receives over IPv%i loopback', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family) });
    const arriving = receive(receiver, 1);
    const payload = Buffer.from('twamp over loopback');
    expect(sender.send(payload, payload.length, loopback(family), receiver.localPort)).toBe(true);
    const { packets } = await arriving;
    expect(packets).toHaveLength(1);
    const packet = packets[0]!;
    expect(packet.data.equals(payload)).toBe(true);
    expect(packet.length).toBe(payload.length);
    expect(packet.truncated).toBe(false);
    expect(packet.family).toBe(family);
    expect(packet.address).toBe(loopback(family));
    expect(packet.port).toBe(sender.localPort);
    expect(sender.stats.packetsSent).toBe(1);
    expect(sender.stats.bytesSent).toBe(payload.length);
    expect(receiver.stats.packetsReceived).toBe(1);
    expect(receiver.stats.bytesReceived).toBe(payload.length);
    expect(receiver.stats.receiveBatches).toBe(1);
  });

  it.each(FAMILIES)('sends only the first `length` octets of the buffer (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family) });
    const arriving = receive(receiver, 1);
    const buffer = Buffer.from('0123456789');
    sender.send(buffer, 4, loopback(family), receiver.localPort);
    const { packets } = await arriving;
    expect(packets[0]?.data.toString()).toBe('0123');
  });

  it.each(FAMILIES)('reports the local address a packet arrived on when it can (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family });
    const arriving = receive(receiver, 1);
    sender.send(Buffer.from('where'), 5, loopback(family), receiver.localPort);
    const { packets } = await arriving;
    if (receiver.capabilities.localAddress) expect(packets[0]?.localAddress).toBe(loopback(family));
    else expect(packets[0]?.localAddress).toBeUndefined();
  });

  it.each(FAMILIES)('reply() answers the source address and port (IPv%i)', async (family) => {
    const client = await scope.open({ family, address: loopback(family) });
    const server = await scope.open({ family });
    const answered = receive(server, 1, 5000, (batch) => {
      const data = Buffer.from(batch.data(0));
      data.reverse();
      server.reply(batch, 0, data, data.length);
      server.flush();
    });
    const back = receive(client, 1);
    client.send(Buffer.from('ping'), 4, loopback(family), server.localPort);
    await answered;
    const { packets } = await back;
    expect(packets).toHaveLength(1);
    expect(packets[0]?.data.toString()).toBe('gnip');
    expect(packets[0]?.port).toBe(server.localPort);
    expect(packets[0]?.address).toBe(loopback(family));
  });

  it('an IPv6 socket is IPv6-only: it leaves IPv4 alone and refuses IPv4 destinations', async () => {
    const v6 = await scope.open({ family: 6, address: '::' });
    // The same port is still free for IPv4: the IPv6 wildcard did not take it.
    const v4 = await scope.open({ family: 4, address: '0.0.0.0', port: v6.localPort });
    expect(v4.localPort).toBe(v6.localPort);
    expect(() => v6.send(Buffer.from('x'), 1, '127.0.0.1', v4.localPort)).toThrow(ConfigError);
    expect(() => {
      v6.connect('127.0.0.1', v4.localPort);
    }).toThrow(ConfigError);
    expect(() => v4.send(Buffer.from('x'), 1, '::1', v6.localPort)).toThrow(ConfigError);
  });

  it.each(FAMILIES)('delivers zero-length datagrams (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family) });
    const arriving = receive(receiver, 1);
    expect(sender.send(new Uint8Array(0), 0, loopback(family), receiver.localPort)).toBe(true);
    const { packets } = await arriving;
    expect(packets).toHaveLength(1);
    expect(packets[0]?.length).toBe(0);
    expect(packets[0]?.data.length).toBe(0);
  });

  it('truncates datagrams longer than maxPacketSize and counts them', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1', maxPacketSize: 100 });
    const arriving = receive(receiver, 2);
    const big = Buffer.alloc(300, 7);
    sender.send(big, big.length, '127.0.0.1', receiver.localPort);
    sender.send(big, 100, '127.0.0.1', receiver.localPort);
    const { packets } = await arriving;
    expect(packets.map((p) => [p.length, p.truncated])).toEqual([
      [100, true],
      [100, false],
    ]);
    expect(packets[0]?.data.equals(big.subarray(0, 100))).toBe(true);
    expect(receiver.stats.truncated).toBe(1);
  });

  it('connect() makes an address-less send go to the peer', async () => {
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    sender.connect('127.0.0.1', receiver.localPort);
    const arriving = receive(receiver, 2);
    expect(sender.send(Buffer.from('one'), 3, undefined, 0)).toBe(true);
    // The peer's own address is accepted on a connected socket too.
    expect(sender.send(Buffer.from('two'), 3, '127.0.0.1', receiver.localPort)).toBe(true);
    const { packets } = await arriving;
    expect(packets.map((p) => p.data.toString())).toEqual(['one', 'two']);
    expect(packets[0]?.port).toBe(sender.localPort);
  });

  it('batch accessors refuse indexes outside the batch', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    let outside: unknown;
    const arriving = receive(receiver, 1, 5000, (batch) => {
      try {
        batch.port(batch.count);
      } catch (error) {
        outside = error;
      }
    });
    sender.send(Buffer.from('x'), 1, '127.0.0.1', receiver.localPort);
    await arriving;
    expect(outside).toBeInstanceOf(Error);
  });
});
