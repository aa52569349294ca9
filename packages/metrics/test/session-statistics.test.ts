import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { SessionStatistics, type LossReason } from '../src/index.js';
import { sample } from './helpers.js';

const MS = 1e6;

describe('SessionStatistics: in-flight table', () => {
  it('classifies counted, duplicate, late and unknown replies', () => {
    const stats = new SessionStatistics({ lossTimeout: 100 * MS });
    stats.recordSent(0, 0);
    stats.recordSent(1, 1 * MS);
    expect(stats.pending).toBe(2);
    expect(stats.nextDeadline).toBe(100 * MS);

    expect(stats.recordReply(sample(0, 0, 1 * MS, 1 * MS))).toBe('counted');
    expect(stats.recordReply(sample(0, 0, 1 * MS, 1 * MS))).toBe('duplicate');
    expect(stats.recordReply(sample(7, 0, 1 * MS, 1 * MS))).toBe('unknown');
    expect(stats.pending).toBe(1);
    expect(stats.nextDeadline).toBe(101 * MS);

    expect(stats.expire(100 * MS)).toBe(0);
    expect(stats.expire(101 * MS)).toBe(1);
    expect(stats.pending).toBe(0);
    expect(stats.nextDeadline).toBeUndefined();
    expect(stats.recordReply(sample(1, 1 * MS, 100 * MS, 100 * MS))).toBe('late');

    const { loss } = stats.summary();
    expect(loss).toMatchObject({ sent: 2, received: 1, lost: 1, lossRatio: 0.5, duplicates: 1, late: 1, unknown: 1, evicted: 0 });
  });

  it('declares a reply that arrives after its deadline late even before expire() runs', () => {
    const lost: number[] = [];
    const stats = new SessionStatistics({ lossTimeout: 10 * MS, onLost: (sequence) => lost.push(sequence) });
    stats.recordSent(5, 0);
    expect(stats.recordReply(sample(5, 0, 5 * MS, 5 * MS))).toBe('late');
    expect(lost).toEqual([5]);
    expect(stats.summary().loss).toMatchObject({ lost: 1, late: 1, received: 0 });
    expect(stats.expire(1e12)).toBe(0);
  });

  it('evicts a pending request whose slot is needed again and reports it', () => {
    const events: [number, LossReason][] = [];
    const stats = new SessionStatistics({ lossTimeout: 1e12, inFlightCapacity: 4, onLost: (s, r) => events.push([s, r]) });
    for (let s = 0; s < 6; s++) stats.recordSent(s, s);
    expect(events).toEqual([
      [0, 'evicted'],
      [1, 'evicted'],
    ]);
    expect(stats.pending).toBe(4);
    expect(stats.recordReply(sample(0, 0, 1, 1))).toBe('unknown');
    expect(stats.recordReply(sample(2, 2, 1, 1))).toBe('counted');
    expect(stats.summary().loss).toMatchObject({ sent: 6, lost: 2, evicted: 2, received: 1 });
  });

  it('grows its table instead of evicting below the capacity, and keeps recent entries for late replies', () => {
    const events: [number, LossReason][] = [];
    const stats = new SessionStatistics({ lossTimeout: 10 * MS, inFlightCapacity: 1024, onLost: (s, r) => events.push([s, r]) });
    expect(stats.byteLength).toBe(8 * 49 + 16 * 8);
    // 300 requests pending at once (1 µs apart): the table doubles to 512 slots, nothing is evicted.
    for (let s = 0; s < 300; s++) stats.recordSent(s, s * 1000);
    expect(stats.pending).toBe(300);
    expect(events).toEqual([]);
    expect(stats.byteLength).toBe(512 * 49 + 1024 * 8);
    // Every entry moved with its T1, state and ordinal: replies in any order still count.
    expect(stats.recordReply(sample(299, 299_000, MS, MS))).toBe('counted');
    expect(stats.recordReply(sample(0, 0, MS, MS))).toBe('counted');
    expect(stats.recordReply(sample(0, 0, MS, MS))).toBe('duplicate');
    expect(stats.nextDeadline).toBe(1000 + 10 * MS);
    expect(stats.expire(10 * MS + 150_000)).toBe(150);
    expect(stats.recordReply(sample(5, 5000, 6 * MS, 6 * MS))).toBe('late');
    expect(stats.summary().loss).toMatchObject({ sent: 300, received: 2, lost: 150, late: 1, duplicates: 1, evicted: 0 });
  });

  it('a slow session stays at 8 slots, and still tells a reply one loss timeout late from an unknown one', () => {
    const stats = new SessionStatistics({ lossTimeout: 3000 * MS, inFlightCapacity: 1024 });
    // 1 pps for 100 s, every other request unanswered.
    for (let s = 0; s < 100; s++) {
      const t1 = s * 1000 * MS;
      stats.expire(t1);
      stats.recordSent(s, t1);
      if (s % 2 === 0) expect(stats.recordReply(sample(s, t1, 10 * MS, 10 * MS))).toBe('counted');
    }
    // The 8-slot table, 16 arrivals of reorder history, and the window's kept values: 50 per delay in
    // a shared buffer of 64 slots for each of the 7 distributions (the IPDV ones stay empty: every other request is lost).
    expect(stats.byteLength).toBe(8 * 49 + 16 * 8 + 7 * 64 * 8);
    // Sent at 95 s, deadline 98 s, now 99 s: late. Sent at 1 s: forgotten long ago, unknown.
    expect(stats.recordReply(sample(95, 95_000 * MS, 2000 * MS, 2000 * MS))).toBe('late');
    expect(stats.recordReply(sample(1, 1000 * MS, 2000 * MS, 2000 * MS))).toBe('unknown');
    expect(stats.recordReply(sample(98, 98_000 * MS, 10 * MS, 10 * MS))).toBe('duplicate');
  });

  it('rounds the capacity up to a power of two', () => {
    const stats = new SessionStatistics({ lossTimeout: 1e12, inFlightCapacity: 3 });
    for (let s = 0; s < 4; s++) stats.recordSent(s, s);
    expect(stats.pending).toBe(4);
    stats.recordSent(4, 4);
    expect(stats.pending).toBe(4);
  });

  it('handles the 2^32 wrap of sequence numbers', () => {
    const stats = new SessionStatistics({ lossTimeout: 100 * MS });
    const first = 2 ** 32 - 2;
    for (let i = 0; i < 4; i++) stats.recordSent((first + i) % 2 ** 32, i * MS);
    for (let i = 0; i < 4; i++) expect(stats.recordReply(sample((first + i) % 2 ** 32, i * MS, MS, MS))).toBe('counted');
    const summary = stats.summary();
    expect(summary.loss).toMatchObject({ sent: 4, received: 4, lost: 0 });
    expect(summary.reorder.reordered).toBe(0);
    expect(summary.jitter.roundTrip.ipdv.count).toBe(3);
  });

  it('never crashes on garbage: non-finite times are unknown, expire(NaN) settles nothing', () => {
    const stats = new SessionStatistics({ lossTimeout: 10 * MS });
    stats.recordSent(0, 0);
    expect(stats.recordReply({ ...sample(0, 0, MS, MS), t2: Number.NaN })).toBe('unknown');
    expect(stats.recordReply({ ...sample(0, 0, MS, MS), t4: Infinity })).toBe('unknown');
    expect(stats.expire(Number.NaN)).toBe(0);
    expect(stats.pending).toBe(1);
    expect(stats.recordReply(sample(0, 0, MS, MS))).toBe('counted');
    expect(stats.summary().loss).toMatchObject({ received: 1, unknown: 2 });
  });

  it('an unreadable clock claim counts as an unbounded one', () => {
    const stats = new SessionStatistics({ lossTimeout: 10 * MS });
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, MS, MS, { reflectorClock: { synchronized: true, errorSeconds: Number.NaN } }));
    const clock = stats.summary().clock;
    expect(clock.claimedErrorSeconds).toBe(Infinity);
    expect(clock.oneWayReliable).toBe(false);
  });

  it('nextDeadline skips answered requests; expire follows send order', () => {
    const lost: number[] = [];
    const stats = new SessionStatistics({ lossTimeout: 10 * MS, onLost: (sequence) => lost.push(sequence) });
    for (let s = 0; s < 4; s++) stats.recordSent(s, s * MS);
    stats.recordReply(sample(0, 0, MS, MS));
    stats.recordReply(sample(1, MS, MS, MS));
    expect(stats.nextDeadline).toBe(12 * MS);
    expect(stats.expire(12.5 * MS)).toBe(1);
    expect(stats.nextDeadline).toBe(13 * MS);
    expect(stats.expire(Infinity)).toBe(1);
    expect(lost).toEqual([2, 3]);
  });

  it('a full FIFO settles its oldest entry when sequences skip (non-consecutive senders)', () => {
    const events: [number, LossReason][] = [];
    const stats = new SessionStatistics({ lossTimeout: 1e12, inFlightCapacity: 4, onLost: (s, r) => events.push([s, r]) });
    // Capacity 4: 1, 5, 9 and 13 share slot 1, so the FIFO fills up while 0 (slot 0) is still pending;
    // sending 13 settles the FIFO's head (0) before taking slot 1 back from 9.
    for (const s of [0, 1, 5, 9, 13]) stats.recordSent(s, s);
    expect(events).toEqual([
      [1, 'evicted'],
      [5, 'evicted'],
      [0, 'evicted'],
      [9, 'evicted'],
    ]);
    expect(stats.pending).toBe(1);
    expect(stats.nextDeadline).toBe(13 + 1e12);
    expect(stats.summary().loss).toMatchObject({ sent: 5, lost: 4, evicted: 4 });
  });

  it('the same sequence sent again while pending replaces the first request, which is lost', () => {
    const stats = new SessionStatistics({ lossTimeout: 1e12 });
    stats.recordSent(9, 0);
    stats.recordSent(9, 5);
    expect(stats.pending).toBe(1);
    expect(stats.summary().loss).toMatchObject({ sent: 2, lost: 1, evicted: 1 });
  });

  it('rejects bad options with a ConfigError', () => {
    expect(() => new SessionStatistics({ lossTimeout: 0 })).toThrow(ConfigError);
    expect(() => new SessionStatistics({ lossTimeout: 1, percentiles: [100] })).toThrow(ConfigError);
    expect(() => new SessionStatistics({ lossTimeout: 1, inFlightCapacity: 0 })).toThrow(ConfigError);
    expect(() => new SessionStatistics({ lossTimeout: 1, exactSampleLimit: -1 })).toThrow(ConfigError);
  });
});

describe('SessionStatistics: derived values', () => {
  it('computes RTT, one-way and processing from the four timestamps', () => {
    const stats = new SessionStatistics({ lossTimeout: 1e12, percentiles: [50] });
    stats.recordSent(0, 1000);
    // T1 = 1000, T2 = 1300, T3 = 1350, T4 = 1600: RTT = 600 − 50 = 550, fwd 300, bwd 250, proc 50.
    stats.recordReply({ ...sample(0, 1000, 0, 0), t2: 1300, t3: 1350, t4: 1600 });
    const s = stats.summary();
    expect(s.roundTrip).toMatchObject({ count: 1, min: 550, max: 550, mean: 550, stddev: 0, median: 550, exact: true });
    expect(s.forward.min).toBe(300);
    expect(s.backward.min).toBe(250);
    expect(s.processing.min).toBe(50);
  });

  it('windows reset while the session continues', () => {
    const stats = new SessionStatistics({ lossTimeout: 10 * MS });
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, MS, MS));
    const first = stats.takeWindow();
    expect(first.loss).toMatchObject({ sent: 1, received: 1 });
    stats.recordSent(1, MS);
    stats.expire(20 * MS);
    const second = stats.takeWindow();
    expect(second.loss).toMatchObject({ sent: 1, received: 0, lost: 1, lossRatio: 1 });
    expect(second.roundTrip.count).toBe(0);
    expect(stats.summary().loss).toMatchObject({ sent: 2, received: 1, lost: 1, lossRatio: 0.5 });
  });
});

describe('SessionStatistics: sentT1', () => {
  it('gives the T1 recorded for a sequence while the table holds it, and NaN otherwise', () => {
    const stats = new SessionStatistics({ lossTimeout: 10 * MS, inFlightCapacity: 8 });
    stats.recordSent(7, 70 * MS);
    expect(stats.sentT1(7)).toBe(70 * MS);
    expect(stats.sentT1(8)).toBeNaN();
    // Answered or lost, the entry stays (late and duplicate replies are told by it).
    stats.recordReply(sample(7, 70 * MS, MS, MS));
    expect(stats.sentT1(7)).toBe(70 * MS);
    // Sequence 15 takes the same slot in an 8-slot ring once the table no longer needs to keep 7.
    for (let s = 8; s < 16; s++) stats.recordSent(s, (70 + 100 * s) * MS);
    expect(stats.sentT1(15)).toBe(1570 * MS);
    expect(stats.sentT1(7)).toBeNaN();
  });
});
