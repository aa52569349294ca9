// Shared behaviour, part 4: several hundred packets sent in one go arrive complete, in batches no
// larger than asked for. The receive buffer is raised so the kernel can hold the burst while the
// event loop is busy sending it; count and time are bounded.

import { expect, it } from 'vitest';
import type { IpFamily } from '../../src/index.js';
import { describeEachImplementation } from '../support/implementations.js';
import { loopback, receive } from '../support/receive.js';

const FAMILIES: readonly IpFamily[] = [4, 6];
const BURST = 500;
const BATCH_SIZE = 32;

describeEachImplementation((scope) => {
  it.each(FAMILIES)(`a burst of ${BURST} packets arrives complete (IPv%i)`, async (family) => {
    const sender = await scope.open({ family, address: loopback(family), sendBufferSize: 4 << 20 });
    const receiver = await scope.open({
      family,
      address: loopback(family),
      receiveBufferSize: 4 << 20,
      batchSize: BATCH_SIZE,
    });
    const arriving = receive(receiver, BURST, 15_000);
    const packet = Buffer.alloc(64);
    let accepted = 0;
    for (let seq = 0; seq < BURST; seq += 1) {
      packet.writeUInt32BE(seq, 0);
      if (sender.send(packet, packet.length, loopback(family), receiver.localPort)) accepted += 1;
    }
    expect(accepted).toBe(BURST);
    const { packets, batchCounts } = await arriving;
    expect(packets).toHaveLength(BURST);
    const seen = new Set(packets.map((p) => p.data.readUInt32BE(0)));
    expect(seen.size).toBe(BURST);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(BURST - 1);
    for (const count of batchCounts) {
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(receiver.capabilities.batching ? BATCH_SIZE : 1);
    }
    expect(batchCounts.reduce((a, b) => a + b, 0)).toBe(BURST);
    expect(receiver.stats.packetsReceived).toBe(BURST);
    expect(receiver.stats.receiveBatches).toBe(batchCounts.length);
    expect(receiver.stats.bytesReceived).toBe(BURST * packet.length);
    expect(sender.stats.packetsSent).toBe(BURST);
    expect(sender.stats.sendDropped).toBe(0);
  });

  it('replies to every packet of a burst from inside the batch callback', async () => {
    const client = await scope.open({ family: 4, address: '127.0.0.1', receiveBufferSize: 4 << 20 });
    const server = await scope.open({ family: 4, address: '127.0.0.1', receiveBufferSize: 4 << 20 });
    const count = 300;
    const served = receive(server, count, 15_000, (batch) => {
      for (let i = 0; i < batch.count; i += 1) server.reply(batch, i, batch.data(i), batch.length(i));
      server.flush();
    });
    const back = receive(client, count, 15_000);
    const packet = Buffer.alloc(48);
    for (let seq = 0; seq < count; seq += 1) {
      packet.writeUInt32BE(seq, 0);
      client.send(packet, packet.length, '127.0.0.1', server.localPort);
    }
    expect((await served).packets).toHaveLength(count);
    const { packets } = await back;
    expect(new Set(packets.map((p) => p.data.readUInt32BE(0))).size).toBe(count);
    expect(packets.every((p) => p.port === server.localPort)).toBe(true);
  });
});
