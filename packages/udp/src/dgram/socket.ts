// The UdpSocket contract on node:dgram, for machines where the native addon does not load.
//
// What dgram cannot do is reported in `capabilities` and refused with a ConfigError when asked
// for (TOS, don't-fragment), never silently ignored; what it cannot see is reported as unknown
// (received TTL/TOS = -1, local address undefined) instead of being guessed.
//
// Decisions, each forced by how node:dgram works:
// - One datagram per batch, delivered from the 'message' event. Coalescing the messages of one
//   libuv poll round would need a setImmediate hop, adding latency to every reply for no saving:
//   dgram already calls into JavaScript once per datagram.
// - The receive time is read first thing in the 'message' handler, from a wall clock anchored once
//   to the monotonic clock (see clock.ts): it includes event-loop delay, hence 'userspace'.
// - One family per socket, like the native socket: IPv6 sockets are IPv6-only (IPV6_V6ONLY), so
//   sources and destinations are always in the socket's family and IPv4-mapped text never occurs.
// - Host names are refused: a lookup function that passes IP literals through synchronously
//   replaces dns.lookup, so a send reaches libuv (and normally the kernel) within the call instead
//   of one tick later, and nothing on the packet path resolves names.
// - Each datagram is copied before it goes to dgram, because libuv keeps a reference to the bytes
//   when the kernel buffer is full and sends them later, while callers reuse their buffers.
// - The libuv queue behind a full kernel buffer is bounded: past MAX_QUEUED_SENDS, send() returns
//   false like the native socket does on EAGAIN.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError, formatEndpoint, NetworkError } from '@twamp/errors';
import { nanosToNtpFraction, unixToNtpSeconds, writeNtpTimestamp } from '../ntp-stamp.js';
import type {
  IpFamily,
  ReceiveBatch,
  SendOptions,
  UdpCapabilities,
  UdpSocket,
  UdpSocketOptions,
  UdpSocketStats,
} from '../types.js';
import { readWallClock } from './clock.js';
import { toNetworkError, unsupported } from './errors.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_PACKET_SIZE, MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6, checkSocketOptions, checkTtl } from './options.js';

/** What node:dgram can do: set the TTL, nothing else of the list. */
export const DGRAM_CAPABILITIES: UdpCapabilities = Object.freeze({
  implementation: 'dgram',
  setTtl: true,
  setTos: false,
  dontFragment: false,
  receiveTtl: false,
  receiveTos: false,
  localAddress: false,
  kernelTimestamps: false,
  stampOnSend: false,
  batching: false,
});

/** Sends waiting in libuv behind a full kernel buffer before send() starts dropping. */
const MAX_QUEUED_SENDS = 1024;
const EMPTY = Buffer.alloc(0);
const DROP_CODES = new Set(['EAGAIN', 'EWOULDBLOCK', 'ENOBUFS']);

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** dns.lookup replacement: IP literals only, answered synchronously. */
function ipLiteralLookup(hostname: string, _options: unknown, callback: LookupCallback): void {
  const family = isIPv4(hostname) ? 4 : isIPv6(hostname) ? 6 : 0;
  if (family === 0) {
    const error: NodeJS.ErrnoException = new Error(`not an IP address: ${hostname}`);
    error.code = 'EINVAL';
    callback(error, '', 0);
    return;
  }
  callback(null, hostname, family);
}

const defaultTtls = new Map<IpFamily, number>();

/** The system's default TTL / Hop Limit, to restore after a per-packet override. */
function systemDefaultTtl(family: IpFamily): number {
  let ttl = defaultTtls.get(family);
  if (ttl === undefined) {
    const file = family === 4 ? '/proc/sys/net/ipv4/ip_default_ttl' : '/proc/sys/net/ipv6/conf/default/hop_limit';
    try {
      ttl = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      ttl = Number.NaN;
    }
    // 64 is Linux's default for both when the sysctl cannot be read (not Linux, no /proc).
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) ttl = 64;
    defaultTtls.set(family, ttl);
  }
  return ttl;
}

/** The batch of one datagram that each 'message' event delivers; one per socket, reused. */
class DgramBatch implements ReceiveBatch {
  count = 0;
  readonly timeSource = 'userspace';
  message: Buffer = EMPTY;
  received = 0;
  cut = false;
  sourceFamily: IpFamily = 4;
  sourceAddress = '';
  sourcePort = 0;
  seconds = 0;
  nanos = 0;

  private check(index: number): void {
    if (index !== 0 || this.count === 0) {
      throw new RangeError(`packet ${index} is not in this batch of ${this.count} (batches are valid only during the callback)`);
    }
  }

  data(index: number): Buffer {
    this.check(index);
    return this.received === this.message.length ? this.message : this.message.subarray(0, this.received);
  }

  length(index: number): number {
    this.check(index);
    return this.received;
  }

  truncated(index: number): boolean {
    this.check(index);
    return this.cut;
  }

  family(index: number): IpFamily {
    this.check(index);
    return this.sourceFamily;
  }

  address(index: number): string {
    this.check(index);
    return this.sourceAddress;
  }

  port(index: number): number {
    this.check(index);
    return this.sourcePort;
  }

  localAddress(index: number): string | undefined {
    this.check(index);
    return undefined;
  }

  ttl(index: number): number {
    this.check(index);
    return -1;
  }

  tos(index: number): number {
    this.check(index);
    return -1;
  }

  timeSeconds(index: number): number {
    this.check(index);
    return this.seconds;
  }

  timeNanos(index: number): number {
    this.check(index);
    return this.nanos;
  }

  release(): void {
    this.count = 0;
    this.message = EMPTY;
  }
}

type MutableStats = { -readonly [K in keyof UdpSocketStats]: UdpSocketStats[K] };

function closedError(operation: string): NetworkError {
  return new NetworkError({ operation, systemCode: 'EBADF', detail: 'the socket is closed' });
}

class DgramUdpSocket implements UdpSocket {
  readonly capabilities = DGRAM_CAPABILITIES;
  readonly family: IpFamily;
  readonly stamp = new Uint32Array(2);
  readonly #socket: Socket;
  readonly #stats: MutableStats = {
    packetsReceived: 0,
    packetsSent: 0,
    bytesReceived: 0,
    bytesSent: 0,
    sendDropped: 0,
    truncated: 0,
    receiveBatches: 0,
  };
  readonly #batch = new DgramBatch();
  readonly #maxPacketSize: number;
  readonly #maxPayload: number;
  readonly #clock = { seconds: 0, nanos: 0 };
  #receiveHandler: ((batch: ReceiveBatch) => void) | undefined;
  #errorHandler: ((error: Error) => void) | undefined;
  #localAddress = '';
  #localPort = 0;
  #bound = false;
  #closed = false;
  /** The TTL asked for at open or by setTtl; undefined = the system default. */
  #ttl: number | undefined;
  /** The TTL the descriptor has now (differs from #ttl after a per-packet override). */
  #socketTtl: number | undefined;
  #peer: { readonly address: string; readonly port: number } | undefined;
  // The last destination that passed the check: senders mostly talk to one peer, so the address
  // check runs once per peer change instead of once per packet.
  #lastAddress: string | undefined;
  // The send queue of queue()/flushSends(): octets in a slab (slot q at q × maxPacketSize), the
  // rest per entry, checked at queue() so that the flush only hands packets to dgram.
  readonly #queueCapacity: number;
  #queueSlab: Uint8Array | undefined;
  #queued = 0;
  readonly #queueTarget: (string | undefined)[];
  readonly #queuePort: Int32Array;
  readonly #queueLength: Int32Array;
  readonly #queueStamp: Int32Array;
  readonly #queueTtl: Int32Array;
  readonly #queueErrors: (Error | undefined)[];
  readonly sendStamps: Uint32Array;
  readonly sendResults: Int32Array;

  constructor(socket: Socket, options: UdpSocketOptions) {
    this.#socket = socket;
    this.family = options.family;
    this.#maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    const capacity = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#queueCapacity = capacity;
    this.#queueTarget = new Array<string | undefined>(capacity).fill(undefined);
    this.#queuePort = new Int32Array(capacity);
    this.#queueLength = new Int32Array(capacity);
    this.#queueStamp = new Int32Array(capacity);
    this.#queueTtl = new Int32Array(capacity);
    this.#queueErrors = new Array<Error | undefined>(capacity).fill(undefined);
    this.sendStamps = new Uint32Array(2 * capacity);
    this.sendResults = new Int32Array(capacity);
    this.#maxPayload = options.family === 6 ? MAX_UDP_PAYLOAD_V6 : MAX_UDP_PAYLOAD_V4;
    socket.on('message', (message: Buffer, remote: RemoteInfo) => {
      this.#deliver(message, remote);
    });
    socket.on('error', (error: Error) => {
      // Bind failures are the bind promise's to report; later ones (ICMP errors surfacing on a
      // connected socket as ECONNREFUSED from recvmsg) go to the error handler.
      if (!this.#bound || this.#closed) return;
      this.#emitError(toNetworkError(error, 'receive', this.#peerEndpoint()));
    });
  }

  get localAddress(): string {
    return this.#localAddress;
  }

  get localPort(): number {
    return this.#localPort;
  }

  get stats(): UdpSocketStats {
    return this.#stats;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bind and apply the socket options; the socket is closed again if any of it fails. */
  async open(options: UdpSocketOptions): Promise<void> {
    const address = options.address ?? (options.family === 6 ? '::' : '0.0.0.0');
    const port = options.port ?? 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error): void => {
          reject(toNetworkError(error, 'bind', formatEndpoint(address, port)));
        };
        this.#socket.once('error', onError);
        this.#socket.bind({ address, port, exclusive: true }, () => {
          this.#socket.removeListener('error', onError);
          resolve();
        });
      });
      const bound = this.#socket.address();
      this.#localAddress = bound.address;
      this.#localPort = bound.port;
      this.#bound = true;
      if (options.receiveBufferSize !== undefined) {
        this.#setOption('setsockopt SO_RCVBUF', () => {
          this.#socket.setRecvBufferSize(options.receiveBufferSize ?? 0);
        });
      }
      if (options.sendBufferSize !== undefined) {
        this.#setOption('setsockopt SO_SNDBUF', () => {
          this.#socket.setSendBufferSize(options.sendBufferSize ?? 0);
        });
      }
      if (options.ttl !== undefined) this.setTtl(options.ttl);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  onReceive(handler: (batch: ReceiveBatch) => void): void {
    this.#receiveHandler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.#errorHandler = handler;
  }

  send(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): boolean {
    if (this.#closed) throw closedError('send');
    const target = this.#destination(address, port, 'send');
    return this.#send(data, length, target, port, options);
  }

  /** The dgram target of address:port: undefined for the connected peer. Throws for what dgram cannot do. */
  #destination(address: string | undefined, port: number, operation: string): string | undefined {
    if (address === undefined) {
      if (this.#peer === undefined) {
        throw new NetworkError({ operation, systemCode: 'EDESTADDRREQ', detail: 'no address given and the socket is not connected' });
      }
      return undefined;
    }
    const target = this.#target(address);
    checkPort(port);
    const peer = this.#peer;
    if (peer === undefined) return target;
    // dgram refuses an address on a connected socket; the peer's own address is fine.
    if (peer.address !== target || peer.port !== port) {
      throw new NetworkError({
        operation,
        systemCode: 'EISCONN',
        endpoint: formatEndpoint(address, port),
        detail: 'the node:dgram fallback sends only to the connected peer once connected',
      });
    }
    return undefined;
  }

  get queuedSends(): number {
    return this.#queued;
  }

  get sendQueueCapacity(): number {
    return this.#queueCapacity;
  }

  queue(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): number {
    if (this.#closed) throw closedError('queue');
    const target = this.#destination(address, port, 'queue');
    this.#checkPacket(data, length, target, port);
    if (length > this.#maxPacketSize) {
      throw new RangeError(`queue() takes packets up to maxPacketSize (${this.#maxPacketSize} octets), got ${length}: use send()`);
    }
    const { ttl, stampOffset } = this.#readOptions(options, length);
    const q = this.#queued;
    if (q >= this.#queueCapacity) return -1;
    const slab = (this.#queueSlab ??= new Uint8Array(this.#queueCapacity * this.#maxPacketSize));
    slab.set(length === data.length ? data : data.subarray(0, length), q * this.#maxPacketSize);
    this.#queueTarget[q] = target;
    this.#queuePort[q] = port;
    this.#queueLength[q] = length;
    this.#queueStamp[q] = stampOffset ?? -1;
    this.#queueTtl[q] = ttl ?? -1;
    this.#queued = q + 1;
    return q;
  }

  flushSends(): number {
    const count = this.#queued;
    this.#queued = 0;
    const slab = this.#queueSlab;
    if (this.#closed || count === 0 || slab === undefined) return 0;
    // One clock read for the batch, like the native socket's one per sendmmsg().
    readWallClock(this.#clock);
    const seconds = unixToNtpSeconds(this.#clock.seconds);
    const fraction = nanosToNtpFraction(this.#clock.nanos);
    let sent = 0;
    for (let q = 0; q < count; q++) {
      const length = this.#queueLength[q] ?? 0;
      const stampOffset = this.#queueStamp[q] ?? -1;
      const ttl = this.#queueTtl[q] ?? -1;
      const target = this.#queueTarget[q];
      const port = this.#queuePort[q] ?? 0;
      const at = q * this.#maxPacketSize;
      const copy = length === 0 ? Buffer.alloc(0) : Buffer.copyBytesFrom(slab, at, length);
      this.#queueErrors[q] = undefined;
      this.sendStamps[2 * q] = 0;
      this.sendStamps[2 * q + 1] = 0;
      if (stampOffset >= 0) {
        this.stamp[0] = seconds;
        this.stamp[1] = fraction;
        copy.writeUInt32BE(seconds, stampOffset);
        copy.writeUInt32BE(fraction, stampOffset + 4);
        this.sendStamps[2 * q] = seconds;
        this.sendStamps[2 * q + 1] = fraction;
      }
      try {
        const accepted = this.#transmit(copy, length, target, port, ttl < 0 ? this.#ttl : ttl);
        this.sendResults[q] = accepted ? 1 : 0;
        if (accepted) sent += 1;
      } catch (error) {
        this.sendResults[q] = -1;
        this.#queueErrors[q] = error instanceof Error ? error : new Error(String(error));
      }
    }
    return sent;
  }

  sendError(index: number): Error | undefined {
    return (this.sendResults[index] ?? 0) < 0 ? this.#queueErrors[index] : undefined;
  }

  reply(batch: ReceiveBatch, index: number, data: Uint8Array, length: number, options?: SendOptions): boolean {
    return this.send(data, length, batch.address(index), batch.port(index), options);
  }

  flush(): void {
    // Nothing is queued here: every send goes to dgram at once.
  }

  stampNow(): void {
    if (this.#closed) throw closedError('stampNow');
    readWallClock(this.#clock);
    this.stamp[0] = unixToNtpSeconds(this.#clock.seconds);
    this.stamp[1] = nanosToNtpFraction(this.#clock.nanos);
  }

  connect(address: string, port: number): void {
    if (this.#closed) throw closedError('connect');
    const target = this.#target(address);
    checkPort(port);
    const endpoint = formatEndpoint(address, port);
    try {
      // dgram refuses to connect a connected socket; the system (and the native socket) re-connects.
      if (this.#peer !== undefined) this.#socket.disconnect();
      this.#peer = undefined;
      this.#socket.connect(port, target, (error?: Error) => {
        if (error === undefined || this.#closed) return;
        this.#peer = undefined;
        this.#emitError(toNetworkError(error, 'connect', endpoint));
      });
    } catch (error) {
      throw toNetworkError(error, 'connect', endpoint);
    }
    // The lookup is synchronous, so dgram has connected (or failed) by now; a failure is also
    // reported through the callback above.
    this.#peer = { address: target, port };
  }

  setTtl(ttl: number): void {
    if (this.#closed) throw closedError('setsockopt IP_TTL');
    checkTtl('ttl', ttl);
    this.#setOption(this.family === 6 ? 'setsockopt IPV6_UNICAST_HOPS' : 'setsockopt IP_TTL', () => {
      this.#socket.setTTL(ttl);
    });
    this.#ttl = ttl;
    this.#socketTtl = ttl;
  }

  setTos(tos: number): void {
    throw unsupported('tos', 'set the TOS / Traffic Class', 'setTos', String(tos));
  }

  setDontFragment(on: boolean): void {
    throw unsupported('dontFragment', "set or clear don't-fragment", 'dontFragment', String(on));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Queued packets are dropped with the socket.
    this.#queued = 0;
    this.#queueSlab = undefined;
    this.#receiveHandler = undefined;
    this.#errorHandler = undefined;
    this.#batch.release();
    try {
      this.#socket.close();
    } catch {
      // Already closed by dgram (a failed bind): the descriptor is gone either way.
    }
  }

  #deliver(message: Buffer, remote: RemoteInfo): void {
    // Read the clock first: everything after it would count as network delay.
    readWallClock(this.#clock);
    if (this.#closed) return;
    const stats = this.#stats;
    const cut = message.length > this.#maxPacketSize;
    const received = cut ? this.#maxPacketSize : message.length;
    stats.packetsReceived += 1;
    stats.bytesReceived += received;
    stats.receiveBatches += 1;
    if (cut) stats.truncated += 1;
    const handler = this.#receiveHandler;
    if (handler === undefined) return;
    const batch = this.#batch;
    batch.message = message;
    batch.received = received;
    batch.cut = cut;
    batch.sourceFamily = this.family;
    batch.sourceAddress = remote.address;
    batch.sourcePort = remote.port;
    batch.seconds = this.#clock.seconds;
    batch.nanos = this.#clock.nanos;
    batch.count = 1;
    try {
      handler(batch);
    } finally {
      batch.release();
    }
  }

  #send(data: Uint8Array, length: number, target: string | undefined, port: number, options: SendOptions | undefined): boolean {
    this.#checkPacket(data, length, target, port);
    const { ttl, stampOffset } = this.#readOptions(options, length);
    const copy = length === 0 ? Buffer.alloc(0) : Buffer.copyBytesFrom(data, 0, length);
    if (stampOffset !== undefined) {
      // Stamped last, into both the caller's packet and the copy dgram sends.
      readWallClock(this.#clock);
      writeNtpTimestamp(copy, stampOffset, this.#clock.seconds, this.#clock.nanos, this.stamp);
      data.set(copy.subarray(stampOffset, stampOffset + 8), stampOffset);
    }
    return this.#transmit(copy, length, target, port, ttl);
  }

  #checkPacket(data: Uint8Array, length: number, target: string | undefined, port: number): void {
    if (!Number.isInteger(length) || length < 0 || length > data.byteLength) {
      throw new ConfigError([{ path: 'length', expected: `an integer from 0 to ${data.byteLength} (the buffer's length)`, received: String(length) }]);
    }
    if (length > this.#maxPayload) {
      // dgram would report this a tick later through the callback; the contract wants it thrown.
      throw new NetworkError({
        operation: 'send',
        systemCode: 'EMSGSIZE',
        ...(target === undefined ? {} : { endpoint: formatEndpoint(target, port) }),
        detail: `${length} octets is more than a UDP datagram over IPv${this.family} can carry (${this.#maxPayload})`,
      });
    }
  }

  #readOptions(options: SendOptions | undefined, length: number): { ttl: number | undefined; stampOffset: number | undefined } {
    let ttl = this.#ttl;
    let stampOffset: number | undefined;
    if (options !== undefined) {
      if (options.tos !== undefined) {
        throw unsupported('tos', 'set a per-packet TOS / Traffic Class', 'setTos', String(options.tos));
      }
      if (options.ttl !== undefined) {
        checkTtl('ttl', options.ttl);
        ttl = options.ttl;
      }
      stampOffset = options.stampOffset;
      if (stampOffset !== undefined && (!Number.isInteger(stampOffset) || stampOffset < 0 || stampOffset + 8 > length)) {
        throw new ConfigError([{ path: 'stampOffset', expected: `an integer from 0 to ${length - 8} (8 octets inside the packet)`, received: String(stampOffset) }]);
      }
    }
    return { ttl, stampOffset };
  }

  /** Hands a copy to dgram: true sent, false dropped (bounded libuv queue); throws a NetworkError. */
  #transmit(copy: Buffer, length: number, target: string | undefined, port: number, ttl: number | undefined): boolean {
    const socket = this.#socket;
    const queued = socket.getSendQueueCount();
    // A TTL change would also apply to the datagrams still queued in libuv, so a packet with
    // another TTL waits for an empty queue; and the queue itself is bounded.
    if (queued >= MAX_QUEUED_SENDS || (queued > 0 && ttl !== this.#socketTtl)) {
      this.#stats.sendDropped += 1;
      return false;
    }
    if (ttl !== this.#socketTtl) {
      const value = ttl ?? systemDefaultTtl(this.family);
      this.#setOption(this.family === 6 ? 'setsockopt IPV6_UNICAST_HOPS' : 'setsockopt IP_TTL', () => {
        socket.setTTL(value);
      });
      this.#socketTtl = ttl;
    }
    try {
      if (target === undefined) socket.send(copy, this.#afterSend);
      else socket.send(copy, port, target, this.#afterSend);
    } catch (error) {
      throw toNetworkError(error, 'send', target === undefined ? this.#peerEndpoint() : formatEndpoint(target, port));
    }
    this.#stats.packetsSent += 1;
    this.#stats.bytesSent += length;
    return true;
  }

  /** One callback for every send (no closure per packet): counts drops, reports failures. */
  readonly #afterSend = (error: Error | null): void => {
    if (error === null || this.#closed) return;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && DROP_CODES.has(code)) {
      this.#stats.sendDropped += 1;
      return;
    }
    this.#emitError(toNetworkError(error, 'send'));
  };

  /** A destination checked against the socket's family (one family per socket, no host names). */
  #target(address: string): string {
    if (address === this.#lastAddress) return address;
    if (this.family === 4 ? !isIPv4(address) : !isIPv6(address)) {
      throw badAddress(address, this.family === 4 ? 'an IPv4 address (the socket is IPv4; no host names)' : 'an IPv6 address (the socket is IPv6-only; no host names)');
    }
    this.#lastAddress = address;
    return address;
  }

  #setOption(operation: string, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      throw toNetworkError(error, operation, formatEndpoint(this.#localAddress, this.#localPort));
    }
  }

  #peerEndpoint(): string | undefined {
    return this.#peer === undefined ? undefined : formatEndpoint(this.#peer.address, this.#peer.port);
  }

  #emitError(error: Error): void {
    // Without a handler an asynchronous error has nobody to tell; it must not crash the process
    // (a peer's ICMP message would otherwise be enough to kill it).
    this.#errorHandler?.(error);
  }
}

function badAddress(address: unknown, expected: string): ConfigError {
  return new ConfigError([{ path: 'address', expected, received: typeof address === 'string' ? JSON.stringify(address) : String(address) }]);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError([{ path: 'port', expected: 'an integer from 1 to 65535', received: String(port) }]);
  }
}

/**
 * Open a UdpSocket on node:dgram: bound (to an ephemeral port unless `port` is given) and
 * receiving. TOS and don't-fragment options are refused with a ConfigError.
 */
export async function openDgramSocket(options: UdpSocketOptions): Promise<UdpSocket> {
  checkSocketOptions(options);
  if (options.tos !== undefined) {
    throw unsupported('tos', 'set the TOS / Traffic Class', 'setTos', String(options.tos));
  }
  if (options.dontFragment !== undefined) {
    throw unsupported('dontFragment', "set or clear don't-fragment", 'dontFragment', String(options.dontFragment));
  }
  const socket = createSocket({
    type: options.family === 6 ? 'udp6' : 'udp4',
    // One family per socket, as in the native socket: an IPv6 socket never sees IPv4-mapped
    // traffic, so addresses always come in the socket's own family.
    ipv6Only: options.family === 6,
    reuseAddr: options.reuseAddress ?? false,
    lookup: ipLiteralLookup,
  });
  const udp = new DgramUdpSocket(socket, options);
  await udp.open(options);
  return udp;
}
