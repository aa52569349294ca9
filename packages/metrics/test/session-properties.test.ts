import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionStatistics, type ReplyDisposition, type SessionSummary } from '../src/index.js';
import { sample } from './helpers.js';

const MS = 1e6;
const LOSS_TIMEOUT = 50 * MS;
const TWO_32 = 2 ** 32;

type Fate = 'forward-lost' | 'backward-lost' | 'delivered';

interface Packet {
  readonly fate: Fate;
  /** One-way delay each way, ms (the reply may overtake or be overtaken). */
  readonly delayMs: number;
  readonly duplicates: number;
}

const packetArbitrary = fc.record({
  fate: fc.constantFrom<Fate>('forward-lost', 'backward-lost', 'delivered', 'delivered', 'delivered'),
  delayMs: fc.integer({ min: 1, max: 30 }),
  duplicates: fc.constantFrom(0, 0, 0, 1),
});

/** Send time of request i: every 2 ms, the last one after a 40 ms pause (so it reaches the reflector last). */
function sendTime(i: number, count: number): number {
  return i * 2 * MS + (i === count - 1 ? 40 * MS : 0);
}

/**
 * Plays a session through SessionStatistics: requests from sequence `first` (wrapping at 2^32), a
 * stateful reflector that counts the requests in the order they reach it (T2) from `reflectorFirst`,
 * replies in arrival order, expire() every millisecond and at the end.
 */
function play(packets: readonly Packet[], first: number, reflectorFirst = 0) {
  const stats = new SessionStatistics({ lossTimeout: LOSS_TIMEOUT, reflectorStateful: true, inFlightCapacity: 64 });
  const events: { time: number; order: number; run: () => void }[] = [];
  const arrivals: number[] = [];
  const dispositions: ReplyDisposition[] = [];
  // The reflector's counter follows its own arrival order, T2.
  const reflected = packets
    .map((packet, i) => ({ i, t2: sendTime(i, packets.length) + packet.delayMs * MS, packet }))
    .filter(({ packet }) => packet.fate !== 'forward-lost')
    .sort((a, b) => a.t2 - b.t2 || a.i - b.i);
  const reflectorSequences = new Map(reflected.map(({ i }, rank) => [i, (reflectorFirst + rank) % TWO_32]));
  packets.forEach((packet, i) => {
    const sequence = (first + i) % TWO_32;
    const t1 = sendTime(i, packets.length);
    events.push({
      time: t1,
      order: 0,
      run: () => {
        stats.recordSent(sequence, t1);
      },
    });
    const reflectorSequence = reflectorSequences.get(i);
    if (reflectorSequence === undefined || packet.fate === 'backward-lost') return;
    const delay = packet.delayMs * MS;
    for (let copy = 0; copy <= packet.duplicates; copy++) {
      const t4 = t1 + 2 * delay + copy * MS;
      events.push({
        time: t4,
        order: 1,
        run: () => {
          const disposition = stats.recordReply({ ...sample(sequence, t1, delay, delay), reflectorSequence, t4 });
          dispositions.push(disposition);
          if (disposition === 'counted') arrivals.push(i);
        },
      });
    }
  });
  const end = packets.length * 2 * MS + 40 * MS + 2 * LOSS_TIMEOUT;
  for (let t = 0; t <= end; t += MS) {
    events.push({
      time: t,
      order: 2,
      run: () => {
        stats.expire(t);
      },
    });
  }
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  for (const event of events) event.run();
  stats.expire(Infinity);
  return { stats, arrivals, dispositions };
}

/** RFC 4737 reordered count of an arrival order, brute force. */
function reorderedCount(arrivals: readonly number[]): number {
  let next = -Infinity;
  let reordered = 0;
  for (const s of arrivals) {
    if (s >= next) next = s + 1;
    else reordered++;
  }
  return reordered;
}

const sessionArbitrary = fc.tuple(
  fc.array(packetArbitrary, { minLength: 1, maxLength: 40 }),
  fc.oneof(fc.constant(0), fc.integer({ min: 0, max: TWO_32 - 1 }), fc.integer({ min: TWO_32 - 30, max: TWO_32 - 1 })),
  fc.oneof(fc.constant(0), fc.integer({ min: TWO_32 - 30, max: TWO_32 - 1 })),
);

describe('SessionStatistics properties', () => {
  it('received + lost = sent once everything expired; duplicates and late are counted apart', () => {
    fc.assert(
      fc.property(sessionArbitrary, ([packets, first, reflectorFirst]) => {
        const { stats, dispositions } = play(packets, first, reflectorFirst);
        const { loss } = stats.summary();
        expect(stats.pending).toBe(0);
        expect(loss.sent).toBe(packets.length);
        expect(loss.received + loss.lost).toBe(loss.sent);
        expect(loss.received).toBe(dispositions.filter((d) => d === 'counted').length);
        expect(loss.duplicates).toBe(dispositions.filter((d) => d === 'duplicate').length);
        expect(loss.late).toBe(dispositions.filter((d) => d === 'late').length);
        expect(loss.unknown).toBe(0);
        expect(loss.lossRatio).toBe(loss.lost / loss.sent);
      }),
    );
  });

  it('per-direction loss adds up, and is exact when the last request is answered in time', () => {
    fc.assert(
      fc.property(sessionArbitrary, ([packets, first, reflectorFirst]) => {
        const withLast = [...packets, { fate: 'delivered' as const, delayMs: 1, duplicates: 0 }];
        const { stats } = play(withLast, first, reflectorFirst);
        const { loss } = stats.summary();
        expect(loss.forwardLost! + loss.backwardLost!).toBe(loss.lost);
        expect(loss.forwardLost).toBeGreaterThanOrEqual(0);
        expect(loss.backwardLost).toBeGreaterThanOrEqual(0);
        if (reflectorFirst === 0) {
          // The reflector starts counting at 0: every request it did not count was lost on the way there.
          const forwardDrops = withLast.filter((p) => p.fate === 'forward-lost').length;
          expect(loss.forwardLost).toBe(forwardDrops);
          expect(loss.backwardLost).toBe(loss.lost - forwardDrops);
        }
      }),
    );
  });

  it('counts RFC 4737 reordering as the brute-force definition does', () => {
    fc.assert(
      fc.property(sessionArbitrary, ([packets, first]) => {
        const { stats, arrivals } = play(packets, first);
        const { reorder, loss } = stats.summary();
        expect(reorder.reordered).toBe(reorderedCount(arrivals));
        expect(reorder.ratio).toBe(loss.received === 0 ? undefined : reorder.reordered / loss.received);
      }),
    );
  });

  it('windows add up to the session', () => {
    fc.assert(
      fc.property(sessionArbitrary, fc.integer({ min: 1, max: 7 }), ([packets, first], every) => {
        const stats = new SessionStatistics({ lossTimeout: LOSS_TIMEOUT, reflectorStateful: true });
        const windows: SessionSummary[] = [];
        packets.forEach((packet, i) => {
          const t1 = i * 2 * MS;
          stats.recordSent((first + i) % TWO_32, t1);
          if (packet.fate === 'delivered') stats.recordReply({ ...sample((first + i) % TWO_32, t1, packet.delayMs * MS, MS), reflectorSequence: i });
          if (i % every === 0) windows.push(stats.takeWindow());
        });
        stats.expire(Infinity);
        windows.push(stats.takeWindow());
        const session = stats.summary();
        const sum = (pick: (w: SessionSummary) => number | undefined): number | undefined =>
          windows.reduce<number | undefined>((total, w) => {
            const value = pick(w);
            return value === undefined ? total : (total ?? 0) + value;
          }, undefined) ?? 0;
        expect(sum((w) => w.loss.sent)).toBe(session.loss.sent);
        expect(sum((w) => w.loss.received)).toBe(session.loss.received);
        expect(sum((w) => w.loss.lost)).toBe(session.loss.lost);
        expect(sum((w) => w.loss.forwardLost)).toBe(session.loss.forwardLost ?? 0);
        expect(sum((w) => w.roundTrip.count)).toBe(session.roundTrip.count);
        expect(sum((w) => w.jitter.forward.ipdv.count)).toBe(session.jitter.forward.ipdv.count);
        expect(sum((w) => w.reorder.reordered)).toBe(session.reorder.reordered);
      }),
    );
  });
});
