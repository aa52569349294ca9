// Child process of lifecycle.test.ts: scenarios that end a process or a thread with native
// sockets open, or throw from a handler. Prints one JSON line; the exit code and signal tell the
// rest (a crash is a signal, not a line).
//
//   node --conditions=@twamp/source --import tsx test/native/children/lifecycle-child.ts SCENARIO

import { readdirSync, readlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { openNativeSocket } from '../../../src/native/index.js';

const scenario = process.argv[2];
/** worker: packets the worker must have received before it is terminated. */
const threshold = Number(process.argv[3] ?? '2000');
/**
 * Socket descriptors open in this process. Only sockets: the worker's are what must go, while other
 * descriptors (pipes and event fds of the runtime and of tsx's transformer) come and go on their own,
 * which made a plain count fail once in a while with one fewer after than before.
 */
const fds = (): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed between the listing and the read
    }
  }).length;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function flood(port: number, family: 4 | 6, until: () => boolean): void {
  const sender = openNativeSocket({ family, address: family === 4 ? '127.0.0.1' : '::1' });
  const packet = Buffer.alloc(64);
  const tick = (): void => {
    if (until()) {
      sender.close();
      return;
    }
    for (let i = 0; i < 200; i++) sender.send(packet, packet.length, family === 4 ? '127.0.0.1' : '::1', port, { stampOffset: 8 });
    setImmediate(tick);
  };
  tick();
}

async function workerTerminatedUnderLoad(): Promise<void> {
  // Load the addon here first, so its one process-wide descriptor is in the baseline.
  openNativeSocket({ family: 4, address: '127.0.0.1' }).close();
  await sleep(10);
  const before = fds();
  const worker = new Worker(new URL('./worker.mjs', import.meta.url));
  let ports: number[] = [];
  let received = 0;
  worker.on('message', (message: { ports?: number[]; received?: number }) => {
    if (message.ports !== undefined) ports = message.ports;
    if (message.received !== undefined) received = message.received;
  });
  while (ports.length === 0) await sleep(5);
  let stop = false;
  flood(ports[0] ?? 0, 4, () => stop);
  flood(ports[1] ?? 0, 6, () => stop);
  while (received < threshold) await sleep(1);
  const code = await worker.terminate();
  stop = true;
  await sleep(50);
  // The worker's sockets are gone: their ports bind again, and no descriptor is left over.
  const again = [openNativeSocket({ family: 4, address: '127.0.0.1', port: ports[0] ?? 0 }), openNativeSocket({ family: 6, address: '::1', port: ports[1] ?? 0 })];
  for (const s of again) s.close();
  await sleep(10);
  console.log(JSON.stringify({ scenario, received, code, fdsBefore: before, fdsAfter: fds() }));
}

function exitInsideCallback(): void {
  const receiver = openNativeSocket({ family: 4, address: '127.0.0.1' });
  const other = openNativeSocket({ family: 6, address: '::1' });
  receiver.onReceive((batch) => {
    receiver.reply(batch, 0, batch.data(0), batch.length(0));
    console.log(JSON.stringify({ scenario, exiting: true, open: [receiver.closed, other.closed] }));
    process.exit(0);
  });
  flood(receiver.localPort, 4, () => false);
}

async function throwingHandler(): Promise<void> {
  const receiver = openNativeSocket({ family: 4, address: '127.0.0.1' });
  const sender = openNativeSocket({ family: 4, address: '127.0.0.1' });
  const uncaught: string[] = [];
  process.on('uncaughtException', (error) => {
    uncaught.push(error.message);
  });
  let batches = 0;
  let after = 0;
  receiver.onReceive((batch) => {
    batches++;
    if (batches === 1) {
      receiver.reply(batch, 0, Buffer.from('queued before the throw'), 23);
      throw new Error('handler bug');
    }
    after += batch.count;
  });
  let replies = 0;
  sender.onReceive((batch) => {
    replies += batch.count;
  });
  sender.send(Buffer.from('one'), 3, '127.0.0.1', receiver.localPort);
  await sleep(50);
  for (let i = 0; i < 5; i++) sender.send(Buffer.from('more'), 4, '127.0.0.1', receiver.localPort);
  await sleep(50);
  console.log(JSON.stringify({ scenario, uncaught, replies, after, closed: receiver.closed }));
  receiver.close();
  sender.close();
}

if (scenario === 'worker') await workerTerminatedUnderLoad();
else if (scenario === 'exit') exitInsideCallback();
else if (scenario === 'throw') await throwingHandler();
else throw new Error(`unknown scenario ${String(scenario)}`);
