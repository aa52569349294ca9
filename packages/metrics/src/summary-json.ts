// A summary as JSON: delays in milliseconds as numbers with nanosecond resolution, and null (never 0)
// for what was not measured. One shape for every consumer (the CLI's --json and JSON Lines, the
// daemon's agent records), so a dashboard or a script reads the same fields everywhere.
import { percentileRecord } from './percentile-record.js';
import type { ClockVerdict, DistributionSummary, JitterSummary, OneWaySummary, SessionSummary } from './types.js';

/** Nanoseconds as milliseconds for JSON: full nanosecond resolution, null when not measured. */
export function msForJson(ns: number | undefined): number | null {
  if (ns === undefined || !Number.isFinite(ns)) return null;
  return Math.round(ns) / 1e6;
}

export interface DistributionJson {
  readonly count: number;
  readonly min: number | null;
  readonly median: number | null;
  readonly mean: number | null;
  readonly max: number | null;
  readonly stddev: number | null;
  readonly percentiles: Record<string, number | null>;
  readonly exact: boolean;
}

/** Delays per direction, ms (shared by the summary and the interval records). */
export interface DelaysJson {
  readonly outbound: DistributionJson & { readonly reliable: boolean };
  readonly inbound: DistributionJson & { readonly reliable: boolean };
  readonly roundTrip: DistributionJson;
  readonly processing: DistributionJson;
}

/** Jitter per direction, ms, with its definition named. */
export interface JittersJson {
  readonly definition: 'rfc3550';
  readonly outbound: JitterJson;
  readonly inbound: JitterJson;
  readonly roundTrip: JitterJson;
}

/** The delays of a summary (session or window) as JSON. */
export function delaysJson(summary: SessionSummary): DelaysJson {
  return {
    outbound: oneWayJson(summary.forward),
    inbound: oneWayJson(summary.backward),
    roundTrip: distributionJson(summary.roundTrip),
    processing: distributionJson(summary.processing),
  };
}

/** The jitter of a summary (session or window) as JSON. */
export function jittersJson(summary: SessionSummary): JittersJson {
  return {
    definition: 'rfc3550',
    outbound: jitterJson(summary.jitter.forward),
    inbound: jitterJson(summary.jitter.backward),
    roundTrip: jitterJson(summary.jitter.roundTrip),
  };
}

export interface JitterJson {
  /** RFC 3550 interarrival jitter, final value. */
  readonly rfc3550: number | null;
  /** IPDV (RFC 5481 §4.2): differences of consecutive delays, as a distribution. */
  readonly ipdv: DistributionJson;
}

export function distributionJson(d: DistributionSummary): DistributionJson {
  const percentiles = percentileRecord<string, number | null>();
  for (const key in d.percentiles) percentiles[key] = msForJson(d.percentiles[Number(key)]);
  return {
    count: d.count,
    min: msForJson(d.min),
    median: msForJson(d.median),
    mean: msForJson(d.mean),
    max: msForJson(d.max),
    stddev: msForJson(d.stddev),
    percentiles,
    exact: d.exact,
  };
}

export function oneWayJson(d: OneWaySummary): DistributionJson & { readonly reliable: boolean } {
  const { count, min, median, mean, max, stddev, percentiles, exact } = distributionJson(d);
  return { count, min, median, mean, max, stddev, percentiles, exact, reliable: d.reliable };
}

export function jitterJson(j: JitterSummary): JitterJson {
  return { rfc3550: msForJson(j.rfc3550), ipdv: distributionJson(j.ipdv) };
}


/** The packet counts of a summary (session or window); per-direction loss null when unknown (stateless reflector). */
export interface PacketCountsJson {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly lossRatio: number | null;
  readonly outboundLost: number | null;
  readonly inboundLost: number | null;
  readonly duplicates: number;
  readonly late: number;
  readonly reordered: number;
}

export function packetCountsJson(summary: SessionSummary): PacketCountsJson {
  const { loss, reorder } = summary;
  return {
    sent: loss.sent,
    received: loss.received,
    lost: loss.lost,
    lossRatio: loss.lossRatio ?? null,
    outboundLost: loss.forwardLost ?? null,
    inboundLost: loss.backwardLost ?? null,
    duplicates: loss.duplicates,
    late: loss.late,
    reordered: reorder.reordered,
  };
}

/** What the clocks allow (ClockVerdict) as JSON: milliseconds, null when not known. */
export interface ClockVerdictJson {
  readonly bothSynchronized: boolean;
  /** The claimed error sum, ms; null when unknown (no reply) or unbounded (see claimedErrorUnbounded). */
  readonly claimedErrorMs: number | null;
  /** A clock states no bound on its error: claimedErrorMs is null, never the field's 17 000-year maximum. */
  readonly claimedErrorUnbounded: boolean;
  /** Sender and reflector read one clock (same process or a local address): one-way delays need no synchronisation. */
  readonly sharedClock: boolean;
  readonly offsetEstimateMs: number | null;
  readonly offsetBoundMs: number | null;
  readonly oneWayReliable: boolean;
  readonly reasons: readonly string[];
}

export function clockVerdictJson(clock: ClockVerdict): ClockVerdictJson {
  const { claimedErrorSeconds } = clock;
  return {
    bothSynchronized: clock.bothSynchronized,
    // Seconds to ms as a number; a claim without bound (Infinity) is null with the flag, never a sentinel.
    claimedErrorMs: claimedErrorSeconds === undefined || !Number.isFinite(claimedErrorSeconds) ? null : claimedErrorSeconds * 1000,
    claimedErrorUnbounded: claimedErrorSeconds === Infinity,
    sharedClock: clock.sharedClock,
    offsetEstimateMs: msForJson(clock.offsetEstimate),
    offsetBoundMs: msForJson(clock.offsetBound),
    oneWayReliable: clock.oneWayReliable,
    reasons: clock.reasons,
  };
}
