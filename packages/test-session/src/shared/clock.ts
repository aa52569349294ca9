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
 * What a received Error Estimate claims about the peer's clock. A corrupt field (Multiplier 0) claims
 * nothing: unsynchronised with the largest error.
 */
export function clockClaimFromErrorEstimate(raw: number): ClockClaim {
  if (!isValidErrorEstimate(raw)) return { synchronized: false, errorSeconds: ERROR_ESTIMATE_MAX_SECONDS };
  return { synchronized: (raw & ErrorEstimateBits.Synchronized) !== 0, errorSeconds: errorEstimateSeconds(raw) };
}
