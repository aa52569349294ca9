// Events: the synchronous handler, the bounded async iterable, interval summaries.
import { describe, expect, it } from 'vitest';
import type { SenderEvent } from '../../src/index.js';
import { SessionSender, type SessionSenderOptions } from '../../src/sender/index.js';
import { BoundedEventQueue } from '../../src/sender/event-queue.js';
import { openTestReflector } from './fixture.js';

async function withReflector<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const reflector = await openTestReflector({ protocol: 'twamp' });
  try {
    return await fn(reflector.port);
  } finally {
    reflector.close();
  }
}

function options(port: number, extra: Partial<SessionSenderOptions> = {}): SessionSenderOptions {
  return { target: { address: '127.0.0.1', port }, protocol: 'twamp-light', schedule: { kind: 'periodic', intervalMs: 1 }, count: 10, lossTimeoutMs: 500, ...extra };
}

describe('events()', () => {
  it('yields every packet result and ends when the run is done', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port));
      const seen: SenderEvent[] = [];
      for await (const event of sender.events()) seen.push(event);
      const report = await sender.done;
      expect(seen.filter((e) => e.type === 'packet')).toHaveLength(10);
      expect(report.eventsDropped).toBe(0);
    });
  });

  it('drops and counts events beyond eventQueueLimit when nobody reads them', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { eventQueueLimit: 3 }));
      const iterable = sender.events();
      const report = await sender.done;
      expect(report.eventsDropped).toBe(7);
      const seen: SenderEvent[] = [];
      for await (const event of iterable) seen.push(event);
      expect(seen).toHaveLength(3);
    });
  });

  it('ends at once when asked for after the run is over', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { count: 2 }));
      await sender.done;
      const seen: SenderEvent[] = [];
      for await (const event of sender.events()) seen.push(event);
      expect(seen).toEqual([]);
    });
  });
});

describe('onEvent()', () => {
  it('with reusePacketResults hands one refilled result per reply, correct during the call; events() still gets its own', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { count: 6 }));
      const results = new Set<object>();
      const seen: { sequence: number; rtt: number; rttAgain: number }[] = [];
      sender.onEvent(
        (event) => {
          if (event.type !== 'packet') return;
          results.add(event.result);
          const r = event.result;
          seen.push({ sequence: r.sequence, rtt: r.rtt, rttAgain: r.t4 - r.t1 - (r.t3 - r.t2) });
        },
        { reusePacketResults: true },
      );
      await sender.done;
      expect(results.size).toBe(1);
      expect(seen.map((s) => s.sequence).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
      for (const s of seen) expect(s.rtt).toBe(s.rttAgain);

      // With a queue as well, every packet event is an object of its own again.
      const second = await SessionSender.open(options(port, { count: 4 }));
      const handled = new Set<object>();
      second.onEvent((event) => event.type === 'packet' && handled.add(event.result), { reusePacketResults: true });
      const queued: SenderEvent[] = [];
      for await (const event of second.events()) queued.push(event);
      expect(handled.size).toBe(4);
      expect(new Set(queued.map((e) => (e.type === 'packet' ? e.result : undefined))).size).toBe(4);
    });
  });

  it('a throwing handler does not stop the run; its events count as dropped', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { count: 4 }));
      sender.onEvent(() => {
        throw new Error('handler bug');
      });
      const report = await sender.done;
      expect(report.summary.loss.received).toBe(4);
      expect(report.eventsDropped).toBe(4);
    });
  });

  it('stop() from inside the handler ends the run cleanly, even mid-batch', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { count: 50, burst: 10, schedule: { kind: 'periodic', intervalMs: 200 } }));
      sender.onEvent((event) => {
        if (event.type === 'packet') sender.stop();
      });
      const report = await sender.done;
      expect(report.aborted).toBe(true);
      expect(report.summary.loss.sent).toBeLessThan(50);
      expect(report.summary.loss.received + report.summary.loss.lost).toBe(report.summary.loss.sent);
    });
  });

  it('stop() from the onSendTiming hook sends nothing more', async () => {
    await withReflector(async (port) => {
      let sends = 0;
      const sender: SessionSender = await SessionSender.open(
        options(port, {
          count: 50,
          burst: 5,
          onSendTiming: () => {
            sends += 1;
            if (sends === 3) sender.stop();
          },
        }),
      );
      const report = await sender.done;
      // A batching socket sends a slot's burst with one flush and runs the hook after it: the stop
      // takes effect after that flush (the burst already left; on a loaded machine two slots can
      // fall due in one tick and share the flush, so whole bursts, never a part of one, and far from
      // the count). Otherwise after the third packet.
      const sent = report.summary.loss.sent;
      if (report.capabilities.batching) {
        expect(sent % 5).toBe(0);
        expect(sent).toBeGreaterThanOrEqual(5);
        expect(sent).toBeLessThan(50);
      } else {
        expect(sent).toBe(3);
      }
      expect(sends).toBe(report.summary.loss.sent);
      expect(report.aborted).toBe(true);
    });
  });

  it('interval summaries every intervalReportMs, plus the last partial window', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { count: 30, schedule: { kind: 'periodic', intervalMs: 5 }, intervalReportMs: 40 }));
      const intervals: { index: number; sent: number }[] = [];
      sender.onEvent((event) => {
        if (event.type === 'interval') intervals.push({ index: event.index, sent: event.summary.loss.sent });
      });
      const report = await sender.done;
      expect(intervals.length).toBeGreaterThanOrEqual(2);
      expect(intervals.map((i) => i.index)).toEqual(intervals.map((_, k) => k));
      expect(intervals.reduce((sum, i) => sum + i.sent, 0)).toBe(report.summary.loss.sent);
    });
  });

  it('a slow session (shared timer queue) reports its intervals too, and they add up to the run', async () => {
    await withReflector(async (port) => {
      // 1 packet per 20 ms is a slow session: its interval reports come from the shared timer queue.
      const sender = await SessionSender.open(options(port, { count: 12, schedule: { kind: 'periodic', intervalMs: 20 }, intervalReportMs: 50 }));
      const intervals: { index: number; sent: number; received: number }[] = [];
      sender.onEvent((event) => {
        if (event.type === 'interval') intervals.push({ index: event.index, sent: event.summary.loss.sent, received: event.summary.loss.received });
      });
      const started = performance.now();
      const report = await sender.done;
      const elapsed = performance.now() - started;
      expect(intervals.length).toBeGreaterThanOrEqual(3);
      // One per 50 ms boundary passed (none twice), plus the last partial window.
      expect(intervals.length).toBeLessThanOrEqual(Math.floor(elapsed / 50) + 1);
      expect(intervals.map((i) => i.index)).toEqual(intervals.map((_, k) => k));
      expect(intervals.reduce((sum, i) => sum + i.sent, 0)).toBe(report.summary.loss.sent);
      expect(intervals.reduce((sum, i) => sum + i.received, 0)).toBe(report.summary.loss.received);
    });
  });

  it('sessionDistributions: false keeps the intervals whole and reports no run-long distribution', async () => {
    await withReflector(async (port) => {
      const sender = await SessionSender.open(options(port, { count: 30, schedule: { kind: 'periodic', intervalMs: 5 }, intervalReportMs: 40, sessionDistributions: false }));
      const received: number[] = [];
      sender.onEvent((event) => {
        if (event.type === 'interval') {
          expect(event.summary.roundTrip.count).toBe(event.summary.loss.received);
          received.push(event.summary.loss.received);
        }
      });
      const report = await sender.done;
      expect(report.summary.loss.received).toBe(30);
      expect(received.reduce((sum, n) => sum + n, 0)).toBe(30);
      expect(report.summary.roundTrip.count).toBe(0);
      expect(report.summary.roundTrip.median).toBeUndefined();
    });
  });
});

describe('BoundedEventQueue', () => {
  it('hands items to a waiting reader, keeps order, bounds memory', async () => {
    const queue = new BoundedEventQueue<number>(2);
    const waiting = queue.next();
    queue.push(1);
    expect(await waiting).toEqual({ value: 1, done: false });
    queue.push(2);
    queue.push(3);
    queue.push(4);
    expect(queue.dropped).toBe(1);
    expect(await queue.next()).toEqual({ value: 2, done: false });
    queue.close();
    expect(await queue.next()).toEqual({ value: 3, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
