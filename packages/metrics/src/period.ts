// Everything counted over one period (the whole session, or one reporting window). SessionStatistics
// keeps two of these and feeds both with the values it derived once per packet.
import { ClockEvidence, judgeClocks } from './clock-verdict.js';
import { DistributionSet, emptyDistributionSummary, withReliability } from './distribution-set.js';
import type { DistributionSummary, HopsSummary, SessionSummary, TosChangeSummary } from './types.js';

/** TTL / Hop Limit differences are 0..255; anything else means a bad field and is dropped. */
const HOP_VALUES = 256;
/** The most bytes of counts one hop counter can hold: a (hops, count) pair of doubles for every value. */
export const HOP_COUNTER_MAX_BYTES = HOP_VALUES * 2 * Float64Array.BYTES_PER_ELEMENT;

/**
 * Hop counts of one direction as (hops, count) pairs of the values seen. A path shows one or two hop
 * counts, so a short plain array is smaller than any table of 256 counts (an agent keeps two of these
 * per period for thousands of sessions) and its search is a comparison or two per packet; 256
 * distinct values bound it.
 */
class HopCounter {
  /** hops at even indexes, their counts after them; made on first use. */
  #pairs: number[] | undefined;
  total = 0;

  get byteLength(): number {
    return (this.#pairs?.length ?? 0) * Float64Array.BYTES_PER_ELEMENT;
  }

  add(hops: number): void {
    if (!(hops >= 0 && hops < HOP_VALUES)) return;
    this.#count(hops | 0, 1);
    this.total++;
  }

  /** Counts back to zero; the values seen stay listed (with count 0), so the next period allocates nothing. */
  reset(): void {
    const pairs = this.#pairs;
    if (pairs !== undefined) for (let i = 1; i < pairs.length; i += 2) pairs[i] = 0;
    this.total = 0;
  }

  mergeFrom(other: HopCounter): void {
    const theirs = other.#pairs;
    if (theirs === undefined) return;
    for (let i = 0; i < theirs.length; i += 2) this.#count(theirs[i] ?? 0, theirs[i + 1] ?? 0);
    this.total += other.total;
  }

  /** Mode (the smallest value on a tie), min and max, or undefined when nothing was counted. */
  summary(): { readonly mode: number; readonly min: number; readonly max: number } | undefined {
    const pairs = this.#pairs;
    if (this.total === 0 || pairs === undefined) return undefined;
    let mode = -1;
    let modeCount = 0;
    let min = HOP_VALUES;
    let max = -1;
    for (let i = 0; i < pairs.length; i += 2) {
      const hops = pairs[i] ?? 0;
      const count = pairs[i + 1] ?? 0;
      if (count === 0) continue;
      if (hops < min) min = hops;
      if (hops > max) max = hops;
      if (count > modeCount || (count === modeCount && hops < mode)) {
        mode = hops;
        modeCount = count;
      }
    }
    return { mode, min, max };
  }

  #count(hops: number, count: number): void {
    const pairs = (this.#pairs ??= []);
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === hops) {
        pairs[i + 1] = (pairs[i + 1] ?? 0) + count;
        return;
      }
    }
    pairs.push(hops, count);
  }
}

/** DSCP / ECN changes in one direction: packets with both octets known, and how many changed. */
class TosCounter {
  compared = 0;
  dscpChanged = 0;
  ecnChanged = 0;
  lastSent = 0;
  lastReceived = 0;

  add(sent: number, received: number): void {
    this.compared++;
    if (sent >> 2 !== received >> 2) this.dscpChanged++;
    if ((sent & 3) !== (received & 3)) this.ecnChanged++;
    this.lastSent = sent;
    this.lastReceived = received;
  }

  reset(): void {
    this.compared = 0;
    this.dscpChanged = 0;
    this.ecnChanged = 0;
  }

  mergeFrom(other: TosCounter): void {
    if (other.compared === 0) return;
    this.compared += other.compared;
    this.dscpChanged += other.dscpChanged;
    this.ecnChanged += other.ecnChanged;
    this.lastSent = other.lastSent;
    this.lastReceived = other.lastReceived;
  }
}

/** Shared figures a period's summary needs from the session-wide state. */
export interface PeriodContext {
  readonly percentiles: readonly number[];
  /** Sender and reflector read one clock (see SessionStatisticsOptions.sharedClock). */
  readonly sharedClock: boolean;
  readonly forwardLost: number | undefined;
  readonly jitterRoundTrip: number | undefined;
  readonly jitterForward: number | undefined;
  readonly jitterBackward: number | undefined;
}

/** Members of a period's DistributionSet. */
export const DIST = {
  roundTrip: 0,
  forward: 1,
  backward: 2,
  processing: 3,
  ipdvRoundTrip: 4,
  ipdvForward: 5,
  ipdvBackward: 6,
} as const;
/** Distributions per period: round trip, forward, backward, processing, IPDV ×3. */
const DISTRIBUTIONS = 7;

/** A period's delay distributions, each keeping up to `exactSampleLimit` values exactly. */
export function periodDelays(exactSampleLimit: number): DistributionSet {
  return new DistributionSet(DISTRIBUTIONS, exactSampleLimit);
}

export class PeriodAccumulator {
  sent = 0;
  received = 0;
  lost = 0;
  evicted = 0;
  duplicates = 0;
  late = 0;
  unknown = 0;
  reordered = 0;
  maxExtent = 0;
  /** Consecutive-arrival differences fed to the RFC 3550 estimators during this period. */
  jitterUpdates = 0;

  /** The period's delay distributions (members in DIST); undefined for a period that keeps only counts. */
  readonly delays: DistributionSet | undefined;
  readonly hopsForward = new HopCounter();
  readonly hopsBackward = new HopCounter();
  readonly tosForward = new TosCounter();
  readonly tosBackward = new TosCounter();
  readonly clock = new ClockEvidence();

  /** @param delays the period's distributions (see periodDelays()); undefined: the period keeps counts only */
  constructor(delays: DistributionSet | undefined) {
    this.delays = delays;
  }

  /** Bytes of sample storage held now: the distributions' and the hop counters'. */
  get byteLength(): number {
    return this.hopsForward.byteLength + this.hopsBackward.byteLength + (this.delays?.byteLength ?? 0);
  }

  /** The largest byteLength a period can reach: every distribution at its bound and both hop counters full. */
  static maxByteLength(exactSampleLimit: number): number {
    return DistributionSet.maxByteLength(DISTRIBUTIONS, exactSampleLimit) + 2 * HOP_COUNTER_MAX_BYTES;
  }

  reset(): void {
    this.sent = 0;
    this.received = 0;
    this.lost = 0;
    this.evicted = 0;
    this.duplicates = 0;
    this.late = 0;
    this.unknown = 0;
    this.reordered = 0;
    this.maxExtent = 0;
    this.jitterUpdates = 0;
    this.delays?.reset();
    this.hopsForward.reset();
    this.hopsBackward.reset();
    this.tosForward.reset();
    this.tosBackward.reset();
    this.clock.reset();
  }

  /**
   * Add a later period's counts to this one (the session absorbing a finished window), and its
   * distributions when both periods keep them.
   */
  mergeFrom(other: PeriodAccumulator): void {
    this.sent += other.sent;
    this.received += other.received;
    this.lost += other.lost;
    this.evicted += other.evicted;
    this.duplicates += other.duplicates;
    this.late += other.late;
    this.unknown += other.unknown;
    this.reordered += other.reordered;
    if (other.maxExtent > this.maxExtent) this.maxExtent = other.maxExtent;
    this.jitterUpdates += other.jitterUpdates;
    if (this.delays !== undefined && other.delays !== undefined) this.delays.mergeFrom(other.delays);
    this.hopsForward.mergeFrom(other.hopsForward);
    this.hopsBackward.mergeFrom(other.hopsBackward);
    this.tosForward.mergeFrom(other.tosForward);
    this.tosBackward.mergeFrom(other.tosBackward);
    this.clock.mergeFrom(other.clock);
  }

  /** Summary of this period; reads only (safe to call at any time). */
  summary(context: PeriodContext): SessionSummary {
    const { percentiles } = context;
    const distribution = (member: number): DistributionSummary => this.delays?.summary(member, percentiles) ?? emptyDistributionSummary();
    const forward = distribution(DIST.forward);
    const backward = distribution(DIST.backward);
    const clock = judgeClocks(this.clock, forward.min, backward.min, context.sharedClock);
    const decided = this.received + this.lost;
    const forwardLost = context.forwardLost;
    const hops: HopsSummary = { forward: this.hopsForward.summary(), backward: this.hopsBackward.summary() };
    return {
      loss: {
        sent: this.sent,
        received: this.received,
        lost: this.lost,
        lossRatio: decided === 0 ? undefined : this.lost / decided,
        forwardLost,
        backwardLost: forwardLost === undefined ? undefined : this.lost - forwardLost,
        duplicates: this.duplicates,
        late: this.late,
        evicted: this.evicted,
        unknown: this.unknown,
      },
      roundTrip: distribution(DIST.roundTrip),
      forward: withReliability(forward, clock.oneWayReliable),
      backward: withReliability(backward, clock.oneWayReliable),
      processing: distribution(DIST.processing),
      jitter: {
        roundTrip: { rfc3550: this.#jitter(context.jitterRoundTrip), ipdv: distribution(DIST.ipdvRoundTrip) },
        forward: { rfc3550: this.#jitter(context.jitterForward), ipdv: distribution(DIST.ipdvForward) },
        backward: { rfc3550: this.#jitter(context.jitterBackward), ipdv: distribution(DIST.ipdvBackward) },
      },
      reorder: {
        reordered: this.reordered,
        ratio: this.received === 0 ? undefined : this.reordered / this.received,
        maxExtent: this.reordered === 0 ? undefined : this.maxExtent,
      },
      hops,
      tos: tosSummary(this.tosForward, this.tosBackward),
      clock,
    };
  }

  /** A period reports the running estimator only if it moved during the period. */
  #jitter(value: number | undefined): number | undefined {
    return this.jitterUpdates === 0 ? undefined : value;
  }
}

function tosSummary(forward: TosCounter, backward: TosCounter): TosChangeSummary {
  const known = (counter: TosCounter, value: number): number | undefined => (counter.compared === 0 ? undefined : value);
  const last = (counter: TosCounter): { readonly sent: number; readonly received: number } | undefined =>
    counter.compared === 0 ? undefined : { sent: counter.lastSent, received: counter.lastReceived };
  return {
    forwardDscpChanged: known(forward, forward.dscpChanged),
    forwardEcnChanged: known(forward, forward.ecnChanged),
    backwardDscpChanged: known(backward, backward.dscpChanged),
    backwardEcnChanged: known(backward, backward.ecnChanged),
    forwardLast: last(forward),
    backwardLast: last(backward),
  };
}

