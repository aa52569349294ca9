// 'send-failed': a reply the socket refuses (buffer full: false) or fails (a NetworkError) is counted,
// and the reflector carries on. A real loopback socket almost never refuses, so @twamp/udp's
// openUdpSocket is wrapped to make reply() fail on demand; everything else is the real socket.
import { NetworkError } from '@twamp/errors';
import type * as Udp from '@twamp/udp';
import type { UdpSocket } from '@twamp/udp';
import { encodeTwampSender, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, expect, it, vi } from 'vitest';
import { Client, nowTimestamp, openReflector, UNSYNCED } from './harness.js';

const failure = vi.hoisted((): { mode: 'none' | 'false' | 'throw' } => ({ mode: 'none' }));

vi.mock('@twamp/udp', async (importOriginal) => {
  const real = await importOriginal<typeof Udp>();
  return {
    ...real,
    openUdpSocket: async (options: Parameters<typeof real.openUdpSocket>[0]): Promise<UdpSocket> => {
      const socket = await real.openUdpSocket(options);
      const reply = socket.reply.bind(socket);
      const failing = (...args: Parameters<UdpSocket['reply']>): boolean => {
        if (failure.mode === 'false') return false;
        if (failure.mode === 'throw') throw new NetworkError({ operation: 'reply', systemCode: 'EMSGSIZE' });
        return reply(...args);
      };
      // Everything else goes to the real socket, with itself as `this`.
      return new Proxy(socket, {
        get(target, property) {
          if (property === 'reply') return failing;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
});

const cleanup: (() => void)[] = [];
afterEach(() => {
  failure.mode = 'none';
  for (const f of cleanup.splice(0)) f();
});

it("counts refused and failed replies as 'send-failed' and keeps answering", async () => {
  const reflector = await openReflector({ clock: () => UNSYNCED });
  const client = await Client.open(4);
  cleanup.push(() => {
    client.close();
    reflector.close();
  });
  const request = encodeTwampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, padding: Buffer.alloc(27) }, twampLayout({ security: TestSecurity.Open }));
  failure.mode = 'false';
  client.send(request, reflector);
  expect(await client.next(120)).toBeUndefined();
  failure.mode = 'throw';
  client.send(request, reflector);
  expect(await client.next(120)).toBeUndefined();
  expect(reflector.stats.dropped['send-failed']).toBe(2);
  failure.mode = 'none';
  const r = await client.exchange(request, reflector);
  // The failed replies used sequence numbers 0 and 1: from the sender's side they were lost on the way back.
  expect(r?.data.readUInt32BE(0)).toBe(2);
  expect(reflector.stats).toMatchObject({ packetsIn: 3, packetsOut: 1, sessionsActive: 1 });
});
