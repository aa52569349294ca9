// The shape of the compiled addon (native/twamp_udp.cc, native/udp_socket.cc). Methods return
// 0 or a positive result on success and -errno on failure; nothing throws for a system error.

import type { Option } from './layout.js';

export type BatchCallback = (count: number, flags: number) => void;
export type ErrorCallback = (errno: number, operation: string, endpoint: string | undefined) => void;

export interface NativeHandle {
  /** socket() with the receive options (PKTINFO, TTL, TOS, SO_TIMESTAMPNS) set. */
  open(): number;
  setOption(option: Option, value: number): number;
  bind(address: string, port: number): number;
  /** Starts polling on the loop; from here the socket stays alive until close(). */
  start(): number;
  /** getsockname(): [address, port], or -errno. */
  localAddress(): [string, number] | number;
  connect(address: string, port: number): number;
  /** Parses and caches the destination of send(..., toPeer = 1). */
  setPeer(address: string, port: number): number;
  /** 1 sent, 0 dropped (EAGAIN/ENOBUFS), -errno. stampOffset/ttl/tos -1 = none. */
  send(data: Uint8Array, length: number, toPeer: number, stampOffset: number, ttl: number, tos: number): number;
  /**
   * Queues a reply to packet `index` of the batch being delivered: 1 queued or sent, 0 dropped,
   * -errno. Replies longer than a slot are sent at once, after what is queued.
   */
  reply(index: number, data: Uint8Array, length: number, stampOffset: number, ttl: number, tos: number): number;
  /** Sends the reply queue (see `replyBuffers`) with one sendmmsg() and empties it. */
  flush(): void;
  /** Store the current CLOCK_REALTIME reading as NTP in the shared stamp. */
  stampNow(): void;
  /**
   * [send slab, send metadata] of the reply queue, allocated on the first call; empty after
   * close. JavaScript queues a reply by filling the next slot and incrementing the count at
   * TX_COUNT_BYTE_OFFSET of the control buffer; the addon sends the queue after the batch
   * callback returns, on flush(), and before a reply() of its own.
   */
  replyBuffers(): ArrayBuffer[];
  /**
   * [slab, metadata, stamps, results] of the send queue, allocated on the first call; empty after
   * close. JavaScript queues a packet by filling the next slot and incrementing the count at
   * SEND_COUNT_BYTE_OFFSET of the control buffer; flushSends() sends the queue.
   */
  sendQueueBuffers(): ArrayBuffer[];
  /** Parses address:port into destination slot `slot` (0 .. batchSize-1): 0, or -errno. */
  setDestination(slot: number, address: string, port: number): number;
  /**
   * Sends the send queue with one sendmmsg() (more only after a partial send), every stamped
   * packet stamped from one clock read just before it; returns the packets the kernel took.
   */
  flushSends(): number;
  close(): void;
  /** [receive slab, per-packet metadata, control (counters + stamp)]; empty after close. */
  buffers(): ArrayBuffer[];
}

export type NativeHandleConstructor = new (
  family: 4 | 6,
  batchSize: number,
  maxPacketSize: number,
  onBatch: BatchCallback,
  onError: ErrorCallback,
  /** 1: receive into the environment's shared area for this batchSize × maxPacketSize (see UdpSocketOptions.sharedReceive). */
  sharedReceive: number,
) => NativeHandle;

export interface NativeBinding {
  readonly layoutVersion: number;
  readonly UdpSocket: NativeHandleConstructor;
  /** adjtimex(): [state or -errno, status, esterror µs, maxerror µs]. */
  clockStatus(): [number, number, number, number];
  strerror(errno: number): string;
  /** CLOCK_MONOTONIC in ms into cell[0]; allocates nothing. */
  readMonotonic(cell: Float64Array): void;
}
