// The contract of @twamp/metrics: what a session-sender records per packet, and the summaries it gets
// back. Pure data, no I/O. Every time is a JavaScript number of NANOSECONDS relative to one session
// epoch chosen by the caller (a Unix time near the session start), so that differences keep full
// precision (2^53 ns is 104 days) where absolute Unix nanoseconds would not.
//
// Nothing is clamped: negative one-way delays are recorded as they are, and the clock verdict says
// whether they mean anything.

/** A clock's own statement about itself, decoded from an RFC 4656 Error Estimate by the caller. */
export interface ClockClaim {
  /** S bit: the clock is synchronised to an external source (UTC or PTP). */
  readonly synchronized: boolean;
  /**
   * The estimated error (Scale/Multiplier) in seconds; Infinity when the clock states no bound (the
   * field's largest value, which unsynchronised clocks send, or a corrupt field).
   */
  readonly errorSeconds: number;
}

/**
 * One reply matched to its request. T1/T4 are the sender's clock, T2/T3 the reflector's, all relative
 * to the same epoch (the reflector's values converted with the same epoch, not corrected).
 */
export interface PacketSample {
  /** Session-Sender Sequence Number (as sent; uint32). */
  readonly sequence: number;
  /** Session-Reflector Sequence Number; compared with `sequence` to split loss per direction when the reflector is stateful. */
  readonly reflectorSequence: number;
  /** T1: sender transmit time. */
  readonly t1: number;
  /** T2: reflector receive time. */
  readonly t2: number;
  /** T3: reflector transmit time. */
  readonly t3: number;
  /** T4: sender receive time. */
  readonly t4: number;
  /** TTL / Hop Limit the sender set on the request, or undefined when unknown. */
  readonly sentTtl?: number | undefined;
  /** The reply's Sender TTL field (TTL of the request as the reflector received it); undefined when unknown (255 sentinel, short reply). */
  readonly reflectorReceivedTtl?: number | undefined;
  /** TTL / Hop Limit the reflector sends with (RFC 5357: 255), when known. */
  readonly reflectorSentTtl?: number | undefined;
  /** TTL / Hop Limit of the reply as the sender received it, or undefined when the socket cannot read it. */
  readonly replyTtl?: number | undefined;
  /** TOS / Traffic Class octet the sender set on the request. */
  readonly sentTos?: number | undefined;
  /** TOS octet of the request as the reflector received it (RFC 7750 S-DSCP-ECN or RFC 8972 CoS TLV). */
  readonly reflectorReceivedTos?: number | undefined;
  /** TOS octet the reflector sent the reply with, when known (CoS TLV DSCP2 / ECN). */
  readonly reflectorSentTos?: number | undefined;
  /** TOS octet of the reply as the sender received it. */
  readonly replyTos?: number | undefined;
  /** The sender's Error Estimate of its own clock (for T1/T4). */
  readonly senderClock: ClockClaim;
  /** The reflector's Error Estimate from the reply (for T2/T3). */
  readonly reflectorClock: ClockClaim;
  /** Size of the request and of the reply, octets (UDP payload). */
  readonly requestLength?: number | undefined;
  readonly replyLength?: number | undefined;
}

export interface StatisticsOptions {
  /** Percentiles to report, each in (0, 100). Default [50, 90, 95, 99]. */
  readonly percentiles?: readonly number[];
  /**
   * Samples kept exactly per distribution; beyond that a log-bucket histogram with ≤ 1 % relative
   * error takes over (bounded memory per session). Storage is taken as values arrive, so this is a
   * bound, not an allocation: many long sessions in one process want a few hundred. Default 10 000.
   */
  readonly exactSampleLimit?: number;
  /** Whether the reflector keeps its own sequence counter (per-direction loss is only known then). Default false. */
  readonly reflectorStateful?: boolean;
  /**
   * Sender and reflector read the same clock (one process, or a reflector at an address of this host):
   * there is no offset between T1/T4 and T2/T3, so one-way delays are valid whatever the clocks claim
   * about UTC. Only a negative one-way delay (a clock step during the run) still makes them
   * unreliable. Default false: the clocks are two and the Error Estimates decide.
   */
  readonly sharedClock?: boolean;
}

/** A distribution of one measured quantity, in nanoseconds. Undefined fields when count is 0. */
export interface DistributionSummary {
  readonly count: number;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly mean: number | undefined;
  /** Population standard deviation. */
  readonly stddev: number | undefined;
  readonly median: number | undefined;
  /** Keys are the requested percentiles as numbers (e.g. 99, 99.9). */
  readonly percentiles: Readonly<Record<number, number>>;
  /** True when every value was kept; false when percentiles come from the ≤ 1 % histogram. */
  readonly exact: boolean;
}

/** A one-way delay distribution with its meaning stated, never clamped. */
export interface OneWaySummary extends DistributionSummary {
  /** False when the clocks cannot support one-way figures (see ClockVerdict.reasons). */
  readonly reliable: boolean;
}

export interface JitterSummary {
  /** RFC 3550 §6.4.1 interarrival jitter (EWMA gain 1/16 of |D(i-1,i)|), final value, ns. */
  readonly rfc3550: number | undefined;
  /** IPDV (RFC 3393; RFC 5481 §4.1, the consecutive-packet form): differences of consecutive delays, as a distribution. */
  readonly ipdv: DistributionSummary;
}

export interface LossSummary {
  readonly sent: number;
  /** Distinct sequence numbers answered before their loss timeout. */
  readonly received: number;
  /** Sent and not answered in time (late replies count here and in `late`). */
  readonly lost: number;
  /**
   * lost / (received + lost): the share of the decided requests that were lost, 0..1; undefined when
   * none is decided yet. Equals lost / sent once every request is decided (end of a session), and
   * stays within 0..1 in a window, where `sent` counts other requests than `received` and `lost`.
   */
  readonly lossRatio: number | undefined;
  /** Lost on the way to the reflector / on the way back, when the reflector is stateful; otherwise undefined. */
  readonly forwardLost: number | undefined;
  readonly backwardLost: number | undefined;
  /** Replies for a sequence number already answered. */
  readonly duplicates: number;
  /** Replies that arrived after their loss timeout. */
  readonly late: number;
  /** Requests declared lost because their in-flight slot was needed again (also counted in `lost`). */
  readonly evicted: number;
  /** Replies for a sequence number never sent or no longer remembered (not in any other count). */
  readonly unknown: number;
}

/** RFC 4737 reordering over received replies (by sender sequence number). */
export interface ReorderSummary {
  /** Reordered packets (sequence below the next expected at arrival). */
  readonly reordered: number;
  /** reordered / received, 0..1. */
  readonly ratio: number | undefined;
  /** Largest reordering extent (RFC 4737 §4.2), packets. */
  readonly maxExtent: number | undefined;
}

/** Hop counts per direction from TTLs (most frequent value and range), undefined when not measurable. */
export interface HopsSummary {
  readonly forward: { readonly mode: number; readonly min: number; readonly max: number } | undefined;
  readonly backward: { readonly mode: number; readonly min: number; readonly max: number } | undefined;
}

/** DSCP / ECN changes seen per direction. Counts of packets whose value changed on the way. */
export interface TosChangeSummary {
  readonly forwardDscpChanged: number | undefined;
  readonly forwardEcnChanged: number | undefined;
  readonly backwardDscpChanged: number | undefined;
  readonly backwardEcnChanged: number | undefined;
  /** Last values seen, for display: sent → received. */
  readonly forwardLast: { readonly sent: number; readonly received: number } | undefined;
  readonly backwardLast: { readonly sent: number; readonly received: number } | undefined;
}

/** Whether one-way delays mean anything, and an estimate of the clock offset. */
export interface ClockVerdict {
  /** Both Error Estimates carry S = 1. */
  readonly bothSynchronized: boolean;
  /** Worst sum of both clocks' claimed errors, seconds; Infinity when a clock states no bound. */
  readonly claimedErrorSeconds: number | undefined;
  /** Sender and reflector read one clock (SessionStatisticsOptions.sharedClock): no offset to estimate. */
  readonly sharedClock: boolean;
  /**
   * Reflector clock minus sender clock, estimated from the data (midpoint of the round trip: the
   * mean of (T2 − T1) − (T4 − T3) over 2 with the minimum-RTT samples), ns; with its bound (half the
   * minimum RTT), ns.
   */
  readonly offsetEstimate: number | undefined;
  readonly offsetBound: number | undefined;
  /** True when one-way figures are meaningful; false otherwise. */
  readonly oneWayReliable: boolean;
  /** Why not (human-readable, stable wording), empty when reliable. */
  readonly reasons: readonly string[];
}

export interface SessionSummary {
  readonly loss: LossSummary;
  readonly roundTrip: DistributionSummary;
  readonly forward: OneWaySummary;
  readonly backward: OneWaySummary;
  /** Reflector processing time T3 − T2. */
  readonly processing: DistributionSummary;
  readonly jitter: {
    readonly roundTrip: JitterSummary;
    readonly forward: JitterSummary;
    readonly backward: JitterSummary;
  };
  readonly reorder: ReorderSummary;
  readonly hops: HopsSummary;
  readonly tos: TosChangeSummary;
  readonly clock: ClockVerdict;
}

/** What recordReply made of a reply. */
export type ReplyDisposition =
  /** The first reply for this sequence number, within its loss timeout: counted in every statistic. */
  | 'counted'
  /** Another reply for a sequence number already counted. */
  | 'duplicate'
  /** A reply after the sequence number was declared lost (it stays lost; counted in `late`). */
  | 'late'
  /** A sequence number never sent, or too old to remember (outside the in-flight window). */
  | 'unknown';

/**
 * The per-session accumulator (implemented by `SessionStatistics`). The sender calls recordSent for
 * each request, recordReply for each decoded reply, and expire(now) from its timer; metrics owns the
 * in-flight table (a ring of at most `inFlightCapacity` entries, typed arrays, no per-packet
 * allocation in steady state), so loss, duplicates and late arrivals are decided in one place.
 */
export interface SessionStatisticsOptions extends StatisticsOptions {
  /** Loss timeout in ns: a request unanswered this long after T1 is lost. */
  readonly lossTimeout: number;
  /**
   * Requests that may be outstanding at once (rounded up to a power of two; default 1024). A request
   * still outstanding when its slot is needed again is declared lost at that moment and counted in
   * `evicted` too, so the sender sizes this from rate × loss timeout. The table starts at 8 entries and
   * grows (doubling) to this only when it must keep more, so a generous value costs nothing until used.
   */
  readonly inFlightCapacity?: number;
  /**
   * Told about every request declared lost, as it happens: by expire() ('timeout'), by recordReply for
   * a reply that came after the deadline before expire() ran ('timeout'), or by recordSent reusing the
   * slot ('evicted'). Lets the sender emit per-packet loss events without a second table.
   */
  readonly onLost?: (sequence: number, reason: LossReason) => void;
  /**
   * Keep the whole session's delay and IPDV distributions (default true). False for continuous runs
   * read window by window (twampd's agent, thousands of targets): a finished window then adds only
   * its counts to the session (loss, duplicates, reordering, hops, TOS, clock evidence) and the
   * session summary's distributions are empty (count 0: not kept, never made up). Saves up to seven
   * histograms per session; windows are unchanged.
   */
  readonly sessionDistributions?: boolean;
}

/** Why a request was declared lost. */
export type LossReason = 'timeout' | 'evicted';

export interface SessionStatisticsApi {
  recordSent(sequence: number, t1: number): void;
  recordReply(sample: PacketSample): ReplyDisposition;
  /** Declare lost every request whose deadline (T1 + lossTimeout) is ≤ now. Returns how many. */
  expire(now: number): number;
  /** T1 recorded for `sequence` while the in-flight table still holds it, else NaN. */
  sentT1(sequence: number): number;
  /** Requests neither answered nor declared lost. */
  readonly pending: number;
  /** Earliest deadline among pending requests, or undefined. */
  readonly nextDeadline: number | undefined;
  /** The whole session so far. */
  summary(): SessionSummary;
  /** The reporting window since the previous call (or the start); then start a new window. */
  takeWindow(): SessionSummary;
}
