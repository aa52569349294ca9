// Child process of churn.test.ts, run as `node --expose-gc ... churn-child.ts <implementation> <count>`:
// opens and closes sockets, and prints one JSON line with descriptor and memory counts taken
// after a forced GC, before and after. A separate process because vitest workers have no gc()
// and share their heap with the runner.

import { readdirSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MemoryNetwork, openUdpSocket, type UdpImplementation, type UdpSocketOptions } from '../../src/index.js';

interface Sample {
  readonly fds: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly rss: number;
}

const implementation = process.argv[2] as UdpImplementation;
const count = Number(process.argv[3] ?? '10000');
// Memory sockets churn on one network (real clock), as the others churn on one host.
const network = implementation === 'memory' ? new MemoryNetwork({ clock: 'real' }) : undefined;
const open = (options: UdpSocketOptions) => (network === undefined ? openUdpSocket({ ...options, implementation }) : network.open(options));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

async function settle(): Promise<Sample> {
  // Closed handles are freed from libuv close callbacks: let the loop run them, then collect.
  for (let i = 0; i < 5; i += 1) {
    await nextTurn();
    gc?.();
  }
  const memory = process.memoryUsage();
  return { fds: readdirSync('/proc/self/fd').length, heapUsed: memory.heapUsed, external: memory.external, rss: memory.rss };
}

async function churn(n: number): Promise<number> {
  let received = 0;
  const payload = Buffer.alloc(64);
  for (let i = 0; i < n; i += 1) {
    const socket = await open({ family: i % 2 === 0 ? 4 : 6, address: i % 2 === 0 ? '127.0.0.1' : '::1' });
    if (i % 100 === 0) {
      // Now and then a full receive, so the receive path's buffers are part of the churn too.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        socket.onReceive((batch) => {
          received += batch.count;
          clearTimeout(timer);
          resolve();
        });
        socket.send(payload, payload.length, socket.localAddress, socket.localPort);
      });
    } else {
      // Otherwise close with a datagram still queued to itself.
      socket.send(payload, payload.length, socket.localAddress, socket.localPort);
    }
    socket.close();
    if (i % 500 === 0) await nextTurn();
  }
  return received;
}

await churn(500); // warm-up: code paths compiled, pools allocated
const before = await settle();
const received = await churn(count);
const after = await settle();
console.log(JSON.stringify({ implementation, count, received, before, after }));
