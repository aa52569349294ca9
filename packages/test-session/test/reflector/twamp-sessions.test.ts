// Authenticated and encrypted TWAMP test packets (TWAMP Light with keys supplied directly, and
// sessions registered by a control server), RFC 6038 reflect octets and symmetrical size, RFC 7750
// DSCP/ECN monitoring, Type-P DSCP for replies, and stop(timeout) after Stop-Sessions.
import {
  decodeTwampReflector,
  deriveTestKeys,
  encodeTwampSender,
  TestPacketCrypto,
  TestPacketKind,
  TestPacketProtection,
  TestSecurity,
  type TwampLayout,
  twampLayout,
} from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorSessionEvent } from '../../src/types.js';
import { Client, nowTimestamp, openReflector, UNSYNCED } from './harness.js';

const SID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const CONTROL = { aesKey: Buffer.alloc(16, 0x11), hmacKey: Buffer.alloc(32, 0x22) };
const KEYS = deriveTestKeys(CONTROL, SID);
const OTHER_KEYS = deriveTestKeys({ aesKey: Buffer.alloc(16, 0x33), hmacKey: Buffer.alloc(32, 0x44) }, SID);

function sender(layout: TwampLayout, sequence: number, padding: Uint8Array, crypto?: TestPacketCrypto): Buffer {
  const packet = encodeTwampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x0001, padding }, layout);
  crypto?.protect(packet, TestPacketKind.Sender);
  return packet;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function pair(options: Parameters<typeof openReflector>[0] = {}, family: 4 | 6 = 4): Promise<{ reflector: SessionReflector; client: Client }> {
  const reflector = await openReflector({ family, clock: () => UNSYNCED, ...options });
  const client = await Client.open(family);
  cleanup.push(() => {
    client.close();
    reflector.close();
  });
  return { reflector, client };
}

describe.each([TestPacketProtection.Authenticated, TestPacketProtection.Encrypted])('TWAMP Light, %s', (protection) => {
  const layout = twampLayout({ security: protection === 'authenticated' ? TestSecurity.Authenticated : TestSecurity.Encrypted });

  it('unprotects the request, reflects it and protects the reply', async () => {
    const { reflector, client } = await pair({ lightLayout: layout, lightCrypto: () => new TestPacketCrypto(KEYS, protection) });
    const mine = new TestPacketCrypto(KEYS, protection);
    for (const seq of [1, 2, 3]) {
      const r = await client.exchange(sender(layout, seq, Buffer.alloc(64, 7), mine), reflector);
      expect(r).toBeDefined();
      expect(r!.data.length).toBe(112);
      expect(mine.unprotect(r!.data, TestPacketKind.Reflector)).toBe(true);
      const reply = decodeTwampReflector(r!.data, layout);
      expect(reply.senderSequence).toBe(seq);
      expect(reply.sequence).toBe(seq - 1);
      const t2 = reply.receiveTimestamp.seconds * 2 ** 32 + reply.receiveTimestamp.fraction;
      const t3 = reply.timestamp.seconds * 2 ** 32 + reply.timestamp.fraction;
      expect(t3).toBeGreaterThanOrEqual(t2);
    }
  });

  it("drops packets that do not authenticate ('bad-hmac') or are too short ('too-short'), making no session", async () => {
    const { reflector, client } = await pair({ lightLayout: layout, lightCrypto: () => new TestPacketCrypto(KEYS, protection) });
    client.send(sender(layout, 1, Buffer.alloc(64), new TestPacketCrypto(OTHER_KEYS, protection)), reflector);
    client.send(Buffer.alloc(20), reflector);
    expect(await client.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['bad-hmac']).toBe(1);
    expect(reflector.stats.dropped['too-short']).toBe(1);
    expect(reflector.stats.sessionsActive).toBe(0);
  });
});

describe('registered sessions', () => {
  it('reflects RFC 6038 octets with Symmetrical Size, reports S-DSCP-ECN, replies with the Type-P DSCP', async () => {
    const { reflector, client } = await pair({ registeredOnly: true });
    const layout = twampLayout({ security: TestSecurity.Open, symmetricalSize: true, dscpEcnMonitoring: true, reflectOctets: 4 });
    const handle = reflector.register({ sid: SID, sender: { address: '127.0.0.1', port: client.port }, layout, dscp: 46 });
    const padding = Buffer.concat([Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(20, 0x55)]);
    const request = sender(layout, 9, padding);
    const tosCapable = reflector.capabilities.setTos && client.socket.capabilities.setTos;
    const r = await client.exchange(request, reflector, tosCapable ? { tos: (10 << 2) | 2 } : undefined);
    expect(r).toBeDefined();
    // Symmetrical: as long as the request (41 + 24 = 65 > 44 + 4).
    expect(r!.data.length).toBe(request.length);
    const reply = decodeTwampReflector(r!.data, layout);
    expect(Buffer.from(reply.padding.subarray(0, 4)).toString('hex')).toBe('deadbeef');
    expect(reply.senderSequence).toBe(9);
    if (tosCapable) {
      expect(reply.senderDscpEcn).toBe((10 << 2) | 2);
      expect(r!.tos).toBe(46 << 2);
    } else {
      expect(reply.senderDscpEcn).toBe(0);
    }
    expect(handle.packets).toBe(1);
    expect(Buffer.from(handle.sid).equals(SID)).toBe(true);
    // Padding shorter than the octets to reflect: refused.
    client.send(sender(layout, 10, Buffer.from([1, 2])), reflector);
    expect(await client.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['bad-reflect-octets']).toBe(1);
    expect(reflector.sessions()).toMatchObject([{ key: `twamp:${SID.toString('hex')}`, protocol: 'twamp', packets: 1 }]);
  });

  it("answers only the negotiated sender when registeredOnly ('unknown-session' otherwise)", async () => {
    const { reflector, client } = await pair({ registeredOnly: true });
    const other = await Client.open(4);
    cleanup.push(() => { other.close(); });
    const layout = twampLayout({ security: TestSecurity.Open });
    reflector.register({ sid: SID, sender: { address: '127.0.0.1', port: client.port }, layout });
    other.send(sender(layout, 1, Buffer.alloc(27)), reflector);
    expect(await other.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['unknown-session']).toBe(1);
    expect(await client.exchange(sender(layout, 1, Buffer.alloc(27)), reflector)).toBeDefined();
  });

  it('binds a NAT-friendly (any port) encrypted session to the first flow that authenticates', async () => {
    const { reflector, client } = await pair({ registeredOnly: true });
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    const handle = reflector.register({ sid: SID, sender: { address: '127.0.0.1' }, layout, crypto: new TestPacketCrypto(KEYS, 'encrypted') });
    const intruder = await Client.open(4);
    cleanup.push(() => { intruder.close(); });
    intruder.send(sender(layout, 1, Buffer.alloc(64), new TestPacketCrypto(OTHER_KEYS, 'encrypted')), reflector);
    expect(await intruder.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['bad-hmac']).toBe(1);
    const mine = new TestPacketCrypto(KEYS, 'encrypted');
    const r = await client.exchange(sender(layout, 5, Buffer.alloc(64), mine), reflector);
    expect(mine.unprotect(r!.data, TestPacketKind.Reflector)).toBe(true);
    expect(decodeTwampReflector(r!.data, layout).senderSequence).toBe(5);
    expect(handle.packets).toBe(1);
    // Bound now: the intruder's flow is someone else, even with the right keys.
    intruder.send(sender(layout, 2, Buffer.alloc(64), new TestPacketCrypto(KEYS, 'encrypted')), reflector);
    expect(await intruder.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['unknown-session']).toBe(1);
  });

  it('keeps reflecting for the Timeout after stop(), then forgets the session', async () => {
    let now = 1_000_000;
    const events: ReflectorSessionEvent[] = [];
    const { reflector, client } = await pair({ registeredOnly: true, now: () => now, onSessionEvent: (e) => events.push(e) });
    const layout = twampLayout({ security: TestSecurity.Authenticated });
    const handle = reflector.register({ sid: SID, sender: { address: '127.0.0.1', port: client.port }, layout, crypto: new TestPacketCrypto(KEYS, 'authenticated') });
    const mine = new TestPacketCrypto(KEYS, 'authenticated');
    expect(await client.exchange(sender(layout, 1, Buffer.alloc(64), mine), reflector)).toBeDefined();
    handle.stop(2000);
    now += 1500;
    expect(await client.exchange(sender(layout, 2, Buffer.alloc(64), mine), reflector)).toBeDefined();
    now += 1000;
    client.send(sender(layout, 3, Buffer.alloc(64), mine), reflector);
    expect(await client.next(150)).toBeUndefined();
    expect(handle.packets).toBe(2);
    expect(reflector.stats.dropped['unknown-session']).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['created', 'stopped']);
    expect(events[1]).toMatchObject({ key: `twamp:${SID.toString('hex')}`, protocol: 'twamp', packets: 2, peer: { address: '127.0.0.1', port: client.port } });
    expect(reflector.sessions()).toEqual([]);
  });

  it('forgets a stopped session on its own once the Timeout passes, even without packets', async () => {
    const events: string[] = [];
    const { reflector } = await pair({ onSessionEvent: (e) => events.push(e.type) });
    const handle = reflector.register({ sid: SID, layout: twampLayout({ security: TestSecurity.Open }) });
    expect(reflector.stats.sessionsActive).toBe(1);
    handle.stop(20);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(events).toEqual(['created', 'stopped']);
    expect(reflector.stats.sessionsActive).toBe(0);
  });
});
