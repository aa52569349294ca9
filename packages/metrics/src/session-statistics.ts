// The per-session accumulator the Session-Sender drives: recordSent per request, recordReply per
// decoded reply, expire(now) from its timer. It owns the in-flight table, so loss, duplicates and late
// arrivals are decided in one place. No allocation per packet: typed arrays and scalar fields only.
//
// Two periods: the current window, which every packet updates, and the settled part of the session
// (every window before it), which takeWindow() folds the window into. So each value enters exactly
// one distribution on the per-packet path, and the session summary is the settled part merged with a
// copy of the window: O(buckets + exactSampleLimit), whatever the number of packets.
import { roundTripTime } from './delays.js';
import { IN_FLIGHT_BYTES_PER_SLOT, InFlightTable, SLOT_ANSWERED, SLOT_LOST, SLOT_PENDING } from './in-flight.js';
import { InterarrivalJitter } from './jitter.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { createPacketValues, PV } from './packet-values.js';
import type { DistributionSet } from './distribution-set.js';
import { DIST, PeriodAccumulator, type PeriodContext, periodDelays } from './period.js';
import { REORDER_HISTORY, ReorderTracker } from './reorder.js';
import type { PacketSample, ReplyDisposition, SessionStatisticsApi, SessionStatisticsOptions, SessionSummary } from './types.js';

const TWO_32 = 4294967296;
/**
 * The current reply's derived values (see packet-values.ts), shared by every instance: recordReply
 * fills and consumes them before it returns, and the table copies what it keeps, so one array
 * serves a process's thousands of sessions.
 */
const VALUES = createPacketValues();
/** RFC 5357 §4.2: a reflector sends with TTL 255 unless the sample says otherwise. */
const DEFAULT_REFLECTOR_TTL = 255;

export class SessionStatistics implements SessionStatisticsApi {
  readonly #options: ResolvedOptions;
  readonly #table: InFlightTable;
  /** Every finished window; made by the first takeWindow() (a run without windows never needs it). */
  #settled: PeriodAccumulator | undefined;
  /** The current window, and its distributions (always kept: the per-packet path writes them directly). */
  readonly #window: PeriodAccumulator;
  readonly #windowDelays: DistributionSet;
  readonly #jitterRoundTrip = new InterarrivalJitter();
  readonly #jitterForward = new InterarrivalJitter();
  readonly #jitterBackward = new InterarrivalJitter();
  readonly #reorder: ReorderTracker;
  /** The table's slots when the reorder history was last sized for them. */
  #tableSize: number;
  readonly #evict: (sequence: number) => void;

  // Per-direction loss (stateful reflector), see #trackReflectorSequence() and #sessionForwardLost().
  #answeredAny = false;
  /** Largest send ordinal among counted replies. */
  #highestOrdinal = 0;
  /** Send ordinal after which the current reflector instance started counting (0, or at a restart). */
  #ordinalBase = 0;
  /** Forward losses settled before the last reflector restart. */
  #forwardLostBefore = 0;
  /** Largest reflector sequence (unwrapped) seen from the current reflector instance, and its T2. */
  #reflectorMax = 0;
  #reflectorMaxT2 = 0;
  /** Session forward loss (bounded, as reported) when the current window started. */
  #windowForwardStart = 0;

  constructor(options: SessionStatisticsOptions) {
    this.#options = resolveOptions(options);
    // Entries are kept for two loss timeouts, so a reply up to one timeout late is still told 'late'.
    this.#table = new InFlightTable(this.#options.capacity, 2 * this.#options.lossTimeout);
    this.#tableSize = this.#table.size;
    this.#reorder = new ReorderTracker(Math.min(REORDER_HISTORY, 2 * this.#tableSize));
    this.#windowDelays = periodDelays(this.#options.exactSampleLimit);
    this.#window = new PeriodAccumulator(this.#windowDelays);
    this.#evict = (sequence) => {
      this.#window.lost++;
      this.#window.evicted++;
      this.#options.onLost?.(sequence, 'evicted');
    };
  }

  get pending(): number {
    return this.#table.pending;
  }

  /**
   * T1 of the request with this sequence while the in-flight table still holds it (its loss
   * deadline and a retention after it, as far as the capacity allows), else NaN.
   */
  sentT1(sequence: number): number {
    const slot = this.#table.slotOf(sequence >>> 0);
    return slot < 0 ? Number.NaN : (this.#table.t1[slot] ?? Number.NaN);
  }

  get nextDeadline(): number | undefined {
    const slot = this.#table.oldestPending();
    return slot < 0 ? undefined : (this.#table.t1[slot] ?? 0) + this.#options.lossTimeout;
  }

  /** Bytes of sample storage held now: in-flight table, reorder history, and both periods' distributions and hop counts. */
  get byteLength(): number {
    return this.#table.byteLength + this.#reorder.byteLength + (this.#settled?.byteLength ?? 0) + this.#window.byteLength;
  }

  /**
   * The largest byteLength this instance can reach, whatever the number of packets: the in-flight
   * table and reorder history at their full size, and both periods at their bound.
   */
  get maxByteLength(): number {
    const capacity = this.#options.capacity;
    return (
      capacity * IN_FLIGHT_BYTES_PER_SLOT +
      Math.min(REORDER_HISTORY, 2 * capacity) * Float64Array.BYTES_PER_ELEMENT +
      2 * PeriodAccumulator.maxByteLength(this.#options.exactSampleLimit)
    );
  }

  recordSent(sequence: number, t1: number): void {
    const table = this.#table;
    // admit() first: it may replace the table's arrays (growth), so t1 is read after it.
    const slot = table.admit(sequence >>> 0, t1, this.#evict);
    table.t1[slot] = t1;
    if (table.size !== this.#tableSize) {
      // The table grew (a handful of times per session at most): the reorder history follows.
      this.#tableSize = table.size;
      this.#reorder.reserve(2 * table.size);
    }
    this.#window.sent++;
  }

  recordReply(sample: PacketSample): ReplyDisposition {
    const { t1, t2, t3, t4 } = sample;
    const table = this.#table;
    const sequence = sample.sequence >>> 0;
    const slot = table.slotOf(sequence);
    // Garbage times cannot be placed in any statistic: the reply is dropped as unknown.
    if (slot < 0 || !Number.isFinite(t1) || !Number.isFinite(t2) || !Number.isFinite(t3) || !Number.isFinite(t4)) {
      this.#window.unknown++;
      return 'unknown';
    }
    const state = table.state[slot];
    if (state === SLOT_ANSWERED) {
      this.#window.duplicates++;
      return 'duplicate';
    }
    if (state === SLOT_PENDING && t4 >= (table.t1[slot] ?? 0) + this.#options.lossTimeout) {
      // Past its deadline but expire() has not run yet: the same verdict expire() would give.
      table.markLost(slot);
      this.#window.lost++;
      this.#options.onLost?.(sequence, 'timeout');
    }
    if (table.state[slot] === SLOT_LOST) {
      this.#window.late++;
      return 'late';
    }

    // Derived once, into the packet values every accumulator reads (no boxed arguments).
    const values = VALUES;
    values[PV.rtt] = roundTripTime(t1, t2, t3, t4);
    values[PV.forward] = t2 - t1;
    values[PV.backward] = t4 - t3;
    values[PV.processing] = t3 - t2;
    values[PV.t2] = t2;
    table.markAnswered(slot, values);
    const window = this.#window;
    window.received++;
    const delays = this.#windowDelays;
    delays.addAt(DIST.roundTrip, values, PV.rtt);
    delays.addAt(DIST.forward, values, PV.forward);
    delays.addAt(DIST.backward, values, PV.backward);
    delays.addAt(DIST.processing, values, PV.processing);

    // IPDV (RFC 3393, with the consecutive-packet selection of RFC 5481 §4.1) between sequence neighbours, whichever of the two came second.
    const previous = table.slotOf((sequence - 1) >>> 0);
    if (previous >= 0 && table.state[previous] === SLOT_ANSWERED) this.#addIpdv(previous, slot);
    const next = table.slotOf((sequence + 1) >>> 0);
    if (next >= 0 && table.state[next] === SLOT_ANSWERED) this.#addIpdv(slot, next);

    // RFC 3550 interarrival jitter, in arrival order.
    this.#jitterRoundTrip.updateAt(values, PV.rtt);
    this.#jitterForward.updateAt(values, PV.forward);
    this.#jitterBackward.updateAt(values, PV.backward);
    if (this.#jitterRoundTrip.hasValue) window.jitterUpdates++;

    // RFC 4737 reordering, by send ordinal.
    const extent = this.#reorder.observeAt(table.ordinal, slot);
    if (extent > 0) {
      window.reordered++;
      if (extent > window.maxExtent) window.maxExtent = extent;
    }

    this.#recordPath(sample);
    window.clock.add(sample.senderClock, sample.reflectorClock, values);
    if (this.#options.reflectorStateful) this.#trackReflectorSequence(slot, sample.reflectorSequence >>> 0);
    return 'counted';
  }

  expire(now: number): number {
    // expire(Infinity) settles everything (end of a run); NaN settles nothing.
    if (Number.isNaN(now)) return 0;
    const table = this.#table;
    const timeout = this.#options.lossTimeout;
    let expired = 0;
    for (;;) {
      const slot = table.oldestPending();
      if (slot < 0 || (table.t1[slot] ?? 0) + timeout > now) break;
      table.markLost(slot);
      table.dropOldest();
      this.#window.lost++;
      expired++;
      this.#options.onLost?.(table.sequence[slot] ?? 0, 'timeout');
    }
    return expired;
  }

  summary(): SessionSummary {
    const session = this.#sessionPeriod();
    return session.summary(this.#context(this.#sessionForwardLost(session.lost)));
  }

  takeWindow(): SessionSummary {
    const window = this.#window;
    const settled = (this.#settled ??= this.#sessionAccumulator());
    settled.mergeFrom(window);
    const sessionForward = this.#sessionForwardLost(settled.lost);
    // The window's share of the session's (bounded) forward loss, so that windows add up to the session.
    const windowForward = sessionForward === undefined ? undefined : sessionForward - this.#windowForwardStart;
    const summary = window.summary(this.#context(windowForward));
    window.reset();
    this.#windowForwardStart = sessionForward ?? 0;
    return summary;
  }

  /** The whole session so far, without disturbing either period. */
  #sessionPeriod(): PeriodAccumulator {
    const session = this.#sessionAccumulator();
    if (this.#settled !== undefined) session.mergeFrom(this.#settled);
    session.mergeFrom(this.#window);
    return session;
  }

  /** A period for the session as a whole: with distributions only if the session keeps them. */
  #sessionAccumulator(): PeriodAccumulator {
    return new PeriodAccumulator(this.#options.sessionDistributions ? periodDelays(this.#options.exactSampleLimit) : undefined);
  }

  #context(forwardLost: number | undefined): PeriodContext {
    return {
      percentiles: this.#options.percentiles,
      sharedClock: this.#options.sharedClock,
      forwardLost,
      jitterRoundTrip: this.#jitterRoundTrip.value,
      jitterForward: this.#jitterForward.value,
      jitterBackward: this.#jitterBackward.value,
    };
  }

  /** IPDV of the sequence-consecutive pair (earlier, later), both answered: D(later) − D(earlier). */
  #addIpdv(earlier: number, later: number): void {
    const table = this.#table;
    const values = VALUES;
    values[PV.ipdvRtt] = (table.rtt[later] ?? 0) - (table.rtt[earlier] ?? 0);
    values[PV.ipdvForward] = (table.forward[later] ?? 0) - (table.forward[earlier] ?? 0);
    values[PV.ipdvBackward] = (table.backward[later] ?? 0) - (table.backward[earlier] ?? 0);
    const delays = this.#windowDelays;
    delays.addAt(DIST.ipdvRoundTrip, values, PV.ipdvRtt);
    delays.addAt(DIST.ipdvForward, values, PV.ipdvForward);
    delays.addAt(DIST.ipdvBackward, values, PV.ipdvBackward);
  }

  /** Hops from TTLs and DSCP/ECN changes, per direction, when the sample carries both ends. */
  #recordPath(sample: PacketSample): void {
    const { sentTtl, reflectorReceivedTtl, replyTtl, sentTos, reflectorReceivedTos, reflectorSentTos, replyTos } = sample;
    if (sentTtl !== undefined && reflectorReceivedTtl !== undefined) {
      const hops = sentTtl - reflectorReceivedTtl;
      this.#window.hopsForward.add(hops);
    }
    if (replyTtl !== undefined) {
      const hops = (sample.reflectorSentTtl ?? DEFAULT_REFLECTOR_TTL) - replyTtl;
      this.#window.hopsBackward.add(hops);
    }
    if (sentTos !== undefined && reflectorReceivedTos !== undefined) {
      this.#window.tosForward.add(sentTos, reflectorReceivedTos);
    }
    if (reflectorSentTos !== undefined && replyTos !== undefined) {
      this.#window.tosBackward.add(reflectorSentTos, replyTos);
    }
  }

  /**
   * Per-direction loss with a stateful reflector (whose sequence counts the requests it received).
   * Kept: the largest send ordinal answered, and the largest reflector sequence from the current
   * reflector instance (unwrapped across 2^32). A reflector sequence that goes down while the
   * reflector's T2 goes up cannot come from one counter: the reflector restarted, so the forward loss
   * so far is settled and counting starts again after the largest ordinal answered before.
   */
  #trackReflectorSequence(slot: number, reflectorSequence: number): void {
    const ordinal = this.#table.ordinal[slot] ?? 0;
    const t2 = VALUES[PV.t2] ?? 0;
    if (!this.#answeredAny) {
      this.#answeredAny = true;
      this.#reflectorMax = reflectorSequence;
      this.#reflectorMaxT2 = t2;
      this.#highestOrdinal = ordinal;
      return;
    }
    const unwrapped = this.#reflectorMax + ((reflectorSequence - (this.#reflectorMax % TWO_32)) | 0);
    if (unwrapped > this.#reflectorMax) {
      this.#reflectorMax = unwrapped;
      this.#reflectorMaxT2 = t2;
    } else if (unwrapped < this.#reflectorMax && t2 > this.#reflectorMaxT2) {
      this.#forwardLostBefore += this.#highestOrdinal - this.#ordinalBase - (this.#reflectorMax + 1);
      this.#ordinalBase = this.#highestOrdinal;
      this.#reflectorMax = reflectorSequence;
      this.#reflectorMaxT2 = t2;
    }
    if (ordinal > this.#highestOrdinal) this.#highestOrdinal = ordinal;
  }

  /**
   * Requests sent up to the largest answered ordinal that the reflector did not count, bounded to
   * [0, lost]: requests still in flight behind a faster one would otherwise show as forward losses
   * before they are decided, and backwardLost = lost − forwardLost must not go negative.
   */
  #sessionForwardLost(lost: number): number | undefined {
    if (!this.#options.reflectorStateful) return undefined;
    if (!this.#answeredAny) return lost === 0 ? 0 : undefined;
    const raw = this.#forwardLostBefore + (this.#highestOrdinal - this.#ordinalBase) - (this.#reflectorMax + 1);
    return raw < 0 ? 0 : raw > lost ? lost : raw;
  }
}
