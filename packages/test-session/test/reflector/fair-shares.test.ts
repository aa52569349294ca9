// Fair shares of the session table, with the default options: one socket that opens 10 000 STAMP
// sessions (SSIDs 1-10 000), or 10 000 forged one-packet TWAMP Light sources, must not lock a new
// honest sender out. Before the per-source cap and eviction, either filled the 10 000-session table
// and every new sender lost 100 % of its packets until the 900-s idle timeout.
import dgram from 'node:dgram';
import { canSpoof, sendSpoofed, spoofRequired, type SpoofedDatagram } from '@twamp/spoof';
import { encodeTwampSender, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_SOURCE, type SessionReflector } from '../../src/reflector/index.js';
import { SessionScope } from '../support/sessions.js';
import { implementationUnderTest, nowTimestamp, UNSYNCED, waitFor } from './harness.js';

const scope = new SessionScope();
const sockets: dgram.Socket[] = [];
afterEach(() => {
  scope.closeAll();
  for (const socket of sockets.splice(0)) socket.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function openDefaultReflector(protocol: 'stamp' | 'twamp-light'): Promise<SessionReflector> {
  // Every limit at its default: this is what `twamp responder` runs with.
  return scope.reflector({ protocol, family: 4, address: '127.0.0.1', implementation: implementationUnderTest(), clock: () => UNSYNCED });
}

/** A new honest sender from its own socket: 200 requests, 1 ms apart. */
async function honestRun(protocol: 'stamp' | 'twamp-light', reflector: SessionReflector): Promise<number> {
  const { report } = await scope.run({
    protocol,
    ...(protocol === 'stamp' ? { ssid: 4242 } : {}),
    target: { address: '127.0.0.1', port: reflector.localPort },
    count: 200,
    schedule: { kind: 'periodic', intervalMs: 1 },
    lossTimeoutMs: 1000,
  });
  return report.summary.loss.received;
}

describe('fair shares of the session table (default options)', () => {
  it('10 000 STAMP SSIDs from one socket: the source keeps at most its share, a new sender is answered in full', async () => {
    const reflector = await openDefaultReflector('stamp');
    const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    sockets.push(socket);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    // Bursts of 500, each waited for, so loopback drops none (bounded: 10 000 packets, 20 s).
    const started = performance.now();
    for (let ssid = 1; ssid <= 10_000 && performance.now() - started < 20_000; ssid++) {
      // A fresh buffer each time: dgram sends asynchronously from the buffer it is given.
      const packet = Buffer.alloc(44);
      packet.writeUInt32BE(ssid, 0);
      packet.writeUInt16BE(ssid, 14);
      socket.send(packet, reflector.localPort, '127.0.0.1');
      if (ssid % 500 === 0) await waitFor(() => reflector.stats.packetsIn >= ssid, 3000);
    }
    expect(await waitFor(() => reflector.stats.packetsIn === 10_000, 5000)).toBe(true);
    const stats = reflector.stats;

    expect(await honestRun('stamp', reflector)).toBe(200);
    // Every SSID was answered, but the source never held more than its share; the honest sender
    // shares 127.0.0.1 with the attacker, so it took one of the source's places.
    expect(stats.packetsOut).toBe(10_000);
    expect(stats.sessionsActive).toBe(DEFAULT_MAX_SESSIONS_PER_SOURCE);
    expect(stats.sessionsEvicted).toBe(10_000 - DEFAULT_MAX_SESSIONS_PER_SOURCE);
    expect(reflector.stats.sessionsActive).toBe(DEFAULT_MAX_SESSIONS_PER_SOURCE);
    expect(reflector.stats.dropped['session-limit']).toBe(0);
  });

  it('a sender at a high rate from one port is answered in full (no per-source packet cap by default)', async () => {
    const reflector = await openDefaultReflector('twamp-light');
    const { report } = await scope.run({
      protocol: 'twamp-light',
      target: { address: '127.0.0.1', port: reflector.localPort },
      count: 2000,
      burst: 20,
      schedule: { kind: 'periodic', intervalMs: 1 },
      lossTimeoutMs: 1000,
    });
    expect(report.summary.loss).toMatchObject({ sent: 2000, received: 2000 });
    expect(reflector.stats).toMatchObject({ packetsIn: 2000, packetsOut: 2000, sessionsActive: 1 });
  });
});

describe.runIf(canSpoof() || spoofRequired)('fair shares against forged sources (default options)', () => {
  it('10 000 forged one-packet Light sources fill the table; a new honest sender is still answered in full', async () => {
    const reflector = await openDefaultReflector('twamp-light');
    const request = encodeTwampSender({ sequence: 0, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(0) }, twampLayout({ security: TestSecurity.Open }));
    expect(request.length).toBe(14);
    const destination = { address: '127.0.0.1', port: reflector.localPort };
    // 127.10.x.y, 10 000 distinct addresses, in chunks the reflector's socket buffer takes whole.
    for (let chunk = 0; chunk < 10; chunk++) {
      const datagrams: SpoofedDatagram[] = [];
      for (let i = chunk * 1000; i < (chunk + 1) * 1000; i++) {
        datagrams.push({ source: { address: `127.10.${i >> 8}.${i & 0xff}`, port: 20_000 + i }, destination, payload: request });
      }
      expect(await sendSpoofed(datagrams)).toBe(1000);
      await waitFor(() => reflector.stats.packetsIn >= (chunk + 1) * 1000, 5000);
      await sleep(10);
    }
    expect(await waitFor(() => reflector.stats.packetsIn === 10_000, 5000)).toBe(true);
    expect(reflector.stats).toMatchObject({ sessionsActive: DEFAULT_MAX_SESSIONS, sessionsCreated: DEFAULT_MAX_SESSIONS });

    expect(await honestRun('twamp-light', reflector)).toBe(200);
    // One forged session (answered once, the oldest) made room for the honest one.
    expect(reflector.stats).toMatchObject({ sessionsActive: DEFAULT_MAX_SESSIONS, sessionsEvicted: 1 });
    expect(reflector.stats.dropped['session-limit']).toBe(0);
  });
});
