// One datagram on the memory network: its octets (a copy made at send, the one copy a packet
// costs), its addresses, TTL and TOS, and, once it has arrived, its receive time. The record is
// also the task the clock runs when the packet is due, and it is pooled: a steady flow of packets
// reuses the same records and buffers.

import type { IpFamily } from '../types.js';
import type { Task } from './task-queue.js';

/** The socket a packet came from, as far as the network needs it. */
export interface PacketSender {
  /** Packets of this socket not yet arrived (the bound the network keeps per socket). */
  inFlight: number;
  /** An ICMP port unreachable came back for a packet of this connected socket. */
  refused(packet: InFlightPacket): void;
}

/** Where due packets go. */
export interface PacketSink {
  arrive(packet: InFlightPacket): void;
}

const MIN_CAPACITY = 64;

export class InFlightPacket implements Task {
  dueNs = 0;
  order = 0;
  slot = -1;
  buffer: Buffer;
  /** Octets sent. */
  length = 0;
  /** Octets the receiver gets (length cut to its maxPacketSize). */
  receivedLength = 0;
  truncated = false;
  family: IpFamily = 4;
  sourceAddress = '';
  sourcePort = 0;
  destinationAddress = '';
  destinationPort = 0;
  ttl = 0;
  tos = 0;
  /** Sent on a connected socket to its peer: an unreachable port is reported back to it. */
  connected = false;
  sender: PacketSender | undefined;
  /** Receive time (Unix), set on arrival. */
  seconds = 0;
  nanos = 0;
  readonly #sink: PacketSink;
  #view: Buffer;

  constructor(sink: PacketSink, capacity: number) {
    this.#sink = sink;
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, MIN_CAPACITY));
    this.#view = this.buffer.subarray(0, 0);
  }

  /** Make room for `length` octets (a larger buffer only when this one is too small). */
  reserve(length: number): void {
    if (this.buffer.length >= length) return;
    let capacity = this.buffer.length;
    while (capacity < length) capacity *= 2;
    this.buffer = Buffer.allocUnsafe(capacity);
    this.#view = this.buffer.subarray(0, 0);
  }

  /** Copy `length` octets of `data` in (the caller reserved room). */
  fill(data: Uint8Array, length: number): void {
    this.length = length;
    if (length === 0) return;
    if (length === data.length) this.buffer.set(data, 0);
    else this.buffer.set(data.subarray(0, length), 0);
  }

  /** The received octets as a view, reused while the length stays the same. */
  view(): Buffer {
    if (this.#view.length !== this.receivedLength) {
      this.#view = this.buffer.subarray(0, this.receivedLength);
    }
    return this.#view;
  }

  run(): void {
    this.#sink.arrive(this);
  }

  /** Forget the endpoints (back to the pool). */
  clear(): void {
    this.sender = undefined;
    this.connected = false;
    this.truncated = false;
  }
}
