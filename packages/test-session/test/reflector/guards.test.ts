// Every guard and drop reason: allowed-source CIDRs (IPv4 and IPv6), per-source and per-session rate
// caps, maxSessions, truncated and too-short datagrams; idle expiry (REFWAIT) with an injected clock.
import { encodeTwampSender, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { CidrMatcher, parseCidr } from '../../src/reflector/cidr.js';
import { REFLECTOR_MAX_PACKET, type SessionReflector } from '../../src/reflector/index.js';
import { TokenBucket } from '../../src/reflector/rate-limit.js';
import type { ReflectorSessionEvent } from '../../src/types.js';
import { Client, nowTimestamp, openReflector, UNSYNCED, waitFor } from './harness.js';

const open = twampLayout({ security: TestSecurity.Open });
const request = (sequence = 1): Buffer =>
  encodeTwampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(27) }, open);

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function reflectorWith(options: Parameters<typeof openReflector>[0]): Promise<SessionReflector> {
  const reflector = await openReflector({ clock: () => UNSYNCED, ...options });
  cleanup.push(() => { reflector.close(); });
  return reflector;
}

async function clients(count: number, family: 4 | 6 = 4): Promise<Client[]> {
  const out = await Promise.all(Array.from({ length: count }, () => Client.open(family)));
  cleanup.push(() => {
    for (const c of out) c.close();
  });
  return out;
}

describe('CIDR matcher', () => {
  it('matches IPv4, IPv6, bare addresses, /0 and IPv4-mapped IPv6', () => {
    const m = new CidrMatcher(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', 'fe80::/10']);
    expect(m.matches('10.255.1.2')).toBe(true);
    expect(m.matches('11.0.0.1')).toBe(false);
    expect(m.matches('192.168.1.7')).toBe(true);
    expect(m.matches('192.168.1.8')).toBe(false);
    expect(m.matches('2001:db8:ffff::1')).toBe(true);
    expect(m.matches('2001:db9::1')).toBe(false);
    expect(m.matches('febf::1')).toBe(true);
    expect(m.matches('fec0::1')).toBe(false);
    expect(m.matches('::ffff:10.1.2.3')).toBe(true);
    expect(m.matches('not an address')).toBe(false);
    expect(new CidrMatcher(['0.0.0.0/0']).matches('203.0.113.9')).toBe(true);
    expect(new CidrMatcher(['::/0']).matches('203.0.113.9')).toBe(false);
    expect(new CidrMatcher(['10.1.2.3/12']).matches('10.15.0.1')).toBe(true);
  });

  it('refuses malformed blocks', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0/8', 'host/8', '10.0.0.0/', '10.0.0.0/-1', '1.2.3.4/8/8']) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
    expect(() => new CidrMatcher(['10.0.0.0/8', 'nope'])).toThrow(/allowedSources\[1\]/);
  });
});

describe('token bucket', () => {
  it('allows a burst of one second, then the rate', () => {
    const bucket = new TokenBucket(10, 0);
    let passed = 0;
    for (let i = 0; i < 20; i++) if (bucket.take(0)) passed++;
    expect(passed).toBe(10);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.isIdle(2000)).toBe(true);
  });
});

describe.each([4, 6] as const)('allowed sources over IPv%i', (family) => {
  it("drops sources outside the CIDRs ('source-not-allowed') and answers those inside", async () => {
    const [client] = await clients(1, family);
    const denied = await reflectorWith({ family, allowedSources: family === 4 ? ['10.0.0.0/8', '2001:db8::/32'] : ['fe80::/10', '127.0.0.0/8'] });
    client!.send(request(), denied);
    expect(await client!.next(120)).toBeUndefined();
    expect(denied.stats.dropped['source-not-allowed']).toBe(1);
    expect(denied.stats.sessionsActive).toBe(0);
    const allowed = await reflectorWith({ family, allowedSources: family === 4 ? ['127.0.0.0/8'] : ['::1/128'] });
    expect(await client!.exchange(request(), allowed)).toBeDefined();
  });
});

describe('rate caps and limits', () => {
  it("caps each source address across its sessions ('source-rate')", async () => {
    const reflector = await reflectorWith({ perSourceRate: 5 });
    const [a, b] = await clients(2);
    for (let i = 0; i < 10; i++) {
      a!.send(request(i), reflector);
      b!.send(request(i), reflector);
    }
    const got = (await a!.drain(100)).length + (await b!.drain(50)).length;
    // Burst = one second's worth; a few more tokens may refill while the 20 packets are sent.
    expect(got).toBeGreaterThanOrEqual(5);
    expect(got).toBeLessThanOrEqual(7);
    expect(reflector.stats.dropped['source-rate']).toBe(20 - got);
  });

  it("caps each session ('session-rate')", async () => {
    const reflector = await reflectorWith({ perSessionRate: 3 });
    const [a, b] = await clients(2);
    for (let i = 0; i < 10; i++) {
      a!.send(request(i), reflector);
      b!.send(request(i), reflector);
    }
    const gotA = (await a!.drain(100)).length;
    const gotB = (await b!.drain(50)).length;
    expect(gotA).toBeGreaterThanOrEqual(3);
    expect(gotA).toBeLessThanOrEqual(4);
    expect(gotB).toBeGreaterThanOrEqual(3);
    expect(gotB).toBeLessThanOrEqual(4);
    expect(reflector.stats.dropped['session-rate']).toBe(20 - gotA - gotB);
  });

  it('keeps at most maxSessions sessions: a new one evicts the oldest answered only once', async () => {
    const events: ReflectorSessionEvent[] = [];
    const reflector = await reflectorWith({ maxSessions: 3, onSessionEvent: (e) => events.push(e) });
    const [a, b, c, d, e] = await clients(5);
    // a and b are real flows (answered twice); c sent one packet, as a forged source would.
    for (const client of [a, b]) {
      expect(await client!.exchange(request(1), reflector)).toBeDefined();
      expect(await client!.exchange(request(2), reflector)).toBeDefined();
    }
    expect(await c!.exchange(request(1), reflector)).toBeDefined();
    // The table is full: d gets in by evicting c, e by evicting d; a and b are untouched.
    expect(await d!.exchange(request(1), reflector)).toBeDefined();
    expect(await e!.exchange(request(1), reflector)).toBeDefined();
    expect(reflector.stats).toMatchObject({ sessionsActive: 3, sessionsEvicted: 2 });
    expect(reflector.stats.dropped['session-limit']).toBe(0);
    const evicted = events.filter((event) => event.type === 'evicted').map((event) => event.peer.port);
    expect(evicted).toEqual([c!.port, d!.port]);
    for (const client of [a, b]) expect(await client!.exchange(request(3), reflector)).toBeDefined();
    expect(reflector.stats.sessionsEvicted).toBe(2);
  });

  it('with only longer flows in a full table, a new session evicts the longest idle', async () => {
    let now = 1_000;
    const reflector = await reflectorWith({ maxSessions: 2, now: () => now });
    const [a, b, c] = await clients(3);
    for (const client of [a, b]) {
      expect(await client!.exchange(request(1), reflector)).toBeDefined();
      expect(await client!.exchange(request(2), reflector)).toBeDefined();
      now += 100;
    }
    now += 100;
    expect(await b!.exchange(request(3), reflector)).toBeDefined();
    now += 100;
    expect(await c!.exchange(request(1), reflector)).toBeDefined();
    // a was idle longest: its next packet makes a new session (evicting c, answered once).
    expect(reflector.sessions().map((s) => s.peer.port).sort()).toEqual([b!.port, c!.port].sort());
  });

  it("refuses a new session only when nothing can be evicted ('session-limit')", async () => {
    const reflector = await reflectorWith({ maxSessions: 2 });
    // Registered (TWAMP-Control) sessions are never evicted.
    for (let i = 0; i < 2; i++) reflector.register({ sid: new Uint8Array(16).fill(i + 1), sender: { address: '192.0.2.1' }, layout: open });
    const [a] = await clients(1);
    a!.send(request(1), reflector);
    expect(await a!.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['session-limit']).toBe(1);
    expect(reflector.stats.sessionsEvicted).toBe(0);
  });

  it("drops truncated datagrams ('truncated') and runts ('too-short') without a session", async () => {
    const reflector = await reflectorWith({});
    const [client] = await clients(1);
    client!.send(Buffer.alloc(REFLECTOR_MAX_PACKET + 1000), reflector);
    client!.send(Buffer.alloc(13), reflector);
    client!.send(Buffer.alloc(0), reflector);
    expect(await client!.next(120)).toBeUndefined();
    expect(reflector.stats.dropped.truncated).toBe(1);
    expect(reflector.stats.dropped['too-short']).toBe(2);
    expect(reflector.stats.sessionsActive).toBe(0);
    // The largest request still fits and is mirrored.
    const big = Buffer.concat([request(), Buffer.alloc(REFLECTOR_MAX_PACKET - 41)]);
    const r = await client!.exchange(big, reflector);
    expect(r!.data.length).toBe(big.length);
  });
});

describe('idle expiry (REFWAIT)', () => {
  it('forgets a session idle longer than idleTimeoutMs and starts a new one from 0', async () => {
    let now = 5_000;
    const events: ReflectorSessionEvent[] = [];
    const reflector = await reflectorWith({ idleTimeoutMs: 200, now: () => now, onSessionEvent: (e) => events.push(e) });
    const [client] = await clients(1);
    await client!.exchange(request(1), reflector);
    await client!.exchange(request(2), reflector);
    now += 150;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(reflector.stats.sessionsActive).toBe(1);
    now += 100;
    expect(await waitFor(() => events.length === 2, 500)).toBe(true);
    expect(events[1]).toMatchObject({ type: 'expired', packets: 2, protocol: 'twamp-light' });
    expect(reflector.stats).toMatchObject({ sessionsActive: 0, sessionsExpired: 1 });
    const r = await client!.exchange(request(3), reflector);
    expect(r!.data.readUInt32BE(0)).toBe(0);
    expect(reflector.stats.sessionsCreated).toBe(2);
  });
});
