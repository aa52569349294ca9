// Loss timeout, late replies, and replies that must be counted and dropped (wrong source, too
// short, garbage), never thrown.
import { openUdpSocket } from '@twamp/udp';
import { describe, expect, it } from 'vitest';
import type { SenderEvent } from '../../src/index.js';
import { SessionSender } from '../../src/sender/index.js';
import { type FixtureOptions, openTestReflector } from './fixture.js';

async function run(fixture: FixtureOptions, count: number, lossTimeoutMs: number, intervalMs = 2) {
  const reflector = await openTestReflector(fixture);
  try {
    const sender = await SessionSender.open({
      target: { address: '127.0.0.1', port: reflector.port },
      protocol: 'twamp-light',
      schedule: { kind: 'periodic', intervalMs },
      count,
      lossTimeoutMs,
    });
    const events: SenderEvent[] = [];
    sender.onEvent((event) => events.push(event));
    const report = await sender.done;
    return { report, events };
  } finally {
    reflector.close();
  }
}

describe('loss timeout', () => {
  it('requests the reflector drops are lost, each with a lost event', async () => {
    const { report, events } = await run({ protocol: 'twamp', drop: (sequence) => sequence % 4 === 0 }, 12, 300);
    expect(report.summary.loss).toMatchObject({ sent: 12, received: 9, lost: 3, late: 0 });
    const lost = events.flatMap((event) => (event.type === 'lost' ? [event.sequence] : []));
    expect(lost.sort((a, b) => a - b)).toEqual([0, 4, 8]);
  });

  it('a reply after the loss timeout is late: it stays lost and is counted in late', async () => {
    // The run lasts long enough (30 × 10 ms) for the late reply to arrive before it ends.
    const { report, events } = await run({ protocol: 'twamp', delayMs: (sequence) => (sequence === 2 ? 250 : 0) }, 30, 150, 10);
    expect(report.summary.loss).toMatchObject({ sent: 30, received: 29, lost: 1, late: 1 });
    const late = events.flatMap((event) => (event.type === 'packet' && event.result.disposition === 'late' ? [event.result.sequence] : []));
    expect(late).toEqual([2]);
  });

  it('done waits for a slow (in-time) reply instead of ending at the last send', async () => {
    const { report } = await run({ protocol: 'twamp', delayMs: (sequence) => (sequence === 3 ? 150 : 0) }, 4, 1000, 1);
    expect(report.summary.loss).toMatchObject({ sent: 4, received: 4, lost: 0 });
    expect(report.durationMs).toBeGreaterThanOrEqual(140);
  });
});

describe('malformed replies', () => {
  it('counts and drops replies from another source, too short or undecodable; the run goes on', async () => {
    const reflector = await openTestReflector({ protocol: 'twamp' });
    const rogue = await openUdpSocket({ family: 4, address: '127.0.0.1' });
    try {
      const sender = await SessionSender.open({
        target: { address: '127.0.0.1', port: reflector.port },
        protocol: 'twamp-light',
        schedule: { kind: 'periodic', intervalMs: 5 },
        count: 6,
        lossTimeoutMs: 300,
      });
      // A well-formed-looking reply from the wrong port, and two short ones from the reflector's own socket.
      const reply = Buffer.alloc(41);
      rogue.send(reply, reply.length, '127.0.0.1', sender.localPort);
      reflector.socket.send(Buffer.alloc(20), 20, '127.0.0.1', sender.localPort);
      reflector.socket.send(Buffer.alloc(1), 1, '127.0.0.1', sender.localPort);
      const report = await sender.done;
      expect(report.malformedReplies).toBe(3);
      expect(report.summary.loss).toMatchObject({ sent: 6, received: 6 });
    } finally {
      rogue.close();
      reflector.close();
    }
  });

  it('a reply for a sequence number never sent is unknown, not received', async () => {
    const reflector = await openTestReflector({ protocol: 'twamp' });
    try {
      const sender = await SessionSender.open({
        target: { address: '127.0.0.1', port: reflector.port },
        protocol: 'twamp-light',
        schedule: { kind: 'periodic', intervalMs: 5 },
        count: 3,
        lossTimeoutMs: 300,
      });
      const dispositions: string[] = [];
      sender.onEvent((event) => {
        if (event.type === 'packet') dispositions.push(event.result.disposition);
      });
      const forged = Buffer.alloc(41);
      forged.writeUInt32BE(123_456, 24); // Sender Sequence Number we never sent
      reflector.socket.send(forged, 41, '127.0.0.1', sender.localPort);
      const report = await sender.done;
      expect(report.summary.loss).toMatchObject({ sent: 3, received: 3 });
      expect(dispositions.filter((d) => d === 'unknown')).toHaveLength(1);
    } finally {
      reflector.close();
    }
  });

  it('duplicated replies are duplicates', async () => {
    const reflector = await openTestReflector({ protocol: 'twamp' });
    // Answer every request twice by re-sending what the fixture sent.
    const send = reflector.socket.send.bind(reflector.socket);
    reflector.socket.send = (data, length, address, port, options) => {
      send(data, length, address, port, options);
      return send(data, length, address, port, options);
    };
    try {
      const sender = await SessionSender.open({
        target: { address: '127.0.0.1', port: reflector.port },
        protocol: 'twamp-light',
        schedule: { kind: 'periodic', intervalMs: 2 },
        count: 4,
        lossTimeoutMs: 300,
      });
      const report = await sender.done;
      expect(report.summary.loss).toMatchObject({ sent: 4, received: 4 });
      // The run ends when nothing is pending, which can be just before the last duplicate arrives.
      expect(report.summary.loss.duplicates).toBeGreaterThanOrEqual(3);
    } finally {
      reflector.close();
    }
  });
});
