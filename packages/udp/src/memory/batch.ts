// The ReceiveBatch of a memory socket: up to batchSize arrived packets, read straight from their
// records. One object per socket, refilled for every batch.

import type { IpFamily, ReceiveBatch } from '../types.js';
import type { InFlightPacket } from './packet.js';

export class MemoryReceiveBatch implements ReceiveBatch {
  count = 0;
  readonly timeSource = 'kernel';
  readonly packets: (InFlightPacket | undefined)[];
  readonly #family: IpFamily;

  constructor(family: IpFamily, batchSize: number) {
    this.#family = family;
    this.packets = new Array<InFlightPacket | undefined>(batchSize).fill(undefined);
  }

  #at(index: number): InFlightPacket {
    const packet = index >>> 0 === index && index < this.count ? this.packets[index] : undefined;
    if (packet === undefined) {
      throw new RangeError(`packet index ${index} is outside this batch of ${this.count} (batches are valid only during the callback)`);
    }
    return packet;
  }

  data(index: number): Buffer {
    return this.#at(index).view();
  }

  length(index: number): number {
    return this.#at(index).receivedLength;
  }

  truncated(index: number): boolean {
    return this.#at(index).truncated;
  }

  family(index: number): IpFamily {
    this.#at(index);
    return this.#family;
  }

  address(index: number): string {
    return this.#at(index).sourceAddress;
  }

  port(index: number): number {
    return this.#at(index).sourcePort;
  }

  localAddress(index: number): string {
    return this.#at(index).destinationAddress;
  }

  ttl(index: number): number {
    return this.#at(index).ttl;
  }

  tos(index: number): number {
    return this.#at(index).tos;
  }

  timeSeconds(index: number): number {
    return this.#at(index).seconds;
  }

  timeNanos(index: number): number {
    return this.#at(index).nanos;
  }
}
