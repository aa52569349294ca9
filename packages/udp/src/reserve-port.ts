// A UDP port that is free right now, for a protocol that must name its port before the socket that
// will use it exists (TWAMP-Control's Request-TW-Session names the Session-Sender's port).
import { createSocket } from 'node:dgram';
import { NetworkError } from '@twamp/errors';
import type { IpFamily } from './types.js';

/**
 * Binds an ephemeral UDP port on `address`, releases it and resolves with its number. Another process
 * may take it in between (the caller's bind then fails with EADDRINUSE and says so); the kernel does
 * not hand a just-released ephemeral port out again at once, so in practice it stays free.
 */
export function reserveUdpPort(family: IpFamily, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(new NetworkError({ operation: 'bind (to pick a sender port)', systemCode: error.code ?? 'EINVAL', endpoint: address, detail: error.message }));
    });
    socket.bind({ address, port: 0, exclusive: true }, () => {
      const { port } = socket.address();
      socket.close(() => {
        resolve(port);
      });
    });
  });
}
