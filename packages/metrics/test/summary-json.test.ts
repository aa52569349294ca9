import { describe, expect, it } from 'vitest';
import { delaysJson, jittersJson, msForJson, SessionStatistics } from '../src/index.js';
import { sample } from './helpers.js';

describe('summary as JSON', () => {
  it('gives milliseconds with nanosecond resolution and null for what was not measured', () => {
    expect(msForJson(1_234_567)).toBe(1.234567);
    expect(msForJson(undefined)).toBeNull();
    expect(msForJson(Number.NaN)).toBeNull();
  });

  it('names each direction and marks one-way delays with their reliability', () => {
    const statistics = new SessionStatistics({ lossTimeout: 1e9 });
    for (let sequence = 0; sequence < 4; sequence += 1) {
      const t1 = sequence * 1e6;
      statistics.recordSent(sequence, t1);
      statistics.recordReply(sample(sequence, t1, 2_000_000, 1_000_000, { processing: 5_000 }));
    }
    const summary = statistics.summary();
    const delays = delaysJson(summary);
    expect(delays.roundTrip.median).toBe(3);
    expect(delays.outbound.median).toBe(2);
    expect(delays.inbound.median).toBe(1);
    expect(delays.processing.median).toBe(0.005);
    expect(delays.outbound.reliable).toBe(summary.forward.reliable);
    const jitters = jittersJson(summary);
    expect(jitters.definition).toBe('rfc3550');
    expect(jitters.roundTrip.rfc3550).toBe(0);
  });

  it('leaves an empty window null, never zero', () => {
    const delays = delaysJson(new SessionStatistics({ lossTimeout: 1e9 }).summary());
    expect(delays.roundTrip.count).toBe(0);
    expect(delays.roundTrip.median).toBeNull();
    expect(jittersJson(new SessionStatistics({ lossTimeout: 1e9 }).summary()).outbound.rfc3550).toBeNull();
  });
});
