/**
 * The reference "node:dgram" point: the same RFC 5357 unauthenticated reflector written the
 * straightforward Node way — plain `node:dgram`, one 'message' event per packet, a new Buffer per
 * reply, T2 and T3 from the userspace clock, TTL unknown (255). No @twamp/udp.
 *
 *   node --import tsx bench/dgram-reflector.ts --port PORT [--address 127.0.0.1]
 *
 * Prints `listening ADDRESS:PORT node:dgram` once ready and one JSON stats line on SIGINT/SIGTERM.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const REPLY_BASE = 41;
const REQUEST_MIN = 14;
const NTP_UNIX_OFFSET = 2_208_988_800;

const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const { values } = parseArgs({
  args,
  options: {
    port: { type: 'string', default: '0' },
    address: { type: 'string', default: '127.0.0.1' },
    'receive-buffer': { type: 'string', default: String(4 << 20) },
  },
  strict: true,
});
if (values.address !== '127.0.0.1') {
  throw new Error(`bench reflector binds 127.0.0.1 only, not ${values.address}`);
}

/** Wall clock as NTP [seconds, fraction]. */
function writeNtpNow(out: Buffer, offset: number): void {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  out.writeUInt32BE((seconds + NTP_UNIX_OFFSET) >>> 0, offset);
  out.writeUInt32BE(Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000) >>> 0, offset + 4);
}

const socket = dgram.createSocket('udp4');
let seq = 0;
let received = 0;
let sent = 0;
let sendErrors = 0;
let short = 0;

socket.on('message', (msg, rinfo) => {
  received++;
  if (msg.length < REQUEST_MIN) {
    short++;
    return;
  }
  const length = Math.max(REPLY_BASE, msg.length);
  const reply = Buffer.alloc(length);
  writeNtpNow(reply, 16); // T2
  reply.writeUInt32BE(seq, 0);
  seq = (seq + 1) >>> 0;
  reply.writeUInt16BE(0x0001, 12); // Error Estimate: S=0, Scale 0, Multiplier 1
  msg.copy(reply, 24, 0, 14); // sender seq, T1, error estimate
  reply[40] = 255; // received TTL unknown to node:dgram
  if (length > REPLY_BASE) msg.copy(reply, REPLY_BASE, REQUEST_MIN, REQUEST_MIN + length - REPLY_BASE);
  writeNtpNow(reply, 4); // T3
  socket.send(reply, rinfo.port, rinfo.address, (error) => {
    if (error) sendErrors++;
    else sent++;
  });
});

socket.on('error', (error) => {
  process.stderr.write(`dgram-reflector: ${error.message}\n`);
  process.exit(1);
});

socket.bind(Number(values.port), values.address, () => {
  socket.setRecvBufferSize(Number(values['receive-buffer']));
  const a = socket.address();
  process.stdout.write(`listening ${a.address}:${a.port} node:dgram\n`);
});

function snapshot(signal: string): string {
  // One 'message' event per datagram: every batch is one packet.
  return JSON.stringify({ signal, implementation: 'node:dgram', packetsReceived: received, packetsSent: sent, sendErrors, short, batches: received, meanBatch: 1 });
}

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  const line = snapshot(signal);
  socket.close();
  process.stdout.write(`stats ${line}\n`, () => process.exit(0));
}
process.on('SIGINT', () => { stop('SIGINT'); });
process.on('SIGTERM', () => { stop('SIGTERM'); });
process.on('SIGUSR2', () => { process.stdout.write(`sample ${snapshot('SIGUSR2')}\n`); });
