// Checks the caller's options once, at construction, so the per-packet path trusts them.
import { ConfigError, type ConfigIssue } from '@twamp/errors';
import type { LossReason, SessionStatisticsOptions } from './types.js';

export const DEFAULT_PERCENTILES: readonly number[] = [50, 90, 95, 99];
export const DEFAULT_EXACT_SAMPLE_LIMIT = 10_000;
export const DEFAULT_IN_FLIGHT_CAPACITY = 1024;
/** 2^20 slots of 49 bytes each (≈ 51 MiB): 100 kpps with a 10 s loss timeout. */
export const MAX_IN_FLIGHT_CAPACITY = 2 ** 20;
export const MAX_EXACT_SAMPLE_LIMIT = 10_000_000;

export interface ResolvedOptions {
  readonly lossTimeout: number;
  readonly capacity: number;
  readonly percentiles: readonly number[];
  readonly exactSampleLimit: number;
  readonly reflectorStateful: boolean;
  readonly sharedClock: boolean;
  readonly onLost: ((sequence: number, reason: LossReason) => void) | undefined;
  readonly sessionDistributions: boolean;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function resolveOptions(options: SessionStatisticsOptions): ResolvedOptions {
  const issues: ConfigIssue[] = [];
  const { lossTimeout } = options;
  if (typeof lossTimeout !== 'number' || !Number.isFinite(lossTimeout) || lossTimeout <= 0) {
    issues.push({ path: 'lossTimeout', expected: 'a positive number of nanoseconds', received: String(lossTimeout) });
  }
  const capacity = options.inFlightCapacity ?? DEFAULT_IN_FLIGHT_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_IN_FLIGHT_CAPACITY) {
    issues.push({ path: 'inFlightCapacity', expected: `an integer from 1 to ${MAX_IN_FLIGHT_CAPACITY}`, received: String(capacity) });
  }
  const exactSampleLimit = options.exactSampleLimit ?? DEFAULT_EXACT_SAMPLE_LIMIT;
  if (!Number.isInteger(exactSampleLimit) || exactSampleLimit < 0 || exactSampleLimit > MAX_EXACT_SAMPLE_LIMIT) {
    issues.push({ path: 'exactSampleLimit', expected: `an integer from 0 to ${MAX_EXACT_SAMPLE_LIMIT}`, received: String(exactSampleLimit) });
  }
  const percentiles = options.percentiles ?? DEFAULT_PERCENTILES;
  percentiles.forEach((p, i) => {
    if (typeof p !== 'number' || !(p > 0 && p < 100)) {
      issues.push({ path: `percentiles[${i}]`, expected: 'a number between 0 and 100 (exclusive)', received: String(p) });
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    lossTimeout,
    capacity: nextPowerOfTwo(capacity),
    percentiles: [...new Set(percentiles)],
    exactSampleLimit,
    reflectorStateful: options.reflectorStateful ?? false,
    sharedClock: options.sharedClock ?? false,
    onLost: options.onLost,
    sessionDistributions: options.sessionDistributions ?? true,
  };
}
