// Shared behaviour, part 2: TTL / Hop Limit and TOS / Traffic Class, out and in. Where an
// implementation can read them they must be exactly what was sent; where it cannot, the capability
// says false and the accessor says -1 ("reported, not faked"); setting what cannot be set is a
// ConfigError, never a silent no-op.

import { ConfigError } from '@twamp/errors';
import { expect, it } from 'vitest';
import type { IpFamily, UdpSocket } from '../../src/index.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive } from '../support/receive.js';

const FAMILIES: readonly IpFamily[] = [4, 6];
const EF = 0xb8; // DSCP 46 (Expedited Forwarding) << 2, ECN 0

function sendOne(from: UdpSocket, to: UdpSocket, options?: { ttl?: number; tos?: number }): boolean {
  const payload = Buffer.from('type-p');
  return from.send(payload, payload.length, loopback(to.family), to.localPort, options);
}

describeEachImplementation((scope, implementation) => {
  it.each(FAMILIES)('sends the TTL it was given and reads it on receive where it can (IPv%i)', async (family) => {
    const sender = await scope.open({ family, address: loopback(family), ttl: 37 });
    const receiver = await scope.open({ family, address: loopback(family) });
    const arriving = receive(receiver, 4);
    sendOne(sender, receiver); // 37, from the options
    sender.setTtl(21);
    sendOne(sender, receiver); // 21, set on the socket
    sendOne(sender, receiver, { ttl: 9 }); // one packet only
    sendOne(sender, receiver); // back to 21
    const { packets } = await arriving;
    expect(packets).toHaveLength(4);
    if (receiver.capabilities.receiveTtl) {
      expect(packets.map((p) => p.ttl)).toEqual([37, 21, 9, 21]);
    } else {
      // Reported, not faked.
      expect(implementation).toBe('dgram');
      expect(packets.map((p) => p.ttl)).toEqual([-1, -1, -1, -1]);
    }
  });

  it('refuses TTLs outside 1-255 with a ConfigError', async () => {
    await expect(scope.open({ family: 4, ttl: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(scope.open({ family: 4, ttl: 256 })).rejects.toBeInstanceOf(ConfigError);
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    expect(() => {
      socket.setTtl(0);
    }).toThrow(ConfigError);
    expect(() => socket.send(Buffer.alloc(4), 4, '127.0.0.1', 9, { ttl: 300 })).toThrow(ConfigError);
  });

  it.each(FAMILIES)('TOS 0xB8 is set and read where supported, refused where not (IPv%i)', async (family) => {
    const probe = await scope.open({ family, address: loopback(family) });
    const receiver = await scope.open({ family, address: loopback(family) });
    if (!probe.capabilities.setTos) {
      expect(implementation).toBe('dgram');
      await expect(scope.open({ family, address: loopback(family), tos: EF })).rejects.toThrow(ConfigError);
      await expect(scope.open({ family, address: loopback(family), tos: 0 })).rejects.toThrow(/cannot/);
      expect(() => {
        probe.setTos(EF);
      }).toThrow(ConfigError);
      expect(() => sendOne(probe, receiver, { tos: EF })).toThrow(ConfigError);
      expect(probe.stats.packetsSent).toBe(0);
      return;
    }
    const sender = await scope.open({ family, address: loopback(family), tos: EF });
    const arriving = receive(receiver, 4);
    sendOne(sender, receiver); // 0xB8 from the options
    sender.setTos(0x20);
    sendOne(sender, receiver); // CS1 on the socket
    sendOne(sender, receiver, { tos: 0x48 }); // AF21 for one packet
    sendOne(sender, receiver); // back to CS1
    const { packets } = await arriving;
    expect(packets).toHaveLength(4);
    if (receiver.capabilities.receiveTos) expect(packets.map((p) => p.tos)).toEqual([EF, 0x20, 0x48, 0x20]);
    else expect(packets.map((p) => p.tos)).toEqual([-1, -1, -1, -1]);
  });

  it('reads the TOS a packet carries even when the sender set none', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const arriving = receive(receiver, 1);
    sendOne(sender, receiver);
    const { packets } = await arriving;
    expect(packets[0]?.tos).toBe(receiver.capabilities.receiveTos ? 0 : -1);
  });

  it("don't-fragment is set where supported, refused where not", async () => {
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    if (!socket.capabilities.dontFragment) {
      expect(() => {
        socket.setDontFragment(true);
      }).toThrow(ConfigError);
      expect(() => {
        socket.setDontFragment(false);
      }).toThrow(ConfigError);
      await expect(scope.open({ family: 4, dontFragment: true })).rejects.toThrow(ConfigError);
      return;
    }
    socket.setDontFragment(true);
    socket.setDontFragment(false);
    const df = await scope.open({ family: 6, address: '::1', dontFragment: true });
    const receiver = await scope.open({ family: 6, address: '::1' });
    const arriving = receive(receiver, 1);
    sendOne(df, receiver);
    expect((await arriving).packets).toHaveLength(1);
  });
});
