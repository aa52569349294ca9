// The clock verdict's honest edges: a claim without bound (the Error Estimate's largest value, what an
// unsynchronised clock sends) and one clock read by both ends (same process or a local reflector).
import { describe, expect, it } from 'vitest';
import { CLOCK_REASONS, type ClockClaim, clockVerdictJson, delaysJson, SessionStatistics, type SessionStatisticsOptions } from '../src/index.js';
import { sample } from './helpers.js';

const MS = 1e6;
/** What @twamp/test-session makes of the largest Error Estimate (0x3fff): no bound. */
const UNBOUNDED: ClockClaim = { synchronized: false, errorSeconds: Infinity };

function run(options: Partial<SessionStatisticsOptions>, claim: ClockClaim, forward = 2 * MS, backward = 3 * MS): SessionStatistics {
  const stats = new SessionStatistics({ lossTimeout: 100 * MS, ...options });
  for (let sequence = 0; sequence < 3; sequence += 1) {
    stats.recordSent(sequence, sequence * MS);
    stats.recordReply(sample(sequence, sequence * MS, forward, backward, { senderClock: claim, reflectorClock: claim }));
  }
  return stats;
}

describe('a claimed error without bound', () => {
  it('is null in JSON with claimedErrorUnbounded, never 1095216660480000 ms', () => {
    const json = clockVerdictJson(run({}, UNBOUNDED).summary().clock);
    expect(json.claimedErrorMs).toBeNull();
    expect(json.claimedErrorUnbounded).toBe(true);
    expect(json.oneWayReliable).toBe(false);
    expect(json.reasons).toContain(CLOCK_REASONS.claimedErrorUnbounded);
    expect(json.reasons).not.toContain(CLOCK_REASONS.claimedErrorTooLarge);
  });

  it('a bounded claim stays a number of ms, flag false; no reply: null and not unbounded', () => {
    const json = clockVerdictJson(run({}, { synchronized: true, errorSeconds: 1e-6 }).summary().clock);
    expect(json.claimedErrorMs).toBeCloseTo(0.002, 12);
    expect(json.claimedErrorUnbounded).toBe(false);
    const empty = clockVerdictJson(new SessionStatistics({ lossTimeout: MS }).summary().clock);
    expect(empty).toMatchObject({ claimedErrorMs: null, claimedErrorUnbounded: false, sharedClock: false });
  });
});

describe('one clock (sharedClock)', () => {
  it('makes one-way delays valid whatever the Error Estimates say', () => {
    const summary = run({ sharedClock: true }, UNBOUNDED).summary();
    expect(summary.clock).toMatchObject({ sharedClock: true, oneWayReliable: true, reasons: [], bothSynchronized: false });
    expect(summary.forward.reliable).toBe(true);
    expect(summary.backward.reliable).toBe(true);
    const json = clockVerdictJson(summary.clock);
    expect(json).toMatchObject({ sharedClock: true, oneWayReliable: true, claimedErrorMs: null, claimedErrorUnbounded: true });
    expect(delaysJson(summary).outbound.reliable).toBe(true);
  });

  it('applies to interval windows too', () => {
    const stats = run({ sharedClock: true }, UNBOUNDED);
    const window = stats.takeWindow();
    expect(window.clock.oneWayReliable).toBe(true);
    expect(window.forward.reliable).toBe(true);
  });

  it('still refuses negative one-way delays (the clock was stepped during the run)', () => {
    const clock = run({ sharedClock: true }, UNBOUNDED, -1 * MS, 4 * MS).summary().clock;
    expect(clock.oneWayReliable).toBe(false);
    expect(clock.reasons).toEqual([CLOCK_REASONS.negativeOneWay]);
  });

  it('without it, the same data is unreliable (two clocks, no bound)', () => {
    const clock = run({}, UNBOUNDED).summary().clock;
    expect(clock.sharedClock).toBe(false);
    expect(clock.oneWayReliable).toBe(false);
    expect(clock.reasons).toEqual([CLOCK_REASONS.senderUnsynchronized, CLOCK_REASONS.reflectorUnsynchronized, CLOCK_REASONS.claimedErrorUnbounded]);
  });
});
