import { createServer } from 'node:net';
import { AuthenticationError, ConfigError, NetworkError, PeerRejectedError, TimeoutError } from '@twamp/errors';
import { Mode, type RequestTwSession, type SecurityMode, TestSecurity } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/client/index.js';
import type { ControlClientOptions, ControlLogger } from '../../src/types.js';
import { type FakeServer, type FakeServerScript, type FakeStep, startFakeServer } from './fake-server.js';

const SENDER = { sender: { port: 20000 } };
const ALL = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;
const SECRET = 'correct horse battery staple';
const keys = { alice: SECRET };
const credentials = { keyId: 'alice', secret: Buffer.from(SECRET) };

const servers: FakeServer[] = [];
const clients: ControlClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(script: FakeServerScript, host = '127.0.0.1'): Promise<FakeServer> {
  const server = await startFakeServer(script, host);
  servers.push(server);
  return server;
}

async function connect(server: FakeServer, options: Partial<ControlClientOptions> = {}): Promise<ControlClient> {
  const client = await ControlClient.connect({ server: { address: server.address, port: server.port }, timeoutMs: 2000, ...options });
  clients.push(client);
  return client;
}

/** The request messages the fake server received on its first connection. */
function received(server: FakeServer, type: string): unknown[] {
  return server.connections[0]?.messages.filter((message) => message.type === type) ?? [];
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('ControlClient against a scripted server', () => {
  const modes: [string, SecurityMode, TestSecurity, boolean][] = [
    ['open', Mode.Unauthenticated, TestSecurity.Open, false],
    ['authenticated', Mode.Authenticated, TestSecurity.Authenticated, true],
    ['encrypted', Mode.Encrypted, TestSecurity.Encrypted, true],
    ['mixed', Mode.Mixed, TestSecurity.Open, false],
  ];
  for (const [name, mode, security, crypto] of modes) {
    it(`${name} mode end to end: request, accept (returned port), start, stop`, async () => {
      const server = await fake({ modes: ALL, keys });
      const client = await connect(server, { ...credentials, allowedModes: mode });
      expect(client.securityMode).toBe(mode);
      expect(client.serverModes).toBe(ALL);
      const session = await client.requestSession({ receiver: { port: 5000 }, sender: { port: 6000 }, dscp: 34 });
      expect(session.receiver).toEqual({ address: '127.0.0.1', port: 40000 });
      expect(session.sender).toEqual({ address: client.local.address, port: 6000 });
      expect(session.layout.security).toBe(security);
      expect(session.createCrypto() !== undefined).toBe(crypto);
      expect(session.dscp).toBe(34);
      expect(session.paddingLength).toBe(mode === Mode.Authenticated || mode === Mode.Encrypted ? 64 : 27);
      await client.startSessions();
      await client.stopSessions();
      await until(() => received(server, 'stop-sessions').length === 1);
      expect(received(server, 'stop-sessions')).toMatchObject([{ accept: 0, numberOfSessions: 1 }]);
      const request = received(server, 'request-tw-session')[0] as RequestTwSession;
      expect(request).toMatchObject({ ipvn: 4, senderAddress: '0.0.0.0', receiverAddress: '0.0.0.0', receiverPort: 5000, typeP: 34 << 24 });
      client.close();
      client.close();
      await client.closed;
    });
  }

  it('IPv6 loopback: IPVN 6, zero addresses replaced by ::1', async () => {
    const server = await fake({ modes: Mode.Encrypted, keys }, '::1');
    const client = await connect(server, credentials);
    const session = await client.requestSession(SENDER);
    expect(session.receiver).toEqual({ address: '::1', port: 40000 });
    expect(session.sender.address).toBe('::1');
    expect((received(server, 'request-tw-session')[0] as RequestTwSession).ipvn).toBe(6);
  });

  it('an IPv4-mapped server address is used as IPv4 (IPVN 4)', async () => {
    const server = await fake({ modes: Mode.Unauthenticated }, '::');
    const client = await connect(server, { server: { address: '::ffff:127.0.0.1', port: server.port } });
    expect(client.server.address).toBe('127.0.0.1');
    const session = await client.requestSession(SENDER);
    expect(session.receiver.address).toBe('127.0.0.1');
    expect((received(server, 'request-tw-session')[0] as RequestTwSession).ipvn).toBe(4);
  });

  it('a wrong secret: Server-Start Accept 1 → PeerRejectedError', async () => {
    const server = await fake({ modes: Mode.Authenticated, keys });
    const error = await connect(server, { keyId: 'alice', secret: Buffer.from('wrong') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PeerRejectedError);
    expect(error).toMatchObject({ acceptCode: 1, stage: 'Server-Start', peer: 'server' });
  });

  it('Server-Start Accept 5 carries the code; Modes 0 is a refusal; no acceptable mode; Count above the cap', async () => {
    const busy = await fake({ modes: Mode.Unauthenticated, serverStartAccept: 5 });
    await expect(connect(busy)).rejects.toMatchObject({ name: 'PeerRejectedError', acceptCode: 5 });
    const refusing = await fake({ modes: 0 });
    await expect(connect(refusing)).rejects.toBeInstanceOf(PeerRejectedError);
    const encryptedOnly = await fake({ modes: Mode.Encrypted, keys });
    await expect(connect(encryptedOnly)).rejects.toMatchObject({ name: 'AuthenticationError', reason: 'no-acceptable-mode' });
    const greedy = await fake({ modes: Mode.Encrypted, keys, count: 1 << 20 });
    const started = Date.now();
    await expect(connect(greedy, credentials)).rejects.toMatchObject({ name: 'AuthenticationError', reason: 'count-too-large' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(greedy.connections[0]?.setUp).toBeUndefined();
  });

  it('Accept-Session ≠ 0 → PeerRejectedError with the code; the connection stays usable', async () => {
    const server = await fake({
      modes: Mode.Authenticated,
      keys,
      onRequest: (_request, index) => (index === 0 ? { accept: 4, port: 0 } : { accept: 0, port: 41000 }),
    });
    const client = await connect(server, credentials);
    const error = await client.requestSession(SENDER).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PeerRejectedError);
    expect(error).toMatchObject({ acceptCode: 4, stage: 'Accept-Session' });
    const session = await client.requestSession(SENDER);
    expect(session.receiver.port).toBe(41000);
    expect(client.activeSessions).toBe(1);
  });

  it('Start-Ack ≠ 0 → PeerRejectedError', async () => {
    const server = await fake({ modes: Mode.Unauthenticated, startAckAccept: 2 });
    const client = await connect(server);
    await client.requestSession(SENDER);
    await expect(client.startSessions()).rejects.toMatchObject({ name: 'PeerRejectedError', acceptCode: 2, stage: 'Start-Ack' });
  });

  it('pipelined requests are answered in order', async () => {
    const server = await fake({ modes: Mode.Encrypted, keys });
    const client = await connect(server, credentials);
    const sessions = await Promise.all([client.requestSession(SENDER), client.requestSession(SENDER), client.requestSession(SENDER)]);
    expect(sessions.map((session) => session.receiver.port)).toEqual([40000, 40001, 40002]);
    await client.startSessions();
    await client.stopSessions();
    await until(() => received(server, 'stop-sessions').length === 1);
    expect(received(server, 'stop-sessions')).toMatchObject([{ numberOfSessions: 3 }]);
  });

  it('RFC 6038 fields are sent with Reflect Octets and come back in the session', async () => {
    const server = await fake({ modes: Mode.Encrypted | Mode.ReflectOctets | Mode.SymmetricalSize, keys });
    const client = await connect(server, { ...credentials, extensions: Mode.ReflectOctets | Mode.SymmetricalSize });
    expect(client.mode).toBe(Mode.Encrypted | Mode.ReflectOctets | Mode.SymmetricalSize);
    const session = await client.requestSession({ ...SENDER, octetsToBeReflected: 0xbeef, paddingToReflect: 12 });
    expect(received(server, 'request-tw-session')).toMatchObject([{ octetsToBeReflected: 0xbeef, lengthOfPaddingToReflect: 12, paddingLength: 0 }]);
    expect(session.octetsToBeReflected).toBe(0xbeef);
    expect(session.paddingToReflect).toBe(12);
    expect(session.layout.reflectOctets).toBe(12);
  });

  it('RFC 5938: Start-N/Stop-N with split acks; Stop-Sessions then counts what is left; forbidden commands are ConfigErrors', async () => {
    const server = await fake({ modes: Mode.Authenticated | Mode.IndividualSessionControl, keys, splitNAck: true });
    const client = await connect(server, { ...credentials, extensions: Mode.IndividualSessionControl });
    const a = await client.requestSession(SENDER);
    const b = await client.requestSession(SENDER);
    await client.startSessionsN([a.sid, b.sid]);
    await client.stopSessionsN([a.sid]);
    expect(client.activeSessions).toBe(1);
    await expect(client.startSessions()).rejects.toBeInstanceOf(ConfigError);
    await expect(client.stopSessions()).rejects.toBeInstanceOf(ConfigError);
    await client.stopSessionsN([b.sid]);
    expect(client.activeSessions).toBe(0);
    expect(received(server, 'start-n-sessions')).toHaveLength(1);
    expect(received(server, 'stop-n-sessions')).toHaveLength(2);
  });

  it('RFC 5938: a split ack with Accept 5 rejects once all acks are in, and the connection stays in step', async () => {
    const server = await fake({ modes: Mode.Encrypted | Mode.IndividualSessionControl, keys, splitNAck: true, splitAccept: 5 });
    const client = await connect(server, { ...credentials, extensions: Mode.IndividualSessionControl });
    const a = await client.requestSession(SENDER);
    const b = await client.requestSession(SENDER);
    await expect(client.startSessionsN([a.sid, b.sid])).rejects.toMatchObject({ name: 'PeerRejectedError', acceptCode: 5, stage: 'Start-N-Ack' });
    const c = await client.requestSession(SENDER);
    expect(c.receiver.port).toBe(40002);
  });

  it('RFC 5938 commands without Individual Session Control → ConfigError', async () => {
    const server = await fake({ modes: Mode.Unauthenticated });
    const client = await connect(server, { extensions: Mode.IndividualSessionControl });
    const session = await client.requestSession(SENDER);
    await expect(client.startSessionsN([session.sid])).rejects.toBeInstanceOf(ConfigError);
    await expect(client.stopSessionsN([session.sid])).rejects.toBeInstanceOf(ConfigError);
  });

  it('a reply that fails its HMAC → AuthenticationError (hmac-mismatch) and the connection ends', async () => {
    const server = await fake({ modes: Mode.Authenticated, keys, corruptReplies: true });
    const client = await connect(server, credentials);
    await expect(client.requestSession(SENDER)).rejects.toMatchObject({ name: 'AuthenticationError', reason: 'hmac-mismatch' });
    await client.closed;
    await expect(client.startSessions()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('logs events without secrets', async () => {
    const lines: string[] = [];
    const logger: ControlLogger = {
      info: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`),
      warn: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`),
    };
    const server = await fake({ modes: Mode.Encrypted, keys });
    const client = await connect(server, { ...credentials, logger });
    await client.requestSession(SENDER);
    client.close();
    await client.closed;
    const text = lines.join('\n');
    expect(text).toMatch(/client-ready/);
    expect(text).toMatch(/client-session-accepted/);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(Buffer.from(SECRET).toString('hex'));
  });
});

describe('ControlClient: every wait is bounded, every early close is typed', () => {
  const steps: [FakeStep, string, (client: ControlClient) => Promise<unknown>][] = [
    ['accept-session', 'Accept-Session', (client) => client.requestSession(SENDER)],
    ['start-ack', 'Start-Ack', (client) => client.startSessions()],
    ['start-n-ack', 'Start-N-Ack', (client) => client.startSessionsN([Buffer.alloc(16, 1)])],
    ['stop-n-ack', 'Stop-N-Ack', (client) => client.stopSessionsN([Buffer.alloc(16, 1)])],
  ];
  const script = { modes: Mode.Encrypted | Mode.IndividualSessionControl, keys };
  const options = { ...credentials, timeoutMs: 150 };

  for (const [step, name] of [
    ['greeting', 'Server Greeting'],
    ['server-start', 'Server-Start'],
  ] as const) {
    it(`a server that never sends the ${name} → TimeoutError within timeoutMs`, async () => {
      const server = await fake({ ...script, stallAt: step });
      const started = Date.now();
      const error = await connect(server, options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).waitingFor).toBe(name);
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it(`a server that closes in the middle of the ${name} → NetworkError naming it`, async () => {
      const server = await fake({ ...script, closeMidway: step });
      const error = await connect(server, options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toContain(name);
    });
  }

  for (const [step, name, run] of steps) {
    it(`a server that never sends the ${name} → TimeoutError; the connection then fails every later command`, async () => {
      const server = await fake({ ...script, stallAt: step });
      const client = await connect(server, { ...options, extensions: step === 'start-ack' ? 0 : Mode.IndividualSessionControl });
      const started = Date.now();
      const error = await run(client).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).waitingFor).toBe(name);
      expect(Date.now() - started).toBeLessThan(1000);
      await expect(client.requestSession(SENDER)).rejects.toBe(error);
      await client.closed;
    });

    it(`a server that closes in the middle of the ${name} → NetworkError naming it`, async () => {
      const server = await fake({ ...script, closeMidway: step });
      const client = await connect(server, { ...options, extensions: step === 'start-ack' ? 0 : Mode.IndividualSessionControl });
      const error = await run(client).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toContain(name);
      expect((error as Error).message).toMatch(/octets of it had arrived/);
    });

    it(`a server that closes instead of the ${name} → NetworkError naming it`, async () => {
      const server = await fake({ ...script, closeAt: step });
      const client = await connect(server, { ...options, extensions: step === 'start-ack' ? 0 : Mode.IndividualSessionControl });
      const error = await run(client).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toContain(name);
    });
  }

  it('a stalled TCP connect → TimeoutError naming the TCP connection', async () => {
    // A listener whose backlog is full leaves later SYNs unanswered: the connect never completes.
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen({ port: 0, host: '127.0.0.1', backlog: 0 }, resolve));
    listener.on('connection', () => undefined);
    const address = listener.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      // Without a full backlog the connect succeeds and the greeting wait times out instead: either way a TimeoutError.
      const error = await ControlClient.connect({ server: { address: '127.0.0.1', port }, timeoutMs: 150 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(['the TCP connection', 'Server Greeting']).toContain((error as TimeoutError).waitingFor);
    } finally {
      listener.close();
    }
  });

  it('a refused TCP connect → NetworkError ECONNREFUSED', async () => {
    const server = await fake({ modes: Mode.Unauthenticated });
    const port = server.port;
    await server.close();
    servers.length = 0;
    await expect(ControlClient.connect({ server: { address: '127.0.0.1', port }, timeoutMs: 500 })).rejects.toMatchObject({
      name: 'NetworkError',
      systemCode: 'ECONNREFUSED',
    });
  });

  it('garbage after Server-Start while idle, then close → `closed` rejects with the unseen error', async () => {
    const server = await fake({ modes: Mode.Unauthenticated, afterStart: Buffer.alloc(5, 0xff) });
    const client = await ControlClient.connect({ server: { address: server.address, port: server.port }, timeoutMs: 500 });
    const error = await client.closed.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    await expect(client.requestSession(SENDER)).rejects.toBe(error);
  });

  it('an idle server that closes cleanly → `closed` resolves; commands then reject', async () => {
    const server = await fake({ modes: Mode.Unauthenticated });
    const client = await connect(server);
    await server.close();
    servers.length = 0;
    await client.closed;
    await expect(client.requestSession(SENDER)).rejects.toBeInstanceOf(NetworkError);
  });

  it('close() with a command outstanding rejects it; bad options are ConfigErrors before connecting', async () => {
    const server = await fake({ modes: Mode.Unauthenticated, stallAt: 'accept-session' });
    const client = await connect(server);
    const pending = client.requestSession(SENDER);
    client.close();
    await expect(pending).rejects.toBeInstanceOf(NetworkError);
    await client.closed;
    await expect(ControlClient.connect({ server: { address: '127.0.0.1', port: 1 }, timeoutMs: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(ControlClient.connect({ server: { address: '127.0.0.1', port: 1 }, allowedModes: Mode.Encrypted })).rejects.toBeInstanceOf(ConfigError);
    await expect(client.requestSession({ ...SENDER, dscp: 99 })).rejects.toBeInstanceOf(NetworkError);
  });
});
