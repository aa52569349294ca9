import { AcceptCode } from '@twamp/errors';
import { encodeStartSessions, encodeStopSessions, Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlServer } from '../../src/server/index.js';
import { KEY_ID, RawClient, startServer, until } from './helpers.js';

const servers: ControlServer[] = [];
const clients: RawClient[] = [];

async function server(options: Parameters<typeof startServer>[0] = {}): ReturnType<typeof startServer> {
  const started = await startServer(options);
  servers.push(started.server);
  return started;
}

async function client(port: number): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  clients.push(raw);
  return raw;
}

afterEach(async () => {
  for (const raw of clients.splice(0)) raw.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('ControlServer timeouts', () => {
  it('handshake: a client that never answers the greeting is closed', async () => {
    const { server: s } = await server({ timeouts: { handshakeMs: 100 } });
    const raw = await client(s.port);
    await raw.next('server-greeting');
    const started = Date.now();
    await raw.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    expect(s.stats.timeouts.handshake).toBe(1);
  });

  it('message: half a command is a stalled peer, closed at the message timeout', async () => {
    const { server: s, handler } = await server({ timeouts: { messageMs: 100 } });
    const raw = await client(s.port);
    await raw.handshake(Mode.Unauthenticated);
    await raw.request();
    raw.write(encodeStartSessions().subarray(0, 20));
    await raw.closed;
    expect(s.stats.timeouts.message).toBe(1);
    await until(() => handler.released.length === 1);
  });

  it('SERVWAIT closes an idle connection but not one whose sessions are running', async () => {
    const { server: s } = await server({ timeouts: { servwaitMs: 120 } });
    const idle = await client(s.port);
    await idle.handshake(Mode.Unauthenticated);
    const busy = await client(s.port);
    await busy.handshake(Mode.Unauthenticated);
    await busy.request();
    busy.command(encodeStartSessions());
    busy.expect('start-ack');
    await busy.next('start-ack');
    await idle.closed;
    expect(s.stats.timeouts.servwait).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(busy.socket.destroyed).toBe(false);
    // Once the sessions are stopped, SERVWAIT runs again.
    busy.command(encodeStopSessions({ accept: 0, numberOfSessions: 1 }));
    await busy.closed;
    expect(s.stats.timeouts.servwait).toBe(2);
  });

  it('a handler that never answers gets Accept 2 after the message timeout', async () => {
    const { server: s, handler } = await server({ timeouts: { messageMs: 100 } });
    handler.answer = () => new Promise(() => undefined);
    const raw = await client(s.port);
    await raw.handshake(Mode.Unauthenticated);
    expect((await raw.request()).accept).toBe(AcceptCode.InternalError);
  });
});

describe('ControlServer.reconfigure', () => {
  it('new keys, allowed clients and limits apply to new connections and requests', async () => {
    const { server: s } = await server();
    const before = await client(s.port);
    await before.handshake(Mode.Encrypted);

    const secret = Buffer.from('rotated secret');
    s.reconfigure({
      keys: { secret: (id) => (id === KEY_ID ? Uint8Array.from(secret) : undefined), size: 1 },
      limits: { maxSessionsPerConnection: 1 },
    });
    const old = await client(s.port);
    expect((await old.handshake(Mode.Encrypted)).start.accept).toBe(AcceptCode.Failure);
    const fresh = await client(s.port);
    expect((await fresh.handshake(Mode.Encrypted, KEY_ID, 'rotated secret')).start.accept).toBe(0);
    expect((await fresh.request()).accept).toBe(0);
    expect((await fresh.request()).accept).toBe(AcceptCode.PermanentResourceLimitation);
    // The connection made before the reload keeps working.
    expect((await before.request()).accept).toBe(0);

    s.reconfigure({ allowedClients: ['10.0.0.0/8'] });
    const refused = await client(s.port);
    expect((await refused.next('server-greeting')).modes).toBe(0);
    // Given as undefined: every client again (left out, it would stay as it is).
    s.reconfigure({ limits: undefined });
    expect((await (await client(s.port)).next('server-greeting')).modes).toBe(0);
    s.reconfigure({ allowedClients: undefined });
    expect((await (await client(s.port)).next('server-greeting')).modes).not.toBe(0);
  });

  it('a timeout beyond setTimeout\'s range (which Node would fire after 1 ms) is a ConfigError', async () => {
    const { server: s } = await server();
    expect(() => {
      s.reconfigure({ timeouts: { servwaitMs: 2 ** 31 } });
    }).toThrow(/timeouts\.servwaitMs/);
    expect(() => {
      s.reconfigure({ timeouts: { handshakeMs: 1.5 } });
    }).toThrow(/timeouts\.handshakeMs/);
  });

  it('an invalid reload is refused and changes nothing', async () => {
    const { server: s } = await server();
    expect(() => {
      s.reconfigure({ allowedClients: ['not-an-address'] });
    }).toThrow(/allowedClients\[0\]/);
    expect(() => {
      s.reconfigure({ limits: { maxConnections: 0 } });
    }).toThrow(/limits.maxConnections/);
    const raw = await client(s.port);
    expect((await raw.handshake(Mode.Unauthenticated)).start.accept).toBe(0);
  });
});
