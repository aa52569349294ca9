import { AcceptCode } from '@twamp/errors';
import { Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlServer } from '../../src/server/index.js';
import { COUNT, RawClient, startServer, until } from './helpers.js';

const servers: ControlServer[] = [];
const clients: RawClient[] = [];

async function server(options: Parameters<typeof startServer>[0] = {}): ReturnType<typeof startServer> {
  const started = await startServer(options);
  servers.push(started.server);
  return started;
}

async function client(port: number, host?: string): Promise<RawClient> {
  const raw = await RawClient.connect(port, host);
  clients.push(raw);
  return raw;
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('ControlServer handshake', () => {
  it('greets with the offered modes, a fresh Challenge and Salt, and the configured Count', async () => {
    const { server: s } = await server({ modes: Mode.Unauthenticated | Mode.Encrypted | Mode.IndividualSessionControl });
    const a = await client(s.port);
    const b = await client(s.port);
    const ga = await a.next('server-greeting');
    const gb = await b.next('server-greeting');
    expect(ga.modes).toBe(Mode.Unauthenticated | Mode.Encrypted | Mode.IndividualSessionControl);
    expect(ga.count).toBe(COUNT);
    expect(Buffer.from(ga.challenge).equals(Buffer.from(gb.challenge))).toBe(false);
    expect(Buffer.from(ga.salt).equals(Buffer.from(gb.salt))).toBe(false);
  });

  it.each([
    ['unauthenticated', Mode.Unauthenticated],
    ['authenticated', Mode.Authenticated],
    ['encrypted', Mode.Encrypted],
    ['mixed', Mode.Mixed],
  ])('%s: Server-Start Accept 0 with a correct secret, then commands work', async (_name, mode) => {
    const { server: s, handler } = await server();
    const raw = await client(s.port);
    const { start } = await raw.handshake(mode);
    expect(start.accept).toBe(AcceptCode.Ok);
    const accepted = await raw.request();
    expect(accepted.accept).toBe(AcceptCode.Ok);
    expect(handler.requests[0]?.securityMode).toBe(mode);
    expect(handler.requests[0]?.mode).toBe(mode);
    expect(s.stats.acceptsSent[0]).toBe(2);
  });

  it('wrong secret: Server-Start Accept 1, then the server closes', async () => {
    const { server: s } = await server();
    const raw = await client(s.port);
    const { start } = await raw.handshake(Mode.Encrypted, undefined, 'not the secret');
    expect(start.accept).toBe(AcceptCode.Failure);
    await raw.closed;
    expect(s.stats.acceptsSent[1]).toBe(1);
  });

  it('unknown KeyID: Server-Start Accept 1, then close', async () => {
    const { server: s } = await server();
    const raw = await client(s.port);
    const { start } = await raw.handshake(Mode.Authenticated, 'nobody');
    expect(start.accept).toBe(AcceptCode.Failure);
    await raw.closed;
  });

  it('a mode that was not offered is refused (no downgrade to open when only encrypted is offered)', async () => {
    const { server: s } = await server({ modes: Mode.Encrypted });
    const raw = await client(s.port);
    const { start } = await raw.handshake(Mode.Unauthenticated);
    expect(start.accept).toBe(AcceptCode.Failure);
    await raw.closed;
  });

  it('an extension bit that was not offered is refused', async () => {
    const { server: s } = await server({ modes: Mode.Unauthenticated });
    const raw = await client(s.port);
    const { start } = await raw.handshake(Mode.Unauthenticated | Mode.ReflectOctets);
    expect(start.accept).toBe(AcceptCode.Failure);
  });

  it('two security bits at once are refused', async () => {
    const { server: s } = await server();
    const raw = await client(s.port);
    const { start } = await raw.handshake(Mode.Unauthenticated | Mode.Encrypted);
    expect(start.accept).toBe(AcceptCode.Failure);
  });

  it('a client outside allowedClients gets a greeting with Modes 0 and is closed', async () => {
    const { server: s } = await server({ allowedClients: ['192.0.2.0/24'] });
    const raw = await client(s.port);
    expect((await raw.next('server-greeting')).modes).toBe(0);
    await raw.closed;
    expect(s.stats.connectionsRefused).toBe(1);
  });

  it('connection limits: total and per client beyond the limit get Modes 0 when every connection holds a session', async () => {
    const { server: s } = await server({ limits: { maxConnections: 2 } });
    const a = await client(s.port);
    const b = await client(s.port);
    for (const raw of [a, b]) {
      await raw.handshake(Mode.Unauthenticated);
      expect((await raw.request()).accept).toBe(0);
    }
    const c = await client(s.port);
    expect((await c.next('server-greeting')).modes).toBe(0);
    await c.closed;
    expect(s.stats.connectionsRefusedByReason['max-connections']).toBe(1);
    a.destroy();
    await until(() => s.stats.connectionsActive === 1);
    const d = await client(s.port);
    expect((await d.next('server-greeting')).modes).toBe(0x0f);

    const { server: p } = await server({ limits: { maxConnectionsPerClient: 1 } });
    const e = await client(p.port);
    await e.handshake(Mode.Unauthenticated);
    expect((await e.request()).accept).toBe(0);
    const f = await client(p.port);
    expect((await f.next('server-greeting')).modes).toBe(0);
    expect(p.stats.connectionsRefusedByReason['max-connections-per-client']).toBe(1);
  });

  it('connection limits: a connection without sessions is evicted (longest idle first) to make room', async () => {
    const { server: s } = await server({ limits: { maxConnections: 2 } });
    const a = await client(s.port);
    await a.next('server-greeting');
    const b = await client(s.port);
    await b.handshake(Mode.Unauthenticated);
    const c = await client(s.port);
    expect((await c.next('server-greeting')).modes).toBe(0x0f);
    await a.closed;
    expect(s.stats.connectionsEvicted).toBe(1);
    expect(s.stats.connectionsRefused).toBe(0);
  });

  it('IPv6 loopback: handshake and zero addresses replaced with the IPv6 control addresses (twampy sends IPVN 4)', async () => {
    const { server: s, handler } = await server({ address: '::1', family: 6 });
    const raw = await client(s.port, '::1');
    expect((await raw.handshake(Mode.Encrypted)).start.accept).toBe(0);
    const accepted = await raw.request({ ipvn: 4 });
    expect(accepted.accept).toBe(0);
    expect(handler.requests[0]?.sender.address).toBe('::1');
    expect(handler.requests[0]?.receiver.address).toBe('::1');
    const accepted6 = await raw.request({ ipvn: 6, senderAddress: '::', receiverAddress: '::1' });
    expect(accepted6.accept).toBe(0);
  });

  it('Mode 0 in Set-Up-Response: the client declines, the server closes without Server-Start', async () => {
    const { server: s } = await server();
    const raw = await client(s.port);
    await raw.next('server-greeting');
    raw.write(Buffer.alloc(164));
    await raw.closed;
  });
});
