// The TWAMP-Control listener on real loopback sockets: a measured session in every security mode,
// one dual-stack listener for IPv4 and IPv6 clients, the limits and the Accept code each one sends
// (4 permanent, 5 temporary), Modes 0 for a client outside the access list, the log lines (never a
// secret) and the snapshot the metrics read.
import { AcceptCode, ConfigError, NetworkError, PeerRejectedError } from '@twamp/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { startListeners } from '../src/listeners/index.js';
import type { ListenerSetApi } from '../src/types.js';
import {
  connect,
  controlListener,
  endpointOf,
  PASSPHRASE,
  RecordingLog,
  reflectorListener,
  requestSession,
  testConfig,
  testKeys,
  twampRun,
  until,
} from './listeners-support.js';

const open: ListenerSetApi[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((set) => set.close(0)));
});

async function start(...args: Parameters<typeof testConfig>): Promise<{ set: ListenerSetApi; log: RecordingLog; port: number }> {
  const log = new RecordingLog();
  const set = await startListeners(testConfig(...args), { log, keys: testKeys() });
  open.push(set);
  return { set, log, port: set.endpoints().find((endpoint) => endpoint.name === 'control')?.port ?? 0 };
}

async function refusal(promise: Promise<unknown>): Promise<PeerRejectedError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PeerRejectedError);
  return error as PeerRejectedError;
}

describe('control listener: every security mode', () => {
  it.each(['open', 'authenticated', 'encrypted', 'mixed'] as const)('%s: a session is negotiated, every packet reflected', async (mode) => {
    const { port, log, set } = await start({ modes: ['open', 'authenticated', 'encrypted', 'mixed'], keyFile: '/unused/keys' });
    const { report, client } = await twampRun(port, { mode, count: 5 });
    expect(client.securityMode).toBe({ open: 1, authenticated: 2, encrypted: 4, mixed: 8 }[mode]);
    expect(report.summary.loss).toMatchObject({ sent: 5, received: 5, lost: 0 });
    await until(() => log.events('session-ended').length === 1);
    expect(log.events('session-opened')[0]).toMatchObject({ mode, peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown });
    expect(log.events('session-started')).toHaveLength(1);
    expect(log.events('session-stopped')).toHaveLength(1);
    // The snapshot sums the session reflectors, ended ones included.
    expect(set.snapshot().control?.reflectors).toMatchObject({ packetsIn: 5, packetsOut: 5 });
    expect(set.snapshot().control?.server.acceptsSent[0]).toBeGreaterThanOrEqual(2);
    // Nothing secret reaches a log line.
    expect(JSON.stringify(log.records)).not.toContain(PASSPHRASE);
  });

  it('offers the extensions only when asked', async () => {
    const withExtensions = await start({});
    const client = await connect(withExtensions.port);
    expect(client.serverModes).toBe(0x1 | 0x10 | 0x20 | 0x40 | 0x100);
    client.close();
    const without = await start({ control: controlListener({ extensions: false }) });
    const plain = await connect(without.port);
    expect(plain.serverModes).toBe(0x1);
    plain.close();
  });

  it('a wrong passphrase is refused in Server-Start (Accept 1) and logged without the secret', async () => {
    const { port, log } = await start({ modes: ['authenticated'], keyFile: '/unused/keys' });
    const error = await refusal(connect(port, { mode: 'authenticated', passphrase: 'not the passphrase' }));
    expect(error.acceptCode).toBe(AcceptCode.Failure);
    await until(() => log.events('control-connection-closed').length === 1);
    const text = JSON.stringify(log.records);
    expect(text).not.toContain('not the passphrase');
    expect(text).not.toContain(PASSPHRASE);
  });
});

describe('control listener on :: (dual-stack)', () => {
  it('serves an IPv4 and an IPv6 client on one listener, each session reflected on its own family', async () => {
    const { port } = await start({ control: controlListener({ address: '::' }) });
    const v4 = await twampRun(port, { address: '127.0.0.1', count: 3 });
    expect(v4.session.receiver.address).toBe('127.0.0.1');
    expect(v4.report.summary.loss).toMatchObject({ sent: 3, received: 3 });
    const v6 = await twampRun(port, { address: '::1', count: 3 });
    expect(v6.session.receiver.address).toBe('::1');
    expect(v6.report.summary.loss).toMatchObject({ sent: 3, received: 3 });
  });
});

describe('control listener limits and their Accept codes', () => {
  it('sessionsTotal reached → Accept 4 (permanent), logged with the code and its name', async () => {
    const { port, log, set } = await start({ limits: { sessionsTotal: 1 } });
    const first = await connect(port);
    await requestSession(first);
    const second = await connect(port);
    const error = await refusal(requestSession(second));
    expect(error.acceptCode).toBe(AcceptCode.PermanentResourceLimitation);
    expect(log.events('session-refused')[0]).toMatchObject({
      accept: 4,
      acceptName: 'permanent-resource-limitation',
      mode: 'open',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown,
    });
    expect(set.snapshot().control?.server.acceptsSent[4]).toBe(1);
    first.close();
    second.close();
  });

  it('sessionsPerConnection reached → Accept 4; another connection still gets its session', async () => {
    const { port } = await start({ limits: { sessionsPerConnection: 2 } });
    const client = await connect(port);
    await requestSession(client);
    await requestSession(client);
    expect((await refusal(requestSession(client))).acceptCode).toBe(AcceptCode.PermanentResourceLimitation);
    const other = await connect(port);
    await expect(requestSession(other)).resolves.toBeDefined();
    client.close();
    other.close();
  });

  it('sessionRequestsPerSecond exceeded → Accept 5 (temporary), on any connection', async () => {
    // One request per 5 s: the burst is one request, the next within the test is over the rate.
    const { port, log } = await start({ limits: { sessionRequestsPerSecond: 0.2 } });
    const client = await connect(port);
    await requestSession(client);
    const other = await connect(port);
    const error = await refusal(requestSession(other));
    expect(error.acceptCode).toBe(AcceptCode.TemporaryResourceLimitation);
    expect(error.retryable).toBe(true);
    expect(log.events('session-refused')[0]).toMatchObject({ accept: 5, acceptName: 'temporary-resource-limitation' });
    client.close();
    other.close();
  });

  it('a client outside access.control gets a Server Greeting with Modes 0, logged as refused', async () => {
    const { port, log, set } = await start({ access: { control: ['192.0.2.0/24', '2001:db8::/32'] } });
    const error = await refusal(connect(port));
    expect(error.stage).toMatch(/Modes 0/);
    await until(() => log.events('control-connection-refused').length === 1);
    expect(log.events('control-connection-refused')[0]).toMatchObject({
      modes: 0,
      reason: 'client address not allowed',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown,
    });
    expect(set.snapshot().control?.server.connectionsRefused).toBe(1);
  });

  it('controlConnectionsPerClient reached: a connection without sessions makes room; one holding a session does not (Modes 0)', async () => {
    const { set, port } = await start({ limits: { controlConnectionsPerClient: 1 } });
    const idle = await connect(port);
    const holder = await connect(port);
    // The idle one (no session) was closed to let the new one in.
    await until(() => set.snapshot().control?.server.connectionsEvicted === 1);
    await requestSession(holder);
    const error = await refusal(connect(port));
    expect(error.stage).toMatch(/Modes 0/);
    expect(set.snapshot().control?.server.connectionsRefusedByReason['max-connections-per-client']).toBe(1);
    idle.close();
    holder.close();
  });
});

describe('control listener: third-party senders', () => {
  it('a sender address other than the client\'s gets Accept 3 by default; listeners.control.thirdPartySenders: true accepts it on new connections after a reload that keeps the listener and its open connections', async () => {
    const { set } = await start({});
    const port = endpointOf(set, 'control').port;
    const client = await connect(port);
    const refused: unknown = await client.requestSession({ sender: { address: '127.0.0.2', port: 40_000 } }).catch((caught: unknown) => caught);
    expect((refused as PeerRejectedError).acceptCode).toBe(AcceptCode.NotSupported);

    const config = testConfig({ control: controlListener({ port, thirdPartySenders: true }) });
    await set.reconfigure(config, undefined);
    expect(endpointOf(set, 'control').port).toBe(port);
    // The connection open before the reload is kept, with the rules it connected under.
    const still: unknown = await client.requestSession({ sender: { address: '127.0.0.2', port: 40_001 } }).catch((caught: unknown) => caught);
    expect((still as PeerRejectedError).acceptCode).toBe(AcceptCode.NotSupported);
    client.close();
    const opener = await connect(port);
    await expect(opener.requestSession({ sender: { address: '127.0.0.2', port: 40_000 } })).resolves.toBeDefined();
    opener.close();
  });
});

describe('startListeners failing halfway', () => {
  it('a reflector port in use: NetworkError naming the listener and address, and the control listener it opened is closed again', async () => {
    const { set: holder } = await start({ control: undefined, reflectors: [reflectorListener('taken')] });
    const busy = endpointOf(holder, 'taken').port;
    const log = new RecordingLog();
    const error: unknown = await startListeners(testConfig({ reflectors: [reflectorListener('light', { port: busy })] }), { log, keys: undefined }).then(
      (set) => {
        open.push(set);
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).systemCode).toBe('EADDRINUSE');
    expect((error as NetworkError).message).toContain('listener light');
    expect((error as NetworkError).message).toContain(`127.0.0.1:${busy}`);
    // The control listener had started: it is gone again.
    const started = log.events('listener-started').find((fields) => fields['name'] === 'control');
    expect(started).toBeDefined();
    const { createConnection } = await import('node:net');
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: Number(started?.['port']) });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (socketError: NodeJS.ErrnoException) => {
        resolve(socketError.code ?? 'error');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('values the libraries refuse are ConfigErrors naming the config key, and nothing is left open', async () => {
    const paths = async (parts: Parameters<typeof testConfig>[0]): Promise<string[]> => {
      const error: unknown = await startListeners(testConfig(parts), { log: new RecordingLog(), keys: undefined }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((issue) => issue.path);
    };
    // Beyond setTimeout's range: Node would fire it after 1 ms.
    expect(await paths({ limits: { idleTimeoutMs: 2 ** 31 } })).toEqual(['limits.idleTimeout']);
    expect(await paths({ access: { control: ['not-a-cidr'] } })).toEqual(['access.control[0]']);
    expect(await paths({ control: undefined, reflectors: [reflectorListener('light')], access: { light: ['10.0.0.0/8', 'nope'] } })).toEqual(['access.light[1]']);
    expect(await paths({ modes: ['authenticated'] })).toEqual(['security.keyFile']);
  });

  it('the control port in use: NetworkError naming the control listener', async () => {
    const { port } = await start({});
    const error: unknown = await startListeners(testConfig({ control: controlListener({ port }) }), { log: new RecordingLog(), keys: undefined }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).message).toMatch(/listener control.*EADDRINUSE/);
  });
});
