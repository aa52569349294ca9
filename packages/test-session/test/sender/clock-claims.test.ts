// What the sender reports about clocks: the largest Error Estimate states no bound (Infinity, not
// 17 000 years), and sharedClock reaches the verdict.
import { ErrorEstimateValue, ERROR_ESTIMATE_MAX_SECONDS, errorEstimateFromSeconds } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { clockClaimFromErrorEstimate } from '../../src/index.js';
import { SessionSender, type SessionSenderOptions } from '../../src/sender/index.js';
import { openTestReflector } from './fixture.js';

describe('clockClaimFromErrorEstimate', () => {
  it('reads the largest value (what unsynchronised clocks send) and a corrupt one as no bound', () => {
    expect(clockClaimFromErrorEstimate(ErrorEstimateValue.Unsynchronized)).toEqual({ synchronized: false, errorSeconds: Infinity });
    expect(clockClaimFromErrorEstimate(0x8000 | 0x3fff)).toEqual({ synchronized: true, errorSeconds: Infinity });
    expect(clockClaimFromErrorEstimate(0)).toEqual({ synchronized: false, errorSeconds: Infinity });
  });

  it('keeps every bounded claim as stated', () => {
    expect(clockClaimFromErrorEstimate(ErrorEstimateValue.PerfSonarUnsynchronized)).toEqual({ synchronized: false, errorSeconds: 2 ** -32 });
    const justBelow = errorEstimateFromSeconds(ERROR_ESTIMATE_MAX_SECONDS / 2, { synchronized: true, ptp: false });
    expect(clockClaimFromErrorEstimate(justBelow).errorSeconds).toBe(ERROR_ESTIMATE_MAX_SECONDS / 2);
  });
});

describe('sharedClock', () => {
  async function run(extra: Partial<SessionSenderOptions>): Promise<Awaited<SessionSender['done']>> {
    const reflector = await openTestReflector({ protocol: 'twamp' });
    try {
      const sender = await SessionSender.open({
        target: { address: '127.0.0.1', port: reflector.port },
        protocol: 'twamp-light',
        schedule: { kind: 'periodic', intervalMs: 1 },
        count: 5,
        lossTimeoutMs: 500,
        ...extra,
      });
      return await sender.done;
    } finally {
      reflector.close();
    }
  }

  it('makes the verdict say one clock and trust one-way delays; without it the unbounded claims decide', async () => {
    const shared = await run({ sharedClock: true });
    expect(shared.summary.clock).toMatchObject({ sharedClock: true, oneWayReliable: true, reasons: [] });
    const apart = await run({});
    expect(apart.summary.clock.sharedClock).toBe(false);
    // This machine's clock may or may not be synchronised; the reflector's claim decides either way.
    if (!apart.summary.clock.bothSynchronized) expect(apart.summary.clock.oneWayReliable).toBe(false);
  });
});
