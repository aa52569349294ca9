/**
 * Bench-only raw TWAMP reflector on `openUdpSocket`: RFC 5357 unauthenticated replies built with
 * minimal JS into reused buffers, T2 from the receive timestamp of each packet (the kernel's when the
 * native socket has it), T3 written by the socket just before sending (`stampOffset: 4`).
 *
 *   pnpm --filter @twamp/udp bench:reflect -- --port PORT [--implementation native|dgram|auto] [--address 127.0.0.1]
 *
 * Prints `listening ADDRESS:PORT IMPLEMENTATION` once ready and one JSON stats line on SIGINT/SIGTERM.
 * No @twamp/wire import (a sibling layer): the few NTP lines are written here, allocation-free.
 *
 * Reply layout (RFC 5357 §4.2.1, unauthenticated), request layout (§4.1.2):
 *   reply  0-3 Sequence Number | 4-11 Timestamp (T3) | 12-13 Error Estimate | 14-15 MBZ
 *          16-23 Receive Timestamp (T2) | 24-27 Sender Sequence Number | 28-35 Sender Timestamp
 *          36-37 Sender Error Estimate | 38-39 MBZ | 40 Sender TTL | 41- Packet Padding
 *   request 0-3 Sequence Number | 4-11 Timestamp (T1) | 12-13 Error Estimate | 14- Packet Padding
 */
import { parseArgs } from 'node:util';
import { clockStatus, openUdpSocket } from '../src/open.js';
import type { ReceiveBatch, SendOptions } from '../src/types.js';

const REPLY_BASE = 41;
const REQUEST_MIN = 14;
const SENDER_FIELDS = 14; // request octets 0-13 → reply 24-37
const REPLY_SENDER_OFFSET = 24;
const REPLY_T2_OFFSET = 16;
const REPLY_ERROR_ESTIMATE_OFFSET = 12;
const REPLY_TTL_OFFSET = 40;
const NTP_UNIX_OFFSET = 2_208_988_800;
/** 2^32 / 10^9: nanoseconds → NTP fraction. */
const NANOS_TO_FRACTION = 4.294967296;

const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const { values } = parseArgs({
  args,
  options: {
    port: { type: 'string', default: '0' },
    address: { type: 'string', default: '127.0.0.1' },
    implementation: { type: 'string', default: 'auto' },
    'batch-size': { type: 'string', default: '64' },
    'max-packet-size': { type: 'string', default: '2048' },
    'receive-buffer': { type: 'string', default: String(4 << 20) },
  },
  strict: true,
});

const implementation = values.implementation;
if (implementation !== 'native' && implementation !== 'dgram' && implementation !== 'auto') {
  throw new Error(`--implementation must be native, dgram or auto, not ${implementation}`);
}
if (values.address !== '127.0.0.1') {
  // The bench only ever runs on loopback.
  throw new Error(`bench reflector binds 127.0.0.1 only, not ${values.address}`);
}
const port = Number(values.port);
const batchSize = Number(values['batch-size']);
const maxPacketSize = Number(values['max-packet-size']);
const receiveBufferSize = Number(values['receive-buffer']);

const socket = await openUdpSocket({
  family: 4,
  address: values.address,
  port,
  implementation,
  batchSize,
  maxPacketSize,
  receiveBufferSize,
  ttl: 255,
});

/**
 * One reply buffer, reused for every packet: reply() copies the octets (the native socket into its
 * send slab for the batch's sendmmsg, the fallback before handing them to dgram). MBZ octets stay
 * zero because nothing writes them.
 */
const replyMax = Math.max(REPLY_BASE, maxPacketSize);
const out = Buffer.alloc(replyMax);
const view = new DataView(out.buffer, out.byteOffset, out.byteLength);

/**
 * Error Estimate (RFC 4656 §4.1.2), computed once: S from the kernel's synchronisation flag, Z=0,
 * Scale and Multiplier (error = Multiplier × 2^(Scale-32) s) from its estimated error; Multiplier 1
 * at Scale 0 when the error is not known.
 */
function errorEstimate(): number {
  const clock = clockStatus();
  const s = clock.synchronized ? 0x8000 : 0;
  const error = clock.estimatedErrorSeconds;
  if (error === undefined || !(error > 0)) return s | 0x0001;
  const units = error * 0x1_0000_0000;
  let scale = 0;
  while (scale < 63 && Math.ceil(units / 2 ** scale) > 255) scale++;
  const multiplier = Math.max(1, Math.min(255, Math.ceil(units / 2 ** scale)));
  return s | (scale << 8) | multiplier;
}
const ERROR_ESTIMATE = errorEstimate();
view.setUint16(REPLY_ERROR_ESTIMATE_OFFSET, ERROR_ESTIMATE);

const STAMP: SendOptions = { stampOffset: 4 };

let reflectorSeq = 0;
let reflected = 0;
let asyncErrors = 0;
let sendRefused = 0;
let short = 0;
let batches = 0;
let maxBatch = 0;
let kernelBatches = 0;
/** Batches by size: [1], [2-3], [4-7], [8-15], [16-31], [32-63], [64-127], ... */
const batchHistogram = new Array<number>(12).fill(0);

socket.onReceive((batch: ReceiveBatch) => {
  const n = batch.count;
  batches++;
  if (n > maxBatch) maxBatch = n;
  if (n > 0) batchHistogram[31 - Math.clz32(n)]! += 1;
  if (batch.timeSource === 'kernel') kernelBatches++;
  for (let i = 0; i < n; i++) {
    const len = batch.length(i);
    if (len < REQUEST_MIN) {
      short++;
      continue;
    }
    const request = batch.data(i);
    const replyLength = len > REPLY_BASE ? (len > replyMax ? replyMax : len) : REPLY_BASE;
    // Reflector sequence number.
    view.setUint32(0, reflectorSeq);
    reflectorSeq = (reflectorSeq + 1) >>> 0;
    // T2: receive time of this packet → NTP.
    view.setUint32(REPLY_T2_OFFSET, (batch.timeSeconds(i) + NTP_UNIX_OFFSET) >>> 0);
    view.setUint32(REPLY_T2_OFFSET + 4, Math.floor(batch.timeNanos(i) * NANOS_TO_FRACTION) >>> 0);
    // Sender sequence, timestamp, error estimate: request 0-13 → reply 24-37.
    // (A byte loop: Buffer#copy costs a view or a binding call per packet for 14 octets.)
    for (let k = 0; k < SENDER_FIELDS; k++) out[REPLY_SENDER_OFFSET + k] = request[k]!;
    const ttl = batch.ttl(i);
    out[REPLY_TTL_OFFSET] = ttl < 0 ? 255 : ttl;
    // Reply padding = head of the request padding.
    if (replyLength > REPLY_BASE) request.copy(out, REPLY_BASE, REQUEST_MIN, REQUEST_MIN + replyLength - REPLY_BASE);
    if (socket.reply(batch, i, out, replyLength, STAMP)) reflected++;
    else sendRefused++;
  }
  socket.flush();
});

let lastError = '';
socket.onError((error: Error) => {
  asyncErrors++;
  lastError = error.message;
});

process.stdout.write(`listening ${socket.localAddress}:${socket.localPort} ${socket.capabilities.implementation}\n`);

function snapshot(signal: string): string {
  const s = socket.stats;
  return JSON.stringify({
    signal,
    implementation: socket.capabilities.implementation,
    kernelTimestamps: socket.capabilities.kernelTimestamps,
    batching: socket.capabilities.batching,
    packetsReceived: s.packetsReceived,
    packetsSent: s.packetsSent,
    reflected,
    sendRefused,
    sendDropped: s.sendDropped,
    short,
    truncated: s.truncated,
    asyncErrors,
    lastError,
    batches,
    kernelBatches,
    receiveBatches: s.receiveBatches,
    meanBatch: batches > 0 ? Number((s.packetsReceived / batches).toFixed(2)) : 0,
    maxBatch,
    batchHistogram,
  });
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
// The bench driver samples the counters around each step.
process.on('SIGUSR2', () => { process.stdout.write(`sample ${snapshot('SIGUSR2')}\n`); });
