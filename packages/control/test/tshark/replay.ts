// The fallback when a live capture is not possible (not root, so neither port 862 nor `tshark -i
// lo`): a recording TCP proxy between the real client and the real server keeps every chunk each
// side wrote, in order, and a small pcap writer turns the recording into a capture with proper TCP
// framing (handshake, one segment per chunk, sequence and acknowledgement numbers, FINs, correct
// checksums) on port 862, where tshark's TWAMP-Control dissector looks by default.
import { writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Chunk {
  readonly fromClient: boolean;
  readonly bytes: Buffer;
}

/** One proxied TCP connection: chunks in the order the proxy forwarded them. */
export interface Recording {
  readonly chunks: Chunk[];
  /** Which side sent its FIN first (the other follows). */
  firstFin: 'client' | 'server' | undefined;
}

export interface RecordingProxy {
  readonly port: number;
  readonly recordings: Recording[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and forwards every connection to `target`, recording both directions. */
export async function recordingProxy(target: { address: string; port: number }): Promise<RecordingProxy> {
  const recordings: Recording[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const recording: Recording = { chunks: [], firstFin: undefined };
    recordings.push(recording);
    const upstream = connect({ host: target.address, port: target.port, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const pipe = (from: Socket, to: Socket, fromClient: boolean): void => {
      from.on('data', (bytes: Buffer) => {
        recording.chunks.push({ fromClient, bytes: Buffer.from(bytes) });
        to.write(bytes);
      });
      from.on('end', () => {
        recording.firstFin ??= fromClient ? 'client' : 'server';
        to.end();
      });
    };
    pipe(client, upstream, true);
    pipe(upstream, client, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    recordings,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

// ---- pcap writing -----------------------------------------------------------------------------

const ETHERNET = 14;
const IPV4 = 20;
const TCP = 20;
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
/** Segments larger than this are split, as a 1500-octet MTU would. */
const MSS = 1460;

/** RFC 1071 checksum over the concatenated parts. */
function checksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (const octet of part) {
      if (odd === undefined) {
        odd = octet;
      } else {
        sum += (odd << 8) | octet;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Octets(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

interface Side {
  readonly ip: string;
  readonly port: number;
  seq: number;
}

/** Writes classic-pcap records: Ethernet, IPv4, TCP, all checksums correct, 1 ms apart. */
class Pcap {
  readonly #records: Buffer[] = [];
  #micros = 1_767_225_600 * 1_000_000; // 2026-01-01T00:00:00Z: a fixed start keeps files reproducible
  #ipId = 1;

  segment(from: Side, to: Side, flags: number, payload: Uint8Array = Buffer.alloc(0)): void {
    const tcp = Buffer.alloc(TCP);
    tcp.writeUInt16BE(from.port, 0);
    tcp.writeUInt16BE(to.port, 2);
    tcp.writeUInt32BE(from.seq >>> 0, 4);
    tcp.writeUInt32BE((flags & ACK) === 0 ? 0 : to.seq >>> 0, 8);
    tcp[12] = (TCP / 4) << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(0xffff, 14);
    const pseudo = Buffer.alloc(12);
    ipv4Octets(from.ip).copy(pseudo, 0);
    ipv4Octets(to.ip).copy(pseudo, 4);
    pseudo[9] = 6;
    pseudo.writeUInt16BE(TCP + payload.length, 10);
    tcp.writeUInt16BE(checksum([pseudo, tcp, payload]), 16);
    const ip = Buffer.alloc(IPV4);
    ip[0] = 0x45;
    ip.writeUInt16BE(IPV4 + TCP + payload.length, 2);
    ip.writeUInt16BE(this.#ipId++ & 0xffff, 4);
    ip.writeUInt16BE(0x4000, 6);
    ip[8] = 64;
    ip[9] = 6;
    ipv4Octets(from.ip).copy(ip, 12);
    ipv4Octets(to.ip).copy(ip, 16);
    ip.writeUInt16BE(checksum([ip]), 10);
    const ethernet = Buffer.alloc(ETHERNET);
    ethernet.writeUInt16BE(0x0800, 12);
    ethernet[5] = 1;
    ethernet[11] = 2;
    const frame = Buffer.concat([ethernet, ip, tcp, payload]);
    const header = Buffer.alloc(16);
    header.writeUInt32LE(Math.floor(this.#micros / 1_000_000), 0);
    header.writeUInt32LE(this.#micros % 1_000_000, 4);
    header.writeUInt32LE(frame.length, 8);
    header.writeUInt32LE(frame.length, 12);
    this.#records.push(header, frame);
    this.#micros += 1000;
    from.seq += payload.length + ((flags & (SYN | FIN)) === 0 ? 0 : 1);
  }

  write(path: string): void {
    const global = Buffer.alloc(24);
    global.writeUInt32LE(0xa1b2c3d4, 0);
    global.writeUInt16LE(2, 4);
    global.writeUInt16LE(4, 6);
    global.writeUInt32LE(65_535, 16);
    global.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    writeFileSync(path, Buffer.concat([global, ...this.#records]));
  }
}

/**
 * Writes the recordings as one capture: each connection from 127.0.0.1:(40000 + i) to
 * `serverIp`:`serverPort`, with its handshake, its chunks as data segments each acknowledged by
 * the other side, and the FIN exchange in the order the proxy saw it.
 */
export function writeRecordings(path: string, recordings: readonly Recording[], serverIp: string, serverPort: number): void {
  const pcap = new Pcap();
  recordings.forEach((recording, i) => {
    const client: Side = { ip: '127.0.0.1', port: 40_000 + i, seq: 1_000_000 * (i + 1) };
    const server: Side = { ip: serverIp, port: serverPort, seq: 2_000_000 * (i + 1) };
    pcap.segment(client, server, SYN);
    pcap.segment(server, client, SYN | ACK);
    pcap.segment(client, server, ACK);
    for (const chunk of recording.chunks) {
      const [from, to] = chunk.fromClient ? [client, server] : [server, client];
      for (let at = 0; at < chunk.bytes.length; at += MSS) {
        pcap.segment(from, to, PSH | ACK, chunk.bytes.subarray(at, at + MSS));
      }
      pcap.segment(to, from, ACK);
    }
    const [first, second] = recording.firstFin === 'server' ? [server, client] : [client, server];
    pcap.segment(first, second, FIN | ACK);
    pcap.segment(second, first, FIN | ACK);
    pcap.segment(first, second, ACK);
  });
  pcap.write(path);
}
