// Every protocol and security combination against the fixture reflector on loopback, with the
// request sizes 'symmetric' gives each, and the timestamp sources each one reports.
import { udpImplementationStatus } from '@twamp/udp';
import { StampSecurity, TestSecurity, twampLayout } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import type { PacketResult, SenderEvent } from '../../src/index.js';
import { SessionSender, type SessionSenderOptions, type SessionSenderReport } from '../../src/sender/index.js';
import { cryptoPair, type FixtureOptions, openTestReflector } from './fixture.js';

const native = udpImplementationStatus().implementation === 'native';

interface Run {
  readonly report: SessionSenderReport;
  readonly packets: PacketResult[];
  readonly lengths: number[];
}

async function run(sender: Omit<SessionSenderOptions, 'target'>, fixture: FixtureOptions): Promise<Run> {
  const reflector = await openTestReflector(fixture);
  try {
    const session = await SessionSender.open({
      target: { address: '127.0.0.1', port: reflector.port },
      schedule: { kind: 'periodic', intervalMs: 1 },
      count: 8,
      lossTimeoutMs: 500,
      ...sender,
    });
    const packets: PacketResult[] = [];
    session.onEvent((event: SenderEvent) => {
      if (event.type === 'packet') packets.push(event.result);
    });
    const report = await session.done;
    return { report, packets, lengths: [...reflector.lengths] };
  } finally {
    reflector.close();
  }
}

function expectAllAnswered(result: Run, count = 8): void {
  expect(result.report.summary.loss).toMatchObject({ sent: count, received: count, lost: 0 });
  expect(result.report.malformedReplies).toBe(0);
  expect(result.packets).toHaveLength(count);
  for (const packet of result.packets) {
    expect(packet.disposition).toBe('counted');
    expect(packet.rtt).toBeGreaterThan(0);
    expect(packet.rtt).toBeLessThan(1e9);
  }
}

describe('TWAMP Light', () => {
  it('open: 41-octet requests (27 octets of padding) and sequence numbers from 0', async () => {
    const result = await run({ protocol: 'twamp-light', ttl: 64 }, { protocol: 'twamp' });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([41]));
    expect(result.packets.map((p) => p.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(result.report.timestamps.t1).toBe(native ? 'stamp-on-send' : 'userspace');
    expect(result.report.timestamps.t4).toBe(native ? 'kernel' : 'userspace');
    const first = result.packets[0]!;
    expect(first.requestLength).toBe(41);
    expect(first.replyLength).toBe(41);
    expect(first.sentTtl).toBe(64);
    if (native) {
      // 255 would read as the RFC's "unknown"; 64 is what the reflector saw.
      expect(first.reflectorReceivedTtl).toBe(64);
      expect(first.replyTtl).toBe(255);
    }
  });

  it('authenticated (keys supplied directly): 112-octet requests, T1 still written on send', async () => {
    const keys = cryptoPair('authenticated');
    const layout = twampLayout({ security: TestSecurity.Authenticated });
    const result = await run({ protocol: 'twamp-light', layout, crypto: keys.sender }, { protocol: 'twamp', layout, crypto: keys.reflector });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([112]));
    // The timestamp lies outside the AES block and the HMAC (RFC 4656 §4.1.2), so the socket stamps it.
    expect(result.report.timestamps.t1).toBe(native ? 'stamp-on-send' : 'userspace');
  });

  it('encrypted: 112-octet requests, T1 written by the sender before encryption', async () => {
    const keys = cryptoPair('encrypted');
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    const result = await run({ protocol: 'twamp-light', layout, crypto: keys.sender }, { protocol: 'twamp', layout, crypto: keys.reflector });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([112]));
    expect(result.report.timestamps.t1).toBe('userspace');
  });

  it('accepts twampy-style 38-octet replies with the TTL unknown', async () => {
    const result = await run({ protocol: 'twamp-light' }, { protocol: 'twamp', truncateTo: 38 });
    expectAllAnswered(result);
    for (const packet of result.packets) {
      expect(packet.replyLength).toBe(38);
      expect(packet.reflectorReceivedTtl).toBeUndefined();
    }
  });
});

describe('full TWAMP session (layout and keys handed over)', () => {
  it('RFC 7750 layout: 44-octet symmetric requests and the S-DSCP-ECN the reflector saw', async () => {
    const layout = twampLayout({ security: TestSecurity.Open, dscpEcnMonitoring: true });
    const tos = native ? 0xb8 : undefined;
    const result = await run({ protocol: 'twamp', layout, ...(tos === undefined ? {} : { tos }) }, { protocol: 'twamp', layout });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([44]));
    if (native) {
      expect(result.packets[0]!.reflectorReceivedTos).toBe(0xb8);
      expect(result.report.summary.tos.forwardDscpChanged).toBe(0);
    }
  });

  it('RFC 6038 symmetrical size: the sender base is already 41 octets', async () => {
    const layout = twampLayout({ security: TestSecurity.Open, symmetricalSize: true });
    const result = await run({ protocol: 'twamp', layout }, { protocol: 'twamp', layout });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([41]));
  });

  it('RFC 6038 reflect octets: the padding holds them and the reply is as long as the request', async () => {
    const layout = twampLayout({ security: TestSecurity.Open, reflectOctets: 4 });
    const result = await run({ protocol: 'twamp', layout }, { protocol: 'twamp', layout });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([45]));
    expect(result.packets[0]!.replyLength).toBe(45);
  });

  it('encrypted session with the handed-over crypto', async () => {
    const keys = cryptoPair('encrypted', 7);
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    const result = await run({ protocol: 'twamp', layout, crypto: keys.sender }, { protocol: 'twamp', layout, crypto: keys.reflector });
    expectAllAnswered(result);
  });
});

describe('STAMP', () => {
  it('open: 44-octet requests carrying the SSID', async () => {
    const result = await run({ protocol: 'stamp', ssid: 4321 }, { protocol: 'stamp' });
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([44]));
    expect(result.report.timestamps.t1).toBe(native ? 'stamp-on-send' : 'userspace');
  });

  it('open with a Class of Service TLV: the TOS the reflector received comes back', async () => {
    const tos = native ? 0x28 : undefined;
    const result = await run(
      { protocol: 'stamp', ssid: 9, tlvs: [{ kind: 'class-of-service', flags: 0x80, dscp1: 10, dscp2: 0, ecn: 0, rp: 0 }], ...(tos === undefined ? {} : { tos }) },
      { protocol: 'stamp' },
    );
    expectAllAnswered(result);
    // 44 + the CoS TLV (4-octet header, 4-octet value).
    expect(new Set(result.lengths)).toEqual(new Set([52]));
    if (native) expect(result.packets[0]!.reflectorReceivedTos).toBe(0x28);
  });

  it('authenticated (HMAC-SHA-256): 112-octet requests, T1 written before the HMAC', async () => {
    const key = Buffer.alloc(32, 3);
    const result = await run(
      { protocol: 'stamp', ssid: 77, stampSecurity: StampSecurity.Authenticated, stampKey: key },
      { protocol: 'stamp', stampSecurity: StampSecurity.Authenticated, stampKey: key },
    );
    expectAllAnswered(result);
    expect(new Set(result.lengths)).toEqual(new Set([112]));
    expect(result.report.timestamps.t1).toBe('userspace');
  });

  it('authenticated with TLVs: an HMAC TLV is added and the reflector accepts the packets', async () => {
    const key = Buffer.alloc(32, 5);
    const result = await run(
      { protocol: 'stamp', ssid: 78, stampKey: key, tlvs: [{ kind: 'class-of-service', flags: 0x80, dscp1: 0, dscp2: 0, ecn: 0, rp: 0 }] },
      { protocol: 'stamp', stampSecurity: StampSecurity.Authenticated, stampKey: key },
    );
    expectAllAnswered(result);
    // 112 base + CoS TLV (8) + HMAC TLV (20).
    expect(new Set(result.lengths)).toEqual(new Set([140]));
  });

  it('drops replies signed with another key and counts them as malformed', async () => {
    const key = Buffer.alloc(32, 1);
    const result = await run(
      { protocol: 'stamp', ssid: 79, stampKey: key, count: 4, lossTimeoutMs: 150 },
      { protocol: 'stamp', stampSecurity: StampSecurity.Authenticated, stampKey: key, replyKey: Buffer.alloc(32, 2) },
    );
    expect(result.report.malformedReplies).toBe(4);
    expect(result.report.summary.loss).toMatchObject({ sent: 4, received: 0, lost: 4 });
  });

  it('drops TWAMP replies whose HMAC fails (reflector with other keys)', async () => {
    const mine = cryptoPair('authenticated', 1);
    const theirs = cryptoPair('authenticated', 1);
    const wrong = cryptoPair('authenticated', 9);
    const layout = twampLayout({ security: TestSecurity.Authenticated });
    // The reflector decrypts requests with the right keys but protects replies with other ones.
    const reflector = await openTestReflector({ protocol: 'twamp', layout, crypto: theirs.reflector });
    theirs.reflector.protect = (packet, kind) => {
      wrong.reflector.protect(packet, kind);
    };
    try {
      const session = await SessionSender.open({
        target: { address: '127.0.0.1', port: reflector.port },
        protocol: 'twamp-light',
        layout,
        crypto: mine.sender,
        count: 4,
        schedule: { kind: 'periodic', intervalMs: 1 },
        lossTimeoutMs: 150,
      });
      const report = await session.done;
      expect(report.malformedReplies).toBe(4);
      expect(report.summary.loss.lost).toBe(4);
    } finally {
      reflector.close();
    }
  });
});

describe('IPv6', () => {
  it('measures against ::1, replies matched by the canonical source address', async () => {
    const reflector = await openTestReflector({ protocol: 'twamp', family: 6 });
    try {
      const sender = await SessionSender.open({
        target: { address: '0:0:0:0:0:0:0:1', port: reflector.port },
        protocol: 'twamp-light',
        schedule: { kind: 'periodic', intervalMs: 1 },
        count: 5,
        lossTimeoutMs: 500,
      });
      const report = await sender.done;
      expect(report.target.address).toBe('::1');
      expect(report.summary.loss).toMatchObject({ sent: 5, received: 5 });
      expect(report.malformedReplies).toBe(0);
    } finally {
      reflector.close();
    }
  });
});

describe('T1 and T4 sources on the node:dgram fallback', () => {
  it("reports 'userspace' for both when implementation is 'dgram'", async () => {
    const result = await run({ protocol: 'twamp-light', implementation: 'dgram' }, { protocol: 'twamp' });
    expectAllAnswered(result);
    expect(result.report.capabilities.implementation).toBe('dgram');
    expect(result.report.timestamps).toEqual({ t1: 'userspace', t4: 'userspace' });
    // The fallback cannot read the reply's TTL: unknown, never a guess.
    expect(result.packets[0]!.replyTtl).toBeUndefined();
  });

  it.runIf(native)("reports 'stamp-on-send' and 'kernel' on the native socket", async () => {
    const result = await run({ protocol: 'twamp-light', implementation: 'native' }, { protocol: 'twamp' });
    expect(result.report.timestamps).toEqual({ t1: 'stamp-on-send', t4: 'kernel' });
  });
});
