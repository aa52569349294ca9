// A real ControlClient talking to a real ControlServer over loopback TCP, in each security mode and
// over both IP versions: the whole life of one test session (request, start, stop, close) as the
// server's owner sees it through ServerSessionHandler, and the keys both ends derive.
import { encodeTwampSender, Mode, type SecurityMode, ZERO_TIMESTAMP } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlClient, NegotiatedSession } from '../../src/index.js';
import { hex } from '../support/recording-handler.js';
import { connectClient, eventually, type Started, startServer, withSenderPort } from '../support/server.js';

const MODES: readonly { readonly name: string; readonly mode: SecurityMode }[] = [
  { name: 'open', mode: Mode.Unauthenticated },
  { name: 'authenticated', mode: Mode.Authenticated },
  { name: 'encrypted', mode: Mode.Encrypted },
  { name: 'mixed', mode: Mode.Mixed },
];
const FAMILIES = [
  { family: 'IPv4', loopback: '127.0.0.1' },
  { family: 'IPv6', loopback: '::1' },
] as const;

let started: Started | undefined;
let client: ControlClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await started?.server.close(0);
  started = undefined;
});

/** What must be identical at both ends of the control connection. */
function shared(session: NegotiatedSession): Record<string, unknown> {
  return {
    sid: hex(session.sid),
    mode: session.mode,
    securityMode: session.securityMode,
    layout: session.layout,
    sender: session.sender,
    // The receiver port is the handler's answer: the server-side request still carries the
    // requested one (the handler has not chosen yet), the client's session the accepted one.
    receiverAddress: session.receiver.address,
    paddingLength: session.paddingLength,
    startTime: session.startTime,
    timeoutSeconds: session.timeoutSeconds,
    dscp: session.dscp,
    octetsToBeReflected: session.octetsToBeReflected,
    paddingToReflect: session.paddingToReflect,
  };
}

/** A sender test packet protected with the client's keys must pass the server's check, and fail once altered. */
function expectWorkingCrypto(clientSide: NegotiatedSession, serverSide: NegotiatedSession, mode: SecurityMode): void {
  const sender = clientSide.createCrypto();
  const reflector = serverSide.createCrypto();
  if (mode === Mode.Unauthenticated || mode === Mode.Mixed) {
    // Test packets travel in clear in open and mixed modes (RFC 5618).
    expect(sender).toBeUndefined();
    expect(reflector).toBeUndefined();
    return;
  }
  if (sender === undefined || reflector === undefined) throw new Error('keyed mode without test-packet crypto');
  const packet = encodeTwampSender(
    { sequence: 7, timestamp: { seconds: 3_900_000_000, fraction: 1 }, errorEstimate: 0x3fff, padding: Buffer.alloc(clientSide.paddingLength) },
    clientSide.layout,
  );
  const plain = Buffer.from(packet);
  sender.protect(packet, 'sender');
  const copy = Buffer.from(packet);
  expect(reflector.unprotect(packet, 'sender')).toBe(true);
  // Encrypted mode encrypts the packet: after unprotect the reflector reads what the sender wrote.
  expect(Buffer.from(packet).subarray(0, 4)).toEqual(plain.subarray(0, 4));
  // The Sequence Number (octet 0) is covered by the HMAC (and encrypted) in both keyed modes.
  copy[0] = (copy[0] ?? 0) ^ 0x01;
  expect(serverSide.createCrypto()?.unprotect(copy, 'sender')).toBe(false);
}

describe.each(FAMILIES)('control over $family', ({ loopback }) => {
  it.each(MODES)('$name mode: request, start, stop, close with matching sessions at both ends', async ({ mode }) => {
    started = await startServer({ address: loopback });
    const { handler } = started;
    client = await connectClient(started.endpoint, { allowedModes: mode });
    expect(client.securityMode).toBe(mode);
    expect(client.mode & mode).toBe(mode);
    expect(client.server.port).toBe(started.server.port);

    const session = await client.requestSession({ sender: { port: 30_001 }, receiver: { port: 0 }, timeoutSeconds: 3, dscp: 46 });
    const [opened] = handler.requests;
    if (opened === undefined) throw new Error('the handler saw no open');
    expect(hex(session.sid)).toBe(hex(opened.sid));
    expect(session.sid.length).toBe(16);
    expect(shared(session)).toEqual(shared(opened));
    // Zero addresses in the request mean the control connection's addresses (RFC 5357 §3.5).
    expect(opened.sender.address).toBe(loopback);
    expect(opened.receiver.address).toBe(loopback);
    expect(opened.sender.port).toBe(30_001);
    expect(opened.requestedReceiverPort).toBe(0);
    expect(opened.receiver.port).toBe(0);
    // The port the handler returned is the one the client learns.
    expect(session.receiver.port).toBe(40_000);
    expect(opened.client.address).toBe(loopback);
    expect(session.timeoutSeconds).toBe(3);
    expect(session.dscp).toBe(46);
    expect(session.startTime).toEqual(ZERO_TIMESTAMP);
    expectWorkingCrypto(session, opened, mode);

    await client.startSessions();
    await eventually(() => handler.of('start').length === 1, 2000, 'start reaching the handler');
    await client.stopSessions();
    await eventually(() => handler.of('stop').length === 1, 2000, 'stop reaching the handler');
    client.close();
    await client.closed;
    await eventually(() => started?.server.stats.connectionsActive === 0, 2000, 'the server closing its side');

    const sid = hex(session.sid);
    expect(handler.sidsOf('start')).toEqual([sid]);
    expect(handler.sidsOf('stop')).toEqual([sid]);
    // Whatever is released after the close was opened on this connection; nothing is released twice.
    const released = handler.sidsOf('release');
    expect(released.every((r) => r === sid)).toBe(true);
    expect(new Set(released).size).toBe(released.length);
    expect(handler.calls.map((call) => call.kind).slice(0, 3)).toEqual(['open', 'start', 'stop']);
    expect(started.server.stats.acceptsSent[0]).toBeGreaterThanOrEqual(2);
  });

  it('a connection that ends with sessions running releases every one of them', async () => {
    started = await startServer({ address: loopback });
    const { handler } = started;
    client = await connectClient(started.endpoint, { allowedModes: Mode.Encrypted });
    const sessions = [await client.requestSession(withSenderPort()), await client.requestSession(withSenderPort()), await client.requestSession(withSenderPort())];
    expect(new Set(sessions.map((s) => hex(s.sid))).size).toBe(3);
    await client.startSessions();
    client.close();
    await eventually(() => handler.live.size === 0, 3000, 'every session released');
    expect(new Set(handler.sidsOf('release'))).toEqual(new Set(sessions.map((s) => hex(s.sid))));
    expect(handler.sidsOf('start').sort()).toEqual(sessions.map((s) => hex(s.sid)).sort());
  });
});

describe('mode choice', () => {
  it('the client picks the strongest mode the server offers, and each SID is unique', async () => {
    started = await startServer({ modes: Mode.Unauthenticated | Mode.Authenticated | Mode.Mixed });
    client = await connectClient(started.endpoint);
    expect(client.securityMode).toBe(Mode.Authenticated);
    expect(client.serverModes & (Mode.Unauthenticated | Mode.Authenticated | Mode.Mixed)).toBe(Mode.Unauthenticated | Mode.Authenticated | Mode.Mixed);
    const a = await client.requestSession(withSenderPort());
    const b = await client.requestSession(withSenderPort());
    expect(hex(a.sid)).not.toBe(hex(b.sid));
    // RFC 4656 §3.5: the SID begins with the receiver's IPv4 address.
    expect([...a.sid.subarray(0, 4)]).toEqual([127, 0, 0, 1]);
  });
});
