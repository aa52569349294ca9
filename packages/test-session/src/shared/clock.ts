// Clock state in both directions of the Error Estimate: our ClockStatus → the field we send, and a
// peer's field → the ClockClaim @twamp/metrics judges. Shared by the sender and the reflector.
import type { ClockClaim } from '@twamp/metrics';
import type { ClockStatus } from '@twamp/udp';
import {
  ERROR_ESTIMATE_MAX_SECONDS,
  ErrorEstimateBits,
  ErrorEstimateValue,
  errorEstimateFromSeconds,
  errorEstimateSeconds,
  isValidErrorEstimate,
} from '@twamp/wire';

/**
 * The Error Estimate to send for our clock: S = 1 with the kernel's estimated error only when the
 * kernel says the clock is synchronised and gives an error; otherwise the unsynchronised value
 * (S = 0, largest error), which never understates what we know.
 */
export function errorEstimateForClock(status: ClockStatus): number {
  const error = status.estimatedErrorSeconds;
  if (!status.synchronized || error === undefined || !Number.isFinite(error) || error < 0) {
    return ErrorEstimateValue.Unsynchronized;
  }
  return errorEstimateFromSeconds(error, { synchronized: true, ptp: false });
}

/**
 * What a received Error Estimate claims about the peer's clock. The field's largest value (what an
 * unsynchronised clock sends: ours, twampy) states no bound, so its error is Infinity rather than
 * 17 000 years that reports would print as a measurement; a corrupt field (Multiplier 0) claims
 * nothing: unsynchronised and unbounded.
 */
export function clockClaimFromErrorEstimate(raw: number): ClockClaim {
  if (!isValidErrorEstimate(raw)) return { synchronized: false, errorSeconds: Infinity };
  const errorSeconds = errorEstimateSeconds(raw);
  return {
    synchronized: (raw & ErrorEstimateBits.Synchronized) !== 0,
    errorSeconds: errorSeconds >= ERROR_ESTIMATE_MAX_SECONDS ? Infinity : errorSeconds,
  };
}
