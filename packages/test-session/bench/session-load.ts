// Load for the reflector scale benchmark: N STAMP sessions at R packets/s each from one socket,
// told apart by their SSID (1..N) as RFC 8762 allows, so one process can stand for N senders.
//
//   node --conditions=@twamp/source --import tsx bench/session-load.ts --port PORT --sessions 10000 --seconds 10 [--rate 1]
//
// Sends every session's packet spread evenly over each second (a slice every 10 ms), counts the
// replies, and prints one JSON line. Bounded by --seconds plus one second for the last replies.

import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    sessions: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1' },
  },
  strict: true,
});
const sessions = Number(values.sessions);
const seconds = Number(values.seconds);
const perSecond = Number(values.rate);
const port = Number(values.port);
const TICK_MS = 10;

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
let received = 0;
socket.on('message', () => {
  received += 1;
});

// One 44-octet STAMP request per session, built once (sequence numbers do not matter here).
const packets = Array.from({ length: sessions }, (_, i) => {
  const packet = Buffer.alloc(44);
  packet.writeUInt16BE(0x8001, 12); // Error Estimate: S = 1, multiplier 1
  packet.writeUInt16BE((i % 0xffff) + 1, 14); // SSID
  return packet;
});

const total = Math.round(sessions * perSecond * seconds);
const start = performance.now();
let sent = 0;
let next = 0;
while (sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * sessions * perSecond));
  while (sent < due) {
    socket.send(packets[next]!, port, values.host);
    next = (next + 1) % sessions;
    sent += 1;
  }
  await sleep(TICK_MS);
}
await sleep(1000);
socket.close();
process.stdout.write(`${JSON.stringify({ sessions, sent, received, lossPct: (100 * (sent - received)) / sent, seconds: (performance.now() - start) / 1000 })}\n`);
