// The UdpSocket contract on top of the addon. Per received batch the addon makes one call into
// JavaScript; the batch object below is reused and reads the shared slab and metadata arrays
// directly, so nothing is allocated per packet unless an accessor returns a string or a view.

import { constants } from 'node:os';
import { ConfigError, formatEndpoint, NetworkError } from '@twamp/errors';
import type {
  IpFamily,
  ReceiveBatch,
  SendOptions,
  UdpCapabilities,
  UdpSocket,
  UdpSocketStats,
} from '../types.js';
import { AddressCache } from './address.js';
import type { NativeBinding, NativeHandle } from './binding.js';
import { networkError } from './errors.js';
import {
  BATCH_KERNEL_TIME,
  FLAG_LOCAL_KNOWN,
  FLAG_LOCAL_V6,
  FLAG_SOURCE_V6,
  FLAG_TRUNCATED,
  META_FLAGS,
  META_LENGTH,
  META_LOCAL,
  META_NANOS,
  META_PORT,
  META_SECONDS_HIGH,
  META_SECONDS_LOW,
  META_SOURCE,
  META_STRIDE,
  META_TOS,
  META_TTL,
  Option,
  SEND_COUNT_BYTE_OFFSET,
  SEND_DESTINATION,
  SEND_LENGTH,
  SEND_REFUSED_BYTE_OFFSET,
  SEND_STAMP_OFFSET,
  SEND_STRIDE,
  SEND_TOS,
  SEND_TTL,
  STAMP_BYTE_OFFSET,
  STAT_BYTES_RECEIVED,
  STAT_BYTES_SENT,
  STAT_PACKETS_RECEIVED,
  STAT_PACKETS_SENT,
  STAT_RECEIVE_BATCHES,
  STAT_SEND_DROPPED,
  STAT_TRUNCATED,
  TX_COUNT_BYTE_OFFSET,
  TX_INDEX,
  TX_LENGTH,
  TX_STAMP_OFFSET,
  TX_STRIDE,
  TX_TOS,
  TX_TTL,
} from './layout.js';
import { addressExpectation, isAddressOf, isInteger, type ResolvedOptions } from './options.js';
import { fullCapabilities } from '../capabilities.js';

const TWO_POW_32 = 4_294_967_296;
const ECONNREFUSED = constants.errno.ECONNREFUSED;
const EMPTY = new ArrayBuffer(0);
// Stand-ins for the queues' views until they are attached (and after close): shared, as nothing
// can be written into an empty array, so an idle socket carries no arrays of its own.
const NO_INT32 = new Int32Array(0);
const NO_UINT32 = new Uint32Array(0);
/** Up to this length a reply is copied octet by octet: cheaper than making a subarray to set(). */
const SHORT_COPY = 128;

/**
 * Copy `length` octets of `data` into a queue slot at `at` of `slab`: a short packet byte by byte
 * (cheaper than a typed-array call), a longer one with `set` (no subarray when it is the whole view).
 */
function copyIntoSlot(slab: Uint8Array, at: number, data: Uint8Array, length: number): void {
  if (length === data.length) {
    slab.set(data, at);
  } else if (length <= SHORT_COPY) {
    for (let k = 0; k < length; k++) slab[at + k] = data[k] ?? 0;
  } else {
    slab.set(data.subarray(0, length), at);
  }
}

/**
 * The batch object of each shared receive area (sharedReceive), keyed by the area's slab: sockets
 * on one area read the same memory, so they share the object that reads it (one address cache,
 * one set of views) as well. Weak: it goes with the area.
 */
const sharedBatches = new WeakMap<ArrayBuffer, NativeReceiveBatch>();

export const NATIVE_CAPABILITIES: UdpCapabilities = fullCapabilities('native');

/** Live counters over the addon's control buffer: reading them allocates nothing. */
class NativeStats implements UdpSocketStats {
  private readonly counters: Float64Array;
  constructor(counters: Float64Array) {
    this.counters = counters;
  }
  get packetsReceived(): number {
    return this.counters[STAT_PACKETS_RECEIVED] ?? 0;
  }
  get packetsSent(): number {
    return this.counters[STAT_PACKETS_SENT] ?? 0;
  }
  get bytesReceived(): number {
    return this.counters[STAT_BYTES_RECEIVED] ?? 0;
  }
  get bytesSent(): number {
    return this.counters[STAT_BYTES_SENT] ?? 0;
  }
  get sendDropped(): number {
    return this.counters[STAT_SEND_DROPPED] ?? 0;
  }
  get truncated(): number {
    return this.counters[STAT_TRUNCATED] ?? 0;
  }
  get receiveBatches(): number {
    return this.counters[STAT_RECEIVE_BATCHES] ?? 0;
  }
  /** console.log shows the numbers, not the backing array. */
  [Symbol.for('nodejs.util.inspect.custom')](): UdpSocketStats {
    return this.toJSON();
  }
  toJSON(): UdpSocketStats {
    return {
      packetsReceived: this.packetsReceived,
      packetsSent: this.packetsSent,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      sendDropped: this.sendDropped,
      truncated: this.truncated,
      receiveBatches: this.receiveBatches,
    };
  }
}

/** One object per socket, refilled for every batch. */
export class NativeReceiveBatch implements ReceiveBatch {
  count = 0;
  timeSource: 'kernel' | 'userspace' = 'kernel';
  private slab: ArrayBuffer;
  private meta: Int32Array;
  private metaUnsigned: Uint32Array;
  private metaBytes: Uint8Array;
  /** A Buffer view per slot, reused while the packet length in that slot stays the same. */
  private views: (Buffer | undefined)[];
  private readonly maxPacketSize: number;
  private readonly addresses: AddressCache;

  constructor(slab: ArrayBuffer, meta: ArrayBuffer, maxPacketSize: number, addresses: AddressCache) {
    this.maxPacketSize = maxPacketSize;
    this.addresses = addresses;
    this.slab = slab;
    this.meta = new Int32Array(meta);
    this.metaUnsigned = new Uint32Array(meta);
    this.metaBytes = new Uint8Array(meta);
    this.views = new Array<Buffer | undefined>(meta.byteLength / (META_STRIDE * 4)).fill(undefined);
  }

  /** Drops every reference to the shared memory (on close). */
  release(): void {
    this.count = 0;
    this.slab = EMPTY;
    this.meta = NO_INT32;
    this.metaUnsigned = NO_UINT32;
    this.metaBytes = new Uint8Array(0);
    this.views = [];
  }

  private base(index: number): number {
    if (index >>> 0 !== index || index >= this.count) {
      throw new RangeError(`packet index ${index} is outside this batch of ${this.count}`);
    }
    return index * META_STRIDE;
  }

  data(index: number): Buffer {
    const length = this.meta[this.base(index) + META_LENGTH] ?? 0;
    let view = this.views[index];
    if (view?.length !== length) {
      view = Buffer.from(this.slab, index * this.maxPacketSize, length);
      this.views[index] = view;
    }
    return view;
  }

  length(index: number): number {
    return this.meta[this.base(index) + META_LENGTH] ?? 0;
  }

  truncated(index: number): boolean {
    return ((this.meta[this.base(index) + META_FLAGS] ?? 0) & FLAG_TRUNCATED) !== 0;
  }

  family(index: number): IpFamily {
    return ((this.meta[this.base(index) + META_FLAGS] ?? 0) & FLAG_SOURCE_V6) !== 0 ? 6 : 4;
  }

  address(index: number): string {
    const base = this.base(index);
    const v6 = ((this.meta[base + META_FLAGS] ?? 0) & FLAG_SOURCE_V6) !== 0;
    return this.addresses.lookup(this.meta, this.metaBytes, base + META_SOURCE, v6);
  }

  port(index: number): number {
    return this.meta[this.base(index) + META_PORT] ?? 0;
  }

  localAddress(index: number): string | undefined {
    const base = this.base(index);
    const flags = this.meta[base + META_FLAGS] ?? 0;
    if ((flags & FLAG_LOCAL_KNOWN) === 0) return undefined;
    return this.addresses.lookup(this.meta, this.metaBytes, base + META_LOCAL, (flags & FLAG_LOCAL_V6) !== 0);
  }

  ttl(index: number): number {
    return this.meta[this.base(index) + META_TTL] ?? -1;
  }

  tos(index: number): number {
    return this.meta[this.base(index) + META_TOS] ?? -1;
  }

  timeSeconds(index: number): number {
    const base = this.base(index);
    return (this.meta[base + META_SECONDS_HIGH] ?? 0) * TWO_POW_32 + (this.metaUnsigned[base + META_SECONDS_LOW] ?? 0);
  }

  timeNanos(index: number): number {
    return this.meta[this.base(index) + META_NANOS] ?? 0;
  }
}

function checkLength(data: Uint8Array, length: number): void {
  if (!(data instanceof Uint8Array)) throw new TypeError('data must be a Uint8Array or Buffer');
  if (length >>> 0 !== length || length > data.length) {
    throw new RangeError(`length must be an integer from 0 to ${data.length} (the data's length), got ${length}`);
  }
}

function checkStampOffset(stampOffset: number, length: number): void {
  if (stampOffset >>> 0 !== stampOffset || stampOffset + 8 > length) {
    throw new RangeError(`stampOffset must leave 8 octets inside the ${length} sent, got ${stampOffset}`);
  }
}

function checkTtl(ttl: unknown): asserts ttl is number {
  if (!isInteger(ttl, 1, 255)) throw new ConfigError([{ path: 'ttl', expected: 'an integer from 1 to 255', received: String(ttl) }]);
}

function checkTos(tos: unknown): asserts tos is number {
  if (!isInteger(tos, 0, 255)) throw new ConfigError([{ path: 'tos', expected: 'an integer from 0 to 255', received: String(tos) }]);
}

function checkPort(port: unknown): asserts port is number {
  if (!isInteger(port, 0, 65535)) throw new ConfigError([{ path: 'port', expected: 'an integer from 0 to 65535', received: String(port) }]);
}

export class NativeUdpSocket implements UdpSocket {
  readonly capabilities: UdpCapabilities = NATIVE_CAPABILITIES;
  readonly family: IpFamily;
  readonly stamp: Uint32Array;
  readonly stats: UdpSocketStats;

  private readonly binding: NativeBinding;
  private readonly handle: NativeHandle;
  private readonly batch: NativeReceiveBatch;
  /** The batch (and the memory it reads) is shared with other sockets: never released by this one. */
  private readonly sharedBatch: boolean;
  private receiveHandler: ((batch: ReceiveBatch) => void) | undefined;
  private errorHandler: ((error: Error) => void) | undefined;
  private dispatching = false;
  private isClosed = false;
  private boundAddress: string;
  private boundPort = 0;
  private peerAddress: string | undefined;
  private peerPort = -1;
  private connectedTo: string | undefined;
  private readonly batchSize: number;
  private readonly maxPacketSize: number;
  /**
   * Called by the addon once per received batch, and for asynchronous errors (from the loop, never
   * inside another call). Made in the constructor rather than as arrow-function fields: a
   * transpiler that keeps function names (tsx) would give each field's function a `name` property
   * and with it a 256-octet property store, per socket.
   */
  private readonly onBatch: (count: number, flags: number) => void;
  private readonly onNativeError: (errno: number, operation: string, endpoint: string | undefined) => void;
  /** The reply queue shared with the addon, attached on the first reply. */
  private sendSlab: Uint8Array | undefined;
  private sendMeta = NO_INT32;
  private readonly sendCount: Int32Array;
  /** The send queue of queue()/flushSends(), attached on the first queue(). */
  private queueSlab: Uint8Array | undefined;
  private queueMeta = NO_INT32;
  private queueStamps = NO_UINT32;
  private queueResults = NO_INT32;
  private readonly queueCount: Int32Array;
  private readonly queueRefused: Int32Array;
  /**
   * The addon's destination table, mirrored: slot k holds destAddress[k]:destPort[k]. Each
   * destination is parsed once (setDestination); queued packets name their slot. destQueued[k]
   * is the flush generation that last queued to slot k: a slot still named by the queue is never
   * reused, and as there are as many slots as queue entries, a free one always exists. Made with
   * the queue (attachQueue): a socket that never queues carries none of it.
   */
  private destAddress: (string | undefined)[] = [];
  private destPort = NO_INT32;
  private destQueued = NO_INT32;
  private destNext = 0;
  private lastDestination = -1;
  private flushGeneration = 1;

  private constructor(binding: NativeBinding, options: ResolvedOptions) {
    this.onBatch = (count: number, flags: number): void => {
      const batch = this.batch;
      batch.count = count;
      batch.timeSource = (flags & BATCH_KERNEL_TIME) !== 0 ? 'kernel' : 'userspace';
      const handler = this.receiveHandler;
      if (handler === undefined) return;
      this.dispatching = true;
      try {
        handler(batch);
      } finally {
        this.dispatching = false;
      }
    };
    this.onNativeError = (errno: number, operation: string, endpoint: string | undefined): void => {
      const handler = this.errorHandler;
      if (handler === undefined) return;
      handler(networkError(this.binding, errno, operation, endpoint ?? this.connectedTo));
    };
    this.binding = binding;
    this.family = options.family;
    this.boundAddress = options.address;
    this.handle = new binding.UdpSocket(
      options.family,
      options.batchSize,
      options.maxPacketSize,
      this.onBatch,
      this.onNativeError,
      options.sharedReceive ? 1 : 0,
    );
    const [slab, meta, ctl] = this.handle.buffers();
    if (slab === undefined || meta === undefined || ctl === undefined) throw new Error('twamp_udp: the addon returned no buffers');
    this.batchSize = options.batchSize;
    this.maxPacketSize = options.maxPacketSize;
    this.stamp = new Uint32Array(ctl, STAMP_BYTE_OFFSET, 2);
    this.sendCount = new Int32Array(ctl, TX_COUNT_BYTE_OFFSET, 1);
    this.queueCount = new Int32Array(ctl, SEND_COUNT_BYTE_OFFSET, 1);
    this.queueRefused = new Int32Array(ctl, SEND_REFUSED_BYTE_OFFSET, 1);
    this.stats = new NativeStats(new Float64Array(ctl, 0, STAMP_BYTE_OFFSET / 8));
    // An addon without shared areas hands each socket its own slab: then nothing is shared here either.
    const shared = options.sharedReceive ? sharedBatches.get(slab) : undefined;
    this.sharedBatch = options.sharedReceive;
    this.batch = shared ?? new NativeReceiveBatch(slab, meta, options.maxPacketSize, new AddressCache());
    if (options.sharedReceive && shared === undefined) sharedBatches.set(slab, this.batch);
  }

  /** Opens, configures, binds and starts a socket; on any failure nothing stays open. */
  static open(binding: NativeBinding, options: ResolvedOptions): NativeUdpSocket {
    const socket = new NativeUdpSocket(binding, options);
    try {
      socket.setUp(options);
    } catch (error) {
      socket.close();
      throw error;
    }
    return socket;
  }

  private setUp(options: ResolvedOptions): void {
    const v6 = options.family === 6;
    this.check(this.handle.open(), 'socket', undefined);
    if (options.reuseAddress) this.check(this.handle.setOption(Option.reuseAddress, 1), 'setsockopt SO_REUSEADDR', undefined);
    if (options.receiveBufferSize !== undefined) {
      this.check(this.handle.setOption(Option.receiveBuffer, options.receiveBufferSize), 'setsockopt SO_RCVBUF', undefined);
    }
    if (options.sendBufferSize !== undefined) {
      this.check(this.handle.setOption(Option.sendBuffer, options.sendBufferSize), 'setsockopt SO_SNDBUF', undefined);
    }
    if (options.ttl !== undefined) {
      this.check(this.handle.setOption(Option.ttl, options.ttl), v6 ? 'setsockopt IPV6_UNICAST_HOPS' : 'setsockopt IP_TTL', undefined);
    }
    if (options.tos !== undefined) {
      this.check(this.handle.setOption(Option.tos, options.tos), v6 ? 'setsockopt IPV6_TCLASS' : 'setsockopt IP_TOS', undefined);
    }
    if (options.dontFragment !== undefined) this.setDontFragment(options.dontFragment);
    this.check(this.handle.bind(options.address, options.port), 'bind', formatEndpoint(options.address, options.port));
    this.refreshLocal();
    this.check(this.handle.start(), 'poll', this.endpoint());
  }

  // ---- contract: properties

  get localAddress(): string {
    return this.boundAddress;
  }

  get localPort(): number {
    return this.boundPort;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  // ---- contract: handlers

  onReceive(handler: (batch: ReceiveBatch) => void): void {
    this.receiveHandler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  // ---- contract: sending

  send(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): boolean {
    if (this.isClosed) throw this.closedError('send');
    checkLength(data, length);
    let toPeer = 0;
    if (address !== undefined) {
      if (address !== this.peerAddress || port !== this.peerPort) this.setPeer(address, port);
      toPeer = 1;
    }
    this.readSendOptions(options, length);
    const { optionStamp: stampOffset, optionTtl: ttl, optionTos: tos } = this;
    let result = this.handle.send(data, length, toPeer, stampOffset, ttl, tos);
    if (result === -ECONNREFUSED) {
      // An ICMP port unreachable drawn by an earlier datagram of this connected socket, handed
      // to this call and cleared by it: an asynchronous error, so it goes to onError, and this
      // datagram gets its own try.
      this.deferError(networkError(this.binding, ECONNREFUSED, 'send', this.connectedTo));
      result = this.handle.send(data, length, toPeer, stampOffset, ttl, tos);
    }
    if (result < 0) {
      throw networkError(this.binding, -result, 'send', address === undefined ? this.connectedTo : formatEndpoint(address, port));
    }
    return result === 1;
  }

  // Per-packet options, checked and unpacked into fields (-1: not given) so that send() and
  // reply() share one reading and the hot path allocates nothing.
  private optionStamp = -1;
  private optionTtl = -1;
  private optionTos = -1;

  private readSendOptions(options: SendOptions | undefined, length: number): void {
    this.optionStamp = -1;
    this.optionTtl = -1;
    this.optionTos = -1;
    if (options === undefined) return;
    if (options.stampOffset !== undefined) {
      checkStampOffset(options.stampOffset, length);
      this.optionStamp = options.stampOffset;
    }
    if (options.ttl !== undefined) {
      checkTtl(options.ttl);
      this.optionTtl = options.ttl;
    }
    if (options.tos !== undefined) {
      checkTos(options.tos);
      this.optionTos = options.tos;
    }
  }

  reply(batch: ReceiveBatch, index: number, data: Uint8Array, length: number, options?: SendOptions): boolean {
    if (this.isClosed) throw this.closedError('reply');
    if (batch !== this.batch || !this.dispatching) {
      throw new RangeError('reply() must be called during the receive callback, with the batch that callback was given');
    }
    if (index >>> 0 !== index || index >= batch.count) {
      throw new RangeError(`packet index ${index} is outside this batch of ${batch.count}`);
    }
    checkLength(data, length);
    this.readSendOptions(options, length);
    const { optionStamp: stampOffset, optionTtl: ttl, optionTos: tos } = this;
    const slab = this.sendSlab ?? this.attachSendQueue();
    if (slab === undefined || length > this.maxPacketSize) {
      // Larger than a slot: the addon sends it at once, after what is queued.
      const result = this.handle.reply(index, data, length, stampOffset, ttl, tos);
      if (result < 0) throw networkError(this.binding, -result, 'reply', formatEndpoint(batch.address(index), batch.port(index)));
      return result === 1;
    }
    // Queued in the shared send slab without a call into the addon; it sends the whole queue
    // with one sendmmsg() after the callback returns (or on flush(), or when the queue is full).
    const counter = this.sendCount;
    let q = counter[0] ?? 0;
    if (q >= this.batchSize || q < 0) {
      this.handle.flush();
      q = 0;
    }
    const at = q * this.maxPacketSize;
    copyIntoSlot(slab, at, data, length);
    const meta = this.sendMeta;
    const m = q * TX_STRIDE;
    meta[m + TX_INDEX] = index;
    meta[m + TX_LENGTH] = length;
    meta[m + TX_STAMP_OFFSET] = stampOffset;
    meta[m + TX_TTL] = ttl;
    meta[m + TX_TOS] = tos;
    counter[0] = q + 1;
    return true;
  }

  private attachSendQueue(): Uint8Array | undefined {
    const [slab, meta] = this.handle.replyBuffers();
    if (slab === undefined || meta === undefined) return undefined;
    this.sendSlab = new Uint8Array(slab);
    this.sendMeta = new Int32Array(meta);
    return this.sendSlab;
  }

  // ---- contract: queued sends

  get queuedSends(): number {
    return this.isClosed ? 0 : (this.queueCount[0] ?? 0);
  }

  get sendQueueCapacity(): number {
    return this.batchSize;
  }

  get sendStamps(): Uint32Array {
    return this.queueStamps;
  }

  get sendResults(): Int32Array {
    return this.queueResults;
  }

  queue(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): number {
    if (this.isClosed) throw this.closedError('queue');
    checkLength(data, length);
    if (length > this.maxPacketSize) {
      throw new RangeError(`queue() takes packets up to maxPacketSize (${this.maxPacketSize} octets), got ${length}: use send()`);
    }
    this.readSendOptions(options, length);
    const slab = this.queueSlab ?? this.attachQueue();
    if (slab === undefined) throw this.closedError('queue');
    const counter = this.queueCount;
    const q = counter[0] ?? 0;
    if (q >= this.batchSize || q < 0) return -1;
    const destination = address === undefined ? -1 : this.destinationSlot(address, port);
    const at = q * this.maxPacketSize;
    copyIntoSlot(slab, at, data, length);
    const meta = this.queueMeta;
    const m = q * SEND_STRIDE;
    meta[m + SEND_DESTINATION] = destination;
    meta[m + SEND_LENGTH] = length;
    meta[m + SEND_STAMP_OFFSET] = this.optionStamp;
    meta[m + SEND_TTL] = this.optionTtl;
    meta[m + SEND_TOS] = this.optionTos;
    counter[0] = q + 1;
    return q;
  }

  flushSends(): number {
    if (this.isClosed || (this.queueCount[0] ?? 0) === 0) return 0;
    this.flushGeneration += 1;
    const sent = this.handle.flushSends();
    if (this.queueRefused[0] === 1) {
      // As in send(): an ICMP error drawn by earlier traffic of this connected socket, reported
      // asynchronously; the packet it was returned for was tried again.
      this.deferError(networkError(this.binding, ECONNREFUSED, 'send', this.connectedTo));
    }
    return sent;
  }

  sendError(index: number): Error | undefined {
    const result = this.queueResults[index];
    if (result === undefined || result >= 0) return undefined;
    const slot = this.queueMeta[index * SEND_STRIDE + SEND_DESTINATION] ?? -1;
    const address = slot >= 0 ? this.destAddress[slot] : undefined;
    const endpoint = address === undefined ? this.connectedTo : formatEndpoint(address, this.destPort[slot] ?? 0);
    return networkError(this.binding, -result, 'send', endpoint);
  }

  private attachQueue(): Uint8Array | undefined {
    const [slab, meta, stamps, results] = this.handle.sendQueueBuffers();
    if (slab === undefined || meta === undefined || stamps === undefined || results === undefined) return undefined;
    this.queueSlab = new Uint8Array(slab);
    this.queueMeta = new Int32Array(meta);
    this.queueStamps = new Uint32Array(stamps);
    this.queueResults = new Int32Array(results);
    this.destAddress = new Array<string | undefined>(this.batchSize).fill(undefined);
    this.destPort = new Int32Array(this.batchSize).fill(-1);
    this.destQueued = new Int32Array(this.batchSize);
    return this.queueSlab;
  }

  /** The destination table slot of address:port, parsed into the addon on first use. */
  private destinationSlot(address: string, port: number): number {
    const generation = this.flushGeneration;
    const last = this.lastDestination;
    if (last >= 0 && this.destAddress[last] === address && this.destPort[last] === port) {
      this.destQueued[last] = generation;
      return last;
    }
    const slots = this.batchSize;
    for (let k = 0; k < slots; k++) {
      if (this.destPort[k] === port && this.destAddress[k] === address) {
        this.lastDestination = k;
        this.destQueued[k] = generation;
        return k;
      }
    }
    // A new destination: the next slot round-robin that no queued packet names.
    let k = this.destNext;
    while (this.destQueued[k] === generation) k = (k + 1) % slots;
    this.destNext = (k + 1) % slots;
    if (!isAddressOf(this.family, address)) {
      throw new ConfigError([{ path: 'address', expected: addressExpectation(this.family), received: JSON.stringify(address) }]);
    }
    checkPort(port);
    // Forget the slot before the parse: a failed one must not leave the old destination named.
    this.destAddress[k] = undefined;
    this.destPort[k] = -1;
    if (this.handle.setDestination(k, address, port) < 0) {
      throw new ConfigError([{ path: 'address', expected: addressExpectation(this.family), received: JSON.stringify(address) }]);
    }
    this.destAddress[k] = address;
    this.destPort[k] = port;
    this.destQueued[k] = generation;
    this.lastDestination = k;
    return k;
  }

  flush(): void {
    if (!this.isClosed) this.handle.flush();
  }

  stampNow(): void {
    if (this.isClosed) throw this.closedError('stampNow');
    this.handle.stampNow();
  }

  // ---- contract: configuration

  connect(address: string, port: number): void {
    if (!isAddressOf(this.family, address)) {
      throw new ConfigError([{ path: 'address', expected: addressExpectation(this.family), received: JSON.stringify(address) }]);
    }
    checkPort(port);
    const endpoint = formatEndpoint(address, port);
    this.check(this.handle.connect(address, port), 'connect', endpoint);
    this.connectedTo = endpoint;
    // A socket bound to the wildcard now has a definite source address.
    this.refreshLocal();
  }

  setTtl(ttl: number): void {
    checkTtl(ttl);
    this.check(this.handle.setOption(Option.ttl, ttl), this.family === 6 ? 'setsockopt IPV6_UNICAST_HOPS' : 'setsockopt IP_TTL', undefined);
  }

  setTos(tos: number): void {
    checkTos(tos);
    this.check(this.handle.setOption(Option.tos, tos), this.family === 6 ? 'setsockopt IPV6_TCLASS' : 'setsockopt IP_TOS', undefined);
  }

  setDontFragment(on: boolean): void {
    if (typeof on !== 'boolean') throw new ConfigError([{ path: 'dontFragment', expected: 'true or false', received: String(on) }]);
    this.check(
      this.handle.setOption(Option.dontFragment, on ? 1 : 0),
      this.family === 6 ? 'setsockopt IPV6_DONTFRAG' : 'setsockopt IP_MTU_DISCOVER',
      undefined,
    );
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.handle.close();
    this.sendSlab = undefined;
    this.sendMeta = NO_INT32;
    this.queueSlab = undefined;
    this.queueMeta = NO_INT32;
    this.queueStamps = NO_UINT32;
    this.queueResults = NO_INT32;
    this.receiveHandler = undefined;
    this.errorHandler = undefined;
    if (!this.sharedBatch) this.batch.release();
  }

  // ---- internals

  private deferError(error: NetworkError): void {
    process.nextTick(() => {
      this.errorHandler?.(error);
    });
  }

  private setPeer(address: string, port: number): void {
    if (!isAddressOf(this.family, address)) {
      throw new ConfigError([{ path: 'address', expected: addressExpectation(this.family), received: JSON.stringify(address) }]);
    }
    checkPort(port);
    if (this.handle.setPeer(address, port) < 0) {
      throw new ConfigError([{ path: 'address', expected: addressExpectation(this.family), received: JSON.stringify(address) }]);
    }
    this.peerAddress = address;
    this.peerPort = port;
  }

  private refreshLocal(): void {
    const local = this.handle.localAddress();
    if (typeof local === 'number') throw networkError(this.binding, -local, 'getsockname', undefined);
    this.boundAddress = local[0];
    this.boundPort = local[1];
  }

  private endpoint(): string {
    return formatEndpoint(this.boundAddress, this.boundPort);
  }

  private check(result: number, operation: string, endpoint: string | undefined): void {
    if (result < 0) throw networkError(this.binding, -result, operation, endpoint ?? this.endpoint());
  }

  private closedError(operation: string): NetworkError {
    return new NetworkError({ operation, systemCode: 'EBADF', endpoint: this.endpoint(), detail: 'the socket is closed' });
  }
}
