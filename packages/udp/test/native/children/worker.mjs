// Runs in a worker thread of lifecycle-child.ts (plain JavaScript: workers do not inherit the tsx
// loader). Opens two sockets on the raw addon, receives and replies to a flood, reports the ports,
// and never closes them: the worker is terminated under load, so environment teardown must close
// them (the addon's async cleanup hook).

import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const addon = require('../../../build/Release/twamp_udp.node');

let received = 0;
const ports = [];
for (const [family, address] of [
  [4, '127.0.0.1'],
  [6, '::1'],
]) {
  const handle = new addon.UdpSocket(
    family,
    16,
    2048,
    (count) => {
      received += count;
      for (let i = 0; i < count; i++) handle.reply(i, reply, reply.length, 0, -1, -1);
    },
    () => undefined,
  );
  const reply = new Uint8Array(48);
  if (handle.open() !== 0 || handle.bind(address, 0) !== 0 || handle.start() !== 0) throw new Error('worker socket failed');
  const local = handle.localAddress();
  ports.push(local[1]);
}
parentPort.postMessage({ ports });
setInterval(() => parentPort.postMessage({ received }), 10);
