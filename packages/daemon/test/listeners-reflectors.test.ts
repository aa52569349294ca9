// The Light/STAMP reflector listeners on real loopback sockets: TWAMP Light stateful and stateless,
// STAMP open and authenticated (the HMAC key from the key store), `::` for both families, the access
// list and the session limit, the log lines of their sessions and the snapshot.
import { createSocket } from 'node:dgram';
import { createKeyStore } from '@twamp/control';
import { ConfigError } from '@twamp/errors';
import { StampSecurity } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DAEMON_LIMITS } from '../src/config/index.js';
import { startListeners } from '../src/listeners/index.js';
import { SESSION_LINE_BURST } from '../src/listeners/log-events.js';
import type { ListenerSetApi } from '../src/types.js';
import { endpointOf, probe, RecordingLog, reflectorListener, STAMP_KEY_ID, STAMP_SECRET, testConfig, testKeys, until } from './listeners-support.js';

const open: ListenerSetApi[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((set) => set.close(0)));
});

async function start(...args: Parameters<typeof testConfig>): Promise<{ set: ListenerSetApi; log: RecordingLog }> {
  const log = new RecordingLog();
  const set = await startListeners(testConfig(...args), { log, keys: testKeys() });
  open.push(set);
  return { set, log };
}

const STAMP_AUTH = reflectorListener('stamp-auth', { protocol: 'stamp', stampSecurity: 'authenticated', keyId: STAMP_KEY_ID });

describe('reflector listeners answer', () => {
  it('TWAMP Light stateful and stateless, STAMP open and authenticated, side by side', async () => {
    const { set, log } = await start({
      control: undefined,
      reflectors: [
        reflectorListener('light'),
        reflectorListener('light-stateless', { stateful: false }),
        reflectorListener('stamp', { protocol: 'stamp' }),
        STAMP_AUTH,
      ],
    });
    expect(set.endpoints().map((endpoint) => [endpoint.name, endpoint.kind])).toEqual([
      ['light', 'twamp-light'],
      ['light-stateless', 'twamp-light'],
      ['stamp', 'stamp'],
      ['stamp-auth', 'stamp'],
    ]);
    const [light, stateless, stamp, stampAuth] = await Promise.all([
      probe(endpointOf(set, 'light'), { protocol: 'twamp-light' }),
      probe(endpointOf(set, 'light-stateless'), { protocol: 'twamp-light', reflectorStateful: false }),
      probe(endpointOf(set, 'stamp'), { protocol: 'stamp', ssid: 7 }),
      probe(endpointOf(set, 'stamp-auth'), { protocol: 'stamp', ssid: 8, stampSecurity: StampSecurity.Authenticated, stampKey: Buffer.from(STAMP_SECRET) }),
    ]);
    for (const report of [light, stateless, stamp, stampAuth]) expect(report.summary.loss).toMatchObject({ sent: 5, received: 5, lost: 0 });
    // Stateful: the reflector's own counter tells the directions apart; stateless: it cannot.
    expect(light.summary.loss.forwardLost).toBe(0);
    const snapshot = set.snapshot();
    expect(snapshot.control).toBeUndefined();
    expect(snapshot.reflectors.find((reflector) => reflector.name === 'stamp-auth')?.stats).toMatchObject({ packetsIn: 5, packetsOut: 5, sessionsActive: 1 });
    const created = log.events('reflector-session-created');
    expect(created).toHaveLength(4);
    expect(created.find((fields) => fields['listener'] === 'stamp')).toMatchObject({ protocol: 'stamp', ssid: 7, peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown });
    expect(JSON.stringify(log.records)).not.toContain(STAMP_SECRET);
  });

  it('authenticated STAMP with the wrong key: nothing answered, counted as bad-hmac', async () => {
    const { set } = await start({ control: undefined, reflectors: [STAMP_AUTH] });
    const report = await probe(endpointOf(set, 'stamp-auth'), { protocol: 'stamp', count: 3, stampSecurity: StampSecurity.Authenticated, stampKey: Buffer.from('wrong') });
    expect(report.summary.loss.received).toBe(0);
    expect(set.snapshot().reflectors[0]?.stats.dropped['bad-hmac']).toBe(3);
  });

  it('authenticated STAMP whose keyId is not in the key store: a ConfigError, nothing left open', async () => {
    const error: unknown = await startListeners(testConfig({ control: undefined, reflectors: [STAMP_AUTH] }), {
      log: new RecordingLog(),
      keys: createKeyStore([['someone-else', 'x']]),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.path).toContain('stamp-auth');
  });

  it(':: answers IPv4 and IPv6 senders on one port', async () => {
    const { set } = await start({ control: undefined, reflectors: [reflectorListener('light', { address: '::' })] });
    const { port } = endpointOf(set, 'light');
    const [v4, v6] = await Promise.all([
      probe({ address: '127.0.0.1', port }, { protocol: 'twamp-light', count: 3 }),
      probe({ address: '::1', port }, { protocol: 'twamp-light', count: 3 }),
    ]);
    expect(v4.summary.loss.received).toBe(3);
    expect(v6.summary.loss.received).toBe(3);
    expect(set.snapshot().reflectors[0]?.stats).toMatchObject({ packetsIn: 6, packetsOut: 6, sessionsActive: 2 });
  });
});

describe('reflector listener access and limits', () => {
  it('a source outside access[name] is not answered (source-not-allowed); other listeners are not affected', async () => {
    const { set } = await start({
      control: undefined,
      reflectors: [reflectorListener('closed'), reflectorListener('open')],
      access: { closed: ['192.0.2.0/24'] },
    });
    const [closed, opened] = await Promise.all([
      probe(endpointOf(set, 'closed'), { protocol: 'twamp-light', count: 2 }),
      probe(endpointOf(set, 'open'), { protocol: 'twamp-light', count: 2 }),
    ]);
    expect(closed.summary.loss.received).toBe(0);
    expect(opened.summary.loss.received).toBe(2);
    expect(set.snapshot().reflectors[0]?.stats.dropped['source-not-allowed']).toBe(2);
  });

  it('reflectorSessions caps sessions per listener; packetsPerSecondPerSession caps a session', async () => {
    const { set } = await start({
      control: undefined,
      reflectors: [reflectorListener('light')],
      limits: { reflectorSessions: 1, packetsPerSecondPerSession: 1 },
    });
    const endpoint = endpointOf(set, 'light');
    const first = await probe(endpoint, { protocol: 'twamp-light', count: 3, burst: 3 });
    // The bucket holds one packet and refills one a second: of three sent in one burst, one is answered.
    expect(first.summary.loss.received).toBe(1);
    // The table is full: the new sender's session takes the place of the first one (evicted), it is not shut out.
    const second = await probe(endpoint, { protocol: 'twamp-light', count: 2, schedule: { kind: 'periodic', intervalMs: 1100 } });
    expect(second.summary.loss.received).toBe(2);
    const stats = set.snapshot().reflectors[0]?.stats;
    expect(stats?.dropped['session-rate']).toBe(2);
    expect(stats?.sessionsActive).toBe(1);
    expect(stats?.sessionsEvicted).toBe(1);
  });
});

describe('reflector listener drop reports', () => {
  it('drops are logged as one rate-limited warning per reason, with the count and the latest source', async () => {
    const { set, log } = await start({ control: undefined, reflectors: [reflectorListener('light')] });
    const endpoint = endpointOf(set, 'light');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => { resolve(); }));
    try {
      // Three datagrams too short to be a test packet: dropped, counted, reported once.
      for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => { socket.send(new Uint8Array(3), endpoint.port, endpoint.address, () => { resolve(); }); });
      await until(() => log.events('reflector-drops').length > 0, 5_000);
      expect(log.records.filter((record) => record.fields['event'] === 'reflector-drops')).toEqual([
        {
          level: 'warn',
          fields: expect.objectContaining({ event: 'reflector-drops', listener: 'light', reason: 'too-short', count: 3, total: 3, source: `127.0.0.1:${socket.address().port}` }) as unknown,
          message: 'reflector dropped 3 packet(s): too-short',
        },
      ]);
    } finally {
      socket.close();
    }
  });
});

describe('reflector listener fair shares (default limits)', () => {
  it('10 000 STAMP SSIDs from one socket do not fill the table: a new sender is answered in full, and the log is not flooded', async () => {
    const { set, log } = await start({
      control: undefined,
      reflectors: [reflectorListener('stamp', { protocol: 'stamp' })],
      limits: { reflectorSessions: DEFAULT_DAEMON_LIMITS.reflectorSessions, reflectorSessionsPerSource: DEFAULT_DAEMON_LIMITS.reflectorSessionsPerSource },
    });
    const endpoint = endpointOf(set, 'stamp');
    const flooder = createSocket('udp4');
    await new Promise<void>((resolve) => flooder.bind(0, '127.0.0.1', () => { resolve(); }));
    try {
      // RFC 8762 §4.2.1 unauthenticated STAMP request: Sequence Number, Timestamp, Error Estimate,
      // then (RFC 8972 §3) the SSID at octet 14, and MBZ to 44 octets. One session per SSID.
      const packet = new Uint8Array(44);
      const view = new DataView(packet.buffer);
      view.setUint16(12, 0x8001);
      for (let ssid = 1; ssid <= 10_000; ssid++) {
        view.setUint16(14, ssid);
        await new Promise<void>((resolve) => { flooder.send(packet, endpoint.port, endpoint.address, () => { resolve(); }); });
      }
      await until(() => (set.snapshot().reflectors[0]?.stats.packetsIn ?? 0) >= 9_000, 10_000).catch(() => undefined);
    } finally {
      flooder.close();
    }
    const stats = set.snapshot().reflectors[0]?.stats;
    // The one source holds its share, no more; the rest was evicted as it went.
    expect(stats?.sessionsActive).toBeLessThanOrEqual(DEFAULT_DAEMON_LIMITS.reflectorSessionsPerSource);
    expect(stats?.sessionsEvicted).toBeGreaterThan(0);
    // A second later the budget has room again: the new sender's line says how many were left out.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const report = await probe(endpoint, { protocol: 'stamp', count: 20 });
    expect(report.summary.loss.received).toBe(20);
    // Thousands of sessions made and evicted: a burst of lines, then about one a second, not one per packet.
    expect(log.events('reflector-session-created').length).toBeLessThanOrEqual(SESSION_LINE_BURST + 30);
    expect(log.events('reflector-session-created').some((fields) => typeof fields['suppressed'] === 'number')).toBe(true);
  });
});
