// The UdpSocket contract on a MemoryNetwork. Everything a real socket reports is known here, so
// nothing is reported unknown: TTL and TOS in and out, the local address a packet arrived on,
// receive times from the network's clock ("kernel" times: taken when the packet arrives, not when
// the handler runs), stamps written at send from the same clock, batches of up to batchSize.
//
// Decisions:
// - A packet is copied once, into its in-flight record (pooled), at send or queue; the record is
//   what the receiver's batch reads, so delivery copies nothing.
// - Arrived packets wait in a receive queue bounded in octets like SO_RCVBUF (receiveBufferSize,
//   default 212992 as Linux's rmem_default, each packet counted with a fixed overhead); past it they
//   are dropped and counted in stats.receiveDropped. A drain task hands them over in batches.
// - Sending is bounded by the packets a socket has in flight (the network's maxInFlightPerSocket):
//   past it send() returns false and counts stats.sendDropped, like EAGAIN on a full buffer.
// - A socket bound to the wildcard sends from the loopback address of its family (the network has
//   no routes to pick another); replies leave from the address the request arrived on.
// - A connected socket takes datagrams only from its peer (as Linux does), and learns of an
//   unbound peer port through onError (ECONNREFUSED), as from an ICMP port unreachable.

import { ConfigError, formatEndpoint, NetworkError } from '@twamp/errors';
import { checkTtl, MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6 } from '../dgram/options.js';
import { nanosToNtpFraction, unixToNtpSeconds, writeNtpTimestamp } from '../ntp-stamp.js';
import type { IpFamily, ReceiveBatch, SendOptions, UdpCapabilities, UdpSocket, UdpSocketStats } from '../types.js';
import { badAddress, canonicalAddress, LOOPBACK } from './address.js';
import { MemoryReceiveBatch } from './batch.js';
import type { NetworkClock, WallTime } from './clock.js';
import type { InFlightPacket, PacketSender } from './packet.js';
import type { Task } from './task-queue.js';
import { fullCapabilities } from '../capabilities.js';

/** Everything a socket can do on a memory network. */
export const MEMORY_CAPABILITIES: UdpCapabilities = fullCapabilities('memory');

/** Linux's default TTL / Hop Limit, for sockets that set none. */
export const DEFAULT_TTL = 64;
/** Linux's rmem_default: the receive queue's bound when receiveBufferSize is not given. */
export const DEFAULT_RECEIVE_BUFFER = 212_992;
/** What a queued packet costs beyond its octets (the kernel counts its sk_buff the same way). */
export const PACKET_OVERHEAD = 256;
/** IPv4 + UDP headers, and IPv6 + UDP: what counts against the MTU besides the payload. */
const HEADER_OCTETS: Readonly<Record<IpFamily, number>> = { 4: 28, 6: 48 };

/** UdpSocketStats, plus the receive-queue drops a memory socket can count. */
export interface MemoryUdpSocketStats extends UdpSocketStats {
  /** Packets dropped on arrival because the receive queue (receiveBufferSize) was full. */
  readonly receiveDropped: number;
}

/** A UdpSocket on a MemoryNetwork. */
export interface MemoryUdpSocket extends UdpSocket {
  readonly stats: MemoryUdpSocketStats;
}

type MutableStats = { -readonly [K in keyof MemoryUdpSocketStats]: MemoryUdpSocketStats[K] };

/** What a socket needs from its network. */
export interface SocketHost {
  readonly clock: NetworkClock;
  readonly mtu: number;
  /** A pooled record with room for `length` octets. */
  acquire(length: number): InFlightPacket;
  release(packet: InFlightPacket): void;
  /** Put a filled record on the wire; false when the sender has too many in flight (the record is released). */
  transmit(packet: InFlightPacket): boolean;
  /** Run `task` after what is due now. */
  soon(task: Task): void;
  unbind(socket: MemorySocket): void;
}

/** The options a socket is made with, checked and resolved by the network. */
export interface ResolvedMemoryOptions {
  readonly family: IpFamily;
  readonly address: string;
  readonly wildcard: boolean;
  readonly port: number;
  readonly reuseAddress: boolean;
  readonly ttl: number;
  readonly tos: number;
  readonly dontFragment: boolean;
  readonly maxPacketSize: number;
  readonly batchSize: number;
  readonly receiveBufferSize: number;
}

/** Arrived: queued for the handler. Foreign: not for this socket (connected to another peer). Full: dropped. */
export const Arrival = { queued: 0, foreign: 1, full: 2 } as const;
export type Arrival = (typeof Arrival)[keyof typeof Arrival];

function checkLength(data: Uint8Array, length: number): void {
  if (!(data instanceof Uint8Array)) throw new ConfigError([{ path: 'data', expected: 'a Uint8Array or Buffer', received: typeof data }]);
  if (!Number.isInteger(length) || length < 0 || length > data.byteLength) {
    throw new ConfigError([{ path: 'length', expected: `an integer from 0 to ${data.byteLength} (the buffer's length)`, received: String(length) }]);
  }
}

function checkTos(tos: unknown): asserts tos is number {
  if (typeof tos !== 'number' || !Number.isInteger(tos) || tos < 0 || tos > 255) {
    throw new ConfigError([{ path: 'tos', expected: 'an integer from 0 to 255', received: String(tos) }]);
  }
}

function checkPort(port: unknown): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError([{ path: 'port', expected: 'an integer from 1 to 65535', received: String(port) }]);
  }
}

/** The socket's drain: one object, queued on the clock when packets wait for the handler. */
class DrainTask implements Task {
  dueNs = 0;
  order = 0;
  slot = -1;
  readonly #socket: MemorySocket;
  constructor(socket: MemorySocket) {
    this.#socket = socket;
  }
  run(): void {
    this.#socket.drain();
  }
}

export class MemorySocket implements MemoryUdpSocket, PacketSender {
  readonly capabilities = MEMORY_CAPABILITIES;
  readonly family: IpFamily;
  readonly stamp = new Uint32Array(2);
  readonly reuseAddress: boolean;
  /** Bound to the wildcard of its family: receives for every address. */
  readonly wildcard: boolean;
  inFlight = 0;
  readonly #host: SocketHost;
  readonly #stats: MutableStats = {
    packetsReceived: 0,
    packetsSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    sendDropped: 0,
    truncated: 0,
    receiveBatches: 0,
    receiveDropped: 0,
  };
  readonly #localAddress: string;
  readonly #localPort: number;
  readonly #sourceAddress: string;
  readonly #maxPacketSize: number;
  readonly #maxPayload: number;
  readonly #receiveBufferSize: number;
  readonly #batch: MemoryReceiveBatch;
  readonly #drainTask = new DrainTask(this);
  readonly #reading: WallTime = { seconds: 0, nanos: 0 };
  #ttl: number;
  #tos: number;
  #dontFragment: boolean;
  #peerAddress: string | undefined;
  #peerPort = 0;
  #receiveHandler: ((batch: ReceiveBatch) => void) | undefined;
  #errorHandler: ((error: Error) => void) | undefined;
  #closed = false;
  #dispatching = false;
  #drainPending = false;
  // The receive queue: a ring of arrived records, and the octets it holds (with overhead).
  #ring: (InFlightPacket | undefined)[] = new Array<InFlightPacket | undefined>(16).fill(undefined);
  #ringHead = 0;
  #ringCount = 0;
  #ringOctets = 0;
  // The destination last checked: senders mostly talk to one peer, so each text is parsed once.
  #lastText: string | undefined;
  #lastCanonical = '';
  // Per-packet options, unpacked into fields (-1: not given) so the hot path allocates nothing.
  #optionStamp = -1;
  #optionTtl = -1;
  #optionTos = -1;
  // The send queue of queue()/flushSends(): records taken at queue(), stamped and sent at the flush.
  readonly #queue: (InFlightPacket | undefined)[];
  readonly #queueStamp: Int32Array;
  readonly #queueTtl: Int32Array;
  readonly #queueTos: Int32Array;
  readonly #queueErrors: (Error | undefined)[];
  #queued = 0;
  readonly sendStamps: Uint32Array;
  readonly sendResults: Int32Array;

  constructor(host: SocketHost, options: ResolvedMemoryOptions) {
    this.#host = host;
    this.family = options.family;
    this.wildcard = options.wildcard;
    this.reuseAddress = options.reuseAddress;
    this.#localAddress = options.address;
    this.#localPort = options.port;
    this.#sourceAddress = options.wildcard ? LOOPBACK[options.family] : options.address;
    this.#maxPacketSize = options.maxPacketSize;
    this.#maxPayload = options.family === 6 ? MAX_UDP_PAYLOAD_V6 : MAX_UDP_PAYLOAD_V4;
    this.#receiveBufferSize = options.receiveBufferSize;
    this.#ttl = options.ttl;
    this.#tos = options.tos;
    this.#dontFragment = options.dontFragment;
    this.#batch = new MemoryReceiveBatch(options.family, options.batchSize);
    const capacity = options.batchSize;
    this.#queue = new Array<InFlightPacket | undefined>(capacity).fill(undefined);
    this.#queueStamp = new Int32Array(capacity);
    this.#queueTtl = new Int32Array(capacity);
    this.#queueTos = new Int32Array(capacity);
    this.#queueErrors = new Array<Error | undefined>(capacity).fill(undefined);
    this.sendStamps = new Uint32Array(2 * capacity);
    this.sendResults = new Int32Array(capacity);
  }

  get localAddress(): string {
    return this.#localAddress;
  }

  get localPort(): number {
    return this.#localPort;
  }

  get stats(): MemoryUdpSocketStats {
    return this.#stats;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get queuedSends(): number {
    return this.#queued;
  }

  get sendQueueCapacity(): number {
    return this.#queue.length;
  }

  onReceive(handler: (batch: ReceiveBatch) => void): void {
    this.#receiveHandler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  stampNow(): void {
    if (this.#closed) throw this.#closedError('stampNow');
    this.#host.clock.readWall(this.#reading);
    this.stamp[0] = unixToNtpSeconds(this.#reading.seconds);
    this.stamp[1] = nanosToNtpFraction(this.#reading.nanos);
  }

  // ---- sending

  send(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): boolean {
    if (this.#closed) throw this.#closedError('send');
    checkLength(data, length);
    const destination = this.#destination(address, port, 'send');
    const destinationPort = address === undefined ? this.#peerPort : port;
    this.#checkSize(length, destination, destinationPort, 'send');
    this.#readOptions(options, length);
    if (this.#optionStamp >= 0) {
      // Stamped last, into the caller's packet; the copy below carries it.
      this.#host.clock.readWall(this.#reading);
      writeNtpTimestamp(data, this.#optionStamp, this.#reading.seconds, this.#reading.nanos, this.stamp);
    }
    const packet = this.#host.acquire(length);
    packet.fill(data, length);
    this.#address(packet, this.#sourceAddress, destination, destinationPort);
    packet.connected = this.#peerAddress === destination && this.#peerPort === destinationPort;
    return this.#transmit(packet, this.#optionTtl, this.#optionTos);
  }

  reply(batch: ReceiveBatch, index: number, data: Uint8Array, length: number, options?: SendOptions): boolean {
    if (this.#closed) throw this.#closedError('reply');
    if (batch !== this.#batch || !this.#dispatching) {
      throw new RangeError('reply() must be called during the receive callback, with the batch that callback was given');
    }
    checkLength(data, length);
    // The request's source is the destination; it leaves from the address the request arrived on.
    const source = this.#batch.localAddress(index);
    const destination = this.#batch.address(index);
    const destinationPort = this.#batch.port(index);
    this.#checkSize(length, destination, destinationPort, 'reply');
    this.#readOptions(options, length);
    if (this.#optionStamp >= 0) {
      this.#host.clock.readWall(this.#reading);
      writeNtpTimestamp(data, this.#optionStamp, this.#reading.seconds, this.#reading.nanos, this.stamp);
    }
    const packet = this.#host.acquire(length);
    packet.fill(data, length);
    this.#address(packet, source, destination, destinationPort);
    packet.connected = false;
    return this.#transmit(packet, this.#optionTtl, this.#optionTos);
  }

  flush(): void {
    // Replies go on the wire when made: the network delivers them asynchronously anyway.
  }

  queue(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): number {
    if (this.#closed) throw this.#closedError('queue');
    checkLength(data, length);
    const destination = this.#destination(address, port, 'queue');
    const destinationPort = address === undefined ? this.#peerPort : port;
    if (length > this.#maxPacketSize) {
      throw new RangeError(`queue() takes packets up to maxPacketSize (${this.#maxPacketSize} octets), got ${length}: use send()`);
    }
    this.#checkSize(length, destination, destinationPort, 'queue');
    this.#readOptions(options, length);
    const q = this.#queued;
    if (q >= this.#queue.length) return -1;
    const packet = this.#host.acquire(length);
    packet.fill(data, length);
    this.#address(packet, this.#sourceAddress, destination, destinationPort);
    packet.connected = this.#peerAddress === destination && this.#peerPort === destinationPort;
    this.#queue[q] = packet;
    this.#queueStamp[q] = this.#optionStamp;
    this.#queueTtl[q] = this.#optionTtl;
    this.#queueTos[q] = this.#optionTos;
    this.#queued = q + 1;
    return q;
  }

  flushSends(): number {
    const count = this.#queued;
    this.#queued = 0;
    if (this.#closed || count === 0) return 0;
    // One clock read for the flush, like the native socket's one per sendmmsg().
    this.#host.clock.readWall(this.#reading);
    const seconds = unixToNtpSeconds(this.#reading.seconds);
    const fraction = nanosToNtpFraction(this.#reading.nanos);
    let sent = 0;
    for (let q = 0; q < count; q++) {
      const packet = this.#queue[q];
      this.#queue[q] = undefined;
      if (packet === undefined) continue;
      const stampOffset = this.#queueStamp[q] ?? -1;
      this.sendStamps[2 * q] = 0;
      this.sendStamps[2 * q + 1] = 0;
      if (stampOffset >= 0) {
        writeNtpTimestamp(packet.buffer, stampOffset, this.#reading.seconds, this.#reading.nanos, this.stamp);
        this.sendStamps[2 * q] = seconds;
        this.sendStamps[2 * q + 1] = fraction;
      }
      this.#queueErrors[q] = undefined;
      try {
        const accepted = this.#transmit(packet, this.#queueTtl[q] ?? -1, this.#queueTos[q] ?? -1);
        this.sendResults[q] = accepted ? 1 : 0;
        if (accepted) sent += 1;
      } catch (error) {
        // Only an impairment's decide() can throw here: a flush never throws for one packet.
        this.sendResults[q] = -1;
        this.#queueErrors[q] = error instanceof Error ? error : new Error(String(error));
      }
    }
    return sent;
  }

  sendError(index: number): Error | undefined {
    // Every check runs at queue(): what fails at a flush is an impairment's decide() that threw.
    return (this.sendResults[index] ?? 0) < 0 ? this.#queueErrors[index] : undefined;
  }

  // ---- configuration

  connect(address: string, port: number): void {
    if (this.#closed) throw this.#closedError('connect');
    const peer = canonicalAddress(this.family, address);
    if (peer === undefined) throw badAddress(this.family, address);
    checkPort(port);
    this.#peerAddress = peer;
    this.#peerPort = port;
  }

  setTtl(ttl: number): void {
    if (this.#closed) throw this.#closedError('setsockopt IP_TTL');
    checkTtl('ttl', ttl);
    this.#ttl = ttl;
  }

  setTos(tos: number): void {
    if (this.#closed) throw this.#closedError('setsockopt IP_TOS');
    checkTos(tos);
    this.#tos = tos;
  }

  setDontFragment(on: boolean): void {
    if (this.#closed) throw this.#closedError('setsockopt IP_MTU_DISCOVER');
    if (typeof on !== 'boolean') throw new ConfigError([{ path: 'dontFragment', expected: 'true or false', received: String(on) }]);
    this.#dontFragment = on;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.unbind(this);
    for (let q = 0; q < this.#queued; q++) {
      const packet = this.#queue[q];
      if (packet !== undefined) this.#host.release(packet);
      this.#queue[q] = undefined;
    }
    this.#queued = 0;
    for (let packet = this.#shift(); packet !== undefined; packet = this.#shift()) this.#host.release(packet);
    this.#receiveHandler = undefined;
    this.#errorHandler = undefined;
  }

  // ---- the network's side

  /** A packet arrived for this socket (its receive time is set): queue it for the handler. */
  arrive(packet: InFlightPacket): Arrival {
    if (this.#closed) return Arrival.foreign;
    if (this.#peerAddress !== undefined && (packet.sourceAddress !== this.#peerAddress || packet.sourcePort !== this.#peerPort)) {
      return Arrival.foreign;
    }
    // Like the kernel: a packet is taken while the queue is under its bound, whatever its size.
    if (this.#ringOctets >= this.#receiveBufferSize) {
      this.#stats.receiveDropped += 1;
      return Arrival.full;
    }
    const cut = packet.length > this.#maxPacketSize;
    packet.truncated = cut;
    packet.receivedLength = cut ? this.#maxPacketSize : packet.length;
    this.#push(packet);
    if (!this.#drainPending) {
      this.#drainPending = true;
      this.#host.soon(this.#drainTask);
    }
    return Arrival.queued;
  }

  /** Hand the queued packets to the handler, batchSize at a time. */
  drain(): void {
    this.#drainPending = false;
    const batch = this.#batch;
    const stats = this.#stats;
    try {
      while (this.#ringCount > 0 && !this.#closed) {
        const limit = batch.packets.length;
        let count = 0;
        let octets = 0;
        let truncated = 0;
        while (count < limit) {
          const packet = this.#shift();
          if (packet === undefined) break;
          batch.packets[count] = packet;
          count += 1;
          octets += packet.receivedLength;
          if (packet.truncated) truncated += 1;
        }
        batch.count = count;
        stats.packetsReceived += count;
        stats.bytesReceived += octets;
        stats.truncated += truncated;
        stats.receiveBatches += 1;
        const handler = this.#receiveHandler;
        this.#dispatching = true;
        try {
          handler?.(batch);
        } finally {
          this.#dispatching = false;
          batch.count = 0;
          for (let i = 0; i < count; i++) {
            const packet = batch.packets[i];
            batch.packets[i] = undefined;
            if (packet !== undefined) this.#host.release(packet);
          }
        }
      }
    } finally {
      // A handler that threw leaves the rest for another turn, not stranded.
      if (this.#ringCount > 0 && !this.#closed) {
        this.#drainPending = true;
        this.#host.soon(this.#drainTask);
      }
    }
  }

  /** The network found nobody at the port this connected socket sent to (ICMP port unreachable). */
  refused(packet: InFlightPacket): void {
    if (this.#closed || packet.destinationAddress !== this.#peerAddress || packet.destinationPort !== this.#peerPort) return;
    const handler = this.#errorHandler;
    handler?.(
      new NetworkError({
        operation: 'send',
        systemCode: 'ECONNREFUSED',
        endpoint: formatEndpoint(packet.destinationAddress, packet.destinationPort),
        detail: 'nobody is bound to the peer port on the memory network',
      }),
    );
  }

  // ---- internals

  #transmit(packet: InFlightPacket, ttl: number, tos: number): boolean {
    packet.ttl = ttl < 0 ? this.#ttl : ttl;
    packet.tos = tos < 0 ? this.#tos : tos;
    packet.sender = this;
    const length = packet.length;
    if (!this.#host.transmit(packet)) {
      this.#stats.sendDropped += 1;
      return false;
    }
    this.#stats.packetsSent += 1;
    this.#stats.bytesSent += length;
    return true;
  }

  #address(packet: InFlightPacket, source: string, destination: string, destinationPort: number): void {
    packet.family = this.family;
    packet.sourceAddress = source;
    packet.sourcePort = this.#localPort;
    packet.destinationAddress = destination;
    packet.destinationPort = destinationPort;
  }

  /** The canonical destination of address (the peer when undefined). Throws for bad input. */
  #destination(address: string | undefined, port: number, operation: string): string {
    if (address === undefined) {
      if (this.#peerAddress === undefined) {
        throw new NetworkError({ operation, systemCode: 'EDESTADDRREQ', detail: 'no address given and the socket is not connected' });
      }
      return this.#peerAddress;
    }
    let canonical = this.#lastCanonical;
    if (address !== this.#lastText) {
      const parsed = canonicalAddress(this.family, address);
      if (parsed === undefined) throw badAddress(this.family, address);
      canonical = parsed;
      this.#lastText = address;
      this.#lastCanonical = parsed;
    }
    checkPort(port);
    return canonical;
  }

  #checkSize(length: number, destination: string, port: number, operation: string): void {
    const tooBig = length > this.#maxPayload;
    if (!tooBig && !(this.#dontFragment && length + HEADER_OCTETS[this.family] > this.#host.mtu)) return;
    throw new NetworkError({
      operation,
      systemCode: 'EMSGSIZE',
      endpoint: formatEndpoint(destination, port),
      detail: tooBig
        ? `${length} octets is more than a UDP datagram over IPv${this.family} can carry (${this.#maxPayload})`
        : `${length} octets with don't-fragment set is more than the network's MTU (${this.#host.mtu}) allows`,
    });
  }

  #readOptions(options: SendOptions | undefined, length: number): void {
    this.#optionStamp = -1;
    this.#optionTtl = -1;
    this.#optionTos = -1;
    if (options === undefined) return;
    const { stampOffset, ttl, tos } = options;
    if (stampOffset !== undefined) {
      if (!Number.isInteger(stampOffset) || stampOffset < 0 || stampOffset + 8 > length) {
        throw new ConfigError([{ path: 'stampOffset', expected: `an integer from 0 to ${length - 8} (8 octets inside the packet)`, received: String(stampOffset) }]);
      }
      this.#optionStamp = stampOffset;
    }
    if (ttl !== undefined) {
      checkTtl('ttl', ttl);
      this.#optionTtl = ttl;
    }
    if (tos !== undefined) {
      checkTos(tos);
      this.#optionTos = tos;
    }
  }

  #push(packet: InFlightPacket): void {
    if (this.#ringCount === this.#ring.length) {
      // Grow the ring (doubling): amortised, it allocates nothing per packet.
      const grown = new Array<InFlightPacket | undefined>(this.#ring.length * 2).fill(undefined);
      for (let i = 0; i < this.#ringCount; i++) grown[i] = this.#ring[(this.#ringHead + i) % this.#ring.length];
      this.#ring = grown;
      this.#ringHead = 0;
    }
    this.#ring[(this.#ringHead + this.#ringCount) % this.#ring.length] = packet;
    this.#ringCount += 1;
    this.#ringOctets += packet.receivedLength + PACKET_OVERHEAD;
  }

  #shift(): InFlightPacket | undefined {
    if (this.#ringCount === 0) return undefined;
    const packet = this.#ring[this.#ringHead];
    if (packet === undefined) return undefined;
    this.#ring[this.#ringHead] = undefined;
    this.#ringHead = (this.#ringHead + 1) % this.#ring.length;
    this.#ringCount -= 1;
    this.#ringOctets -= packet.receivedLength + PACKET_OVERHEAD;
    return packet;
  }

  #closedError(operation: string): NetworkError {
    return new NetworkError({ operation, systemCode: 'EBADF', endpoint: formatEndpoint(this.#localAddress, this.#localPort), detail: 'the socket is closed' });
  }
}
