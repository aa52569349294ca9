// openNegotiatedSender (@twamp/test-session) with the real pair it was written for: @twamp/control's
// ControlClient against a ControlServer whose sessions a ReflectorPool reflects, on loopback, in
// every security mode. The sender uses what the server accepted (layout, keys, padding, receiver):
// every packet is answered and the server's reflector saw the session from the sender's port.
import { ControlClient, ControlServer, type ControlServerApi, createKeyStore } from '@twamp/control';
import { type ControlledSessionEvent, openNegotiatedSender, ReflectorPool, SessionSender } from '@twamp/test-session';
import { AcceptCode, PeerRejectedError } from '@twamp/errors';
import { Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SECRET = 'negotiated sender passphrase';
const KEYS = createKeyStore([['negotiator', SECRET]]);
const ALL = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;

async function twampServer(events: ControlledSessionEvent[], maxReflectors?: number): Promise<ControlServerApi> {
  const pool = new ReflectorPool({ portRange: 'ephemeral', onEvent: (event) => events.push(event), ...(maxReflectors === undefined ? {} : { maxReflectors }) });
  const server = await ControlServer.listen({ address: '127.0.0.1', port: 0, modes: ALL, keys: KEYS, pbkdf2Count: 1024, handler: pool });
  cleanups.push(async () => {
    await server.close(0);
    pool.close();
  });
  return server;
}

describe('openNegotiatedSender over a real TWAMP-Control connection', () => {
  it.each([
    ['open', Mode.Unauthenticated],
    ['authenticated', Mode.Authenticated],
    ['encrypted', Mode.Encrypted],
    ['mixed', Mode.Mixed],
  ])('%s mode: the negotiated session is measured, every packet answered', async (_name, mode) => {
    const events: ControlledSessionEvent[] = [];
    const server = await twampServer(events);
    const client = await ControlClient.connect({
      server: { address: '127.0.0.1', port: server.port },
      allowedModes: mode,
      ...(mode === Mode.Unauthenticated ? {} : { keyId: 'negotiator', secret: new TextEncoder().encode(SECRET) }),
    });
    cleanups.push(() => {
      client.close();
    });
    const { session, sender, options } = await openNegotiatedSender({
      client,
      paddingLength: 48,
      dscp: 10,
      sender: { schedule: { kind: 'periodic', intervalMs: 5 }, count: 20, lossTimeoutMs: 1000 },
      openSender: (senderOptions) => SessionSender.open(senderOptions),
    });
    cleanups.push(() => {
      sender.stop();
    });
    expect(client.securityMode).toBe(mode);
    expect(session.paddingLength).toBe(48);
    expect(session.dscp).toBe(10);
    expect(options).toMatchObject({ protocol: 'twamp', padding: 48, layout: session.layout, target: session.receiver });
    const report = await sender.done;
    expect(report.summary.loss.sent).toBe(20);
    expect(report.summary.loss.received).toBe(20);
    expect(report.malformedReplies).toBe(0);
    // Started by Start-Sessions, from the port the request named.
    const started = events.find((event) => event.type === 'started');
    expect(started?.session.sender.port).toBe(options.local?.port);
    await client.stopSessions();
  });

  it('a refused request (Accept ≠ 0) opens no sender and leaves the client open', async () => {
    // One reflector at most: the second session is refused with Accept 4 (permanent resource limitation).
    const server = await twampServer([], 1);
    const client = await ControlClient.connect({ server: { address: '127.0.0.1', port: server.port }, allowedModes: Mode.Unauthenticated });
    cleanups.push(() => {
      client.close();
    });
    let opened = 0;
    const open = (senderOptions: Parameters<typeof SessionSender.open>[0]): Promise<SessionSender> => {
      opened += 1;
      return SessionSender.open(senderOptions);
    };
    const settings = { schedule: { kind: 'periodic', intervalMs: 5 }, count: 1 } as const;
    const first = await openNegotiatedSender({ client, sender: settings, openSender: open });
    cleanups.push(() => {
      first.sender.stop();
    });
    const refused = await openNegotiatedSender({ client, sender: settings, openSender: open }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PeerRejectedError);
    expect((refused as PeerRejectedError).acceptCode).toBe(AcceptCode.PermanentResourceLimitation);
    expect(opened).toBe(1);
    await client.stopSessions();
  });
});
