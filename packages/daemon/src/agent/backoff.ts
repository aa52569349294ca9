// Retry delays after a target fails: exponential from the first delay to the maximum, with ±20 %
// jitter so that many targets failing together (a server restart) do not all come back in the same tick.

/** Share of the delay drawn at random either side of it. */
export const RETRY_JITTER = 0.2;

export interface RetrySettings {
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
}

/**
 * The delay before attempt `failures + 1`, after `failures` (≥ 1) consecutive failures:
 * retryInitialMs × 2^(failures − 1), at most retryMaxMs, then ±20 % jitter. `random` returns [0, 1).
 */
export function retryDelayMs(failures: number, settings: RetrySettings, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  // 2^exponent overflows to Infinity after ~1000 failures; min() keeps it at the maximum.
  const nominal = Math.min(settings.retryMaxMs, settings.retryInitialMs * 2 ** exponent);
  const factor = 1 + RETRY_JITTER * (2 * random() - 1);
  return Math.max(0, Math.round(nominal * factor));
}
