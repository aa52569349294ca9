// The memory network as an address space on a virtual clock: any literal binds, the wildcard
// receives for every address of its family, ports are taken and freed as on a host, what nobody
// receives is lost and counted, bounded queues drop and count, and every time (stamps, receive
// times) comes from the network's clock.

import { ConfigError, NetworkError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { MemoryNetwork, openUdpSocket, type ReceiveBatch, VirtualClock } from '../../src/index.js';
import { NTP_UNIX_OFFSET_SECONDS } from '../../src/ntp-stamp.js';

function virtualNetwork(options: { mtu?: number; maxInFlightPerSocket?: number } = {}): { clock: VirtualClock; network: MemoryNetwork } {
  const clock = new VirtualClock();
  return { clock, network: new MemoryNetwork({ ...options, clock }) };
}

function collect(batchCounts: number[], into: string[]): (batch: ReceiveBatch) => void {
  return (batch) => {
    batchCounts.push(batch.count);
    for (let i = 0; i < batch.count; i++) into.push(`${batch.address(i)}:${batch.port(i)}>${batch.localAddress(i)} ${batch.data(i).toString()}`);
  };
}

describe('memory network addresses and ports', () => {
  it('binds any literal; one address has one text; the wildcard receives for every address of its family', async () => {
    const { clock, network } = virtualNetwork();
    const a = await network.open({ family: 6, address: '2001:DB8:0:0:0:0:0:1' });
    expect(a.localAddress).toBe('2001:db8::1');
    const any6 = await network.open({ family: 6, port: 5000 });
    const any4 = await network.open({ family: 4, address: '0.0.0.0', port: 5000 });
    const got: string[] = [];
    const batches: number[] = [];
    any6.onReceive(collect(batches, got));
    any4.onReceive(collect(batches, got));
    a.send(Buffer.from('x'), 1, '2001:db8:0::9', 5000);
    a.send(Buffer.from('y'), 1, 'fe80::1', 5000);
    const b = await network.open({ family: 4, address: '10.1.2.3' });
    b.send(Buffer.from('z'), 1, '192.0.2.77', 5000);
    clock.advance(0);
    expect(got).toEqual([`2001:db8::1:${a.localPort}>2001:db8::9 x`, `2001:db8::1:${a.localPort}>fe80::1 y`, `10.1.2.3:${b.localPort}>192.0.2.77 z`]);
  });

  it('an address beats the wildcard; a wildcard sender sends from loopback; replies leave from the address asked', async () => {
    const { clock, network } = virtualNetwork();
    const wild = await network.open({ family: 4, port: 7000 });
    const exact = await network.open({ family: 4, address: '10.0.0.7', port: 7001 });
    const client = await network.open({ family: 4 });
    const got: string[] = [];
    const batches: number[] = [];
    client.onReceive(collect(batches, got));
    wild.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) wild.reply(batch, i, Buffer.from('pong'), 4);
    });
    client.send(Buffer.from('ping'), 4, '10.0.0.99', 7000);
    clock.advance(0);
    expect(got).toEqual([`10.0.0.99:7000>127.0.0.1 pong`]);
    expect(exact.localAddress).toBe('10.0.0.7');
  });

  it('ports: ephemeral ones are not handed out again at once; EADDRINUSE as on a host; reuseAddress shares', async () => {
    const { network } = virtualNetwork();
    const first = await network.open({ family: 4, address: '10.0.0.1' });
    const second = await network.open({ family: 4, address: '10.0.0.1' });
    expect(second.localPort).not.toBe(first.localPort);
    const port = first.localPort;
    first.close();
    const third = await network.open({ family: 4, address: '10.0.0.1' });
    expect(third.localPort).not.toBe(port);
    // Another address may take the same port; the wildcard may not while an address holds it.
    await expect(network.open({ family: 4, address: '10.0.0.2', port: second.localPort })).resolves.toBeDefined();
    const taken = await network.open({ family: 4, port: second.localPort }).catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(NetworkError);
    expect(taken).toMatchObject({ systemCode: 'EADDRINUSE' });
    const wild = await network.open({ family: 4, port: 9000 });
    await expect(network.open({ family: 4, address: '10.0.0.3', port: 9000 })).rejects.toMatchObject({ systemCode: 'EADDRINUSE' });
    wild.close();
    await expect(network.open({ family: 4, address: '10.0.0.3', port: 9000 })).resolves.toBeDefined();
    const shared = await network.open({ family: 4, address: '10.0.0.4', port: 9100, reuseAddress: true });
    const sharer = await network.open({ family: 4, address: '10.0.0.4', port: 9100, reuseAddress: true });
    expect(sharer.localPort).toBe(shared.localPort);
  });

  it('loses what nobody receives and counts it; a connected socket hears ECONNREFUSED', async () => {
    const { clock, network } = virtualNetwork();
    const socket = await network.open({ family: 4, address: '10.0.0.1' });
    const errors: Error[] = [];
    socket.onError((error) => errors.push(error));
    expect(socket.send(Buffer.from('void'), 4, '10.0.0.2', 4242)).toBe(true);
    clock.advance(0);
    expect(network.stats.unreachable).toBe(1);
    expect(errors).toEqual([]);
    socket.connect('10.0.0.2', 4242);
    socket.send(Buffer.from('void'), 4, undefined, 0);
    clock.advance(0);
    expect(network.stats.unreachable).toBe(2);
    expect(errors[0]).toBeInstanceOf(NetworkError);
    expect(errors[0]).toMatchObject({ systemCode: 'ECONNREFUSED' });
  });

  it('a connected socket takes datagrams from its peer only', async () => {
    const { clock, network } = virtualNetwork();
    const a = await network.open({ family: 4, address: '10.0.0.1' });
    const peer = await network.open({ family: 4, address: '10.0.0.2' });
    const stranger = await network.open({ family: 4, address: '10.0.0.3' });
    a.connect('10.0.0.2', peer.localPort);
    const got: string[] = [];
    a.onReceive(collect([], got));
    peer.send(Buffer.from('peer'), 4, '10.0.0.1', a.localPort);
    stranger.send(Buffer.from('stranger'), 8, '10.0.0.1', a.localPort);
    clock.advance(0);
    expect(got).toEqual([`10.0.0.2:${peer.localPort}>10.0.0.1 peer`]);
  });

  it('openUdpSocket does not open memory sockets; network.open does not open others', async () => {
    await expect(openUdpSocket({ family: 4, implementation: 'memory' })).rejects.toThrow(/MemoryNetwork/);
    await expect(openUdpSocket({ family: 4, implementation: 'memory' })).rejects.toBeInstanceOf(ConfigError);
    const { network } = virtualNetwork();
    await expect(network.open({ family: 4, implementation: 'native' })).rejects.toBeInstanceOf(ConfigError);
    const socket = await network.open({ family: 4, implementation: 'memory' });
    expect(socket.capabilities.implementation).toBe('memory');
    network.close();
    expect(socket.closed).toBe(true);
    await expect(network.open({ family: 4 })).rejects.toBeInstanceOf(NetworkError);
  });
});

describe('memory network bounds, batches and times', () => {
  it('delivers packets due at one instant in batches of batchSize', async () => {
    const { clock, network } = virtualNetwork();
    const sender = await network.open({ family: 4, address: '10.0.0.1' });
    const receiver = await network.open({ family: 4, address: '10.0.0.2', batchSize: 32 });
    const batches: number[] = [];
    receiver.onReceive(collect(batches, []));
    for (let i = 0; i < 100; i++) sender.send(Buffer.alloc(16), 16, '10.0.0.2', receiver.localPort);
    clock.advance(0);
    expect(batches).toEqual([32, 32, 32, 4]);
    expect(receiver.stats).toMatchObject({ packetsReceived: 100, receiveBatches: 4, bytesReceived: 1600, receiveDropped: 0 });
  });

  it('bounds the receive queue in octets (receiveBufferSize) and counts the drops', async () => {
    const { clock, network } = virtualNetwork();
    const sender = await network.open({ family: 4, address: '10.0.0.1' });
    // 4 packets of 744 octets + 256 of overhead fill 4000 octets: the 5th finds the queue full.
    const receiver = await network.open({ family: 4, address: '10.0.0.2', receiveBufferSize: 4000 });
    let received = 0;
    receiver.onReceive((batch) => {
      received += batch.count;
    });
    for (let i = 0; i < 10; i++) expect(sender.send(Buffer.alloc(744), 744, '10.0.0.2', receiver.localPort)).toBe(true);
    clock.advance(0);
    expect(received).toBe(4);
    expect(receiver.stats.receiveDropped).toBe(6);
    expect(network.stats.receiveOverflow).toBe(6);
  });

  it('bounds the packets a socket has in flight: send() returns false and counts sendDropped', async () => {
    const { clock, network } = virtualNetwork({ maxInFlightPerSocket: 8 });
    const sender = await network.open({ family: 4, address: '10.0.0.1' });
    const receiver = await network.open({ family: 4, address: '10.0.0.2' });
    network.impair({ to: '10.0.0.2' }, { delayMs: 5 });
    const results: boolean[] = [];
    for (let i = 0; i < 10; i++) results.push(sender.send(Buffer.alloc(8), 8, '10.0.0.2', receiver.localPort));
    expect(results.filter(Boolean)).toHaveLength(8);
    expect(sender.stats.sendDropped).toBe(2);
    expect(sender.stats.packetsSent).toBe(8);
    clock.advance(5);
    expect(sender.send(Buffer.alloc(8), 8, '10.0.0.2', receiver.localPort)).toBe(true);
  });

  it("don't-fragment: a packet over the MTU is EMSGSIZE; without it, it goes", async () => {
    const { clock, network } = virtualNetwork({ mtu: 1500 });
    const sender = await network.open({ family: 6, address: '2001:db8::1', dontFragment: true });
    const receiver = await network.open({ family: 6, address: '2001:db8::2', maxPacketSize: 4096 });
    let received = 0;
    receiver.onReceive((batch) => {
      received += batch.count;
    });
    expect(sender.send(Buffer.alloc(1452), 1452, '2001:db8::2', receiver.localPort)).toBe(true);
    expect(() => sender.send(Buffer.alloc(1453), 1453, '2001:db8::2', receiver.localPort)).toThrow(NetworkError);
    sender.setDontFragment(false);
    expect(sender.send(Buffer.alloc(3000), 3000, '2001:db8::2', receiver.localPort)).toBe(true);
    clock.advance(0);
    expect(received).toBe(2);
  });

  it('stamps, stampNow and receive times all read the virtual clock', async () => {
    const { clock, network } = virtualNetwork();
    const sender = await network.open({ family: 4, address: '10.0.0.1' });
    const receiver = await network.open({ family: 4, address: '10.0.0.2' });
    network.impair({ to: '10.0.0.2' }, { delayMs: 0.25 });
    clock.advance(1500);
    const times: bigint[] = [];
    receiver.onReceive((batch) => {
      for (let i = 0; i < batch.count; i++) times.push(BigInt(batch.timeSeconds(i)) * 1_000_000_000n + BigInt(batch.timeNanos(i)));
    });
    const packet = Buffer.alloc(16);
    const sentAt = clock.nowNs();
    sender.send(packet, 16, '10.0.0.2', receiver.localPort, { stampOffset: 4 });
    const seconds = Number(sentAt / 1_000_000_000n);
    expect(packet.readUInt32BE(4)).toBe(seconds + NTP_UNIX_OFFSET_SECONDS);
    expect(packet.readUInt32BE(8)).toBe(2 ** 31); // half a second
    receiver.stampNow();
    expect([receiver.stamp[0], receiver.stamp[1]]).toEqual([packet.readUInt32BE(4), packet.readUInt32BE(8)]);
    clock.advance(1);
    expect(times).toEqual([sentAt + 250_000n]);
    // queue() + flushSends(): one clock read per flush.
    sender.queue(packet, 16, '10.0.0.2', receiver.localPort, { stampOffset: 4 });
    sender.queue(packet, 16, '10.0.0.2', receiver.localPort, { stampOffset: 4 });
    expect(sender.flushSends()).toBe(2);
    expect(Array.from(sender.sendStamps.subarray(0, 4))).toEqual([sender.stamp[0], sender.stamp[1], sender.stamp[0], sender.stamp[1]]);
    expect(Array.from(sender.sendResults.subarray(0, 2))).toEqual([1, 1]);
  });
});
