// The client against the package's own ControlServer (not a script): every security mode, both
// address families, RFC 5938 and RFC 6038, and the handler calls the client's commands cause.
import { PeerRejectedError } from '@twamp/errors';
import { Mode, type SecurityMode, TestSecurity } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, ControlServer, createKeyStore } from '../../src/index.js';
import type { ServerSessionHandler, ServerSessionRequest, SessionOpenResult } from '../../src/types.js';

const SECRET = 'shared secret for the client tests';
const SENDER = { sender: { port: 20000 } };
const ALL = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;

interface Recorder extends ServerSessionHandler {
  readonly requests: ServerSessionRequest[];
  readonly calls: string[];
}

function recorder(refuseFirst = false): Recorder {
  const requests: ServerSessionRequest[] = [];
  const calls: string[] = [];
  return {
    requests,
    calls,
    open(request): Promise<SessionOpenResult> {
      requests.push(request);
      if (refuseFirst && requests.length === 1) return Promise.resolve({ accept: 5, reason: 'busy' });
      return Promise.resolve({ accept: 0, port: 30000 + requests.length });
    },
    start(sids) {
      calls.push(`start ${sids.length}`);
    },
    stop(sids) {
      calls.push(`stop ${sids.length}`);
    },
    release(sids) {
      calls.push(`release ${sids.length}`);
    },
  };
}

const servers: ControlServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close(0)));
});

async function listen(handler: ServerSessionHandler, modes: number, address = '127.0.0.1'): Promise<ControlServer> {
  const server = await ControlServer.listen({
    address,
    port: 0,
    modes,
    keys: createKeyStore([['client-tests', SECRET]]),
    pbkdf2Count: 1024,
    handler,
  });
  servers.push(server);
  return server;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('ControlClient against ControlServer', () => {
  const modes: [string, SecurityMode, TestSecurity][] = [
    ['open', Mode.Unauthenticated, TestSecurity.Open],
    ['authenticated', Mode.Authenticated, TestSecurity.Authenticated],
    ['encrypted', Mode.Encrypted, TestSecurity.Encrypted],
    ['mixed', Mode.Mixed, TestSecurity.Open],
  ];
  for (const [name, mode, security] of modes) {
    it(`${name}: request, start, stop; both ends describe the same session`, async () => {
      const handler = recorder();
      const server = await listen(handler, ALL);
      const client = await ControlClient.connect({
        server: { address: '127.0.0.1', port: server.port },
        allowedModes: mode,
        keyId: 'client-tests',
        secret: Buffer.from(SECRET),
        timeoutMs: 3000,
      });
      expect(client.securityMode).toBe(mode);
      const session = await client.requestSession({ sender: { port: 20000 }, receiver: { port: 862 }, dscp: 46, timeoutSeconds: 1 });
      const seen = handler.requests[0];
      expect(seen).toBeDefined();
      expect(session.receiver).toEqual({ address: '127.0.0.1', port: 30001 });
      expect(seen?.requestedReceiverPort).toBe(862);
      expect(Buffer.from(seen?.sid ?? []).equals(Buffer.from(session.sid))).toBe(true);
      expect(seen?.sender).toEqual(session.sender);
      expect(seen?.layout).toEqual(session.layout);
      expect(session.layout.security).toBe(security);
      expect(seen?.paddingLength).toBe(session.paddingLength);
      expect(seen?.dscp).toBe(46);
      // Sender and reflector protect test packets with the same keys.
      const senderCrypto = session.createCrypto();
      const reflectorCrypto = seen?.createCrypto();
      expect(senderCrypto === undefined).toBe(reflectorCrypto === undefined);
      await client.startSessions();
      await client.stopSessions();
      await until(() => handler.calls.includes('stop 1'));
      expect(handler.calls).toEqual(['start 1', 'stop 1']);
      client.close();
      await client.closed;
    });
  }

  it('IPv6, RFC 5938 and RFC 6038 together; a refused request leaves the connection usable', async () => {
    const handler = recorder(true);
    const server = await listen(handler, Mode.Encrypted | Mode.IndividualSessionControl | Mode.ReflectOctets, '::1');
    const client = await ControlClient.connect({
      server: { address: '::1', port: server.port },
      keyId: 'client-tests',
      secret: Buffer.from(SECRET),
      extensions: Mode.IndividualSessionControl | Mode.ReflectOctets,
      timeoutMs: 3000,
    });
    expect(client.mode).toBe(Mode.Encrypted | Mode.IndividualSessionControl | Mode.ReflectOctets);
    await expect(client.requestSession(SENDER)).rejects.toMatchObject({ name: PeerRejectedError.name, acceptCode: 5 });
    const a = await client.requestSession({ ...SENDER, octetsToBeReflected: 0x0102, paddingToReflect: 4 });
    const b = await client.requestSession(SENDER);
    expect(a.receiver.address).toBe('::1');
    expect(handler.requests[1]?.octetsToBeReflected).toBe(0x0102);
    expect(handler.requests[1]?.paddingToReflect).toBe(4);
    await client.startSessionsN([a.sid, b.sid]);
    await client.stopSessionsN([a.sid]);
    expect(client.activeSessions).toBe(1);
    expect(handler.calls).toEqual(['start 2', 'stop 1']);
    // Closing with a session still running makes the server release what it holds.
    client.close();
    await client.closed;
    await until(() => handler.calls.some((call) => call.startsWith('release')));
    expect(handler.calls.some((call) => call.startsWith('release'))).toBe(true);
  });

  it('a wrong secret is refused in Server-Start', async () => {
    const server = await listen(recorder(), Mode.Authenticated);
    await expect(
      ControlClient.connect({ server: { address: '127.0.0.1', port: server.port }, keyId: 'client-tests', secret: Buffer.from('nope'), timeoutMs: 3000 }),
    ).rejects.toMatchObject({ name: 'PeerRejectedError', stage: 'Server-Start', acceptCode: 1 });
  });
});
