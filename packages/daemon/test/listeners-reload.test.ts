// Reload and shutdown of the listener set on real loopback sockets: a lower sessionsTotal refuses new
// requests with Accept 4 while the running session keeps reflecting; reflector listeners removed,
// added and moved by name; a new access list; close(grace) lets a running session finish, cuts one
// that does not, and is idempotent.
import { createSocket } from 'node:dgram';
import { createKeyStore } from '@twamp/control';
import { AcceptCode, ConfigError, PeerRejectedError } from '@twamp/errors';
import { StampSecurity } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { startListeners } from '../src/listeners/index.js';
import type { DaemonConfig, ListenerSetApi } from '../src/types.js';
import {
  type ConfigParts,
  connect,
  controlListener,
  endpointOf,
  KEY_ID,
  measure,
  probe,
  RecordingLog,
  reflectorListener,
  requestSession,
  STAMP_KEY_ID,
  STAMP_SECRET,
  testConfig,
  testKeys,
  until,
} from './listeners-support.js';

const open: ListenerSetApi[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((set) => set.close(0)));
});

async function start(parts: ConfigParts): Promise<{ set: ListenerSetApi; log: RecordingLog; config: DaemonConfig }> {
  const log = new RecordingLog();
  const config = testConfig(parts);
  const set = await startListeners(config, { log, keys: testKeys() });
  open.push(set);
  return { set, log, config };
}

function controlPort(set: ListenerSetApi): number {
  return endpointOf(set, 'control').port;
}

/** Can this process bind UDP `port` on 127.0.0.1 (nobody holds it)? */
async function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const free = await new Promise<boolean>((resolve) => {
    socket.once('error', () => {
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => {
      resolve(true);
    });
  });
  socket.close();
  return free;
}

describe('reconfigure: limits', () => {
  it('a lower sessionsTotal: the running session keeps reflecting, a new request gets Accept 4', async () => {
    const { set, config } = await start({ limits: { sessionsTotal: 4 } });
    const port = controlPort(set);
    const running = await connect(port);
    const session = await requestSession(running);
    await running.startSessions();
    const measuring = measure(session, 40, 25);
    await until(() => (set.snapshot().control?.reflectors.packetsOut ?? 0) >= 3);

    await set.reconfigure({ ...config, limits: { ...config.limits, sessionsTotal: 1 } }, testKeys());
    const late = await connect(port);
    const error: unknown = await requestSession(late).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PeerRejectedError);
    expect((error as PeerRejectedError).acceptCode).toBe(AcceptCode.PermanentResourceLimitation);

    const report = await measuring;
    expect(report.summary.loss).toMatchObject({ sent: 40, received: 40, lost: 0 });
    // Once the running session is gone, the new limit has room again.
    await running.stopSessions();
    running.close();
    await until(() => set.snapshot().control?.pool.reflectorsOpen === 0);
    await expect(requestSession(late)).resolves.toBeDefined();
    late.close();
  });

  it('a new access list: a connection made before keeps working, a new one from outside gets Modes 0; dropping the list lets it in again', async () => {
    const { set, config } = await start({});
    const port = controlPort(set);
    const before = await connect(port);
    await set.reconfigure({ ...config, access: { control: ['192.0.2.0/24'] } }, testKeys());
    const refused: unknown = await connect(port).catch((caught: unknown) => caught);
    expect((refused as PeerRejectedError).stage).toMatch(/Modes 0/);
    await expect(requestSession(before)).resolves.toBeDefined();
    before.close();
    await set.reconfigure(config, testKeys());
    const after = await connect(port);
    after.close();
  });

  it('a reload with a value the server refuses: a ConfigError naming the config key, and the running config stays', async () => {
    const { set, config } = await start({ reflectors: [reflectorListener('light')] });
    const error: unknown = await set
      .reconfigure({ ...config, access: { control: ['192.0.2.0/24', 'bad'], light: ['also bad'] } }, testKeys())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['access.control[1]']);
    // Nothing changed: 127.0.0.1 is still served by both listeners.
    const client = await connect(controlPort(set));
    client.close();
    expect((await probe(endpointOf(set, 'light'), { protocol: 'twamp-light', count: 1 })).summary.loss.received).toBe(1);
  });

  it('new limits reach the Light/STAMP listeners for new sessions (reflectorSessions)', async () => {
    const { set, config } = await start({ control: undefined, reflectors: [reflectorListener('light')] });
    const endpoint = endpointOf(set, 'light');
    expect((await probe(endpoint, { protocol: 'twamp-light', count: 2 })).summary.loss.received).toBe(2);
    await set.reconfigure({ ...config, limits: { ...config.limits, reflectorSessions: 1, reflectorSessionsPerSource: 1 } }, testKeys());
    // The first sender's session is still there (idle timeout 900 s): a second one takes its place.
    expect((await probe(endpoint, { protocol: 'twamp-light', count: 2 })).summary.loss.received).toBe(2);
    expect(set.snapshot().reflectors[0]?.stats).toMatchObject({ sessionsActive: 1, sessionsEvicted: 1 });
  });
});

describe('reconfigure: keys and modes', () => {
  it('a rotated key: new connections need the new passphrase, a connection made before keeps its session', async () => {
    const { set, config } = await start({ modes: ['authenticated'], keyFile: '/unused/keys' });
    const port = controlPort(set);
    const before = await connect(port, { mode: 'authenticated' });
    await set.reconfigure(config, createKeyStore([[KEY_ID, 'the rotated passphrase']]));
    const old: unknown = await connect(port, { mode: 'authenticated' }).catch((caught: unknown) => caught);
    expect((old as PeerRejectedError).acceptCode).toBe(AcceptCode.Failure);
    const fresh = await connect(port, { mode: 'authenticated', passphrase: 'the rotated passphrase' });
    await expect(requestSession(before)).resolves.toBeDefined();
    await expect(requestSession(fresh)).resolves.toBeDefined();
    before.close();
    fresh.close();
  });

  it('other modes offered: the control listener reopens on its port; a session of the old server keeps reflecting through the grace', async () => {
    const { set, log, config } = await start({ shutdownGraceMs: 30_000 });
    const port = controlPort(set);
    const client = await connect(port);
    const session = await requestSession(client);
    await client.startSessions();
    const measuring = measure(session, 30, 25);
    await until(() => (set.snapshot().control?.reflectors.packetsOut ?? 0) >= 2);

    const next = { ...config, security: { ...config.security, modes: ['open', 'authenticated'] as const }, listeners: { ...config.listeners, control: controlListener({ port }) } };
    await set.reconfigure(next, testKeys());
    expect(log.records.find((record) => record.fields['event'] === 'listener-reopened')).toMatchObject({ level: 'warn', fields: { name: 'control' } });
    const fresh = await connect(port, { mode: 'authenticated' });
    expect(fresh.securityMode).toBe(2);
    fresh.close();
    expect((await measuring).summary.loss).toMatchObject({ sent: 30, received: 30 });
    await client.stopSessions();
    client.close();
  });

  it('a new STAMP key reopens the authenticated STAMP listener with it', async () => {
    const stamp = reflectorListener('stamp-auth', { protocol: 'stamp', stampSecurity: 'authenticated', keyId: STAMP_KEY_ID });
    const { set, log, config } = await start({ control: undefined, reflectors: [stamp] });
    await set.reconfigure(config, createKeyStore([[STAMP_KEY_ID, 'a new stamp key']]));
    expect(log.events('listener-reopened')).toHaveLength(1);
    const endpoint = endpointOf(set, 'stamp-auth');
    const options = { protocol: 'stamp', count: 2, stampSecurity: StampSecurity.Authenticated } as const;
    expect((await probe(endpoint, { ...options, stampKey: Buffer.from('a new stamp key') })).summary.loss.received).toBe(2);
    expect((await probe(endpoint, { ...options, stampKey: Buffer.from(STAMP_SECRET) })).summary.loss.received).toBe(0);
    // The same keys again: nothing to reopen.
    await set.reconfigure(config, createKeyStore([[STAMP_KEY_ID, 'a new stamp key']]));
    expect(log.events('listener-reopened')).toHaveLength(1);
  });
});

describe('reconfigure: listeners by name', () => {
  it('a removed reflector listener closes its port, an added one answers, one left alone keeps its socket and counters', async () => {
    const { set, log, config } = await start({ control: undefined, reflectors: [reflectorListener('gone'), reflectorListener('kept')] });
    const gone = endpointOf(set, 'gone');
    const kept = endpointOf(set, 'kept');
    expect((await probe(kept, { protocol: 'twamp-light', count: 2 })).summary.loss.received).toBe(2);

    await set.reconfigure(
      { ...config, listeners: { ...config.listeners, reflectors: [reflectorListener('kept'), reflectorListener('added', { protocol: 'stamp' })] } },
      testKeys(),
    );
    expect(set.endpoints().map((endpoint) => endpoint.name)).toEqual(['kept', 'added']);
    expect(endpointOf(set, 'kept').port).toBe(kept.port);
    expect(await udpPortFree(gone.port)).toBe(true);
    expect((await probe(endpointOf(set, 'added'), { protocol: 'stamp', count: 3 })).summary.loss.received).toBe(3);
    expect((await probe(kept, { protocol: 'twamp-light', count: 2 })).summary.loss.received).toBe(2);
    expect(set.snapshot().reflectors.find((reflector) => reflector.name === 'kept')?.stats.packetsOut).toBe(4);
    expect(log.events('listener-closed').map((fields) => fields['name'])).toEqual(['gone']);
    expect(log.events('listener-started').map((fields) => fields['name'])).toEqual(['gone', 'kept', 'added']);
  });

  it('a changed protocol reopens that listener with a warning', async () => {
    const { set, log, config } = await start({ control: undefined, reflectors: [reflectorListener('switch')] });
    await set.reconfigure({ ...config, listeners: { ...config.listeners, reflectors: [reflectorListener('switch', { protocol: 'stamp' })] } }, testKeys());
    expect(endpointOf(set, 'switch').kind).toBe('stamp');
    expect(log.records.find((record) => record.fields['event'] === 'listener-reopened')).toMatchObject({ level: 'warn', fields: { name: 'switch', protocol: 'stamp' } });
    expect((await probe(endpointOf(set, 'switch'), { protocol: 'stamp', count: 2 })).summary.loss.received).toBe(2);
  });

  it('a changed protocol on the same fixed port: the old socket makes way, the new one binds that port', async () => {
    const { set, config } = await start({ control: undefined, reflectors: [reflectorListener('switch')] });
    const port = endpointOf(set, 'switch').port;
    await set.reconfigure({ ...config, listeners: { ...config.listeners, reflectors: [reflectorListener('switch', { protocol: 'stamp', port })] } }, testKeys());
    expect(endpointOf(set, 'switch')).toMatchObject({ kind: 'stamp', port });
    expect((await probe(endpointOf(set, 'switch'), { protocol: 'stamp', count: 2 })).summary.loss.received).toBe(2);
  });

  it('a listener moves to the port another one leaves in the same reload (whatever their order)', async () => {
    const { set, config } = await start({ control: undefined, reflectors: [reflectorListener('first'), reflectorListener('second')] });
    const firstPort = endpointOf(set, 'first').port;
    const secondPort = endpointOf(set, 'second').port;
    // first takes second's port; second goes to any free one.
    await set.reconfigure(
      { ...config, listeners: { ...config.listeners, reflectors: [reflectorListener('first', { port: secondPort }), reflectorListener('second', { protocol: 'stamp' })] } },
      testKeys(),
    );
    expect(endpointOf(set, 'first').port).toBe(secondPort);
    expect(endpointOf(set, 'second').port).not.toBe(secondPort);
    expect(await udpPortFree(firstPort)).toBe(true);
    expect(set.missing()).toEqual([]);
  });

  it('a listener moved to a port held by another process keeps its socket, sessions and counters; the error names it once', async () => {
    const { set, log, config } = await start({ reflectors: [reflectorListener('light')] });
    const light = endpointOf(set, 'light');
    const control = controlPort(set);
    expect((await probe(light, { protocol: 'twamp-light', count: 2 })).summary.loss.received).toBe(2);
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', () => { resolve(); }));
    try {
      const busy = holder.address().port;
      const error: unknown = await set
        .reconfigure({ ...config, listeners: { control: controlListener({ port: control }), reflectors: [reflectorListener('light', { port: busy })] } }, testKeys())
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toBe(`listener light: bind failed with EADDRINUSE (127.0.0.1:${busy}): Address already in use`);
      expect(endpointOf(set, 'light')).toEqual(light);
      expect(set.missing()).toEqual([]);
      expect((await probe(light, { protocol: 'twamp-light', count: 2 })).summary.loss.received).toBe(2);
      // The same socket: its counters carry on.
      expect(set.snapshot().reflectors[0]?.stats.packetsOut).toBe(4);
      expect(log.records.filter((record) => record.level === 'error')).toHaveLength(1);
      expect(log.events('reload-failed')[0]).toMatchObject({ name: 'light', port: busy, running: light });
    } finally {
      holder.close();
    }
  });

  it('the control listener moved to a taken port keeps accepting where it was', async () => {
    const { set, config } = await start({});
    const port = controlPort(set);
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => { resolve(); }));
    try {
      const address = holder.address();
      const busy = typeof address === 'object' && address !== null ? address.port : 0;
      const error: unknown = await set.reconfigure({ ...config, listeners: { ...config.listeners, control: controlListener({ port: busy }) } }, testKeys()).catch((caught: unknown) => caught);
      expect((error as Error).message).toBe(`listener control: bind failed with EADDRINUSE (127.0.0.1:${busy}): address already in use`);
      expect(controlPort(set)).toBe(port);
      const client = await connect(port);
      await expect(requestSession(client)).resolves.toBeDefined();
      client.close();
    } finally {
      holder.close();
    }
  });

  it('the control listener removed and added back by a reload', async () => {
    const { set, config } = await start({});
    await set.reconfigure({ ...config, listeners: { ...config.listeners, control: undefined } }, testKeys());
    expect(set.endpoints()).toEqual([]);
    expect(set.snapshot().control).toBeUndefined();
    await set.reconfigure(config, testKeys());
    const client = await connect(controlPort(set));
    client.close();
  });
});

describe('close(grace)', () => {
  it('a running session finishes within the grace, then close() resolves without waiting the whole grace; new connections are refused', async () => {
    const { set, log } = await start({});
    const port = controlPort(set);
    const client = await connect(port);
    const session = await requestSession(client);
    await client.startSessions();
    const measuring = measure(session, 20, 25);
    await until(() => (set.snapshot().control?.reflectors.packetsOut ?? 0) >= 2);

    const startedAt = Date.now();
    const closing = set.close(60_000);
    expect(set.close(60_000)).toBe(closing);
    await expect(connect(port)).rejects.toThrow();
    const report = await measuring;
    expect(report.summary.loss).toMatchObject({ sent: 20, received: 20, lost: 0 });
    await client.stopSessions();
    client.close();
    await closing;
    expect(Date.now() - startedAt).toBeLessThan(45_000);
    expect(set.snapshot().control?.pool.reflectorsOpen).toBe(0);
    expect(log.events('session-ended')).toHaveLength(1);
    expect(log.events('listener-closed')).toEqual([expect.objectContaining({ name: 'control', port })]);
  });

  it('the stop\'s grace also bounds a control listener retired by a reload with a longer one', async () => {
    const { set, config } = await start({ shutdownGraceMs: 120_000 });
    const port = controlPort(set);
    const client = await connect(port);
    await requestSession(client);
    const next = { ...config, security: { ...config.security, modes: ['open', 'mixed'] as const }, listeners: { ...config.listeners, control: controlListener({ port }) } };
    await set.reconfigure(next, testKeys());
    const startedAt = Date.now();
    await set.close(200);
    await client.closed.catch(() => undefined);
    expect(Date.now() - startedAt).toBeLessThan(60_000);
  });

  it('close() during a reload: whatever the reload opened is closed too', async () => {
    const { set, log, config } = await start({ control: undefined, reflectors: [reflectorListener('first')] });
    const next = { ...config, listeners: { ...config.listeners, reflectors: [reflectorListener('first'), reflectorListener('second')] } };
    await set.reconfigure(next, testKeys());
    // The second reload is queued behind nothing; close() is asked for while it runs or before it starts.
    const reloading = set.reconfigure({ ...next, listeners: { ...next.listeners, reflectors: [...next.listeners.reflectors, reflectorListener('third')] } }, testKeys());
    await new Promise((resolve) => setImmediate(resolve));
    await set.close(0);
    await reloading;
    const ports = log.events('listener-started').map((fields) => Number(fields['port']));
    expect(ports.length).toBeGreaterThanOrEqual(2);
    for (const port of ports) expect(await udpPortFree(port)).toBe(true);
  });

  it('a Light/STAMP sender mid-run is answered through the grace; the listener closes once it has gone quiet', async () => {
    const { set } = await start({ control: undefined, reflectors: [reflectorListener('light')] });
    const endpoint = endpointOf(set, 'light');
    const running = probe(endpoint, { protocol: 'twamp-light', count: 40, schedule: { kind: 'periodic', intervalMs: 25 } });
    await until(() => (set.snapshot().reflectors[0]?.stats.packetsIn ?? 0) >= 2);
    const startedAt = Date.now();
    const closing = set.close(60_000);
    expect((await running).summary.loss).toMatchObject({ sent: 40, received: 40 });
    await closing;
    expect(Date.now() - startedAt).toBeLessThan(30_000);
    expect(await udpPortFree(endpoint.port)).toBe(true);
  });

  it('listeners with nothing running close without waiting for the grace', async () => {
    const { set } = await start({ reflectors: [reflectorListener('light'), reflectorListener('stamp', { protocol: 'stamp' })] });
    const startedAt = Date.now();
    await set.close(120_000);
    expect(Date.now() - startedAt).toBeLessThan(60_000);
  });

  it('a session still running when the grace ends is closed with its connection and its reflector', async () => {
    const { set } = await start({ reflectors: [reflectorListener('light')] });
    const client = await connect(controlPort(set));
    const session = await requestSession(client);
    await client.startSessions();
    const light = endpointOf(set, 'light');
    await set.close(300);
    await client.closed.catch(() => undefined);
    expect(set.snapshot().control?.pool.reflectorsOpen).toBe(0);
    expect(await udpPortFree(session.receiver.port)).toBe(true);
    expect(await udpPortFree(light.port)).toBe(true);
  });
});
