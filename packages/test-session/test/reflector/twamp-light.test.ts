// TWAMP Light through a real socket on loopback (IPv4 and IPv6): stateful and stateless sequence
// numbers, reply length and padding, T2/T3, Sender TTL, Error Estimate, reply TTL/TOS, sessions.
import { decodeTwampReflector, encodeTwampSender, ErrorEstimateBits, errorEstimateFromSeconds, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorSessionEvent } from '../../src/types.js';
import { Client, ntpNanos, nowTimestamp, openReflector, UNSYNCED } from './harness.js';

const open = twampLayout({ security: TestSecurity.Open });

function request(sequence: number, padding = 27): Buffer {
  return encodeTwampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(padding, 0xa5) }, open);
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function pair(family: 4 | 6, options: Parameters<typeof openReflector>[0] = {}): Promise<{ reflector: SessionReflector; client: Client }> {
  const reflector = await openReflector({ family, clock: () => UNSYNCED, ...options });
  const client = await Client.open(family);
  cleanup.push(() => {
    client.close();
    reflector.close();
  });
  return { reflector, client };
}

describe.each([4, 6] as const)('TWAMP Light over IPv%i', (family) => {
  it('answers statefully by default: own counter from 0, sender fields copied, padding mirrored', async () => {
    const { reflector, client } = await pair(family);
    const replies = [];
    for (const seq of [100, 200, 300]) {
      const sent = request(seq);
      const r = await client.exchange(sent, reflector);
      expect(r).toBeDefined();
      const reply = decodeTwampReflector(r!.data, open);
      expect(reply.senderSequence).toBe(seq);
      expect(reply.senderTimestamp).toEqual({ seconds: sent.readUInt32BE(4), fraction: sent.readUInt32BE(8) });
      expect(reply.senderErrorEstimate).toBe(0x3fff);
      // 41 + 27 = 14 + 27 + 27: the reply is as long as the request would be symmetric... it mirrors
      // the request length (max(request, 41)) and carries the first padding octets.
      expect(r!.data.length).toBe(41);
      replies.push(reply);
    }
    expect(replies.map((r) => r.sequence)).toEqual([0, 1, 2]);
    expect(reflector.stats.packetsOut).toBe(3);
  });

  it('answers statelessly when asked: copies the sender sequence number (RFC 8762 §4.2)', async () => {
    const { reflector, client } = await pair(family, { stateful: false });
    for (const seq of [7, 9, 4_000_000_000]) {
      const r = await client.exchange(request(seq), reflector);
      const reply = decodeTwampReflector(r!.data, open);
      expect(reply.sequence).toBe(seq);
      expect(reply.senderSequence).toBe(seq);
    }
  });

  it("accepts twampy's 14-octet requests with a 41-octet reply, and mirrors longer ones", async () => {
    const { reflector, client } = await pair(family);
    const short = await client.exchange(request(1, 0), reflector);
    expect(short!.data.length).toBe(41);
    const long = request(2, 200);
    const r = await client.exchange(long, reflector);
    expect(r!.data.length).toBe(long.length);
    const reply = decodeTwampReflector(r!.data, open);
    // Reply padding = the first (L − 41) octets of the sender's padding.
    expect(Buffer.from(reply.padding).equals(long.subarray(14, 14 + long.length - 41))).toBe(true);
  });

  it('stamps T2 on receipt and T3 at send, T1 ≤ T2 ≤ T3 ≤ T4, and says the clock is unsynchronised', async () => {
    const { reflector, client } = await pair(family);
    const sent = request(5);
    const r = await client.exchange(sent, reflector);
    const reply = decodeTwampReflector(r!.data, open);
    const base = reply.receiveTimestamp.seconds - 10;
    const t2 = ntpNanos(reply.receiveTimestamp, base);
    const t3 = ntpNanos(reply.timestamp, base);
    const t4 = ntpNanos({ seconds: (r!.seconds + 2_208_988_800) >>> 0, fraction: Math.floor((r!.nanos * 2 ** 32) / 1e9) }, base);
    expect(t2).toBeLessThanOrEqual(t3);
    expect(t3 - t2).toBeLessThan(50e6);
    // T1 has millisecond resolution here (Date.now), hence the slack.
    expect(ntpNanos(reply.senderTimestamp, base)).toBeLessThanOrEqual(t2 + 2e6);
    expect(t3).toBeLessThanOrEqual(t4 + 2e6);
    expect(reply.errorEstimate & ErrorEstimateBits.Synchronized).toBe(0);
    expect(reply.errorEstimate & 0xff).not.toBe(0);
  });

  it('reports the Sender TTL it saw (255 when the socket cannot read it) and replies with TTL 255', async () => {
    const { reflector, client } = await pair(family);
    const r = await client.exchange(request(1), reflector, { ttl: 77 });
    const reply = decodeTwampReflector(r!.data, open);
    if (reflector.capabilities.receiveTtl) {
      expect(reply.senderTtl).toBe(77);
    } else {
      expect(reply.senderTtl).toBe(255);
    }
    if (client.socket.capabilities.receiveTtl) expect(r!.ttl).toBe(255);
  });

  it('replies with the request DSCP by default, the configured TOS when given (native only)', async ({ skip }) => {
    const { reflector, client } = await pair(family);
    if (!reflector.capabilities.setTos || !client.socket.capabilities.setTos) skip('the socket cannot set or read TOS');
    const r = await client.exchange(request(1), reflector, { tos: 0xb9 });
    // DSCP EF copied, ECN not (a reply is Not-ECT unless provisioned).
    expect(r!.tos).toBe(0xb8);
    const configured = await pair(family, { tos: 0x28 });
    const r2 = await configured.client.exchange(request(1), configured.reflector, { tos: 0xb8 });
    expect(r2!.tos).toBe(0x28);
  });

  it('sends the Error Estimate of the clock it is given', async () => {
    const { reflector, client } = await pair(family, {
      clock: () => ({ synchronized: true, estimatedErrorSeconds: 0.001, maximumErrorSeconds: 0.01, source: 'adjtimex' }),
    });
    const r = await client.exchange(request(1), reflector);
    expect(decodeTwampReflector(r!.data, open).errorEstimate).toBe(errorEstimateFromSeconds(0.001, { synchronized: true, ptp: false }));
  });

  it('keeps one session per 4-tuple with its own counter, lists them, and tells about them', async () => {
    const events: ReflectorSessionEvent[] = [];
    const { reflector, client } = await pair(family, { onSessionEvent: (e) => events.push(e) });
    const other = await Client.open(family);
    cleanup.push(() => { other.close(); });
    await client.exchange(request(1), reflector);
    await client.exchange(request(2), reflector);
    const first = await other.exchange(request(1), reflector);
    expect(decodeTwampReflector(first!.data, open).sequence).toBe(0);
    const sessions = reflector.sessions();
    expect(sessions).toHaveLength(2);
    const mine = sessions.find((s) => s.peer.port === client.port);
    expect(mine?.packets).toBe(2);
    expect(mine?.protocol).toBe('twamp-light');
    expect(mine?.peer.address).toBe(family === 4 ? '127.0.0.1' : '::1');
    expect(events.map((e) => e.type)).toEqual(['created', 'created']);
    expect(reflector.stats).toMatchObject({ packetsIn: 3, packetsOut: 3, sessionsActive: 2, sessionsCreated: 2, sessionsExpired: 0 });
  });
});

describe.each([4, 6] as const)('bound to the IPv%i wildcard', (family) => {
  it('answers from the address the request arrived on and keys the session by it', async () => {
    const reflector = await openReflector({ family, address: family === 4 ? '0.0.0.0' : '::', clock: () => UNSYNCED });
    const client = await Client.open(family);
    cleanup.push(() => {
      client.close();
      reflector.close();
    });
    const r = await client.exchange(request(1), { localAddress: '', localPort: reflector.localPort });
    const loopback = family === 4 ? '127.0.0.1' : '::1';
    expect(r?.address).toBe(loopback);
    const [session] = reflector.sessions();
    const local = reflector.capabilities.localAddress ? loopback : reflector.localAddress;
    expect(session?.key).toBe(`twamp-light:${family === 4 ? '127.0.0.1' : '[::1]'}:${client.port}>${family === 4 ? local : `[${local}]`}:${reflector.localPort}`);
  });
});

describe('SessionReflector lifecycle', () => {
  it('binds an ephemeral port, closes idempotently and stops answering', async () => {
    const reflector = await openReflector();
    const client = await Client.open(4);
    cleanup.push(() => { client.close(); });
    expect(reflector.localPort).toBeGreaterThan(0);
    expect(reflector.localAddress).toBe('127.0.0.1');
    expect(await client.exchange(request(1), reflector)).toBeDefined();
    const port = reflector.localPort;
    reflector.close();
    reflector.close();
    client.send(request(2), port);
    expect(await client.next(150)).toBeUndefined();
    expect(reflector.sessions()).toEqual([]);
  });

  it('refuses bad options with one ConfigError listing them all', async () => {
    await expect(openReflector({ port: 70000, maxSessions: 0, idleTimeoutMs: -1, allowedSources: ['10.0.0.0/33'] })).rejects.toMatchObject({
      name: 'ConfigError',
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'port' }),
        expect.objectContaining({ path: 'maxSessions' }),
        expect.objectContaining({ path: 'idleTimeoutMs' }),
        expect.objectContaining({ path: 'allowedSources[0]' }),
      ]) as unknown,
    });
    await expect(openReflector({ protocol: 'stamp', stampSecurity: 'authenticated' })).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(openReflector({ lightLayout: twampLayout({ security: TestSecurity.Encrypted }) })).rejects.toMatchObject({ name: 'ConfigError' });
  });
});
