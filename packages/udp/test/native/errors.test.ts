// System errors as typed NetworkErrors: thrown by the call that failed (EADDRINUSE from bind,
// EMSGSIZE from send), or delivered to onError when they arrive later (ECONNREFUSED after an
// ICMP port unreachable on a connected socket). Never thrown across the loop, never a crash.

import { readdirSync } from 'node:fs';
import { NetworkError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { openNativeSocket } from '../../src/native/index.js';
import type { IpFamily } from '../../src/types.js';
import { collect, firstError, LOOPBACK, requireNative, socket } from './helpers.js';

const FAMILIES: IpFamily[] = [4, 6];

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A port nobody listens on: bound a moment ago, then released. */
function closedPort(family: IpFamily): number {
  const s = socket({ family, address: LOOPBACK[family] });
  const port = s.localPort;
  s.close();
  return port;
}

describe.each(FAMILIES)('native IPv%i errors', (family) => {
  const here = LOOPBACK[family];
  const endpoint = (port: number): string => (family === 4 ? `${here}:${port}` : `[${here}]:${port}`);

  it('a port in use is a NetworkError EADDRINUSE from bind, and leaves no descriptor behind', () => {
    requireNative();
    const holder = socket({ family, address: here });
    const fds = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 20; i++) {
      const error = thrown(() => openNativeSocket({ family, address: here, port: holder.localPort }));
      expect(error).toBeInstanceOf(NetworkError);
      expect(error).toMatchObject({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: endpoint(holder.localPort) });
      expect((error as Error).message).toMatch(/in use/i);
    }
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });

  it('with reuseAddress on both sockets the port can be shared', () => {
    const first = socket({ family, address: here, reuseAddress: true });
    const second = socket({ family, address: here, port: first.localPort, reuseAddress: true });
    expect(second.localPort).toBe(first.localPort);
  });

  it('ECONNREFUSED on a connected socket goes to onError, every time, and the socket stays usable', async () => {
    const port = closedPort(family);
    const s = socket({ family, address: here });
    s.connect(here, port);
    for (let round = 0; round < 3; round++) {
      const error = firstError(s);
      // Send fails later: the ICMP port unreachable comes back asynchronously.
      expect(s.send(Buffer.from('anyone?'), 7, undefined, 0)).toBe(true);
      const reported = await error;
      expect(reported).toBeInstanceOf(NetworkError);
      expect(reported).toMatchObject({ systemCode: 'ECONNREFUSED', endpoint: endpoint(port) });
      expect(['receive', 'send']).toContain((reported as NetworkError).operation);
    }
    expect(s.closed).toBe(false);
  });

  it('sending without an address on an unconnected socket is a NetworkError EDESTADDRREQ', () => {
    const s = socket({ family, address: here });
    const error = thrown(() => s.send(Buffer.from('x'), 1, undefined, 0));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ operation: 'send', systemCode: 'EDESTADDRREQ' });
  });
});

describe("native don't-fragment", () => {
  it("IPv6: a datagram over the loopback MTU is EMSGSIZE with don't-fragment, fragmented without", async () => {
    // lo has MTU 65536: 40 + 8 + 65527 octets does not fit, so only fragmentation can send it.
    const receiver = socket({ family: 6, address: '::1', maxPacketSize: 65535, receiveBufferSize: 1 << 20 });
    const sender = socket({ family: 6, address: '::1', dontFragment: true });
    const big = Buffer.alloc(65527, 1);
    const error = thrown(() => sender.send(big, big.length, '::1', receiver.localPort));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ operation: 'send', systemCode: 'EMSGSIZE', endpoint: `[::1]:${receiver.localPort}` });
    // The largest datagram that fits the MTU still goes.
    const got = collect(receiver, 2);
    expect(sender.send(big, 65488, '::1', receiver.localPort)).toBe(true);
    sender.setDontFragment(false);
    expect(sender.send(big, big.length, '::1', receiver.localPort)).toBe(true);
    const { packets } = await got;
    expect(packets.map((p) => p.length)).toEqual([65488, 65527]);
  });

  it("IPv4: don't-fragment on, a datagram over the 65507-octet UDP limit is EMSGSIZE; the limit itself goes", async () => {
    // lo's MTU holds any IPv4 datagram, so on loopback EMSGSIZE comes from the size limit.
    const receiver = socket({ family: 4, address: '127.0.0.1', maxPacketSize: 65535, receiveBufferSize: 1 << 20 });
    const sender = socket({ family: 4, address: '127.0.0.1', dontFragment: true });
    const big = Buffer.alloc(65508, 2);
    const error = thrown(() => sender.send(big, big.length, '127.0.0.1', receiver.localPort));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ operation: 'send', systemCode: 'EMSGSIZE', endpoint: `127.0.0.1:${receiver.localPort}` });
    const got = collect(receiver, 1);
    expect(sender.send(big, 65507, '127.0.0.1', receiver.localPort)).toBe(true);
    const { packets } = await got;
    expect(packets.map((p) => [p.length, p.truncated])).toEqual([[65507, false]]);
  });
});
