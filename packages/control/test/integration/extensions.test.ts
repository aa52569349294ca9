// RFC 5938 (Individual Session Control) and RFC 6038 (Reflect Octets, Symmetrical Size) negotiated
// end to end between a real ControlClient and ControlServer.
import { Mode, twampLayoutFromModes } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlClient } from '../../src/index.js';
import { hex } from '../support/recording-handler.js';
import { connectClient, eventually, type Started, startServer, withSenderPort } from '../support/server.js';

let started: Started | undefined;
let client: ControlClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await started?.server.close(0);
  started = undefined;
});

describe('RFC 5938 individual session control', () => {
  it.each([
    { name: 'open', mode: Mode.Unauthenticated },
    { name: 'encrypted', mode: Mode.Encrypted },
  ])('$name: several sessions started and stopped one by one', async ({ mode }) => {
    started = await startServer();
    const { handler } = started;
    client = await connectClient(started.endpoint, { allowedModes: mode, extensions: Mode.IndividualSessionControl });
    expect(client.mode & Mode.IndividualSessionControl).toBe(Mode.IndividualSessionControl);

    const a = await client.requestSession(withSenderPort());
    const b = await client.requestSession(withSenderPort());
    const c = await client.requestSession(withSenderPort());
    await client.startSessionsN([a.sid]);
    await client.startSessionsN([b.sid, c.sid]);
    await client.stopSessionsN([b.sid]);
    // a and c still run: the handler has stopped only b.
    await eventually(() => handler.of('stop').length === 1, 2000, 'the first stop');
    expect(handler.sidsOf('stop')).toEqual([hex(b.sid)]);
    await client.stopSessionsN([a.sid, c.sid]);
    await eventually(() => handler.of('stop').length === 2, 2000, 'the second stop');

    expect(handler.of('start').map((call) => call.sids)).toEqual([[hex(a.sid)], [hex(b.sid), hex(c.sid)]]);
    expect(handler.of('stop').map((call) => [...call.sids].sort())).toEqual([[hex(b.sid)], [hex(a.sid), hex(c.sid)].sort()]);
    client.close();
    await eventually(() => started?.server.stats.connectionsActive === 0, 2000, 'the connection closing');
  });

  it('not negotiated: the client refuses to send Start-N-Sessions', async () => {
    started = await startServer();
    client = await connectClient(started.endpoint, { allowedModes: Mode.Unauthenticated });
    expect(client.mode & Mode.IndividualSessionControl).toBe(0);
    const session = await client.requestSession(withSenderPort());
    await expect(client.startSessionsN([session.sid])).rejects.toThrow();
  });

  it('a server that does not offer it is not asked for it', async () => {
    started = await startServer({ modes: Mode.Unauthenticated });
    client = await connectClient(started.endpoint, { extensions: Mode.IndividualSessionControl });
    expect(client.mode).toBe(Mode.Unauthenticated);
    await client.requestSession(withSenderPort());
    await client.startSessions();
    await client.stopSessions();
  });
});

describe('RFC 6038 reflect octets and symmetrical size', () => {
  it.each([
    { name: 'open', mode: Mode.Unauthenticated },
    { name: 'authenticated', mode: Mode.Authenticated },
  ])('$name: the reflect-octets fields reach the server and come back, with the symmetrical layout', async ({ mode }) => {
    started = await startServer();
    const { handler } = started;
    const extensions = Mode.ReflectOctets | Mode.SymmetricalSize;
    client = await connectClient(started.endpoint, { allowedModes: mode, extensions });
    expect(client.mode).toBe(mode | extensions);

    const session = await client.requestSession(withSenderPort({ octetsToBeReflected: 0xabcd, paddingToReflect: 24 }));
    const [opened] = handler.requests;
    if (opened === undefined) throw new Error('the handler saw no open');
    expect(opened.octetsToBeReflected).toBe(0xabcd);
    expect(opened.paddingToReflect).toBe(24);
    expect(session.octetsToBeReflected).toBe(0xabcd);
    expect(session.paddingToReflect).toBe(24);
    expect(session.mode).toBe(mode | extensions);
    expect(session.layout).toEqual(twampLayoutFromModes(mode | extensions, 24));
    expect(opened.layout).toEqual(session.layout);
    // Symmetrical size: the sender pads nothing beyond the symmetrical base by default.
    expect(session.paddingLength).toBe(0);
    expect(opened.paddingLength).toBe(0);

    await client.startSessions();
    await client.stopSessions();
    await eventually(() => handler.of('stop').length === 1, 2000, 'stop reaching the handler');
  });

  it('without reflect octets negotiated the fields are zero at both ends', async () => {
    started = await startServer({ modes: Mode.Unauthenticated | Mode.SymmetricalSize });
    const { handler } = started;
    client = await connectClient(started.endpoint, { extensions: Mode.ReflectOctets | Mode.SymmetricalSize });
    expect(client.mode).toBe(Mode.Unauthenticated | Mode.SymmetricalSize);
    const session = await client.requestSession(withSenderPort());
    expect(session.octetsToBeReflected).toBe(0);
    expect(handler.requests[0]?.octetsToBeReflected).toBe(0);
    expect(session.layout).toEqual(twampLayoutFromModes(Mode.Unauthenticated | Mode.SymmetricalSize, 0));
  });
});
