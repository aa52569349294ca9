// Batched sending: on a batching socket (native), every packet due in one tick is queued and leaves
// with one flush. T1 is recorded per sequence from the flush's stamps: the packets of one burst
// share the T1 of their sendmmsg() with stamp-on-send, and keep their own when the sender writes T1
// (encrypted mode). Every request is still answered and counted once; the fallback sends one
// at a time and behaves the same. Loopback only; small counts.
import { describe, expect, it } from 'vitest';
import { TestSecurity, twampLayout } from '@twamp/wire';
import type { PacketResult, SenderEvent } from '../../src/index.js';
import { SessionSender, type SessionSenderOptions } from '../../src/sender/index.js';
import { cryptoPair, type FixtureOptions, openTestReflector } from './fixture.js';

interface Run {
  readonly packets: PacketResult[];
  readonly report: Awaited<SessionSender['done']>;
}

async function run(sender: Omit<SessionSenderOptions, 'target'>, fixture: FixtureOptions): Promise<Run> {
  const reflector = await openTestReflector(fixture);
  try {
    const session = await SessionSender.open({ target: { address: '127.0.0.1', port: reflector.port }, lossTimeoutMs: 500, ...sender });
    const packets: PacketResult[] = [];
    session.onEvent((event: SenderEvent) => {
      if (event.type === 'packet') packets.push(event.result);
    });
    const report = await session.done;
    packets.sort((a, b) => a.sequence - b.sequence);
    return { packets, report };
  } finally {
    reflector.close();
  }
}

/** T1 values of each burst (`burst` consecutive sequences). */
function bursts(packets: readonly PacketResult[], burst: number): number[][] {
  const groups: number[][] = [];
  for (const p of packets) (groups[Math.floor(p.sequence / burst)] ??= []).push(p.t1);
  return groups;
}

describe.each(['native', 'dgram'] as const)('sender batching (%s)', (implementation) => {
  it('sends bursts with one flush each: every request answered once, T1 per sequence', async () => {
    const { packets, report } = await run(
      { protocol: 'twamp-light', schedule: { kind: 'periodic', intervalMs: 5 }, burst: 16, count: 64, implementation, onSendTiming: () => undefined },
      { protocol: 'twamp', implementation },
    );
    expect(report.summary.loss).toMatchObject({ sent: 64, received: 64, lost: 0 });
    expect(report.sendErrors).toBe(0);
    expect(report.packetsSent).toBe(64);
    expect(packets.map((p) => p.sequence)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    for (const p of packets) {
      expect(p.disposition).toBe('counted');
      expect(p.rtt).toBeGreaterThan(0);
      // The reflector echoes T1 as it was on the wire: the sender's record and the packet agree
      // within the NTP fraction's resolution.
      expect(p.t2).toBeGreaterThan(p.t1 - 1000);
    }
    const groups = bursts(packets, 16);
    expect(groups).toHaveLength(4);
    if (report.capabilities.batching) {
      // One clock read per flush: a burst shares its T1.
      for (const group of groups) expect(new Set(group).size).toBe(1);
    }
    for (let i = 1; i < groups.length; i++) expect(groups[i]![0]!).toBeGreaterThanOrEqual(groups[i - 1]![0]!);
  });

  it('encrypted mode: T1 written by the sender before protection, per packet, and increasing', async () => {
    const keys = cryptoPair('encrypted');
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    const { packets, report } = await run(
      { protocol: 'twamp-light', layout, crypto: keys.sender, schedule: { kind: 'periodic', intervalMs: 5 }, burst: 8, count: 32, implementation },
      { protocol: 'twamp', layout, crypto: keys.reflector, implementation },
    );
    expect(report.summary.loss).toMatchObject({ sent: 32, received: 32, lost: 0 });
    expect(report.timestamps.t1).toBe('userspace');
    for (let i = 1; i < packets.length; i++) expect(packets[i]!.t1).toBeGreaterThanOrEqual(packets[i - 1]!.t1);
  });

  it('a count that ends inside a burst sends exactly the count', async () => {
    const { report } = await run(
      { protocol: 'twamp-light', schedule: { kind: 'periodic', intervalMs: 2 }, burst: 10, count: 25, implementation },
      { protocol: 'twamp', implementation },
    );
    expect(report.summary.loss).toMatchObject({ sent: 25, received: 25, lost: 0 });
    expect(report.schedule.slots).toBe(3);
  });
});
