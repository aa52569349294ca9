// Every invalid Request-TW-Session field gets its own Accept-Session with the RFC's Accept value
// (never silence), sent from a raw client that can write what the real client never would.
import { AcceptCode } from '@twamp/errors';
import { type AcceptSession, encodeRequestTwSession, encodeStartSessions, Mode, RequestTwSessionOffset } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { baseRequest, RawControlClient } from '../support/raw-client.js';
import { hex, RecordingHandler } from '../support/recording-handler.js';
import { eventually, type ServerOverrides, type Started, startServer } from '../support/server.js';

let started: Started | undefined;
const raws: RawControlClient[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await started?.server.close(0);
  started = undefined;
});

async function openClient(overrides: ServerOverrides = {}, handler?: RecordingHandler): Promise<RawControlClient> {
  started ??= await startServer({ modes: Mode.Unauthenticated | Mode.ReflectOctets, ...overrides }, handler);
  const raw = await RawControlClient.connect(started.endpoint);
  raws.push(raw);
  const { serverStart } = await raw.setUp({ mode: Mode.Unauthenticated });
  expect(serverStart.accept).toBe(0);
  return raw;
}

async function acceptSession(raw: RawControlClient): Promise<AcceptSession> {
  const reply = await raw.next('accept-session');
  if (reply.type !== 'accept-session') throw new Error(`expected Accept-Session, got ${reply.type}`);
  return reply;
}

const INVALID: readonly { readonly name: string; readonly patch: (plain: Buffer) => void }[] = [
  { name: 'IPVN 5', patch: (p) => (p[RequestTwSessionOffset.Ipvn] = 5) },
  { name: 'IPVN 0', patch: (p) => (p[RequestTwSessionOffset.Ipvn] = 0) },
  { name: 'Conf-Sender 1', patch: (p) => (p[RequestTwSessionOffset.ConfSender] = 1) },
  { name: 'Conf-Receiver 1', patch: (p) => (p[RequestTwSessionOffset.ConfReceiver] = 1) },
  { name: 'Number of Schedule Slots 1', patch: (p) => p.writeUInt32BE(1, RequestTwSessionOffset.NumberOfScheduleSlots) },
  { name: 'Number of Packets 10', patch: (p) => p.writeUInt32BE(10, RequestTwSessionOffset.NumberOfPackets) },
  { name: 'Type-P with undefined leading bits', patch: (p) => p.writeUInt32BE(0xc000_0000, RequestTwSessionOffset.TypePDescriptor) },
  { name: 'Type-P DSCP with trailing bits set', patch: (p) => p.writeUInt32BE((46 << 24) | 1, RequestTwSessionOffset.TypePDescriptor) },
];

describe('Request-TW-Session validation (RFC 4656 §3.5, RFC 5357 §3.5)', () => {
  it.each(INVALID)('$name → Accept 3, the handler is not asked, the connection stays usable', async ({ patch }) => {
    const raw = await openClient();
    raw.request({}, patch);
    const reply = await acceptSession(raw);
    expect(reply.accept).toBe(AcceptCode.NotSupported);
    expect(started?.handler.counts.open).toBe(0);
    // The next valid request on the same connection is served.
    raw.request();
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.Ok);
  });

  it('a SID in the request is ignored: the server assigns its own', async () => {
    const raw = await openClient();
    const sent = Buffer.alloc(16, 0x5a);
    raw.request({ sid: sent });
    const reply = await acceptSession(raw);
    expect(reply.accept).toBe(AcceptCode.Ok);
    expect(hex(reply.sid)).not.toBe(hex(sent));
    expect(hex(reply.sid)).toBe(started?.handler.of('open')[0]?.sid);
  });

  it('RFC 6038 fields without Reflect Octets selected are ignored (MBZ)', async () => {
    const raw = await openClient();
    raw.request({ octetsToBeReflected: 0x1234, lengthOfPaddingToReflect: 40 });
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.Ok);
    const [request] = started?.handler.requests ?? [];
    expect(request?.octetsToBeReflected).toBe(0);
    expect(request?.paddingToReflect).toBe(0);
  });

  it('the port the handler returns is the one in Accept-Session', async () => {
    const raw = await openClient({}, new RecordingHandler({ firstPort: 50_123 }));
    raw.request({ receiverPort: 862 });
    const reply = await acceptSession(raw);
    expect(reply.port).toBe(50_123);
    expect(started?.handler.requests[0]?.requestedReceiverPort).toBe(862);
  });

  it('a handler refusal is sent with its own Accept value', async () => {
    const handler = new RecordingHandler({ decide: () => ({ accept: AcceptCode.Failure, reason: 'no reflector port free' }) });
    const raw = await openClient({}, handler);
    raw.request();
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.Failure);
    expect(started?.server.stats.sessionsActive).toBe(0);
  });

  it('sessions per connection beyond the limit → Accept 4 (permanent)', async () => {
    const raw = await openClient({ limits: { maxSessionsPerConnection: 2 } });
    for (let i = 0; i < 2; i++) {
      raw.request();
      expect((await acceptSession(raw)).accept).toBe(AcceptCode.Ok);
    }
    raw.request();
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.PermanentResourceLimitation);
  });

  it('sessions across connections beyond the limit → Accept 4 (permanent: a configured capacity)', async () => {
    const first = await openClient({ limits: { maxSessionsTotal: 1 } });
    first.request();
    expect((await acceptSession(first)).accept).toBe(AcceptCode.Ok);
    const second = await openClient();
    second.request();
    expect((await acceptSession(second)).accept).toBe(AcceptCode.PermanentResourceLimitation);
    // The first connection ends: its session is released and the second may have one.
    first.destroy();
    await eventually(() => started?.server.stats.sessionsActive === 0, 2000, 'the first connection releasing its session');
    second.request();
    expect((await acceptSession(second)).accept).toBe(AcceptCode.Ok);
  });

  it('several requests in one TCP segment are each answered, in order', async () => {
    const raw = await openClient();
    const good = encodeRequestTwSession(baseRequest());
    const bad = Buffer.from(good);
    bad[RequestTwSessionOffset.ConfSender] = 1;
    raw.write(Buffer.concat([good, bad, good, encodeStartSessions({})]));
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.Ok);
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.NotSupported);
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.Ok);
    const ack = await raw.next('start-ack');
    expect(ack.type === 'start-ack' && ack.accept).toBe(AcceptCode.Ok);
  });

  it.each([0, 4, 6, 12, 255])('unknown command %i → Accept 3, then the server closes', async (command) => {
    const raw = await openClient();
    const block = Buffer.alloc(32);
    block[0] = command;
    raw.write(block);
    await raw.closed(3000);
    const reply = raw.afterServerStart;
    expect(reply.length).toBeGreaterThanOrEqual(16);
    expect(reply[0]).toBe(AcceptCode.NotSupported);
    expect(started?.handler.counts.open).toBe(0);
  });

  it('Start-Sessions when RFC 5938 was selected is refused with Accept 3 in Start-Ack', async () => {
    started = await startServer({ modes: Mode.Unauthenticated | Mode.IndividualSessionControl });
    const raw = await RawControlClient.connect(started.endpoint);
    raws.push(raw);
    await raw.setUp({ mode: Mode.Unauthenticated | Mode.IndividualSessionControl });
    raw.request();
    expect((await acceptSession(raw)).accept).toBe(AcceptCode.Ok);
    raw.send(encodeStartSessions({}));
    const ack = await raw.next('start-ack').catch(() => undefined);
    // Either a Start-Ack refusing it or a closed connection; never a start of the sessions.
    if (ack?.type === 'start-ack') expect(ack.accept).not.toBe(AcceptCode.Ok);
    expect(started.handler.counts.start).toBe(0);
  });
});
