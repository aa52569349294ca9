// The same behavioural expectations on the node:dgram fallback (forced with implementation 'dgram',
// whatever TWAMP_UDP_IMPL says): it cannot read the TTL or TOS nor set the TOS, so Sender TTL is
// 255 ("unknown", RFC 5357 §4.2.1), S-DSCP-ECN is 0, Class of Service says RP = 1, and times are
// userspace; everything else behaves as on the native socket. The full suites also run on the
// fallback with TWAMP_UDP_IMPL=dgram.
import {
  decodeStampReflector,
  decodeStampTlvs,
  decodeTwampReflector,
  deriveTestKeys,
  encodeStampSender,
  encodeStampTlvs,
  encodeTwampSender,
  SENDER_TLV_FLAGS,
  signStampPacket,
  StampSecurity,
  TestPacketCrypto,
  TestPacketKind,
  TestSecurity,
  twampLayout,
  verifyStampPacket,
} from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorOptions } from '../../src/types.js';
import { Client, LOOPBACK, nowTimestamp, UNSYNCED } from './harness.js';

const open = twampLayout({ security: TestSecurity.Open });
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function pair(family: 4 | 6, options: ReflectorOptions = {}): Promise<{ reflector: SessionReflector; client: Client }> {
  const reflector = await SessionReflector.open({ family, address: LOOPBACK[family], port: 0, implementation: 'dgram', clock: () => UNSYNCED, ...options });
  const client = await Client.open(family, 'dgram');
  cleanup.push(() => {
    client.close();
    reflector.close();
  });
  return { reflector, client };
}

const light = (sequence: number, padding = 27): Buffer =>
  encodeTwampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(padding) }, open);

describe.each([4, 6] as const)('on the dgram fallback, IPv%i', (family) => {
  it('reports what it lacks', async () => {
    const { reflector } = await pair(family);
    expect(reflector.capabilities).toMatchObject({ implementation: 'dgram', receiveTtl: false, receiveTos: false, setTos: false, kernelTimestamps: false });
  });

  it('answers TWAMP Light statefully and statelessly, Sender TTL 255 (unknown), T2 ≤ T3', async () => {
    const stateful = await pair(family);
    const stateless = await pair(family, { stateful: false });
    for (const seq of [10, 11]) {
      const a = decodeTwampReflector((await stateful.client.exchange(light(seq, 0), stateful.reflector))!.data, open);
      const b = decodeTwampReflector((await stateless.client.exchange(light(seq), stateless.reflector))!.data, open);
      expect(a.sequence).toBe(seq - 10);
      expect(b.sequence).toBe(seq);
      for (const reply of [a, b]) {
        expect(reply.senderTtl).toBe(255);
        const t2 = reply.receiveTimestamp.seconds * 2 ** 32 + reply.receiveTimestamp.fraction;
        const t3 = reply.timestamp.seconds * 2 ** 32 + reply.timestamp.fraction;
        expect(t3).toBeGreaterThanOrEqual(t2);
      }
    }
  });

  it('answers STAMP with TLVs: RP = 1 (cannot honour DSCP1), counters filled', async () => {
    const { reflector, client } = await pair(family, { protocol: 'stamp' });
    const request = encodeStampSender(
      {
        sequence: 1,
        timestamp: nowTimestamp(),
        errorEstimate: 1,
        ssid: 42,
        tlvs: encodeStampTlvs([
          { kind: 'class-of-service', flags: SENDER_TLV_FLAGS, dscp1: 46, dscp2: 0, ecn: 0, rp: 0 },
          { kind: 'direct-measurement', flags: SENDER_TLV_FLAGS, senderTxCount: 1, reflectorRxCount: 0, reflectorTxCount: 0 },
        ]),
      },
      StampSecurity.Open,
    );
    const r = await client.exchange(request, reflector);
    const reply = decodeStampReflector(r!.data, StampSecurity.Open);
    expect(reply.ssid).toBe(42);
    expect(reply.senderTtl).toBe(255);
    expect(decodeStampTlvs(reply.tlvs)).toMatchObject([
      { kind: 'class-of-service', flags: 0, dscp1: 46, dscp2: 0, ecn: 0, rp: 1 },
      { kind: 'direct-measurement', flags: 0, reflectorRxCount: 1, reflectorTxCount: 1 },
    ]);
  });

  it('answers authenticated STAMP and encrypted TWAMP Light, and drops bad HMACs', async () => {
    const key = Buffer.alloc(32, 5);
    const stamp = await pair(family, { protocol: 'stamp', stampSecurity: StampSecurity.Authenticated, stampKey: key });
    const request = encodeStampSender({ sequence: 3, timestamp: nowTimestamp(), errorEstimate: 1, ssid: 1, tlvs: new Uint8Array(0) }, StampSecurity.Authenticated);
    signStampPacket(key, request);
    const r = await stamp.client.exchange(request, stamp.reflector);
    expect(verifyStampPacket(key, r!.data)).toBe(true);

    const keys = deriveTestKeys({ aesKey: Buffer.alloc(16, 1), hmacKey: Buffer.alloc(32, 2) }, Buffer.alloc(16, 3));
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    const enc = await pair(family, { lightLayout: layout, lightCrypto: () => new TestPacketCrypto(keys, 'encrypted') });
    const mine = new TestPacketCrypto(keys, 'encrypted');
    const packet = encodeTwampSender({ sequence: 8, timestamp: nowTimestamp(), errorEstimate: 1, padding: Buffer.alloc(64) }, layout);
    mine.protect(packet, TestPacketKind.Sender);
    const e = await enc.client.exchange(packet, enc.reflector);
    expect(mine.unprotect(e!.data, TestPacketKind.Reflector)).toBe(true);
    expect(decodeTwampReflector(e!.data, layout)).toMatchObject({ senderSequence: 8, senderTtl: 255 });
    packet[40]! ^= 1;
    enc.client.send(packet, enc.reflector);
    expect(await enc.client.next(120)).toBeUndefined();
    expect(enc.reflector.stats.dropped['bad-hmac']).toBe(1);
  });

  it('reflects RFC 6038 octets for a registered session and reports S-DSCP-ECN as 0', async () => {
    const { reflector, client } = await pair(family, { registeredOnly: true });
    const layout = twampLayout({ security: TestSecurity.Open, dscpEcnMonitoring: true, reflectOctets: 2 });
    const handle = reflector.register({ sid: Buffer.alloc(16, 7), sender: { port: client.port }, layout, dscp: 46 });
    const request = encodeTwampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, padding: Buffer.from([0xab, 0xcd, 0, 0]) }, layout);
    const r = await client.exchange(request, reflector);
    const reply = decodeTwampReflector(r!.data, layout);
    expect(r!.data.length).toBe(46);
    expect(Buffer.from(reply.padding.subarray(0, 2)).toString('hex')).toBe('abcd');
    expect(reply.senderDscpEcn).toBe(0);
    expect(handle.packets).toBe(1);
  });

  it('refuses a reply TOS it cannot set', async () => {
    await expect(SessionReflector.open({ family, address: LOOPBACK[family], port: 0, implementation: 'dgram', tos: 0xb8 })).rejects.toMatchObject({
      name: 'ConfigError',
    });
  });
});
