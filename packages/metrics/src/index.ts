export type * from './types.js';
export { packetDelays, roundTripTime, type ExchangeTimes, type PacketDelays } from './delays.js';
export { Distribution, nearestRank } from './distribution.js';
export { DistributionSet, MAX_SET_MEMBERS } from './distribution-set.js';
export { HISTOGRAM_BUCKETS, HISTOGRAM_BYTES, HISTOGRAM_MAX_MAGNITUDE, HISTOGRAM_MIN_MAGNITUDE, HISTOGRAM_RELATIVE_ERROR, LogHistogram } from './histogram.js';
export { InterarrivalJitter } from './jitter.js';
export { REORDER_HISTORY, ReorderTracker } from './reorder.js';
export { CLAIMED_ERROR_RTT_FRACTION, CLOCK_REASONS } from './clock-verdict.js';
export { DEFAULT_EXACT_SAMPLE_LIMIT, DEFAULT_IN_FLIGHT_CAPACITY, DEFAULT_PERCENTILES, MAX_EXACT_SAMPLE_LIMIT, MAX_IN_FLIGHT_CAPACITY } from './options.js';
export { SessionStatistics } from './session-statistics.js';
export {
  type ClockVerdictJson,
  clockVerdictJson,
  type DelaysJson,
  delaysJson,
  type DistributionJson,
  distributionJson,
  type JitterJson,
  jitterJson,
  type JittersJson,
  jittersJson,
  msForJson,
  oneWayJson,
  type PacketCountsJson,
  packetCountsJson,
} from './summary-json.js';
export { findJsonSentinels, type JsonSentinel } from './json-sentinels.js';
