// The reflector against hostile or broken peers, on real loopback sockets: short packets, garbage,
// wrong HMACs (STAMP and TWAMP), packets for sessions nobody registered, and a bounded flood of new
// sources and junk. Every one is counted under its reason and dropped; the process stays up, the
// session table never exceeds maxSessions, memory stays bounded, and a legitimate sender is served
// afterwards.

import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReflectorDropReason, SessionReflector } from '../../src/index.js';
import { loopback, SessionScope, SID, sideCrypto, STAMP_KEY, testKey } from '../support/sessions.js';

const scope = new SessionScope();
const sockets: dgram.Socket[] = [];
afterEach(() => {
  scope.closeAll();
  for (const socket of sockets.splice(0)) socket.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function rawSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20, recvBufferSize: 4 << 20 });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/** Send every payload and wait (bounded) until the reflector has seen them all. */
async function sendAll(reflector: SessionReflector, socket: dgram.Socket, payloads: readonly Buffer[]): Promise<void> {
  const before = reflector.stats.packetsIn;
  for (const payload of payloads) socket.send(payload, reflector.localPort, '127.0.0.1');
  const deadline = performance.now() + 3000;
  while (reflector.stats.packetsIn < before + payloads.length && performance.now() < deadline) await sleep(5);
}

function totalDropped(reflector: SessionReflector): number {
  return Object.values(reflector.stats.dropped).reduce((a, b) => a + b, 0);
}

function onlyDropped(reflector: SessionReflector, reason: ReflectorDropReason, count: number): void {
  const dropped = reflector.stats.dropped;
  expect(dropped[reason]).toBe(count);
  expect(totalDropped(reflector)).toBe(count);
}

describe('reflector robustness on loopback', () => {
  it('short packets are counted as too-short and never answered, in every mode', async () => {
    const short = Array.from({ length: 14 }, (_, length) => randomBytes(length));
    for (const options of [{ protocol: 'twamp-light' }, { protocol: 'stamp' }] as const) {
      const reflector = await scope.reflector({ ...options, family: 4, address: '127.0.0.1' });
      const socket = await rawSocket();
      let replies = 0;
      socket.on('message', () => (replies += 1));
      await sendAll(reflector, socket, short);
      await sleep(30);
      expect(reflector.stats.packetsIn).toBe(14);
      onlyDropped(reflector, 'too-short', 14);
      expect(reflector.stats.packetsOut).toBe(0);
      expect(replies).toBe(0);
      expect(reflector.stats.sessionsActive).toBe(0);
    }
  });

  it('garbage of a plausible length: TWAMP Light cannot tell and answers; authenticated modes count bad-hmac', async () => {
    const garbage = Array.from({ length: 50 }, (_, i) => randomBytes(120 + i));
    const light = await scope.reflector({ protocol: 'twamp-light', family: 4, address: '127.0.0.1' });
    await sendAll(light, await rawSocket(), garbage);
    expect(light.stats.packetsOut).toBe(50);

    const stamp = await scope.reflector({ protocol: 'stamp', stampSecurity: 'authenticated', stampKey: STAMP_KEY, family: 4, address: '127.0.0.1' });
    await sendAll(stamp, await rawSocket(), garbage);
    onlyDropped(stamp, 'bad-hmac', 50);
    expect(stamp.stats.packetsOut).toBe(0);

    const keyed = await scope.reflector({ protocol: 'twamp-light', lightLayout: twampLayout({ security: 'encrypted' }), lightCrypto: () => sideCrypto('encrypted'), family: 4, address: '127.0.0.1' });
    await sendAll(keyed, await rawSocket(), garbage);
    onlyDropped(keyed, 'bad-hmac', 50);
    expect(keyed.stats.packetsOut).toBe(0);
  });

  it('a STAMP sender with the wrong HMAC key: every request counted as bad-hmac, the sender sees them all lost', async () => {
    const reflector = await scope.reflector({ protocol: 'stamp', stampSecurity: 'authenticated', stampKey: STAMP_KEY, family: 4, address: '127.0.0.1' });
    const { report } = await scope.run({
      protocol: 'stamp',
      stampSecurity: 'authenticated',
      stampKey: testKey('not the key', 32),
      target: { address: '127.0.0.1', port: reflector.localPort },
      count: 20,
      schedule: { kind: 'periodic', intervalMs: 1 },
      lossTimeoutMs: 200,
    });
    expect(report.summary.loss).toMatchObject({ sent: 20, received: 0, lost: 20 });
    onlyDropped(reflector, 'bad-hmac', 20);
  });

  it('a TWAMP sender with keys of another session (wrong SID): bad-hmac on a registered authenticated session', async () => {
    const layout = twampLayout({ security: 'authenticated' });
    const reflector = await scope.reflector({ registeredOnly: true, family: 4, address: '127.0.0.1' });
    reflector.register({ sid: SID, layout, crypto: sideCrypto('authenticated') });
    const { report } = await scope.run({
      protocol: 'twamp',
      layout,
      crypto: sideCrypto('authenticated', undefined, testKey('another sid', 16)),
      target: { address: '127.0.0.1', port: reflector.localPort },
      count: 20,
      schedule: { kind: 'periodic', intervalMs: 1 },
      lossTimeoutMs: 200,
    });
    expect(report.summary.loss.received).toBe(0);
    onlyDropped(reflector, 'bad-hmac', 20);
  });

  it('registeredOnly: packets for sessions nobody registered are counted as unknown-session', async () => {
    const reflector = await scope.reflector({ registeredOnly: true, family: 4, address: '127.0.0.1' });
    const { report } = await scope.run({
      protocol: 'twamp-light',
      target: { address: '127.0.0.1', port: reflector.localPort },
      count: 20,
      schedule: { kind: 'periodic', intervalMs: 1 },
      lossTimeoutMs: 200,
    });
    expect(report.summary.loss.received).toBe(0);
    onlyDropped(reflector, 'unknown-session', 20);
    expect(reflector.stats.sessionsActive).toBe(0);
  });

  it('a bounded flood of new sources and junk: counted and dropped, sessions ≤ maxSessions, memory bounded, service resumes', async () => {
    const maxSessions = 50;
    const reflector = await scope.reflector({ protocol: 'stamp', family: 4, address: '127.0.0.1', maxSessions, idleTimeoutMs: 300 });
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;

    // 200 sources × 3 packets: every packet is answered, each new source's session evicting the
    // oldest session that was answered only once, so the table stays at 50.
    const sources = await Promise.all(Array.from({ length: 200 }, () => rawSocket()));
    const request = Buffer.alloc(44);
    for (let round = 0; round < 3; round += 1) {
      for (const socket of sources) socket.send(request, reflector.localPort, '127.0.0.1');
      await sleep(20);
    }
    // 20 000 short junk packets from one source, in bursts (bounded in count and time).
    const junk = await rawSocket();
    const tiny = Buffer.alloc(5);
    const started = performance.now();
    for (let i = 0; i < 20_000 && performance.now() - started < 5000; i += 1) {
      junk.send(tiny, reflector.localPort, '127.0.0.1');
      if (i % 500 === 499) await sleep(2);
    }
    const deadline = performance.now() + 5000;
    while (reflector.stats.packetsIn < 600 + 20_000 * 0.9 && performance.now() < deadline) await sleep(10);

    const stats = reflector.stats;
    expect(stats.sessionsActive).toBeLessThanOrEqual(maxSessions);
    expect(reflector.sessions().length).toBeLessThanOrEqual(maxSessions);
    // Sessions idle past 300 ms may already have expired while the junk was sent.
    expect(stats.sessionsCreated - stats.sessionsEvicted - stats.sessionsExpired).toBe(stats.sessionsActive);
    expect(stats.sessionsEvicted + stats.sessionsExpired).toBeGreaterThanOrEqual(600 - 2 * maxSessions);
    // Loopback may drop some junk when the socket buffer fills; whatever arrived is accounted for.
    expect(stats.packetsIn).toBe(stats.packetsOut + totalDropped(reflector));
    expect(stats.packetsOut).toBe(600);
    // Junk is too-short, checked before a session is made (or one evicted) for it.
    expect(stats.dropped['too-short']).toBe(totalDropped(reflector));
    expect(stats.packetsIn - 600).toBeGreaterThan(15_000);
    globalThis.gc?.();
    // Generous bound: a table or queue growing with the flood would be far beyond it.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 << 20);

    // Sessions idle past idleTimeoutMs are forgotten, and a real sender is served again.
    for (const socket of sources) socket.close();
    sockets.splice(0, sockets.length, junk);
    const expiry = performance.now() + 3000;
    while (reflector.stats.sessionsActive > 0 && performance.now() < expiry) await sleep(50);
    expect(reflector.stats.sessionsExpired).toBe(stats.sessionsExpired + stats.sessionsActive);
    const { report } = await scope.run({
      protocol: 'stamp',
      target: { address: loopback(4), port: reflector.localPort },
      count: 20,
      schedule: { kind: 'periodic', intervalMs: 1 },
      lossTimeoutMs: 500,
    });
    expect(report.summary.loss).toMatchObject({ sent: 20, received: 20, lost: 0 });
  });
});
