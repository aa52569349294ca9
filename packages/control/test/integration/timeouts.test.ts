// Peers that stop talking: a half-sent message is a stalled peer (message timeout), a connection
// that never completes its Set-Up-Response is dropped at the handshake timeout — also when a
// thousand of them arrive at once, while a legitimate client still gets its session.
import { connect, type Socket } from 'node:net';
import { encodeRequestTwSession, encodeSetUpResponse, Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../src/index.js';
import { baseRequest, RawControlClient } from '../support/raw-client.js';
import { connectClient, eventually, type Started, startServer, withSenderPort } from '../support/server.js';

let started: Started | undefined;
let client: ControlClient | undefined;
const raws: RawControlClient[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const raw of raws.splice(0)) raw.destroy();
  client?.close();
  client = undefined;
  await started?.server.close(0);
  started = undefined;
});

async function rawOpen(): Promise<RawControlClient> {
  if (started === undefined) throw new Error('start the server first');
  const connection = await RawControlClient.connect(started.endpoint);
  raws.push(connection);
  return connection;
}

describe('stalled peers', () => {
  it('a Request-TW-Session cut off after 40 octets is closed at the message timeout', async () => {
    started = await startServer({ modes: Mode.Unauthenticated, timeouts: { messageMs: 300, handshakeMs: 5000, servwaitMs: 60_000 } });
    const connection = await rawOpen();
    await connection.setUp({ mode: Mode.Unauthenticated });
    const begun = Date.now();
    connection.write(encodeRequestTwSession(baseRequest()).subarray(0, 40));
    await connection.closed(3000);
    const waited = Date.now() - begun;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2500);
    expect(started.server.stats.timeouts.message).toBe(1);
    expect(started.handler.counts.open).toBe(0);
  });

  it('a Set-Up-Response cut off half-way is closed at the handshake timeout', async () => {
    started = await startServer({ modes: Mode.Unauthenticated, timeouts: { handshakeMs: 400, messageMs: 10_000 } });
    const connection = await rawOpen();
    await connection.greeting();
    const begun = Date.now();
    connection.write(encodeSetUpResponse({ mode: Mode.Unauthenticated }).subarray(0, 80));
    await connection.closed(3000);
    expect(Date.now() - begun).toBeLessThan(2500);
    expect(started.server.stats.timeouts.handshake + started.server.stats.timeouts.message).toBe(1);
  });

  it('an idle connection with no sessions is closed at SERVWAIT', async () => {
    started = await startServer({ modes: Mode.Unauthenticated, timeouts: { servwaitMs: 400 } });
    const connection = await rawOpen();
    await connection.setUp({ mode: Mode.Unauthenticated });
    await connection.closed(3000);
    expect(started.server.stats.timeouts.servwait).toBe(1);
  });

  it('SERVWAIT is suspended while sessions run', async () => {
    started = await startServer({ modes: Mode.Unauthenticated, timeouts: { servwaitMs: 300 } });
    client = await connectClient(started.endpoint);
    await client.requestSession(withSenderPort());
    await client.startSessions();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(started.server.stats.timeouts.servwait).toBe(0);
    await client.stopSessions();
  });
});

describe('1 000 idle connections', () => {
  const IDLE = 1000;
  const HANDSHAKE_MS = 1500;

  it(
    'are all closed at the handshake timeout while a legitimate client completes a session',
    async () => {
      started = await startServer({
        modes: Mode.Unauthenticated | Mode.Encrypted,
        timeouts: { handshakeMs: HANDSHAKE_MS },
        limits: { maxConnections: IDLE + 50, maxConnectionsPerClient: IDLE + 50 },
      });
      const { endpoint, server, handler } = started;
      let closedByServer = 0;
      const opened = Array.from(
        { length: IDLE },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = connect({ host: endpoint.address, port: endpoint.port });
            sockets.push(socket);
            socket.on('error', () => {
              // ECONNRESET when the server drops us is one way of being closed.
            });
            socket.once('connect', () => { resolve(); });
            socket.once('close', () => {
              closedByServer += 1;
              reject(new Error('closed before connecting'));
            });
            socket.resume();
          }),
      );
      const begun = Date.now();
      await Promise.all(opened);
      // Counted as total, not active: on a loaded machine the first ones may already be timing out.
      await eventually(() => server.stats.connectionsTotal >= IDLE, 5000, 'the server accepting every idle connection');
      expect(server.stats.connectionsRefused).toBe(0);

      // Meanwhile a real client, in encrypted mode, does a whole session.
      client = await connectClient(endpoint, { allowedModes: Mode.Encrypted });
      await client.requestSession(withSenderPort());
      await client.startSessions();
      await client.stopSessions();
      client.close();
      await eventually(() => handler.counts.stop === 1, 2000, 'Stop-Sessions reaching the handler');

      await eventually(() => closedByServer >= IDLE, HANDSHAKE_MS + 4000, `all ${IDLE} idle connections closed`);
      const elapsed = Date.now() - begun;
      expect(elapsed).toBeGreaterThanOrEqual(HANDSHAKE_MS - 100);
      expect(server.stats.timeouts.handshake).toBeGreaterThanOrEqual(IDLE);
      await eventually(() => server.stats.connectionsActive === 0, 2000, 'the server holding no connection');
    },
    20_000,
  );
});
