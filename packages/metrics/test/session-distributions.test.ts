import { describe, expect, it } from 'vitest';
import { SessionStatistics } from '../src/index.js';
import { sample } from './helpers.js';

/** 2 000 replies in windows of 60 (a minute at 1 packet/s), IPDV spread over both signs. */
function run(sessionDistributions: boolean | undefined): { readonly statistics: SessionStatistics; readonly windows: number[] } {
  const statistics = new SessionStatistics({ lossTimeout: 1e9, exactSampleLimit: 256, ...(sessionDistributions === undefined ? {} : { sessionDistributions }) });
  const windows: number[] = [];
  for (let sequence = 0; sequence < 2000; sequence += 1) {
    const t1 = sequence * 1e9;
    statistics.recordSent(sequence, t1);
    statistics.recordReply(sample(sequence, t1, 1_000_000 + ((sequence * 7919) % 50_000), 900_000 + ((sequence * 104_729) % 70_000)));
    if (sequence % 60 === 59) windows.push(statistics.takeWindow().roundTrip.count);
  }
  return { statistics, windows };
}

describe('sessionDistributions: false (windows only)', () => {
  it('keeps every window whole and the session counts, but no session distributions', () => {
    const { statistics, windows } = run(false);
    expect(windows.every((count) => count === 60)).toBe(true);
    const session = statistics.summary();
    expect(session.loss.sent).toBe(2000);
    expect(session.loss.received).toBe(2000);
    // Not kept, so not reported: count 0 and no values, never a window passed off as the session.
    expect(session.roundTrip.count).toBe(0);
    expect(session.roundTrip.median).toBeUndefined();
    expect(session.jitter.forward.ipdv.count).toBe(0);
  });

  it('holds less than a session that keeps its distributions, and stays bounded by one window', () => {
    const kept = run(undefined).statistics;
    const windowsOnly = run(false).statistics;
    expect(kept.summary().roundTrip.count).toBe(2000);
    expect(windowsOnly.byteLength).toBeLessThan(kept.byteLength);
    // The window's exact buffers (≤ 64 values of 7 distributions) and the small tables, nothing more.
    expect(windowsOnly.byteLength).toBeLessThan(16 * 1024);
  });
});
