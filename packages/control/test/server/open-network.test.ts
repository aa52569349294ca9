// Attacks from issue 13 on the TWAMP-Control server, with the DEFAULT limits unless a test says
// otherwise: hoarded connection slots, one client taking every session, sessions never started,
// reflectors pointed at other addresses. Real sockets on loopback; several clients are several
// 127.x source addresses. Each test fails on the code before these defences (noted per test).
import { AcceptCode } from '@twamp/errors';
import { encodeStartNSessions, encodeStartSessions, Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_LIMITS, DEFAULT_SERVER_TIMEOUTS, type ControlServer } from '../../src/server/index.js';
import { RawClient, startServer, until } from './helpers.js';

const servers: ControlServer[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<Awaited<ReturnType<typeof startServer>>> {
  const started = await startServer(options);
  servers.push(started.server);
  return started;
}

async function client(port: number, localAddress?: string, host = '127.0.0.1'): Promise<RawClient> {
  const raw = await RawClient.connect(port, host, localAddress);
  clients.push(raw);
  return raw;
}

/** Run `task` over `items`, at most `width` at once. */
async function inBatches<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += width) {
    await Promise.all(items.slice(start, start + width).map(task));
  }
}

describe('control slots (issue 13 item 3)', () => {
  it('1 000 silent open-mode connections do not keep a legitimate client out (old code: Modes 0)', async () => {
    const { server: s, handler } = await server({ modes: Mode.Unauthenticated });
    const count = DEFAULT_SERVER_LIMITS.maxConnections;
    const perClient = DEFAULT_SERVER_LIMITS.maxConnectionsPerClient;
    // 127.0.0.2, .3, …: sixteen connections from each (the per-client cap), 1 000 in all.
    const sources = Array.from({ length: count }, (_, index) => `127.0.0.${2 + Math.floor(index / perClient)}`);
    await inBatches(sources, 100, async (source) => {
      const raw = await client(s.port, source);
      expect((await raw.handshake(Mode.Unauthenticated, undefined, undefined)).start.accept).toBe(0);
    });
    expect(s.stats.connectionsActive).toBe(count);

    const legit = await client(s.port);
    const { greeting, start } = await legit.handshake(Mode.Unauthenticated);
    expect(greeting.modes).not.toBe(0);
    expect(start.accept).toBe(0);
    expect((await legit.request()).accept).toBe(AcceptCode.Ok);
    legit.command(encodeStartSessions());
    legit.expect('start-ack');
    expect((await legit.next('start-ack')).accept).toBe(0);
    expect(handler.started).toHaveLength(1);
    expect(s.stats.connectionsEvicted).toBe(1);
    expect(s.stats.connectionsActive).toBe(count);
  }, 60_000);

  it('one client at its per-client cap: its own longest-idle connection without sessions makes room', async () => {
    const { server: s } = await server({ modes: Mode.Unauthenticated, limits: { maxConnectionsPerClient: 2 } });
    const a = await client(s.port);
    await a.handshake(Mode.Unauthenticated);
    const b = await client(s.port);
    await b.handshake(Mode.Unauthenticated);
    expect((await b.request()).accept).toBe(0);
    const c = await client(s.port);
    expect((await c.next('server-greeting')).modes).toBe(Mode.Unauthenticated);
    await a.closed;
    expect(s.stats.connectionsEvicted).toBe(1);
    // b holds a session: it stays.
    expect((await b.request()).accept).toBe(0);
  });

  it('a connection without sessions is closed after idleWithoutSessionsMs (default 30 s; old code: SERVWAIT, 900 s)', async () => {
    expect(DEFAULT_SERVER_TIMEOUTS.idleWithoutSessionsMs).toBe(30_000);
    const { server: s } = await server({ modes: Mode.Unauthenticated, timeouts: { idleWithoutSessionsMs: 150 } });
    const raw = await client(s.port);
    await raw.handshake(Mode.Unauthenticated);
    const started = Date.now();
    await raw.closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(s.stats.timeouts.idle).toBe(1);
  });

  it('a connection holding a session is not closed by the idle timeout', async () => {
    const { server: s } = await server({ modes: Mode.Unauthenticated, timeouts: { idleWithoutSessionsMs: 100 } });
    const raw = await client(s.port);
    await raw.handshake(Mode.Unauthenticated);
    expect((await raw.request()).accept).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(s.stats.timeouts.idle).toBe(0);
    expect((await raw.request()).accept).toBe(0);
  });
});

describe('sessions per client (issue 13 item 4)', () => {
  it('16 connections × 64 requests from one address get 256 sessions; another client is served in full (old code: Accept 4)', async () => {
    const { server: s } = await server({ modes: Mode.Unauthenticated });
    const { maxConnectionsPerClient, maxSessionsPerConnection, maxSessionsPerClient } = DEFAULT_SERVER_LIMITS;
    const accepts: number[] = [];
    await Promise.all(
      Array.from({ length: maxConnectionsPerClient }, async () => {
        const raw = await client(s.port, '127.0.0.2');
        await raw.handshake(Mode.Unauthenticated);
        for (let index = 0; index < maxSessionsPerConnection; index += 1) accepts.push((await raw.request()).accept);
      }),
    );
    expect(accepts.filter((accept) => accept === AcceptCode.Ok)).toHaveLength(maxSessionsPerClient);
    expect(new Set(accepts.filter((accept) => accept !== AcceptCode.Ok))).toEqual(new Set([AcceptCode.PermanentResourceLimitation]));
    expect(s.stats.sessionsRefusedByReason['max-sessions-per-client']).toBe(maxConnectionsPerClient * maxSessionsPerConnection - maxSessionsPerClient);

    const other = await client(s.port, '127.0.0.3');
    await other.handshake(Mode.Unauthenticated);
    for (let index = 0; index < maxSessionsPerConnection; index += 1) expect((await other.request()).accept).toBe(AcceptCode.Ok);
  }, 60_000);

  it('a session not started within unstartedSessionMs is released; Start-Sessions then starts nothing (old code: held 900 s)', async () => {
    expect(DEFAULT_SERVER_TIMEOUTS.unstartedSessionMs).toBe(60_000);
    const { server: s, handler } = await server({ modes: Mode.Unauthenticated, timeouts: { unstartedSessionMs: 150 } });
    const raw = await client(s.port);
    await raw.handshake(Mode.Unauthenticated);
    const first = await raw.request();
    expect(first.accept).toBe(0);
    await until(() => handler.released.length === 1, 5_000);
    expect(handler.released[0]).toEqual([Buffer.from(first.sid).toString('hex')]);
    expect(s.stats.sessionsReleasedUnstarted).toBe(1);
    expect(s.stats.sessionsActive).toBe(0);
    // A session requested now is held again, for its own unstartedSessionMs.
    const second = await raw.request();
    raw.command(encodeStartSessions());
    raw.expect('start-ack');
    expect((await raw.next('start-ack')).accept).toBe(0);
    expect(handler.started).toEqual([[Buffer.from(second.sid).toString('hex')]]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handler.released).toHaveLength(1);
  });
});

describe('unstarted sessions with individual session control', () => {
  it('Start-N-Sessions naming a released SID gets Accept 1 (unknown SID); the connection stays usable', async () => {
    const modes = Mode.Unauthenticated | Mode.IndividualSessionControl;
    const { server: s, handler } = await server({ modes, timeouts: { unstartedSessionMs: 150 } });
    const raw = await client(s.port);
    await raw.handshake(modes);
    const stale = await raw.request();
    await until(() => s.stats.sessionsReleasedUnstarted === 1, 5_000);
    raw.command(encodeStartNSessions({ sids: [stale.sid] }));
    raw.expect('start-n-ack');
    expect((await raw.next('start-n-ack')).accept).toBe(AcceptCode.Failure);
    const fresh = await raw.request();
    raw.command(encodeStartNSessions({ sids: [fresh.sid] }));
    raw.expect('start-n-ack');
    expect((await raw.next('start-n-ack')).accept).toBe(AcceptCode.Ok);
    expect(handler.started).toEqual([[Buffer.from(fresh.sid).toString('hex')]]);
  });
});

describe('addresses (issue 13 item 5)', () => {
  it('another Receiver Address, multicast or broadcast → Accept 3, never handed to the handler (old code: bound there)', async () => {
    const { server: s, handler } = await server({ modes: Mode.Unauthenticated });
    const raw = await client(s.port);
    await raw.handshake(Mode.Unauthenticated);
    for (const receiverAddress of ['192.0.2.2', '127.0.0.2', '224.0.0.1', '255.255.255.255']) {
      expect((await raw.request({ receiverAddress })).accept).toBe(AcceptCode.NotSupported);
    }
    expect(handler.requests).toHaveLength(0);
    expect(s.stats.sessionsRefusedByReason['receiver-address']).toBe(4);
    expect((await raw.request({ receiverAddress: '127.0.0.1' })).accept).toBe(0);
    expect((await raw.request({ receiverAddress: '0.0.0.0' })).accept).toBe(0);
    expect(handler.requests.map((request) => request.receiver.address)).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('a Sender Address other than the client\'s → Accept 3 unless thirdPartySenders; multicast and broadcast never', async () => {
    const closed = await server({ modes: Mode.Unauthenticated });
    const raw = await client(closed.server.port);
    await raw.handshake(Mode.Unauthenticated);
    expect((await raw.request({ senderAddress: '192.0.2.5' })).accept).toBe(AcceptCode.NotSupported);
    expect(closed.handler.requests).toHaveLength(0);
    expect(closed.server.stats.sessionsRefusedByReason['sender-address']).toBe(1);
    // A reload may opt in: new connections then accept third-party senders.
    closed.server.reconfigure({ thirdPartySenders: true });
    const reloaded = await client(closed.server.port);
    await reloaded.handshake(Mode.Unauthenticated);
    expect((await reloaded.request({ senderAddress: '192.0.2.5' })).accept).toBe(0);
    closed.server.reconfigure({ thirdPartySenders: undefined });

    const open = await server({ modes: Mode.Unauthenticated, thirdPartySenders: true });
    expect(closed.handler.requests).toHaveLength(1);
    const third = await client(open.server.port);
    await third.handshake(Mode.Unauthenticated);
    expect((await third.request({ senderAddress: '192.0.2.5' })).accept).toBe(0);
    expect(open.handler.requests[0]?.sender.address).toBe('192.0.2.5');
    for (const senderAddress of ['224.0.0.1', '239.255.255.250', '255.255.255.255']) {
      expect((await third.request({ senderAddress })).accept).toBe(AcceptCode.NotSupported);
    }
    expect(open.handler.requests).toHaveLength(1);
  });

  it('IPv6: ff02::1 as sender (even with thirdPartySenders) or receiver → Accept 3; ::1 and :: are the connection\'s', async () => {
    const { server: s, handler } = await server({ modes: Mode.Unauthenticated, address: '::1', thirdPartySenders: true });
    const raw = await client(s.port, undefined, '::1');
    await raw.handshake(Mode.Unauthenticated);
    const v6 = { ipvn: 6, senderAddress: '::', receiverAddress: '::' } as const;
    expect((await raw.request({ ...v6, senderAddress: 'ff02::1' })).accept).toBe(AcceptCode.NotSupported);
    expect((await raw.request({ ...v6, receiverAddress: 'ff02::1' })).accept).toBe(AcceptCode.NotSupported);
    expect((await raw.request({ ...v6, receiverAddress: '2001:db8::1' })).accept).toBe(AcceptCode.NotSupported);
    expect(handler.requests).toHaveLength(0);
    expect((await raw.request({ ...v6, senderAddress: '::1', receiverAddress: '::1' })).accept).toBe(0);
    expect((await raw.request(v6)).accept).toBe(0);
    expect(handler.requests.map((request) => [request.sender.address, request.receiver.address])).toEqual([
      ['::1', '::1'],
      ['::1', '::1'],
    ]);
  });
});
