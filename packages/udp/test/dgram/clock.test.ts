import { describe, expect, it } from 'vitest';
import { readWallClock, wallClockNanos } from '../../src/dgram/clock.js';

describe('the anchored wall clock of the fallback', () => {
  it('agrees with Date.now() (sanity bound) and never goes back', () => {
    const wall = Date.now();
    const anchored = Number(wallClockNanos() / 1_000_000n);
    expect(Math.abs(anchored - wall)).toBeLessThan(1000);
    let previous = wallClockNanos();
    for (let i = 0; i < 10_000; i += 1) {
      const now = wallClockNanos();
      expect(now >= previous).toBe(true);
      previous = now;
    }
  });

  it('splits a reading into Unix seconds and nanoseconds', () => {
    const into = { seconds: 0, nanos: 0 };
    readWallClock(into);
    expect(Number.isInteger(into.seconds)).toBe(true);
    expect(into.nanos).toBeGreaterThanOrEqual(0);
    expect(into.nanos).toBeLessThan(1e9);
    expect(Math.abs(into.seconds - Date.now() / 1000)).toBeLessThan(2);
  });
});
