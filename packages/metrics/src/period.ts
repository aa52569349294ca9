// Everything counted over one period (the whole session, or one reporting window). SessionStatistics
// keeps two of these and feeds both with the values it derived once per packet.
import { ClockEvidence, judgeClocks } from './clock-verdict.js';
import { Distribution } from './distribution.js';
import type { HopsSummary, SessionSummary, TosChangeSummary } from './types.js';

/** TTL / Hop Limit differences are 0..255; anything else means a bad field and is dropped. */
const HOP_VALUES = 256;
/** Hop counts are kept in blocks of 16 values, allocated on first use: a path shows one or two hop counts. */
const HOP_BLOCK = 16;
const HOP_BLOCKS = HOP_VALUES / HOP_BLOCK;
/** The most bytes of counts one hop counter can hold (every block allocated). */
export const HOP_COUNTER_MAX_BYTES = HOP_VALUES * Float64Array.BYTES_PER_ELEMENT;

class HopCounter {
  /** blocks[b] counts hops b·16 .. b·16 + 15; created on first use, kept by reset(). */
  #blocks: (Float64Array | undefined)[] | undefined;
  #bytes = 0;
  total = 0;

  get byteLength(): number {
    return this.#bytes;
  }

  add(hops: number): void {
    if (!(hops >= 0 && hops < HOP_VALUES)) return;
    const index = hops | 0;
    const b = index >>> 4;
    const block = this.#blocks?.[b] ?? this.#allocate(b);
    const j = index & (HOP_BLOCK - 1);
    block[j] = (block[j] ?? 0) + 1;
    this.total++;
  }

  reset(): void {
    const blocks = this.#blocks;
    if (blocks !== undefined) for (const block of blocks) block?.fill(0);
    this.total = 0;
  }

  mergeFrom(other: HopCounter): void {
    const theirs = other.#blocks;
    if (theirs === undefined) return;
    for (let b = 0; b < HOP_BLOCKS; b++) {
      const source = theirs[b];
      if (source === undefined) continue;
      const target = this.#blocks?.[b] ?? this.#allocate(b);
      for (let j = 0; j < HOP_BLOCK; j++) target[j] = (target[j] ?? 0) + (source[j] ?? 0);
    }
    this.total += other.total;
  }

  /** Mode (the smallest value on a tie), min and max, or undefined when nothing was counted. */
  summary(): { readonly mode: number; readonly min: number; readonly max: number } | undefined {
    if (this.total === 0) return undefined;
    let mode = -1;
    let modeCount = 0;
    let min = -1;
    let max = -1;
    for (let hops = 0; hops < HOP_VALUES; hops++) {
      const count = this.#blocks?.[hops >>> 4]?.[hops & (HOP_BLOCK - 1)] ?? 0;
      if (count === 0) continue;
      if (min < 0) min = hops;
      max = hops;
      if (mode < 0 || count > modeCount) {
        mode = hops;
        modeCount = count;
      }
    }
    return { mode, min, max };
  }

  #allocate(b: number): Float64Array {
    const blocks = (this.#blocks ??= new Array<Float64Array | undefined>(HOP_BLOCKS).fill(undefined));
    const block = new Float64Array(HOP_BLOCK);
    blocks[b] = block;
    this.#bytes += block.byteLength;
    return block;
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
  readonly forwardLost: number | undefined;
  readonly jitterRoundTrip: number | undefined;
  readonly jitterForward: number | undefined;
  readonly jitterBackward: number | undefined;
}

/** Distributions per period: round trip, forward, backward, processing, IPDV ×3. */
const DISTRIBUTIONS = 7;

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

  readonly roundTrip: Distribution;
  readonly forward: Distribution;
  readonly backward: Distribution;
  readonly processing: Distribution;
  readonly ipdvRoundTrip: Distribution;
  readonly ipdvForward: Distribution;
  readonly ipdvBackward: Distribution;
  readonly hopsForward = new HopCounter();
  readonly hopsBackward = new HopCounter();
  readonly tosForward = new TosCounter();
  readonly tosBackward = new TosCounter();
  readonly clock = new ClockEvidence();

  constructor(exactSampleLimit: number) {
    this.roundTrip = new Distribution(exactSampleLimit);
    this.forward = new Distribution(exactSampleLimit);
    this.backward = new Distribution(exactSampleLimit);
    this.processing = new Distribution(exactSampleLimit);
    this.ipdvRoundTrip = new Distribution(exactSampleLimit);
    this.ipdvForward = new Distribution(exactSampleLimit);
    this.ipdvBackward = new Distribution(exactSampleLimit);
  }

  /** Bytes of typed arrays held now: the distributions' storage and the hop counters' blocks. */
  get byteLength(): number {
    let bytes = this.hopsForward.byteLength + this.hopsBackward.byteLength;
    for (const distribution of this.distributions) bytes += distribution.byteLength;
    return bytes;
  }

  /** The largest byteLength a period can reach: every distribution at its bound and both hop counters full. */
  static maxByteLength(exactSampleLimit: number): number {
    return DISTRIBUTIONS * Distribution.maxByteLength(exactSampleLimit) + 2 * HOP_COUNTER_MAX_BYTES;
  }

  get distributions(): readonly Distribution[] {
    return [this.roundTrip, this.forward, this.backward, this.processing, this.ipdvRoundTrip, this.ipdvForward, this.ipdvBackward];
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
    for (const distribution of this.distributions) distribution.reset();
    this.hopsForward.reset();
    this.hopsBackward.reset();
    this.tosForward.reset();
    this.tosBackward.reset();
    this.clock.reset();
  }

  /**
   * Add a later period's counts to this one (the session absorbing a finished window); its
   * distributions too unless `distributions` is false (a session that keeps only counts).
   */
  mergeFrom(other: PeriodAccumulator, distributions = true): void {
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
    if (distributions) {
      const mine = this.distributions;
      other.distributions.forEach((distribution, i) => mine[i]?.mergeFrom(distribution));
    }
    this.hopsForward.mergeFrom(other.hopsForward);
    this.hopsBackward.mergeFrom(other.hopsBackward);
    this.tosForward.mergeFrom(other.tosForward);
    this.tosBackward.mergeFrom(other.tosBackward);
    this.clock.mergeFrom(other.clock);
  }

  /** Summary of this period; reads only (safe to call at any time). */
  summary(context: PeriodContext): SessionSummary {
    const { percentiles } = context;
    const forward = this.forward.summary(percentiles);
    const backward = this.backward.summary(percentiles);
    const clock = judgeClocks(this.clock, forward.min, backward.min);
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
      roundTrip: this.roundTrip.summary(percentiles),
      forward: { ...forward, reliable: clock.oneWayReliable },
      backward: { ...backward, reliable: clock.oneWayReliable },
      processing: this.processing.summary(percentiles),
      jitter: {
        roundTrip: { rfc3550: this.#jitter(context.jitterRoundTrip), ipdv: this.ipdvRoundTrip.summary(percentiles) },
        forward: { rfc3550: this.#jitter(context.jitterForward), ipdv: this.ipdvForward.summary(percentiles) },
        backward: { rfc3550: this.#jitter(context.jitterBackward), ipdv: this.ipdvBackward.summary(percentiles) },
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

