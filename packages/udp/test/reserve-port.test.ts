import { createSocket } from 'node:dgram';
import { NetworkError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { reserveUdpPort } from '../src/index.js';

describe('reserveUdpPort', () => {
  it.each([
    [4, '127.0.0.1'],
    [6, '::1'],
  ] as const)('gives an IPv%s port that can be bound right after', async (family, address) => {
    const port = await reserveUdpPort(family, address);
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, resolve);
    });
    socket.close();
  });

  it('says which address could not be bound, as a NetworkError', async () => {
    // 192.0.2.1 (TEST-NET-1) is not on this host: bind fails with EADDRNOTAVAIL; nothing is sent.
    const failure = await reserveUdpPort(4, '192.0.2.1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NetworkError);
    expect((failure as NetworkError).message).toContain('192.0.2.1');
  });
});
