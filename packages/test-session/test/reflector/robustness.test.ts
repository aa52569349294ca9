// Garbage, truncation and flood: generated datagrams (fast-check, fixed seeds) against every kind of
// reflector. Nothing throws, every packet is either answered or counted under one drop reason,
// sessions stay within maxSessions, and the reflector still answers a good request afterwards.
import {
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
} from '@twamp/wire';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorOptions, ReflectorStats } from '../../src/types.js';
import { Client, nowTimestamp, openReflector, UNSYNCED, waitFor } from './harness.js';

const KEY = Buffer.alloc(32, 9);
const SID = Buffer.alloc(16, 1);
const KEYS = deriveTestKeys({ aesKey: Buffer.alloc(16, 2), hmacKey: Buffer.alloc(32, 3) }, SID);
const encrypted = twampLayout({ security: TestSecurity.Encrypted });
const open = twampLayout({ security: TestSecurity.Open });

interface Mode {
  readonly name: string;
  readonly options: ReflectorOptions;
  /** A request the reflector must answer. */
  readonly good: () => Buffer;
}

const MODES: readonly Mode[] = [
  {
    name: 'TWAMP Light',
    options: {},
    good: () => encodeTwampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, padding: Buffer.alloc(27) }, open),
  },
  {
    name: 'STAMP open',
    options: { protocol: 'stamp', perSourceRate: 100_000 },
    good: () =>
      encodeStampSender(
        { sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, ssid: 1, tlvs: encodeStampTlvs([{ kind: 'direct-measurement', flags: SENDER_TLV_FLAGS, senderTxCount: 1, reflectorRxCount: 0, reflectorTxCount: 0 }]) },
        StampSecurity.Open,
      ),
  },
  {
    name: 'STAMP authenticated',
    options: { protocol: 'stamp', stampSecurity: StampSecurity.Authenticated, stampKey: KEY },
    good: () => {
      const p = encodeStampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, ssid: 1, tlvs: new Uint8Array(0) }, StampSecurity.Authenticated);
      signStampPacket(KEY, p);
      return p;
    },
  },
  {
    name: 'TWAMP Light encrypted',
    options: { lightLayout: encrypted, lightCrypto: () => new TestPacketCrypto(KEYS, 'encrypted') },
    good: () => {
      const p = encodeTwampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, padding: Buffer.alloc(64) }, encrypted);
      new TestPacketCrypto(KEYS, 'encrypted').protect(p, TestPacketKind.Sender);
      return p;
    },
  },
];

/** Datagrams: pure noise, and good packets cut short, extended or with octets flipped. */
function datagrams(good: Buffer, seed: number, count: number): Uint8Array[] {
  const noise = fc.uint8Array({ minLength: 0, maxLength: 400 });
  const mutated = fc
    .record({
      cut: fc.nat({ max: good.length + 64 }),
      flips: fc.array(fc.tuple(fc.nat({ max: good.length + 63 }), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }),
      tail: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ cut, flips, tail }) => {
      const p = Buffer.concat([good, tail]).subarray(0, cut);
      const out = Buffer.from(p);
      for (const [at, x] of flips) if (at < out.length) out[at]! ^= x;
      return new Uint8Array(out);
    });
  return fc.sample(fc.oneof(noise, mutated), { numRuns: count, seed });
}

function accounted(stats: ReflectorStats): number {
  return stats.packetsOut + Object.values(stats.dropped).reduce((a, b) => a + b, 0);
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function setUp(options: ReflectorOptions, clientCount: number): Promise<{ reflector: SessionReflector; clients: Client[] }> {
  const reflector = await openReflector({ clock: () => UNSYNCED, ...options });
  const clients = await Promise.all(Array.from({ length: clientCount }, () => Client.open(4)));
  cleanup.push(() => {
    for (const c of clients) c.close();
    reflector.close();
  });
  return { reflector, clients };
}

describe.each(MODES)('$name reflector under garbage', ({ options, good }) => {
  it('never throws, accounts for every datagram, stays bounded and keeps answering', async () => {
    const { reflector, clients } = await setUp({ ...options, maxSessions: 3 }, 5);
    const sent = datagrams(good(), 20261126, 300);
    sent.forEach((d, i) => {
      clients[i % clients.length]!.send(d, reflector);
    });
    expect(await waitFor(() => reflector.stats.packetsIn === sent.length, 3000)).toBe(true);
    const stats = reflector.stats;
    expect(accounted(stats)).toBe(stats.packetsIn);
    expect(stats.sessionsActive).toBeLessThanOrEqual(3);
    // Never a reply longer than the longest request, or than the largest base (112) for a short one.
    const longest = Math.max(112, ...sent.map((d) => d.length));
    for (const c of clients) for (const r of await c.drain(20)) expect(r.data.length).toBeLessThanOrEqual(longest);
    // A good request from a client that already has a session (or a new one, room permitting).
    for (const c of clients) c.send(good(), reflector);
    const answered = await Promise.all(clients.map((c) => c.next(300)));
    expect(answered.some((r) => r !== undefined)).toBe(true);
  });
});

it('a flood from many ports keeps at most maxSessions sessions (evicting) and the process stays up', async () => {
  const { reflector, clients } = await setUp({ maxSessions: 10 }, 40);
  const packet = MODES[0]!.good();
  let sent = 0;
  for (let round = 0; round < 25; round++) {
    for (const c of clients) {
      c.send(packet, reflector);
      sent++;
    }
  }
  // Loopback may drop under a burst; every datagram that arrived is accounted for.
  await waitFor(() => reflector.stats.packetsIn === sent, 3000);
  const stats = reflector.stats;
  expect(stats.packetsIn).toBeGreaterThan(sent / 2);
  expect(accounted(stats)).toBe(stats.packetsIn);
  expect(stats.sessionsActive).toBe(10);
  expect(stats.sessionsCreated - stats.sessionsEvicted).toBe(10);
  expect(stats.sessionsEvicted).toBeGreaterThan(0);
  expect(stats.dropped['session-limit']).toBe(0);
  expect(reflector.sessions()).toHaveLength(10);
});
