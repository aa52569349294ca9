// Shared behaviour, part 5: failures as typed errors, and close(). Ports come from the system
// (ephemeral) and are reused only by the test that freed them.

import { ConfigError, NetworkError, TwampError } from '@twamp/errors';
import { expect, it } from 'vitest';
import type { IpFamily, UdpSocket } from '../../src/index.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive, sleep } from '../support/receive.js';

const FAMILIES: readonly IpFamily[] = [4, 6];

describeEachImplementation((scope) => {
  it.each(FAMILIES)('close() releases the port: binding it again works (IPv%i)', async (family) => {
    const first = await scope.open({ family, address: loopback(family) });
    const port = first.localPort;
    first.close();
    expect(first.closed).toBe(true);
    const again = await scope.open({ family, address: loopback(family), port });
    expect(again.localPort).toBe(port);
    // And the new socket receives.
    const sender = await scope.open({ family, address: loopback(family) });
    const arriving = receive(again, 1);
    sender.send(Buffer.from('hi'), 2, loopback(family), port);
    expect((await arriving).packets).toHaveLength(1);
  });

  it('close() is idempotent, and a closed socket refuses to send', async () => {
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    socket.close();
    socket.close();
    expect(socket.closed).toBe(true);
    expect(() => socket.send(Buffer.from('x'), 1, '127.0.0.1', 9)).toThrow();
  });

  it('a closed socket delivers nothing more', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1' });
    let delivered = 0;
    receiver.onReceive(() => {
      delivered += 1;
    });
    const port = receiver.localPort;
    receiver.close();
    // Nobody listens on the port now (unless the system reuses it at once, which is harmless).
    sender.send(Buffer.from('late'), 4, '127.0.0.1', port);
    await sleep(50);
    expect(delivered).toBe(0);
  });

  it.each(FAMILIES)('a port in use is a NetworkError EADDRINUSE (IPv%i)', async (family) => {
    const first = await scope.open({ family, address: loopback(family) });
    const failure = await scope.open({ family, address: loopback(family), port: first.localPort }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NetworkError);
    expect(failure).toMatchObject({ systemCode: 'EADDRINUSE' });
  });

  it('a datagram too big for IPv4 is a NetworkError EMSGSIZE, thrown by send', async () => {
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    const big = Buffer.alloc(65_508);
    let failure: unknown;
    try {
      socket.send(big, big.length, '127.0.0.1', 9);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(NetworkError);
    expect(failure).toMatchObject({ systemCode: 'EMSGSIZE' });
  });

  it('the largest IPv4 datagram (65507 octets) goes through', async () => {
    const sender = await scope.open({ family: 4, address: '127.0.0.1' });
    const receiver = await scope.open({ family: 4, address: '127.0.0.1', maxPacketSize: 65_535 });
    const arriving = receive(receiver, 1);
    const big = Buffer.alloc(65_507, 0x5a);
    expect(sender.send(big, big.length, '127.0.0.1', receiver.localPort)).toBe(true);
    const { packets } = await arriving;
    expect(packets[0]?.length).toBe(65_507);
    expect(packets[0]?.truncated).toBe(false);
  });

  it('an ICMP port unreachable on a connected socket surfaces as NetworkError ECONNREFUSED', async () => {
    // Find a port nobody listens on: bind one, remember it, free it.
    const probe = await scope.open({ family: 4, address: '127.0.0.1' });
    const closedPort = probe.localPort;
    probe.close();
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    const errors: unknown[] = [];
    socket.onError((error) => errors.push(error));
    socket.connect('127.0.0.1', closedPort);
    // The error comes back asynchronously (or from the next send); bounded attempts.
    for (let attempt = 0; attempt < 20 && errors.length === 0; attempt += 1) {
      try {
        socket.send(Buffer.from('anyone?'), 7, undefined, 0);
      } catch (error) {
        errors.push(error);
      }
      await sleep(20);
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBeInstanceOf(NetworkError);
    expect(errors[0]).toMatchObject({ systemCode: 'ECONNREFUSED' });
  });

  it('sending without an address on an unconnected socket is an error', async () => {
    const socket = await scope.open({ family: 4, address: '127.0.0.1' });
    expect(() => socket.send(Buffer.from('x'), 1, undefined, 0)).toThrow();
  });

  it('host names and addresses of the wrong family are a ConfigError', async () => {
    await expect(scope.open({ family: 4, address: 'localhost' })).rejects.toBeInstanceOf(ConfigError);
    await expect(scope.open({ family: 4, address: '::1' })).rejects.toBeInstanceOf(ConfigError);
    const socket: UdpSocket = await scope.open({ family: 4, address: '127.0.0.1' });
    expect(() => socket.send(Buffer.from('x'), 1, 'localhost', 9)).toThrow(ConfigError);
    expect(() => socket.send(Buffer.from('x'), 1, '', 9)).toThrow(ConfigError);
    expect(() => socket.send(Buffer.from('x'), 1, '::1', 9)).toThrow(ConfigError);
    // Port 0: refused before sending (ConfigError) or by the kernel (NetworkError EINVAL).
    expect(() => socket.send(Buffer.from('x'), 1, '127.0.0.1', 0)).toThrow(TwampError);
  });
});
