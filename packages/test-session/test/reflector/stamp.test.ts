// STAMP (RFC 8762) with RFC 8972 TLVs through a real socket: SSID sessions, TWAMP Light senders,
// Class of Service, Direct Measurement, Timestamp Information, Location, Access Report, unknown
// TLVs, and authenticated mode (base HMAC and HMAC TLV).
import {
  decodeStampReflector,
  decodeStampTlvs,
  decodeTwampReflector,
  encodeStampSender,
  encodeStampTlvs,
  encodeTwampSender,
  SENDER_TLV_FLAGS,
  signStampPacket,
  StampSecurity,
  type StampTlv,
  SyncSource,
  TestSecurity,
  TimestampMethod,
  TlvFlag,
  twampLayout,
  verifyStampPacket,
  verifyStampTlvHmac,
  writeStampTlvHmac,
} from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionReflector } from '../../src/reflector/index.js';
import { Client, nowTimestamp, openReflector, UNSYNCED } from './harness.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');
const F = SENDER_TLV_FLAGS;

function stampRequest(sequence: number, ssid: number, tlvs: readonly StampTlv[] = [], security: StampSecurity = StampSecurity.Open): Buffer {
  return encodeStampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x0001, ssid, tlvs: encodeStampTlvs(tlvs) }, security);
}

/** An authenticated request with an HMAC TLV last (RFC 8972 §4.8) and the base HMAC. */
function signedRequest(sequence: number, ssid: number, tlvs: readonly StampTlv[], key: Uint8Array = KEY): Buffer {
  const packet = stampRequest(sequence, ssid, [...tlvs, { kind: 'hmac', flags: F, hmac: new Uint8Array(16) }], StampSecurity.Authenticated);
  const hmacAt = packet.length - 20;
  writeStampTlvHmac(key, packet, { start: 112, end: hmacAt }, hmacAt + 4);
  signStampPacket(key, packet);
  return packet;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function pair(family: 4 | 6, options: Parameters<typeof openReflector>[0] = {}): Promise<{ reflector: SessionReflector; client: Client }> {
  const reflector = await openReflector({ family, protocol: 'stamp', clock: () => UNSYNCED, ...options });
  const client = await Client.open(family);
  cleanup.push(() => {
    client.close();
    reflector.close();
  });
  return { reflector, client };
}

describe.each([4, 6] as const)('STAMP over IPv%i', (family) => {
  it('keeps a session per SSID with its own counter and copies the SSID', async () => {
    const { reflector, client } = await pair(family);
    const seqs: number[] = [];
    for (const ssid of [7, 7, 9, 7]) {
      const r = await client.exchange(stampRequest(50, ssid), reflector);
      const reply = decodeStampReflector(r!.data, StampSecurity.Open);
      expect(reply.ssid).toBe(ssid);
      expect(r!.data.length).toBe(44);
      seqs.push(reply.sequence);
    }
    expect(seqs).toEqual([0, 1, 0, 2]);
    expect(reflector.sessions().map((s) => s.ssid).sort()).toEqual([7, 9]);
    expect(reflector.sessions().every((s) => s.protocol === 'stamp')).toBe(true);
  });

  it('answers a 14-octet TWAMP Light request with the 44-octet base (RFC 8762 §4.6), stateless when asked', async () => {
    const { reflector, client } = await pair(family, { stateful: false });
    const light = encodeTwampSender({ sequence: 33, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: new Uint8Array(0) }, twampLayout({ security: TestSecurity.Open }));
    const r = await client.exchange(light, reflector);
    expect(r!.data.length).toBe(44);
    const reply = decodeStampReflector(r!.data, StampSecurity.Open);
    expect(reply.sequence).toBe(33);
    expect(reply.ssid).toBe(0);
  });

  it('fills Class of Service: DSCP2/ECN as received, replies with DSCP1, RP when it cannot', async () => {
    const { reflector, client } = await pair(family);
    const tosCapable = reflector.capabilities.setTos && client.socket.capabilities.setTos;
    const request = stampRequest(1, 3, [{ kind: 'class-of-service', flags: F, dscp1: 46, dscp2: 0, ecn: 0, rp: 0 }]);
    const r = await client.exchange(request, reflector, tosCapable ? { tos: (10 << 2) | 1 } : undefined);
    expect(r!.data.length).toBe(request.length);
    const [cos] = decodeStampTlvs(decodeStampReflector(r!.data, StampSecurity.Open).tlvs);
    expect(cos).toMatchObject({ kind: 'class-of-service', flags: 0, dscp1: 46 });
    if (tosCapable) {
      expect(cos).toMatchObject({ dscp2: 10, ecn: 1, rp: 0 });
      expect(r!.tos).toBe(46 << 2);
    } else {
      expect(cos).toMatchObject({ rp: 1 });
    }
  });

  it('fills Direct Measurement counters per session, and Timestamp Information', async () => {
    const { reflector, client } = await pair(family);
    const counters = [];
    for (let tx = 1; tx <= 3; tx++) {
      const request = stampRequest(tx, 4, [
        { kind: 'direct-measurement', flags: F, senderTxCount: tx, reflectorRxCount: 0, reflectorTxCount: 0 },
        { kind: 'timestamp-information', flags: F, syncSourceIn: 0, timestampIn: 0, syncSourceOut: 0, timestampOut: 0, subTlvs: new Uint8Array(0) },
      ]);
      const r = await client.exchange(request, reflector);
      const [dm, ti] = decodeStampTlvs(decodeStampReflector(r!.data, StampSecurity.Open).tlvs);
      counters.push(dm);
      expect(ti).toMatchObject({
        kind: 'timestamp-information',
        flags: 0,
        syncSourceIn: SyncSource.LocalFreeRunning,
        timestampIn: TimestampMethod.SwLocal,
        syncSourceOut: SyncSource.LocalFreeRunning,
        timestampOut: TimestampMethod.SwLocal,
      });
    }
    expect(counters).toEqual([1, 2, 3].map((n) => ({ kind: 'direct-measurement', flags: 0, senderTxCount: n, reflectorRxCount: n, reflectorTxCount: n })));
  });

  it('fills Location with ports and addresses, marks what it cannot know, reflects Access Report and unknown TLVs', async () => {
    const { reflector, client } = await pair(family);
    const request = stampRequest(1, 5, [
      {
        kind: 'location',
        flags: F,
        destinationPort: 0,
        sourcePort: 0,
        subTlvs: [
          { kind: 'destination-ip-address', flags: 0 },
          { kind: 'source-ip-address', flags: 0 },
          { kind: 'source-mac-address', flags: 0 },
        ],
      },
      { kind: 'access-report', flags: F, accessId: 1, returnCode: 1 },
      { kind: 'access-report', flags: F, accessId: 9, returnCode: 1 },
      { kind: 'unknown', flags: F, type: 200, value: Buffer.from('opaque') },
      { kind: 'extra-padding', flags: F, padding: new Uint8Array(20) },
    ]);
    const r = await client.exchange(request, reflector);
    expect(r!.data.length).toBe(request.length);
    const tlvs = decodeStampTlvs(decodeStampReflector(r!.data, StampSecurity.Open).tlvs);
    const loopback = family === 4 ? Buffer.from([127, 0, 0, 1]) : Buffer.from('00000000000000000000000000000001', 'hex');
    expect(tlvs[0]).toMatchObject({
      kind: 'location',
      flags: 0,
      destinationPort: reflector.localPort,
      sourcePort: client.port,
      subTlvs: [
        { kind: family === 4 ? 'destination-ipv4-address' : 'destination-ipv6-address', flags: 0, address: loopback },
        { kind: family === 4 ? 'source-ipv4-address' : 'source-ipv6-address', flags: 0, address: loopback },
        { kind: 'source-mac-address', flags: TlvFlag.Unrecognized },
      ],
    });
    expect(tlvs[1]).toMatchObject({ kind: 'access-report', flags: 0, accessId: 1 });
    expect(tlvs[2]).toMatchObject({ kind: 'access-report', flags: TlvFlag.Unrecognized });
    expect(tlvs[3]).toMatchObject({ kind: 'unknown', flags: TlvFlag.Unrecognized, type: 200 });
    expect(tlvs[4]).toMatchObject({ kind: 'extra-padding', flags: 0 });
  });

  it('returns the RFC 9503 / RFC 9534 TLVs it does not act on with U, unchanged and typed by the table', async () => {
    const { reflector, client } = await pair(family);
    const sent: StampTlv[] = [
      { kind: 'destination-node-address', flags: F, address: Uint8Array.from([192, 0, 2, 7]) },
      { kind: 'return-path', flags: F, subTlvs: Uint8Array.from([0x80, 0x01, 0x00, 0x04, 0, 0, 0, 1]) },
      { kind: 'micro-session-id', flags: F, senderMicroSessionId: 3, reflectorMicroSessionId: 0 },
      { kind: 'class-of-service', flags: F, dscp1: 0, dscp2: 0, ecn: 0, rp: 0 },
    ];
    const request = stampRequest(1, 9, sent);
    const r = await client.exchange(request, reflector);
    const area = decodeStampReflector(r!.data, StampSecurity.Open).tlvs;
    // Value octets as sent; only the Flags octet changes (U stays set: RFC 8972 §4).
    const tlvs = decodeStampTlvs(area);
    expect(tlvs.map((tlv) => tlv.kind)).toEqual(['destination-node-address', 'return-path', 'micro-session-id', 'class-of-service']);
    const asReturned = sent.slice(0, 3).map((tlv) => ({ ...tlv, flags: TlvFlag.Unrecognized }));
    expect(encodeStampTlvs(tlvs.slice(0, 3)).toString('hex')).toBe(encodeStampTlvs(asReturned).toString('hex'));
    // The TLV after them is still found and filled: the walk went past the unknown-to-the-reflector types.
    expect(tlvs[3]).toMatchObject({ kind: 'class-of-service', flags: 0 });
  });

  it('marks a malformed TLV with M and mirrors the rest verbatim', async () => {
    const { reflector, client } = await pair(family);
    const request = stampRequest(1, 6, [{ kind: 'extra-padding', flags: F, padding: new Uint8Array(4) }]);
    const broken = Buffer.concat([request, Buffer.from([0x80, 4, 0x00, 0x10, 1, 2])]);
    const r = await client.exchange(broken, reflector);
    expect(r!.data.length).toBe(broken.length);
    expect(r!.data[44 + 8]! & TlvFlag.Malformed).toBe(TlvFlag.Malformed);
    expect(r!.data.subarray(44 + 9).equals(broken.subarray(44 + 9))).toBe(true);
  });
});

describe('authenticated STAMP', () => {
  it('verifies the request, signs the reply and its HMAC TLV', async () => {
    const { reflector, client } = await pair(4, { stampSecurity: StampSecurity.Authenticated, stampKey: KEY });
    const request = signedRequest(10, 77, [{ kind: 'direct-measurement', flags: F, senderTxCount: 1, reflectorRxCount: 0, reflectorTxCount: 0 }]);
    const r = await client.exchange(request, reflector);
    expect(r!.data.length).toBe(request.length);
    expect(verifyStampPacket(KEY, r!.data)).toBe(true);
    const reply = decodeStampReflector(r!.data, StampSecurity.Authenticated);
    expect(reply.ssid).toBe(77);
    expect(reply.senderSequence).toBe(10);
    const hmacAt = r!.data.length - 20;
    expect(verifyStampTlvHmac(KEY, r!.data, { start: 112, end: hmacAt }, hmacAt + 4)).toBe(true);
    const tlvs = decodeStampTlvs(reply.tlvs);
    expect(tlvs.map((t) => t.flags)).toEqual([0, 0]);
    expect(tlvs[0]).toMatchObject({ reflectorRxCount: 1, reflectorTxCount: 1 });
    // T3 is written by the reflector before signing (the HMAC covers it), never before T2.
    const t2 = reply.receiveTimestamp.seconds * 2 ** 32 + reply.receiveTimestamp.fraction;
    const t3 = reply.timestamp.seconds * 2 ** 32 + reply.timestamp.fraction;
    expect(t3).toBeGreaterThanOrEqual(t2);
  });

  it("drops a request whose base HMAC fails ('bad-hmac'), and short ones ('too-short')", async () => {
    const { reflector, client } = await pair(4, { stampSecurity: StampSecurity.Authenticated, stampKey: KEY });
    const forged = signedRequest(1, 1, [], Buffer.from('another key'));
    client.send(forged, reflector);
    client.send(stampRequest(1, 1), reflector);
    expect(await client.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['bad-hmac']).toBe(1);
    expect(reflector.stats.dropped['too-short']).toBe(1);
    expect(reflector.sessions()).toEqual([]);
    // An established session is checked on every packet too.
    expect(await client.exchange(signedRequest(2, 1, []), reflector)).toBeDefined();
    client.send(forged, reflector);
    expect(await client.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['bad-hmac']).toBe(2);
  });

  it('answers with I on every TLV when the HMAC TLV fails (RFC 8972 §4.8)', async () => {
    const { reflector, client } = await pair(4, { stampSecurity: StampSecurity.Authenticated, stampKey: KEY });
    const request = signedRequest(3, 2, [{ kind: 'class-of-service', flags: F, dscp1: 0, dscp2: 0, ecn: 0, rp: 0 }]);
    // Corrupt the HMAC TLV value only, then re-sign the base so the packet itself is genuine.
    request[request.length - 1]! ^= 0xff;
    signStampPacket(KEY, request);
    const r = await client.exchange(request, reflector);
    const tlvs = decodeStampTlvs(decodeStampReflector(r!.data, StampSecurity.Authenticated).tlvs);
    expect(tlvs.every((t) => (t.flags & TlvFlag.IntegrityFailed) !== 0)).toBe(true);
    // TLVs other than Extra Padding without any HMAC TLV are not vouched for either.
    const bare = stampRequest(4, 2, [{ kind: 'class-of-service', flags: F, dscp1: 0, dscp2: 0, ecn: 0, rp: 0 }], StampSecurity.Authenticated);
    signStampPacket(KEY, bare);
    const r2 = await client.exchange(bare, reflector);
    expect(r2!.data[112]! & TlvFlag.IntegrityFailed).toBe(TlvFlag.IntegrityFailed);
  });
});

it('a TWAMP Light reflector answers a STAMP request as TWAMP (41-octet view, SSID ignored)', async () => {
  const reflector = await openReflector({ clock: () => UNSYNCED });
  const client = await Client.open(4);
  cleanup.push(() => {
    client.close();
    reflector.close();
  });
  const r = await client.exchange(stampRequest(8, 5), reflector);
  expect(r!.data.length).toBe(44);
  expect(decodeTwampReflector(r!.data, twampLayout({ security: TestSecurity.Open })).senderSequence).toBe(8);
});
