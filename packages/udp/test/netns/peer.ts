// Child process of hop.test.ts, run inside a namespace with
// `ip netns exec NS node --conditions=@twamp/source --import tsx peer.ts '<json>'`.
// It opens one of our sockets and prints JSON lines: `{"ready":port}` once bound, then one result
// line. Everything is bounded: it exits after `count` packets or `timeoutMs`, whichever is first.
//
//   reflector: receive `count` packets, reply to each (TTL/TOS of its own socket), report them;
//   sender:    send `count` packets to target:port, report the replies.

import { openUdpSocket, type ReceiveBatch, type UdpImplementation } from '../../src/index.js';

export interface PeerConfig {
  readonly role: 'reflector' | 'sender';
  readonly implementation: UdpImplementation;
  readonly address: string;
  readonly ttl?: number;
  readonly tos?: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly target?: string;
  readonly port?: number;
}

export interface PeerPacket {
  readonly address: string;
  readonly port: number;
  readonly length: number;
  readonly ttl: number;
  readonly tos: number;
  readonly localAddress: string | undefined;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerConfig;

function snapshot(batch: ReceiveBatch, i: number): PeerPacket {
  return {
    address: batch.address(i),
    port: batch.port(i),
    length: batch.length(i),
    ttl: batch.ttl(i),
    tos: batch.tos(i),
    localAddress: batch.localAddress(i),
  };
}

const socket = await openUdpSocket({
  family: 4,
  address: config.address,
  implementation: config.implementation,
  ...(config.ttl === undefined ? {} : { ttl: config.ttl }),
  ...(config.tos === undefined ? {} : { tos: config.tos }),
});
const packets: PeerPacket[] = [];
const errors: string[] = [];
socket.onError((error) => errors.push(error.message));

const finished = new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, config.timeoutMs);
  socket.onReceive((batch) => {
    for (let i = 0; i < batch.count; i += 1) {
      packets.push(snapshot(batch, i));
      if (config.role === 'reflector') socket.reply(batch, i, batch.data(i), batch.length(i));
    }
    socket.flush();
    if (packets.length >= config.count) {
      clearTimeout(timer);
      resolve();
    }
  });
});

console.log(JSON.stringify({ ready: socket.localPort, capabilities: socket.capabilities }));

if (config.role === 'sender') {
  const payload = Buffer.alloc(64);
  for (let seq = 0; seq < config.count; seq += 1) {
    payload.writeUInt32BE(seq, 0);
    socket.send(payload, payload.length, config.target, config.port ?? 0);
    // Spaced out so the first packets may wait for ARP without the neighbour queue dropping any.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

await finished;
socket.close();
console.log(JSON.stringify({ packets, errors }));
