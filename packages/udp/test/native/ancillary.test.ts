// What node:dgram cannot do and the addon exists for: TTL / Hop Limit and TOS / Traffic Class set
// on send and read on receive, the local address each packet arrived on, and replies that leave
// from that address. Loopback only (127.0.0.0/8 and ::1).

import { describe, expect, it } from 'vitest';
import type { IpFamily } from '../../src/types.js';
import { collect, LOOPBACK, socket } from './helpers.js';

const FAMILIES: IpFamily[] = [4, 6];
const EF = 0xb8; // DSCP EF (46) << 2, ECN 0

describe.each(FAMILIES)('native IPv%i', (family) => {
  const here = LOOPBACK[family];

  it('sends the socket TTL / Hop Limit and reads it on receive', async () => {
    const receiver = socket({ family, address: here });
    const sender = socket({ family, address: here, ttl: 7 });
    const got = collect(receiver, 1);
    sender.send(Buffer.from('ttl'), 3, here, receiver.localPort);
    const { packets } = await got;
    expect(packets.map((p) => p.ttl)).toEqual([7]);
  });

  it('applies setTtl() and a per-packet TTL override, and the override does not stick', async () => {
    const receiver = socket({ family, address: here });
    const sender = socket({ family, address: here });
    const got = collect(receiver, 3);
    sender.setTtl(200);
    sender.send(Buffer.from('a'), 1, here, receiver.localPort);
    sender.send(Buffer.from('b'), 1, here, receiver.localPort, { ttl: 3 });
    sender.send(Buffer.from('c'), 1, here, receiver.localPort);
    const { packets } = await got;
    expect(packets.map((p) => [p.data.toString(), p.ttl])).toEqual([
      ['a', 200],
      ['b', 3],
      ['c', 200],
    ]);
  });

  it(`sets TOS / Traffic Class 0xB8 (EF) and reads it on receive`, async () => {
    const receiver = socket({ family, address: here });
    const sender = socket({ family, address: here, tos: EF });
    const got = collect(receiver, 3);
    sender.send(Buffer.from('a'), 1, here, receiver.localPort);
    sender.send(Buffer.from('b'), 1, here, receiver.localPort, { tos: 0x28 }); // AF11, per packet
    sender.setTos(0);
    sender.send(Buffer.from('c'), 1, here, receiver.localPort);
    const { packets } = await got;
    expect(packets.map((p) => [p.data.toString(), p.tos])).toEqual([
      ['a', EF],
      ['b', 0x28],
      ['c', 0],
    ]);
  });

  it('reports the bound port and address, fixed or ephemeral', () => {
    const ephemeral = socket({ family, address: here });
    expect(ephemeral.localAddress).toBe(here);
    expect(ephemeral.localPort).toBeGreaterThan(1023);
    ephemeral.close();
    // The port just released is free again (SO_REUSEADDR not needed for UDP without a listener).
    const fixed = socket({ family, address: here, port: ephemeral.localPort });
    expect(fixed.localPort).toBe(ephemeral.localPort);
    const wildcard = socket({ family });
    expect(wildcard.localAddress).toBe(family === 4 ? '0.0.0.0' : '::');
  });

  it('reports source, port and local (destination) address of each packet', async () => {
    const receiver = socket({ family });
    const sender = socket({ family, address: here });
    const got = collect(receiver, 1);
    sender.send(Buffer.from('x'), 1, here, receiver.localPort);
    const { packets } = await got;
    expect(packets[0]).toMatchObject({ address: here, port: sender.localPort, localAddress: here });
  });
});

describe('native replies from the address a packet arrived on', () => {
  it('bound to 0.0.0.0, answers 127.0.0.2 from 127.0.0.2 and 127.0.0.1 from 127.0.0.1', async () => {
    const reflector = socket({ family: 4, address: '0.0.0.0' });
    const sender = socket({ family: 4, address: '127.0.0.1' });
    const reflected = collect(reflector, 2, 5000, (batch) => {
      for (let i = 0; i < batch.count; i++) reflector.reply(batch, i, batch.data(i), batch.length(i));
    });
    const replies = collect(sender, 2);
    sender.send(Buffer.from('to .2'), 5, '127.0.0.2', reflector.localPort);
    sender.send(Buffer.from('to .1'), 5, '127.0.0.1', reflector.localPort);
    const arrived = await reflected;
    expect(arrived.packets.map((p) => [p.data.toString(), p.localAddress])).toEqual([
      ['to .2', '127.0.0.2'],
      ['to .1', '127.0.0.1'],
    ]);
    const { packets } = await replies;
    expect(packets.map((p) => [p.data.toString(), p.address, p.port])).toEqual([
      ['to .2', '127.0.0.2', reflector.localPort],
      ['to .1', '127.0.0.1', reflector.localPort],
    ]);
    expect(reflector.stats.packetsSent).toBe(2);
  });

  it('bound to ::, answers ::1 from ::1', async () => {
    const reflector = socket({ family: 6 });
    const sender = socket({ family: 6, address: '::1' });
    void collect(reflector, 1, 5000, (batch) => {
      for (let i = 0; i < batch.count; i++) reflector.reply(batch, i, batch.data(i), batch.length(i));
    });
    const replies = collect(sender, 1);
    sender.send(Buffer.from('six'), 3, '::1', reflector.localPort);
    const { packets } = await replies;
    expect(packets.map((p) => [p.data.toString(), p.address, p.port])).toEqual([['six', '::1', reflector.localPort]]);
  });

  it('replies carry the per-reply TTL and TOS', async () => {
    const reflector = socket({ family: 4, address: '127.0.0.1', ttl: 64 });
    const sender = socket({ family: 4, address: '127.0.0.1' });
    void collect(reflector, 2, 5000, (batch) => {
      for (let i = 0; i < batch.count; i++) {
        const override = batch.data(i).toString() === 'override';
        reflector.reply(batch, i, batch.data(i), batch.length(i), override ? { ttl: 9, tos: EF } : {});
      }
    });
    const replies = collect(sender, 2);
    sender.send(Buffer.from('override'), 8, '127.0.0.1', reflector.localPort);
    sender.send(Buffer.from('socket'), 6, '127.0.0.1', reflector.localPort);
    const { packets } = await replies;
    expect(packets.map((p) => [p.data.toString(), p.ttl, p.tos])).toEqual([
      ['override', 9, EF],
      ['socket', 64, 0],
    ]);
  });
});
