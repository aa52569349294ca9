import { AcceptCode } from '@twamp/errors';
import {
  encodeRequestTwSession,
  encodeStartNSessions,
  encodeStartSessions,
  encodeStopNSessions,
  encodeStopSessions,
  Mode,
  ntpToUnixNanos,
  type RequestTwSessionFields,
  typePForDscp,
} from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlServer } from '../../src/server/index.js';
import { defaultRequest, hex, RawClient, type RecordingHandler, startServer, until } from './helpers.js';

const servers: ControlServer[] = [];
const clients: RawClient[] = [];

async function connected(
  mode: number,
  options: Parameters<typeof startServer>[0] = {},
): Promise<{ server: ControlServer; handler: RecordingHandler; raw: RawClient }> {
  const { server, handler } = await startServer({ modes: 0xff, ...options });
  servers.push(server);
  const raw = await RawClient.connect(server.port);
  clients.push(raw);
  expect((await raw.handshake(mode)).start.accept).toBe(0);
  return { server, handler, raw };
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('Request-TW-Session validation', () => {
  const cases: [string, Partial<RequestTwSessionFields>, number][] = [
    ['IPVN 5', { ipvn: 5, senderAddress: '', receiverAddress: '' }, AcceptCode.NotSupported],
    ['IPVN 0', { ipvn: 0, senderAddress: '', receiverAddress: '' }, AcceptCode.NotSupported],
    ['Conf-Sender 1', { confSender: 1 }, AcceptCode.NotSupported],
    ['Conf-Receiver 1', { confReceiver: 1 }, AcceptCode.NotSupported],
    ['Number of Schedule Slots 1', { numberOfScheduleSlots: 1 }, AcceptCode.NotSupported],
    ['Number of Packets 10', { numberOfPackets: 10 }, AcceptCode.NotSupported],
    ['Type-P with undefined leading bits', { typeP: 0x8000_0000 }, AcceptCode.NotSupported],
    ['Type-P with bits after the DSCP', { typeP: 0x2e00_0001 }, AcceptCode.NotSupported],
    ['Type-P PHB ID', { typeP: 0x4000_4000 }, AcceptCode.NotSupported],
    ['Padding Length beyond a datagram', { paddingLength: 70_000 }, AcceptCode.NotSupported],
    ['Sender Port 0', { senderPort: 0 }, AcceptCode.NotSupported],
    ['SID ≠ 0 (ignored, ours assigned)', { sid: new Uint8Array(16).fill(9) }, AcceptCode.Ok],
    ['DSCP EF', { typeP: typePForDscp(46) }, AcceptCode.Ok],
  ];

  it.each(cases)('%s → Accept %i, and the connection stays usable', async (_name, fields, accept) => {
    const { raw, handler } = await connected(Mode.Authenticated);
    const reply = await raw.request(fields);
    expect(reply.accept).toBe(accept);
    if (accept === AcceptCode.Ok) {
      expect(hex(reply.sid)).not.toBe('09'.repeat(16));
    } else {
      expect(reply.port).toBe(0);
      expect(handler.requests).toHaveLength(0);
    }
    expect((await raw.request()).accept).toBe(AcceptCode.Ok);
  });

  it.each([1, 2, 3, 4, 5])('a handler refusal with Accept %i is passed through', async (accept) => {
    const { raw, handler } = await connected(Mode.Unauthenticated);
    handler.answer = () => ({ accept: accept as 1, reason: 'scripted' });
    const reply = await raw.request();
    expect(reply.accept).toBe(accept);
    expect(reply.port).toBe(0);
  });

  it("Accept-Session carries the handler's port; zero addresses become the control connection's; SID layout", async () => {
    const { raw, handler } = await connected(Mode.Encrypted);
    handler.nextPort = 45678;
    const before = Date.now();
    const reply = await raw.request({ receiverPort: 862 });
    expect(reply.accept).toBe(0);
    expect(reply.port).toBe(45678);
    const request = handler.requests[0];
    expect(request?.requestedReceiverPort).toBe(862);
    expect(request?.sender).toEqual({ address: '127.0.0.1', port: 20000 });
    expect(request?.receiver.address).toBe('127.0.0.1');
    expect(request?.client.address).toBe('127.0.0.1');
    expect(hex(request?.sid ?? new Uint8Array())).toBe(hex(reply.sid));
    // RFC 4656 §3.5: receiver IPv4 address, NTP timestamp, 4 random octets.
    const sid = Buffer.from(reply.sid);
    expect([...sid.subarray(0, 4)]).toEqual([127, 0, 0, 1]);
    const ms = Number(ntpToUnixNanos({ seconds: sid.readUInt32BE(4), fraction: sid.readUInt32BE(8) }) / 1_000_000n);
    expect(ms).toBeGreaterThanOrEqual(before - 1000);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1000);
    const second = await raw.request();
    expect(hex(second.sid)).not.toBe(hex(reply.sid));
    // Both ends can derive the test keys: the request offers a crypto per side.
    expect(request?.createCrypto()).toBeDefined();
  });

  it('explicit addresses equal to the connection\'s are accepted; the reflector binds the connection\'s local address', async () => {
    const { raw, handler } = await connected(Mode.Unauthenticated);
    expect((await raw.request({ senderAddress: '127.0.0.1', receiverAddress: '127.0.0.1' })).accept).toBe(0);
    expect(handler.requests[0]?.sender.address).toBe('127.0.0.1');
    expect(handler.requests[0]?.receiver.address).toBe('127.0.0.1');
  });

  it('RFC 6038 fields are carried when Reflect Octets is selected, ignored otherwise', async () => {
    const fields = { octetsToBeReflected: 0xbeef, lengthOfPaddingToReflect: 12 };
    const { raw, handler } = await connected(Mode.Unauthenticated | Mode.ReflectOctets | Mode.SymmetricalSize);
    const reply = await raw.request(fields);
    expect(reply.reflectedOctets).toBe(0xbeef);
    expect(handler.requests[0]?.octetsToBeReflected).toBe(0xbeef);
    expect(handler.requests[0]?.paddingToReflect).toBe(12);

    const plain = await connected(Mode.Unauthenticated);
    const reply2 = await plain.raw.request(fields);
    expect(reply2.accept).toBe(0);
    expect(reply2.reflectedOctets).toBe(0);
    expect(plain.handler.requests[0]?.octetsToBeReflected).toBe(0);
  });

  it('session limits: per connection → Accept 4, total → Accept 4 (a configured capacity: permanent)', async () => {
    const { raw, server } = await connected(Mode.Unauthenticated, { limits: { maxSessionsPerConnection: 2, maxSessionsTotal: 3 } });
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(AcceptCode.PermanentResourceLimitation);
    const other = await RawClient.connect(server.port);
    clients.push(other);
    await other.handshake(Mode.Unauthenticated);
    expect((await other.request()).accept).toBe(0);
    expect((await other.request()).accept).toBe(AcceptCode.PermanentResourceLimitation);
    expect(server.stats.sessionsActive).toBe(3);
    expect(server.stats.acceptsSent[4]).toBe(2);
    expect(server.stats.acceptsSent[5]).toBeUndefined();
  });

  it('requests per second beyond the limit → Accept 5', async () => {
    const { raw } = await connected(Mode.Unauthenticated, { limits: { requestsPerSecond: 2 } });
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(AcceptCode.TemporaryResourceLimitation);
  });

  it('server-wide requests per second: a burst of the rate passes, the next request on any connection → Accept 5, and tokens come back', async () => {
    let clock = 1_000_000;
    const { raw, server } = await connected(Mode.Unauthenticated, { limits: { sessionRequestsPerSecond: 2 }, now: () => clock });
    const other = await RawClient.connect(server.port);
    clients.push(other);
    await other.handshake(Mode.Unauthenticated);
    expect((await raw.request()).accept).toBe(0);
    expect((await other.request()).accept).toBe(0);
    expect((await other.request()).accept).toBe(AcceptCode.TemporaryResourceLimitation);
    expect((await raw.request()).accept).toBe(AcceptCode.TemporaryResourceLimitation);
    // Half a second refills one token (2 per second).
    clock += 500;
    expect((await raw.request()).accept).toBe(0);
    expect((await other.request()).accept).toBe(AcceptCode.TemporaryResourceLimitation);
    expect(server.stats.acceptsSent[5]).toBe(3);
  });

  it('a refusal by the per-connection rate does not use up the server-wide rate', async () => {
    const clock = 1_000_000;
    const { raw, server } = await connected(Mode.Unauthenticated, { limits: { requestsPerSecond: 1, sessionRequestsPerSecond: 2 }, now: () => clock });
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(AcceptCode.TemporaryResourceLimitation);
    const other = await RawClient.connect(server.port);
    clients.push(other);
    await other.handshake(Mode.Unauthenticated);
    expect((await other.request()).accept).toBe(0);
  });

  it('reconfigure: a lower sessionsTotal refuses new requests with Accept 4 and keeps the sessions it has; a new server-wide rate applies at once', async () => {
    const clock = 1_000_000;
    const { raw, server } = await connected(Mode.Unauthenticated, { limits: { maxSessionsTotal: 8 }, now: () => clock });
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(0);
    server.reconfigure({ limits: { maxSessionsTotal: 1 } });
    expect((await raw.request()).accept).toBe(AcceptCode.PermanentResourceLimitation);
    expect(server.stats.sessionsActive).toBe(2);
    server.reconfigure({ limits: { maxSessionsTotal: 8, sessionRequestsPerSecond: 1 } });
    expect((await raw.request()).accept).toBe(0);
    expect((await raw.request()).accept).toBe(AcceptCode.TemporaryResourceLimitation);
  });

  it('a bad sessionRequestsPerSecond is a ConfigError naming it', async () => {
    await expect(startServer({ modes: Mode.Unauthenticated, limits: { sessionRequestsPerSecond: 0 } })).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [{ path: 'limits.sessionRequestsPerSecond' }],
    });
  });

  it('pipelined commands are answered in order while the handler is slow', async () => {
    const { raw, handler } = await connected(Mode.Encrypted);
    handler.answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { accept: AcceptCode.Ok, port: handler.nextPort++ };
    };
    raw.command(encodeRequestTwSession(defaultRequest()));
    raw.command(encodeRequestTwSession({ ...defaultRequest(), confSender: 1 }));
    raw.command(encodeRequestTwSession(defaultRequest()));
    raw.command(encodeStartSessions());
    raw.expect('accept-session');
    raw.expect('accept-session');
    raw.expect('accept-session');
    raw.expect('start-ack');
    expect((await raw.next('accept-session')).port).toBe(30000);
    expect((await raw.next('accept-session')).accept).toBe(3);
    expect((await raw.next('accept-session')).port).toBe(30001);
    expect((await raw.next('start-ack')).accept).toBe(0);
    expect(handler.started[0]).toHaveLength(2);
  });
});

describe('Start / Stop', () => {
  it('Start-Sessions → handler.start then Start-Ack 0; Stop-Sessions with the right N → handler.stop', async () => {
    const { raw, handler, server } = await connected(Mode.Authenticated);
    const a = await raw.request();
    const b = await raw.request();
    raw.command(encodeStartSessions());
    raw.expect('start-ack');
    expect((await raw.next('start-ack')).accept).toBe(0);
    expect(handler.started).toEqual([[hex(a.sid), hex(b.sid)]]);
    raw.command(encodeStopSessions({ accept: 0, numberOfSessions: 2 }));
    await until(() => handler.stopped.length === 1);
    expect(handler.stopped[0]).toEqual([hex(a.sid), hex(b.sid)]);
    expect(server.stats.sessionsActive).toBe(0);
    raw.destroy();
    await until(() => server.stats.connectionsActive === 0);
    // Stopped sessions finish their Timeout in the handler: nothing left to release.
    expect(handler.released).toEqual([]);
  });

  it('Stop-Sessions with N = 0 (twampy) is tolerated', async () => {
    const { raw, handler } = await connected(Mode.Unauthenticated);
    const a = await raw.request();
    raw.command(encodeStartSessions());
    raw.expect('start-ack');
    await raw.next('start-ack');
    raw.command(encodeStopSessions({ accept: 0, numberOfSessions: 0 }));
    await until(() => handler.stopped.length === 1);
    expect(handler.stopped[0]).toEqual([hex(a.sid)]);
  });

  it('Stop-Sessions with a wrong N: logged, and the sessions are stopped anyway', async () => {
    const events: string[] = [];
    const logger = {
      info: (event: string): void => {
        events.push(event);
      },
      warn: (event: string): void => {
        events.push(event);
      },
    };
    const { raw, handler } = await connected(Mode.Unauthenticated, { logger });
    await raw.request();
    raw.command(encodeStopSessions({ accept: 0, numberOfSessions: 5 }));
    await until(() => handler.stopped.length === 1);
    expect(events).toContain('stop-sessions-count-mismatch');
  });

  it("twamp-rs's 20-octet Stop-Sessions followed by a close stops the sessions", async () => {
    const { raw, handler } = await connected(Mode.Unauthenticated);
    const a = await raw.request();
    raw.command(encodeStartSessions());
    raw.expect('start-ack');
    await raw.next('start-ack');
    raw.socket.end(encodeStopSessions({ accept: 0, numberOfSessions: 0 }).subarray(0, 20));
    await until(() => handler.stopped.length === 1);
    expect(handler.stopped[0]).toEqual([hex(a.sid)]);
    expect(handler.released).toEqual([]);
  });

  it('RFC 5938: Start-N / Stop-N start and stop sessions individually; Start-Sessions is refused with 3', async () => {
    const { raw, handler } = await connected(Mode.Encrypted | Mode.IndividualSessionControl);
    const a = await raw.request();
    const b = await raw.request();
    const c = await raw.request();
    raw.command(encodeStartNSessions({ sids: [a.sid, c.sid] }));
    raw.expect('start-n-ack');
    const ack = await raw.next('start-n-ack');
    expect(ack.accept).toBe(0);
    expect(ack.sids.map(hex)).toEqual([hex(a.sid), hex(c.sid)]);
    expect(handler.started).toEqual([[hex(a.sid), hex(c.sid)]]);

    raw.command(encodeStartNSessions({ sids: [b.sid] }));
    raw.expect('start-n-ack');
    expect((await raw.next('start-n-ack')).accept).toBe(0);
    expect(handler.started[1]).toEqual([hex(b.sid)]);

    raw.command(encodeStopNSessions({ sids: [c.sid] }));
    raw.expect('stop-n-ack');
    const stopAck = await raw.next('stop-n-ack');
    expect(stopAck.accept).toBe(0);
    expect(stopAck.sids.map(hex)).toEqual([hex(c.sid)]);
    expect(handler.stopped).toEqual([[hex(c.sid)]]);

    // An unknown SID: the whole command is refused, nothing changes.
    raw.command(encodeStopNSessions({ sids: [a.sid, new Uint8Array(16).fill(1)] }));
    raw.expect('stop-n-ack');
    expect((await raw.next('stop-n-ack')).accept).toBe(AcceptCode.Failure);
    expect(handler.stopped).toHaveLength(1);

    raw.command(encodeStartSessions());
    raw.expect('start-ack');
    expect((await raw.next('start-ack')).accept).toBe(AcceptCode.NotSupported);

    // The connection ends: a and b were never stopped, so they are released.
    raw.destroy();
    await until(() => handler.released.length === 1);
    expect(handler.released[0]).toEqual([hex(a.sid), hex(b.sid)]);
  });

  it('Start-N-Sessions without Individual Session Control → Start-N-Ack 3', async () => {
    const { raw } = await connected(Mode.Unauthenticated);
    const a = await raw.request();
    raw.command(encodeStartNSessions({ sids: [a.sid] }));
    raw.expect('start-n-ack');
    expect((await raw.next('start-n-ack')).accept).toBe(AcceptCode.NotSupported);
  });
});

describe('bad input', () => {
  it('an unknown command → Accept 3, then close', async () => {
    const { raw } = await connected(Mode.Encrypted);
    const command = Buffer.alloc(32);
    command[0] = 12;
    raw.command(command);
    raw.expect('accept-session');
    expect((await raw.next('accept-session')).accept).toBe(AcceptCode.NotSupported);
    await raw.closed;
  });

  it('a tampered HMAC closes the connection and releases its sessions', async () => {
    const { raw, handler } = await connected(Mode.Authenticated);
    const a = await raw.request();
    const sealed = raw.seal(encodeStartSessions());
    sealed[20] = (sealed[20] ?? 0) ^ 1;
    raw.write(sealed);
    await raw.closed;
    await until(() => handler.released.length === 1);
    expect(handler.released[0]).toEqual([hex(a.sid)]);
    expect(handler.started).toEqual([]);
  });

  it('release on close: sessions accepted but never stopped are released when the client goes', async () => {
    const { raw, handler, server } = await connected(Mode.Unauthenticated);
    const a = await raw.request();
    raw.command(encodeStartSessions());
    raw.expect('start-ack');
    await raw.next('start-ack');
    raw.socket.end();
    await until(() => handler.released.length === 1);
    expect(handler.released[0]).toEqual([hex(a.sid)]);
    await until(() => server.stats.sessionsActive === 0);
  });

  it('server close: the grace ends as soon as the last connection has gone', async () => {
    const { raw, server } = await connected(Mode.Unauthenticated);
    await raw.request();
    servers.splice(servers.indexOf(server), 1);
    const started = Date.now();
    let done = false;
    const closing = server.close(60_000).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    raw.socket.end();
    await closing;
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('server close: a second close with a shorter grace cuts the first one\'s wait', async () => {
    const { raw, server } = await connected(Mode.Unauthenticated);
    await raw.request();
    servers.splice(servers.indexOf(server), 1);
    const started = Date.now();
    const first = server.close(120_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await server.close(0);
    await first;
    await raw.closed;
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('server close releases every connection', async () => {
    const { raw, handler, server } = await connected(Mode.Unauthenticated);
    const a = await raw.request();
    servers.splice(servers.indexOf(server), 1);
    await server.close(10);
    expect(handler.released).toEqual([[hex(a.sid)]]);
    await raw.closed;
  });
});
