// Authentication failures and downgrades: a wrong secret or unknown KeyID gets Accept 1 in
// Server-Start and a closed connection; a forged HMAC closes the connection before the command
// reaches the owner; a mode the server did not offer is never accepted (perfSONAR's OR check is
// the defect this guards against).
import { AcceptCode, isTwampError } from '@twamp/errors';
import { encodeRequestTwSession, encodeSetUpResponse, Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../src/index.js';
import { KEY_ID, SECRET, secretBytes } from '../support/keys.js';
import { baseRequest, RawControlClient } from '../support/raw-client.js';
import { connectClient, eventually, type Started, startServer } from '../support/server.js';

let started: Started | undefined;
let client: ControlClient | undefined;
const raws: RawControlClient[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  client?.close();
  client = undefined;
  await started?.server.close(0);
  started = undefined;
});

async function raw(): Promise<RawControlClient> {
  if (started === undefined) throw new Error('start the server first');
  const connection = await RawControlClient.connect(started.endpoint);
  raws.push(connection);
  return connection;
}

describe('shared secret and KeyID', () => {
  it.each([
    { name: 'wrong secret', keyId: KEY_ID, secret: 'not the secret' },
    { name: 'unknown KeyID', keyId: 'nobody', secret: SECRET },
    { name: 'empty KeyID', keyId: '', secret: SECRET },
  ])('$name → Server-Start Accept 1, then the server closes', async ({ keyId, secret }) => {
    started = await startServer({ modes: Mode.Encrypted | Mode.Authenticated });
    const connection = await raw();
    const { serverStart } = await connection.setUp({ mode: Mode.Encrypted, keyId, secret });
    expect(serverStart.accept).toBe(AcceptCode.Failure);
    await connection.closed(3000);
    expect(started.server.stats.acceptsSent[AcceptCode.Failure]).toBe(1);
  });

  it('the real client reports the refusal as a typed error', async () => {
    started = await startServer({ modes: Mode.Encrypted });
    const attempt = connectClient(started.endpoint, { secret: secretBytes('wrong') });
    const error: unknown = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTwampError(error)).toBe(true);
  });

  it('a keyed mode without a KeyStore entry set up at all is refused, not crashed on', async () => {
    started = await startServer({ modes: Mode.Encrypted });
    const connection = await raw();
    await connection.greeting();
    // A Set-Up-Response whose Token is zeros: decrypts to garbage, Challenge mismatch.
    connection.write(encodeSetUpResponse({ mode: Mode.Encrypted }));
    const start = await connection.next(undefined, 3000).catch(() => undefined);
    if (start !== undefined) expect(start.type === 'server-start' && start.accept).toBe(AcceptCode.Failure);
    await connection.closed(3000);
  });
});

describe('forged control messages', () => {
  it.each([
    { name: 'a flipped bit in the HMAC block', at: (wire: Buffer) => wire.length - 1 },
    { name: 'a flipped bit in the first block', at: () => 3 },
  ])('encrypted Request-TW-Session with $name closes the connection; the owner never sees it', async ({ at }) => {
    started = await startServer({ modes: Mode.Encrypted });
    const connection = await raw();
    const { serverStart } = await connection.setUp({ mode: Mode.Encrypted, keyId: KEY_ID, secret: SECRET });
    expect(serverStart.accept).toBe(0);
    connection.request();
    expect((await connection.next('accept-session')).type).toBe('accept-session');
    const tampered = (wire: Buffer): void => {
      const i = at(wire);
      wire[i] = (wire[i] ?? 0) ^ 0x10;
    };
    connection.send(encodeRequestTwSession(baseRequest()), tampered);
    await connection.closed(3000);
    expect(started.handler.counts.open).toBe(1);
    await eventually(() => started?.handler.live.size === 0, 2000, 'the first session released');
  });
});

describe('downgrade', () => {
  it.each([
    { name: 'unauthenticated when only encrypted is offered', offered: Mode.Encrypted, chosen: Mode.Unauthenticated },
    { name: 'authenticated when only encrypted is offered', offered: Mode.Encrypted, chosen: Mode.Authenticated },
    { name: 'two security modes at once', offered: Mode.Encrypted | Mode.Authenticated, chosen: Mode.Encrypted | Mode.Authenticated },
    { name: 'an extension that was not offered', offered: Mode.Encrypted, chosen: Mode.Encrypted | Mode.IndividualSessionControl },
    { name: 'no mode at all', offered: Mode.Encrypted | Mode.Unauthenticated, chosen: 0 },
  ])('$name → refused (Accept 1 or closed), never a session', async ({ offered, chosen }) => {
    started = await startServer({ modes: offered });
    const connection = await raw();
    const result = await connection.setUp({ mode: chosen, keyId: KEY_ID, secret: SECRET }).catch(() => undefined);
    if (result !== undefined) expect(result.serverStart.accept).not.toBe(AcceptCode.Ok);
    await connection.closed(3000);
    expect(started.handler.counts.open).toBe(0);
  });

  it('a client that allows only modes the server does not offer fails with a typed error', async () => {
    started = await startServer({ modes: Mode.Encrypted });
    const error: unknown = await connectClient(started.endpoint, { allowedModes: Mode.Unauthenticated }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTwampError(error)).toBe(true);
    await eventually(() => started?.server.stats.connectionsActive === 0, 3000, 'the server dropping the connection');
  });

  it('a server offering nothing to this client (not allowed) sends Modes 0 and closes', async () => {
    started = await startServer({ allowedClients: ['192.0.2.0/24'] });
    const connection = await raw();
    const greeting = await connection.greeting();
    expect(greeting.modes).toBe(0);
    await connection.closed(3000);
    expect(started.server.stats.connectionsRefused).toBe(1);
  });
});
