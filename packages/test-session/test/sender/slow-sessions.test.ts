// Slow sessions (one packet per 10 ms or less): many in one process, as an agent runs them. Their
// sockets receive into one shared area (native) and send each packet on its own unless the session
// has bursts. What must hold: every session gets exactly its own replies (each has its own request
// size here, so a reply read from another socket's slot would show), bursts still leave together,
// and the fallback behaves the same. Loopback only; small counts, generous timeouts.
import { describe, expect, it } from 'vitest';
import type { PacketResult, SenderEvent } from '../../src/index.js';
import { SessionSender } from '../../src/sender/index.js';
import { openTestReflector } from './fixture.js';

const SESSIONS = 24;
const COUNT = 8;

describe.each(['native', 'dgram'] as const)('slow sessions (%s)', (implementation) => {
  it('many slow sessions in one process: each one gets exactly its own replies', async () => {
    const reflector = await openTestReflector({ protocol: 'twamp', implementation });
    try {
      const senders = await Promise.all(
        Array.from({ length: SESSIONS }, (_, k) =>
          SessionSender.open({
            target: { address: '127.0.0.1', port: reflector.port },
            protocol: 'twamp-light',
            schedule: { kind: 'periodic', intervalMs: 20 },
            count: COUNT,
            // A request size of its own per session (14 + 40 + 4k octets), longer than the reply
            // base (41), so the reply is exactly as long as the request.
            padding: 40 + 4 * k,
            lossTimeoutMs: 2000,
            implementation,
          }),
        ),
      );
      const packets = senders.map(() => [] as PacketResult[]);
      senders.forEach((sender, k) => {
        sender.onEvent((event: SenderEvent) => {
          if (event.type === 'packet') packets[k]?.push(event.result);
        });
      });
      const reports = await Promise.all(senders.map((sender) => sender.done));
      reports.forEach((report, k) => {
        expect(report.summary.loss).toMatchObject({ sent: COUNT, received: COUNT, lost: 0 });
        expect(report.malformedReplies).toBe(0);
        expect(report.sendErrors).toBe(0);
        const own = packets[k] ?? [];
        expect(own.map((p) => p.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
        const length = own[0]?.requestLength ?? 0;
        expect(length).toBeGreaterThan(0);
        for (const p of own) {
          expect(p.requestLength).toBe(length);
          // The reflector answers with as many octets as it was sent: this session's size, nobody else's.
          expect(p.replyLength).toBe(length);
          expect(p.rtt).toBeGreaterThan(0);
        }
      });
      // Each session's size is its own.
      expect(new Set(packets.map((own) => own[0]?.requestLength)).size).toBe(SESSIONS);
    } finally {
      reflector.close();
    }
  });

  it('a slow session with bursts still sends each burst together, every request answered', async () => {
    const reflector = await openTestReflector({ protocol: 'twamp', implementation });
    try {
      const sender = await SessionSender.open({
        target: { address: '127.0.0.1', port: reflector.port },
        protocol: 'twamp-light',
        schedule: { kind: 'periodic', intervalMs: 50 },
        burst: 4,
        count: 12,
        lossTimeoutMs: 2000,
        implementation,
      });
      const packets: PacketResult[] = [];
      sender.onEvent((event: SenderEvent) => {
        if (event.type === 'packet') packets.push(event.result);
      });
      const report = await sender.done;
      expect(report.summary.loss).toMatchObject({ sent: 12, received: 12, lost: 0 });
      expect(report.sendErrors).toBe(0);
      packets.sort((a, b) => a.sequence - b.sequence);
      expect(packets.map((p) => p.sequence)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      if (report.capabilities.batching) {
        // Queued and flushed once per burst: one clock read, one T1 per burst.
        for (let b = 0; b < 3; b++) expect(new Set(packets.slice(4 * b, 4 * b + 4).map((p) => p.t1)).size).toBe(1);
      }
    } finally {
      reflector.close();
    }
  });
});
