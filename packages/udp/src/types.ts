// The contract every implementation meets: the native addon (recvmmsg/sendmmsg, ancillary data,
// kernel timestamps), the node:dgram fallback, and the memory network's sockets (for tests). Protocol logic stays out: this layer moves
// bytes, addresses, TTL/TOS and timestamps.

export type IpFamily = 4 | 6;

/**
 * `native` and `dgram` are opened by openUdpSocket; `memory` sockets only by their MemoryNetwork
 * (`network.open(options)`): a memory socket is nothing without its network.
 */
export type UdpImplementation = 'native' | 'dgram' | 'memory';

/** What an implementation can really do. The fallback reports what it lacks instead of faking it. */
export interface UdpCapabilities {
  readonly implementation: UdpImplementation;
  /** TTL / Hop Limit of sent packets can be set. */
  readonly setTtl: boolean;
  /** TOS / Traffic Class (DSCP + ECN) of sent packets can be set. */
  readonly setTos: boolean;
  /** Don't-fragment can be set (IP_MTU_DISCOVER / IPV6_DONTFRAG). */
  readonly dontFragment: boolean;
  /** The TTL / Hop Limit of each received packet is known. */
  readonly receiveTtl: boolean;
  /** The TOS / Traffic Class of each received packet is known. */
  readonly receiveTos: boolean;
  /** The local address each packet arrived on is known (IP_PKTINFO / IPV6_RECVPKTINFO). */
  readonly localAddress: boolean;
  /** Receive times come from the kernel (SO_TIMESTAMPNS); otherwise from userspace on delivery. */
  readonly kernelTimestamps: boolean;
  /** The send timestamp is written immediately before sendmsg(); otherwise before the send is queued. */
  readonly stampOnSend: boolean;
  /** Batches go through recvmmsg()/sendmmsg(). */
  readonly batching: boolean;
}

export interface UdpSocketOptions {
  readonly family: IpFamily;
  /** Local address to bind; default the wildcard of the family (0.0.0.0 or ::). */
  readonly address?: string;
  /** Local port; 0 (default) asks the system for an ephemeral one. */
  readonly port?: number;
  readonly reuseAddress?: boolean;
  /** TTL / Hop Limit for sent packets (1-255). RFC 5357 recommends 255. */
  readonly ttl?: number;
  /** TOS / Traffic Class octet for sent packets (DSCP << 2 | ECN). */
  readonly tos?: number;
  readonly dontFragment?: boolean;
  readonly receiveBufferSize?: number;
  readonly sendBufferSize?: number;
  /** Largest packet accepted on receive; longer ones are truncated and counted. Default 2048. */
  readonly maxPacketSize?: number;
  /** Packets per receive batch (recvmmsg vlen). Default 64. */
  readonly batchSize?: number;
  /**
   * Receive into buffers shared by every socket of this thread that sets this option with the same
   * batchSize and maxPacketSize (the ReceiveBatch object is shared too). A batch is valid only during
   * its callback anyway, and sockets are read one at a time, so thousands of mostly idle sockets (an
   * agent's slow sessions) need one set of receive buffers instead of one each: native, about
   * batchSize × (maxPacketSize + 0.6 KiB) saved per socket. Default false. The fallback has no
   * receive buffers and ignores it.
   */
  readonly sharedReceive?: boolean;
  /**
   * Which implementation to use; default `auto` (native when it loads). Env TWAMP_UDP_IMPL overrides
   * `auto`. openUdpSocket refuses `memory` with a ConfigError: open those on a MemoryNetwork.
   */
  readonly implementation?: UdpImplementation | 'auto';
}

/**
 * One receive batch, delivered in one callback. Accessors read from buffers that are reused for
 * the next batch: copy what must outlive the callback. Nothing is allocated per packet unless an
 * accessor that returns a string or a Buffer view is called.
 */
export interface ReceiveBatch {
  readonly count: number;
  /** The packet's bytes (a view, valid during the callback). */
  data(index: number): Buffer;
  /** Octets received (after truncation to maxPacketSize). */
  length(index: number): number;
  /** True when the datagram was longer than maxPacketSize and was cut. */
  truncated(index: number): boolean;
  family(index: number): IpFamily;
  /** Source address (formatted on demand). IPv6 sockets are IPv6-only, so its family is the socket's. */
  address(index: number): string;
  port(index: number): number;
  /** The local address the packet was sent to, or undefined when not known. */
  localAddress(index: number): string | undefined;
  /** Received TTL / Hop Limit, or -1 when not known. */
  ttl(index: number): number;
  /** Received TOS / Traffic Class octet, or -1 when not known. */
  tos(index: number): number;
  /** Receive time, Unix seconds (integer). */
  timeSeconds(index: number): number;
  /** Receive time, nanoseconds within the second. */
  timeNanos(index: number): number;
  /** Where the receive times of this batch come from. */
  readonly timeSource: 'kernel' | 'userspace';
}

export interface SendOptions {
  /**
   * Write the current time as an NTP timestamp (8 octets) at this offset of the packet just
   * before sending; the value written is left in `UdpSocket.stamp`.
   */
  readonly stampOffset?: number;
  /** Per-packet TTL / Hop Limit override. */
  readonly ttl?: number;
  /** Per-packet TOS / Traffic Class override. */
  readonly tos?: number;
}

export interface UdpSocket {
  readonly capabilities: UdpCapabilities;
  readonly family: IpFamily;
  /** Bound local address and port (the real port when 0 was asked for). */
  readonly localAddress: string;
  readonly localPort: number;
  /**
   * The NTP timestamp written by the last stamped send: [seconds, fraction]. Reused: read it
   * right after `send`.
   */
  readonly stamp: Uint32Array;
  /** Counters since open. */
  readonly stats: UdpSocketStats;
  /**
   * Read the clock this socket stamps with (the same one as stamp-on-send and, on the native socket,
   * the kernel's receive timestamps: CLOCK_REALTIME) and leave the NTP value in `stamp`. For times the
   * caller must write itself (a timestamp inside an encrypted or HMAC-covered part of a packet), so
   * that every time of a measurement comes from one clock. Throws a NetworkError once closed.
   */
  stampNow(): void;
  /** Deliver received batches here. Only one handler; setting another replaces it. */
  onReceive(handler: (batch: ReceiveBatch) => void): void;
  /** Asynchronous errors (ICMP errors on connected sockets, receive failures) as typed errors. */
  onError(handler: (error: Error) => void): void;
  /**
   * Send `length` octets of `data` to address:port (or to the connected peer when address is
   * undefined). Returns false when the packet was dropped because the socket buffer is full;
   * throws a typed NetworkError for real failures (EMSGSIZE, EACCES, ...).
   */
  send(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): boolean;
  /**
   * Queue a packet for the next `flushSends()` instead of sending it now: the octets are copied
   * (the caller may reuse `data` at once) with their destination and options. Nothing crosses into
   * the system until the flush, so a burst costs one system call (native: one sendmmsg()).
   * Returns the packet's index in the queue (0-based: its stamp and outcome after the flush are at
   * this index of `sendStamps` / `sendResults`), or -1 when the queue already holds
   * `sendQueueCapacity` packets (nothing was queued: flush first). `stampOffset` is written at
   * flush time (see `flushSends`), into the queued copy only. Throws a RangeError for a packet
   * longer than the socket's maxPacketSize (send it with `send()`), a ConfigError for a bad address
   * or option, a NetworkError once closed.
   */
  queue(data: Uint8Array, length: number, address: string | undefined, port: number, options?: SendOptions): number;
  /**
   * Send every queued packet, in queue order, and empty the queue. Returns how many left (the
   * kernel took them). Native: one sendmmsg(), and ONE clock read just before it, written into
   * every stamped packet of the batch, so the T1 of a batched packet is the time of its batch's
   * system call (packets later in the batch leave some microseconds after it). The fallback sends
   * each packet through node:dgram, stamped from one clock read too. Never throws for a packet:
   * each one's outcome is in `sendResults`. A socket closed with packets queued drops them.
   */
  flushSends(): number;
  /** Packets queued for the next `flushSends()`. */
  readonly queuedSends: number;
  /** The most packets `queue()` holds before a flush (the socket's batchSize). */
  readonly sendQueueCapacity: number;
  /**
   * Per packet of the last `flushSends()`, by queue index: the NTP stamp written into it as
   * [seconds, fraction] at 2 × index (0, 0 when it had no stampOffset). Reused: read it before the
   * next `queue()`.
   */
  readonly sendStamps: Uint32Array;
  /**
   * Per packet of the last `flushSends()`, by queue index: 1 sent, 0 dropped because the socket
   * buffer was full (counted in stats.sendDropped), negative when it failed (see `sendError`).
   */
  readonly sendResults: Int32Array;
  /** The typed NetworkError of a packet of the last flush that failed (made on demand), else undefined. */
  sendError(index: number): Error | undefined;
  /**
   * Reply to packet `index` of `batch`: to its source address and port, from the local address
   * it arrived on when known (so a multi-homed host answers from the address it was asked on).
   * Must be called during the batch callback.
   */
  reply(batch: ReceiveBatch, index: number, data: Uint8Array, length: number, options?: SendOptions): boolean;
  /** Apply queued replies now (the native implementation sends them with one sendmmsg per batch). */
  flush(): void;
  connect(address: string, port: number): void;
  setTtl(ttl: number): void;
  setTos(tos: number): void;
  setDontFragment(on: boolean): void;
  /** Stop receiving, release the descriptor and every buffer. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

export interface UdpSocketStats {
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** Sends dropped because the socket buffer was full (EAGAIN / ENOBUFS). */
  readonly sendDropped: number;
  /** Datagrams longer than maxPacketSize. */
  readonly truncated: number;
  readonly receiveBatches: number;
}

/** The system clock's synchronisation state, for the Error Estimate (Linux adjtimex). */
export interface ClockStatus {
  /** False when the kernel says the clock is not synchronised (STA_UNSYNC) or the status is unknown. */
  readonly synchronized: boolean;
  /** The kernel's estimated error in seconds, when known. */
  readonly estimatedErrorSeconds: number | undefined;
  /** The kernel's maximum error in seconds, when known. */
  readonly maximumErrorSeconds: number | undefined;
  /** Where this came from: `adjtimex` (native) or `unknown` (fallback). */
  readonly source: 'adjtimex' | 'unknown';
}
