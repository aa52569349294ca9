// A two-host scenario on a virtual clock for the memory network's tests: packets numbered 0..n-1
// sent from 198.18.0.1 to 198.18.0.2:862 every intervalMs, and what arrived, in arrival order.

import { MemoryNetwork, type ImpairmentSpec, type MemoryNetworkOptions, type MemoryUdpSocket, VirtualClock } from '../../src/index.js';

export const SENDER = '198.18.0.1';
export const RECEIVER = '198.18.0.2';
export const PORT = 862;

export interface Arrival {
  readonly seq: number;
  /** Receive time, Unix nanoseconds. */
  readonly atNs: bigint;
  readonly ttl: number;
  readonly tos: number;
  /** Index of the batch it came in. */
  readonly batch: number;
}

export interface Run {
  readonly arrivals: Arrival[];
  /** Send time of each packet, Unix nanoseconds. */
  readonly sentNs: bigint[];
  readonly network: MemoryNetwork;
  readonly sender: MemoryUdpSocket;
  readonly receiver: MemoryUdpSocket;
}

export async function runLink(
  count: number,
  intervalMs: number,
  spec: ImpairmentSpec,
  options: Omit<MemoryNetworkOptions, 'clock'> = {},
): Promise<Run> {
  const clock = new VirtualClock();
  const network = new MemoryNetwork({ ...options, clock });
  const sender = await network.open({ family: 4, address: SENDER, ttl: 255 });
  const receiver = await network.open({ family: 4, address: RECEIVER, port: PORT, batchSize: 64, receiveBufferSize: 1 << 26 });
  network.impair({ from: SENDER, to: `${RECEIVER}:${PORT}` }, spec);
  const arrivals: Arrival[] = [];
  let batches = 0;
  receiver.onReceive((batch) => {
    for (let i = 0; i < batch.count; i++) {
      arrivals.push({
        seq: batch.data(i).readUInt32BE(0),
        atNs: BigInt(batch.timeSeconds(i)) * 1_000_000_000n + BigInt(batch.timeNanos(i)),
        ttl: batch.ttl(i),
        tos: batch.tos(i),
        batch: batches,
      });
    }
    batches += 1;
  });
  const sentNs: bigint[] = [];
  const packet = Buffer.alloc(64);
  for (let seq = 0; seq < count; seq++) {
    clock.schedule(seq * intervalMs, () => {
      packet.writeUInt32BE(seq, 0);
      sentNs.push(clock.nowNs());
      sender.send(packet, packet.length, RECEIVER, PORT);
    });
  }
  clock.advance(count * intervalMs + 60_000);
  return { arrivals, sentNs, network, sender, receiver };
}
