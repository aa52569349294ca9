/**
 * A tiny classic-libpcap writer for tests that feed our encoders' output to an independent
 * decoder (tshark). It frames payloads as Ethernet + IPv4 + UDP, or as a plausible TCP stream
 * (handshake, in-order data in both directions, FIN exchange), with every checksum correct, so the
 * decoder has no excuse to flag a frame as malformed or to refuse TCP reassembly.
 *
 * Nothing here is ever sent on a network: the file only has to look like a real capture.
 * Use documentation/benchmark addresses (198.18.0.0/15, RFC 2544) so no capture can be
 * mistaken for real traffic.
 */
import { writeFileSync } from 'node:fs';

/** An IPv4 address (dotted quad) and a port. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

export interface Ipv4Options {
  /** IPv4 TTL; TWAMP says senders and reflectors should send with 255 (RFC 5357 §4.1.2). */
  readonly ttl?: number;
  /** The whole TOS octet (DSCP << 2 | ECN). */
  readonly tos?: number;
}

/** Classic pcap global-header constants (pcap-savefile(5)). */
const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
const PCAP_VERSION_MAJOR = 2;
const PCAP_VERSION_MINOR = 4;
const PCAP_SNAPLEN = 65535;
const LINKTYPE_ETHERNET = 1;

const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const TCP_HEADER = 20;

/** TCP flag bits (RFC 9293 §3.1). */
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/**
 * Largest payload per TCP segment. Every TWAMP-Control message fits, so one message is one
 * segment, which is what Wireshark's TWAMP-Control dissector assumes (it infers message type per
 * PDU). Larger payloads are split, as a real stack with a 1460-octet MSS would.
 */
const TCP_MSS = 1460;

/** Locally administered MACs: one per IPv4 address, stable within a capture. */
function macFor(ip: string): Uint8Array {
  const octets = parseIpv4(ip);
  return Uint8Array.of(0x02, 0x00, ...octets);
}

export function parseIpv4(ip: string): Uint8Array {
  const parts = ip.split('.');
  if (parts.length !== 4) {
    throw new RangeError(`not a dotted-quad IPv4 address: ${ip}`);
  }
  return Uint8Array.from(
    parts.map((part) => {
      const n = Number(part);
      if (!/^\d{1,3}$/.test(part) || n > 255) {
        throw new RangeError(`not a dotted-quad IPv4 address: ${ip}`);
      }
      return n;
    }),
  );
}

/** RFC 1071 ones'-complement sum of 16-bit words, folded, not yet complemented. */
function onesComplementSum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  // Words straddle part boundaries when a part has odd length, so carry the odd octet over.
  let pending: number | undefined;
  for (const part of parts) {
    for (const octet of part) {
      if (pending === undefined) {
        pending = octet;
      } else {
        sum += (pending << 8) | octet;
        pending = undefined;
      }
    }
  }
  if (pending !== undefined) {
    sum += pending << 8;
  }
  while (sum > 0xffff) {
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return sum;
}

function internetChecksum(parts: readonly Uint8Array[]): number {
  return ~onesComplementSum(parts) & 0xffff;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): Uint8Array {
  const header = Buffer.alloc(12);
  header.set(src, 0);
  header.set(dst, 4);
  header[9] = protocol;
  header.writeUInt16BE(length, 10);
  return header;
}

interface Record {
  readonly seconds: number;
  readonly microseconds: number;
  readonly frame: Uint8Array;
}

/**
 * Collects frames in order and serialises them as one pcap file. Frame times start at a fixed
 * instant and advance 1 ms per frame, so captures are byte-for-byte reproducible.
 */
export class PcapWriter {
  readonly #records: Record[] = [];
  #ipId = 1;
  #clockMicros: number;

  constructor(startUnixSeconds = 1_704_067_200 /* 2024-01-01T00:00:00Z */) {
    this.#clockMicros = startUnixSeconds * 1_000_000;
  }

  /** Number of frames written so far; the next frame is number `frameCount + 1` in tshark. */
  get frameCount(): number {
    return this.#records.length;
  }

  /** Appends one Ethernet/IPv4/UDP frame and returns its 1-based frame number. */
  udp(src: Endpoint, dst: Endpoint, payload: Uint8Array, options: Ipv4Options = {}): number {
    const srcIp = parseIpv4(src.ip);
    const dstIp = parseIpv4(dst.ip);
    const length = UDP_HEADER + payload.length;
    const header = Buffer.alloc(UDP_HEADER);
    header.writeUInt16BE(src.port, 0);
    header.writeUInt16BE(dst.port, 2);
    header.writeUInt16BE(length, 4);
    const checksum = internetChecksum([pseudoHeader(srcIp, dstIp, IPPROTO_UDP, length), header, payload]);
    // A computed 0 is sent as 0xFFFF: 0 means "no checksum" in UDP over IPv4 (RFC 768).
    header.writeUInt16BE(checksum === 0 ? 0xffff : checksum, 6);
    return this.#ipv4(src.ip, dst.ip, IPPROTO_UDP, Buffer.concat([header, payload]), options);
  }

  /** Starts a TCP connection from `client` to `server` and writes its three-way handshake. */
  tcp(client: Endpoint, server: Endpoint, options: Ipv4Options = {}): TcpConnection {
    return new TcpConnection(this, client, server, options);
  }

  /** @internal Used by TcpConnection. */
  tcpSegment(
    src: Endpoint,
    dst: Endpoint,
    fields: { seq: number; ack: number; flags: number },
    payload: Uint8Array,
    options: Ipv4Options,
  ): number {
    const srcIp = parseIpv4(src.ip);
    const dstIp = parseIpv4(dst.ip);
    const header = Buffer.alloc(TCP_HEADER);
    header.writeUInt16BE(src.port, 0);
    header.writeUInt16BE(dst.port, 2);
    header.writeUInt32BE(fields.seq >>> 0, 4);
    header.writeUInt32BE(fields.ack >>> 0, 8);
    header[12] = (TCP_HEADER / 4) << 4;
    header[13] = fields.flags;
    header.writeUInt16BE(0xffff, 14); // window: never the reason a decoder complains
    const length = TCP_HEADER + payload.length;
    header.writeUInt16BE(internetChecksum([pseudoHeader(srcIp, dstIp, IPPROTO_TCP, length), header, payload]), 16);
    return this.#ipv4(src.ip, dst.ip, IPPROTO_TCP, Buffer.concat([header, payload]), options);
  }

  #ipv4(src: string, dst: string, protocol: number, body: Uint8Array, options: Ipv4Options): number {
    const ip = Buffer.alloc(IPV4_HEADER);
    ip[0] = 0x45; // version 4, IHL 5 (no options)
    ip[1] = options.tos ?? 0;
    ip.writeUInt16BE(IPV4_HEADER + body.length, 2);
    ip.writeUInt16BE(this.#ipId, 4);
    this.#ipId = (this.#ipId + 1) & 0xffff;
    ip.writeUInt16BE(0x4000, 6); // DF, fragment offset 0: no fragmentation for the decoder to undo
    ip[8] = options.ttl ?? 64;
    ip[9] = protocol;
    ip.set(parseIpv4(src), 12);
    ip.set(parseIpv4(dst), 16);
    ip.writeUInt16BE(internetChecksum([ip]), 10);

    const ethernet = Buffer.alloc(ETHERNET_HEADER);
    ethernet.set(macFor(dst), 0);
    ethernet.set(macFor(src), 6);
    ethernet.writeUInt16BE(ETHERTYPE_IPV4, 12);

    const frame = Buffer.concat([ethernet, ip, body]);
    if (frame.length > PCAP_SNAPLEN) {
      throw new RangeError(`frame of ${frame.length} octets exceeds the snap length`);
    }
    this.#records.push({
      seconds: Math.floor(this.#clockMicros / 1_000_000),
      microseconds: this.#clockMicros % 1_000_000,
      frame,
    });
    this.#clockMicros += 1000;
    return this.#records.length;
  }

  /** The whole capture: global header, then one record header + frame per packet. */
  toBuffer(): Buffer {
    const global = Buffer.alloc(24);
    // Written little-endian, like most captures; readers detect byte order from the magic.
    global.writeUInt32LE(PCAP_MAGIC_MICROSECONDS, 0);
    global.writeUInt16LE(PCAP_VERSION_MAJOR, 4);
    global.writeUInt16LE(PCAP_VERSION_MINOR, 6);
    global.writeInt32LE(0, 8); // thiszone: UTC
    global.writeUInt32LE(0, 12); // sigfigs
    global.writeUInt32LE(PCAP_SNAPLEN, 16);
    global.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    const chunks: Uint8Array[] = [global];
    for (const record of this.#records) {
      const header = Buffer.alloc(16);
      header.writeUInt32LE(record.seconds, 0);
      header.writeUInt32LE(record.microseconds, 4);
      header.writeUInt32LE(record.frame.length, 8); // captured length
      header.writeUInt32LE(record.frame.length, 12); // original length: nothing truncated
      chunks.push(header, record.frame);
    }
    return Buffer.concat(chunks);
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBuffer());
  }
}

/**
 * One TCP connection inside a PcapWriter. Sequence numbers start at fixed ISNs; every data
 * segment carries ACK (and PSH) acknowledging everything the peer has sent, and the peer
 * acknowledges each data segment with a pure ACK, as a delayed-ACK-free stack would.
 */
export class TcpConnection {
  readonly #pcap: PcapWriter;
  readonly #client: Endpoint;
  readonly #server: Endpoint;
  readonly #options: Ipv4Options;
  /** Next sequence number each side will send. */
  #clientNext: number;
  #serverNext: number;
  #closed = false;

  constructor(pcap: PcapWriter, client: Endpoint, server: Endpoint, options: Ipv4Options) {
    this.#pcap = pcap;
    this.#client = client;
    this.#server = server;
    this.#options = options;
    // Fixed, distinct ISNs keep captures reproducible; tshark shows relative numbers anyway.
    const clientIsn = 0x1000_0000;
    const serverIsn = 0x2000_0000;
    pcap.tcpSegment(client, server, { seq: clientIsn, ack: 0, flags: TCP_SYN }, new Uint8Array(0), options);
    pcap.tcpSegment(server, client, { seq: serverIsn, ack: clientIsn + 1, flags: TCP_SYN | TCP_ACK }, new Uint8Array(0), options);
    this.#clientNext = clientIsn + 1;
    this.#serverNext = serverIsn + 1;
    pcap.tcpSegment(client, server, { seq: this.#clientNext, ack: this.#serverNext, flags: TCP_ACK }, new Uint8Array(0), options);
  }

  /** Client → server data. Returns the frame numbers of the data segments (not the ACKs). */
  clientSends(payload: Uint8Array): number[] {
    return this.#send('client', payload);
  }

  /** Server → client data. Returns the frame numbers of the data segments (not the ACKs). */
  serverSends(payload: Uint8Array): number[] {
    return this.#send('server', payload);
  }

  /** FIN from the client, FIN+ACK from the server, final ACK: a clean close. */
  close(): void {
    this.#assertOpen();
    this.#pcap.tcpSegment(this.#client, this.#server, { seq: this.#clientNext, ack: this.#serverNext, flags: TCP_FIN | TCP_ACK }, new Uint8Array(0), this.#options);
    this.#clientNext = (this.#clientNext + 1) >>> 0;
    this.#pcap.tcpSegment(this.#server, this.#client, { seq: this.#serverNext, ack: this.#clientNext, flags: TCP_FIN | TCP_ACK }, new Uint8Array(0), this.#options);
    this.#serverNext = (this.#serverNext + 1) >>> 0;
    this.#pcap.tcpSegment(this.#client, this.#server, { seq: this.#clientNext, ack: this.#serverNext, flags: TCP_ACK }, new Uint8Array(0), this.#options);
    this.#closed = true;
  }

  #send(from: 'client' | 'server', payload: Uint8Array): number[] {
    this.#assertOpen();
    if (payload.length === 0) {
      throw new RangeError('an empty data segment is not data');
    }
    const fromClient = from === 'client';
    const src = fromClient ? this.#client : this.#server;
    const dst = fromClient ? this.#server : this.#client;
    const frames: number[] = [];
    for (let offset = 0; offset < payload.length; offset += TCP_MSS) {
      const chunk = payload.subarray(offset, Math.min(payload.length, offset + TCP_MSS));
      const seq = fromClient ? this.#clientNext : this.#serverNext;
      const ack = fromClient ? this.#serverNext : this.#clientNext;
      frames.push(this.#pcap.tcpSegment(src, dst, { seq, ack, flags: TCP_PSH | TCP_ACK }, chunk, this.#options));
      const next = (seq + chunk.length) >>> 0;
      if (fromClient) {
        this.#clientNext = next;
      } else {
        this.#serverNext = next;
      }
      // The receiver acknowledges at once, so the stream never looks like it has lost data.
      this.#pcap.tcpSegment(dst, src, { seq: ack, ack: next, flags: TCP_ACK }, new Uint8Array(0), this.#options);
    }
    return frames;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new Error('TCP connection already closed');
    }
  }
}
