// What only the fallback does: its refusals, its handling of a connected socket, and (observed by
// the native socket when it loads, since dgram cannot read it) the TTL it really sends.

import { ConfigError, NetworkError } from '@twamp/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { openDgramSocket } from '../../src/dgram/index.js';
import { nativeAvailability, SocketScope } from '../support/implementations.js';
import { receive, sleep } from '../support/receive.js';

const scope = new SocketScope('dgram');
afterEach(() => {
  scope.closeAll();
});

describe('the node:dgram fallback', () => {
  it('refuses TOS and dont-fragment options with a ConfigError that says why', async () => {
    const tos = await openDgramSocket({ family: 4, tos: 0xb8 }).catch((error: unknown) => error);
    expect(tos).toBeInstanceOf(ConfigError);
    expect((tos as ConfigError).issues[0]).toMatchObject({ path: 'tos', received: '184' });
    expect((tos as Error).message).toMatch(/node:dgram fallback cannot set the TOS/);
    await expect(openDgramSocket({ family: 6, dontFragment: false })).rejects.toThrow(/cannot set or clear don't-fragment/);
  });

  it('lists every bad option at once', async () => {
    const failure = await openDgramSocket({ family: 4, port: 70_000, ttl: 0, maxPacketSize: 0 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).issues.map((issue) => issue.path)).toEqual(['port', 'ttl', 'maxPacketSize']);
  });

  it('sends only to its peer once connected (EISCONN otherwise)', async () => {
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    const peer = await scope.open({ family: 4, address: '127.0.0.1' });
    socket.connect('127.0.0.1', peer.localPort);
    expect(() => socket.send(Buffer.from('x'), 1, '127.0.0.1', peer.localPort + 1 > 65_535 ? 1 : peer.localPort + 1)).toThrow(NetworkError);
    // Connecting again moves the peer.
    const other = await scope.open({ family: 4, address: '127.0.0.1' });
    socket.connect('127.0.0.1', other.localPort);
    const arriving = receive(other, 1);
    socket.send(Buffer.from('moved'), 5, undefined, 0);
    expect((await arriving).packets[0]?.data.toString()).toBe('moved');
  });

  it('an ICMP error without an error handler does not crash the process', async () => {
    const probe = await scope.open({ family: 4, address: '127.0.0.1' });
    const port = probe.localPort;
    probe.close();
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    socket.connect('127.0.0.1', port);
    for (let i = 0; i < 5; i += 1) {
      socket.send(Buffer.from('x'), 1, undefined, 0);
      await sleep(10);
    }
    expect(socket.closed).toBe(false);
  });

  it('copies each datagram: reusing the buffer right after send changes nothing sent', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    const arriving = receive(receiver, 3);
    const buffer = Buffer.alloc(8);
    for (let i = 0; i < 3; i += 1) {
      buffer.fill(i);
      sender.send(buffer, 8, '127.0.0.1', receiver.localPort);
    }
    buffer.fill(0xff);
    const { packets } = await arriving;
    expect(packets.map((p) => p.data[0])).toEqual([0, 1, 2]);
  });

  const native = nativeAvailability();
  it.skipIf(!native.available)(`really sends the TTLs it is given, as the native socket reads them${native.available ? '' : ` [skipped: ${native.reason}]`}`, async () => {
    const receiverScope = new SocketScope('native');
    try {
      const receiver = await receiverScope.open({ family: 4, address: '127.0.0.1' });
      const sender = await scope.open({ family: 4, address: '127.0.0.1' });
      const arriving = receive(receiver, 4);
      const payload = Buffer.from('ttl');
      sender.send(payload, 3, '127.0.0.1', receiver.localPort); // system default
      sender.send(payload, 3, '127.0.0.1', receiver.localPort, { ttl: 5 });
      sender.setTtl(200);
      sender.send(payload, 3, '127.0.0.1', receiver.localPort);
      sender.send(payload, 3, '127.0.0.1', receiver.localPort, { ttl: 7 });
      const { packets } = await arriving;
      const defaultTtl = packets[0]?.ttl ?? 0;
      expect(defaultTtl).toBeGreaterThan(0);
      expect(packets.map((p) => p.ttl)).toEqual([defaultTtl, 5, 200, 7]);
      const again = receive(receiver, 1);
      sender.send(payload, 3, '127.0.0.1', receiver.localPort);
      expect((await again).packets[0]?.ttl).toBe(200);
    } finally {
      receiverScope.closeAll();
    }
  });
});
