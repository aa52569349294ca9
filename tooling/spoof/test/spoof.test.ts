import { createSocket, type RemoteInfo } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { canSpoof, sendSpoofed, spoofRequired } from '../src/index.js';

const run = canSpoof() || spoofRequired;

describe.runIf(run)('sendSpoofed', () => {
  it('delivers a datagram whose source is the forged address and port', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const got = new Promise<{ msg: Buffer; rinfo: RemoteInfo }>((resolve) => sock.once('message', (msg, rinfo) => { resolve({ msg, rinfo }); }));
    const sent = await sendSpoofed([
      { source: { address: '127.0.0.77', port: 4242 }, destination: { address: '127.0.0.1', port: sock.address().port }, payload: Uint8Array.of(1, 2, 3) },
    ]);
    const { msg, rinfo } = await got;
    sock.close();
    expect(sent).toBe(1);
    expect([...msg]).toEqual([1, 2, 3]);
    expect(rinfo.address).toBe('127.0.0.77');
    expect(rinfo.port).toBe(4242);
  });

  it('delivers over IPv6 loopback with the forged port', async () => {
    const sock = createSocket('udp6');
    await new Promise<void>((resolve) => sock.bind(0, '::1', resolve));
    const got = new Promise<RemoteInfo>((resolve) => sock.once('message', (_msg, rinfo) => { resolve(rinfo); }));
    await sendSpoofed([{ source: { address: '::1', port: 5151 }, destination: { address: '::1', port: sock.address().port }, payload: Uint8Array.of(9) }]);
    const rinfo = await got;
    sock.close();
    expect(rinfo.port).toBe(5151);
  });

  it('refuses a destination outside loopback and the benchmarking range', async () => {
    await expect(sendSpoofed([{ source: { address: '127.0.0.1', port: 1 }, destination: { address: '192.0.2.1', port: 9 }, payload: Uint8Array.of(0) }])).rejects.toThrow(/loopback/);
  });
});
