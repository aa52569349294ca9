// The Session-Sender: a schedule of requests on an @twamp/udp socket, replies matched and recorded
// in @twamp/metrics, events for the caller, and a report when every request is answered or lost.
//
// Data path per request: schedule slot due → fill the per-size buffer (sequence, Error Estimate)
// → T1 (written by the socket immediately before sendmsg() when nothing covers it, else by us
// right before protection) → send → recordSent. Per reply: source check → unprotect/verify → read
// the fields into a reused record → T4 from the kernel when the socket has it → recordReply.
import type { ClockClaim, SessionStatisticsOptions } from '@twamp/metrics';
import { MAX_IN_FLIGHT_CAPACITY, roundTripTime, SessionStatistics } from '@twamp/metrics';
import { clockStatus, type ClockStatus, type ReceiveBatch, type SendOptions, type UdpSocket, openUdpSocket } from '@twamp/udp';
import { clockClaimFromErrorEstimate, errorEstimateForClock } from '../shared/clock.js';
import type {
  Endpoint,
  PacketResult,
  SenderEvent,
  SenderEventOptions,
  SenderReport,
  SessionSenderApi,
  TimestampSource,
} from '../types.js';
import { BoundedEventQueue } from './event-queue.js';
import { resolveSenderOptions, type ResolvedSenderOptions, type SessionSenderOptions } from './options.js';
import { RequestBuilder } from './packets.js';
import { NtpToRelative, ReplyProblem, ReplyReader } from './reply-reader.js';
import { Timeline } from './schedule.js';
import { TimerQueue } from './timer-queue.js';
import { sharedMonotonicReader, WallClock } from './wall-clock.js';

/** What the schedule did, beyond the contract's SenderReport (see the README). */
export interface SenderScheduleReport {
  readonly kind: 'periodic' | 'poisson';
  /** The Poisson seed used (given or drawn), to repeat the run. */
  readonly seed: number | undefined;
  /** Send slots used (each sends `burst` packets, the last one possibly fewer). */
  readonly slots: number;
  /** Packets sent more than LATE_SEND_MS after their planned time. */
  readonly lateSends: number;
  /** The largest delay of a send behind its planned time, ns. */
  readonly maxLateNs: number;
  /** Times the sender fell so far behind that the rest of the timeline was moved later (no bunching). */
  readonly timelineShifts: number;
  /** Total time the timeline was moved, ms. */
  readonly shiftedMs: number;
}

/**
 * STAMP: what the replies said about the reflector's RFC 8972 support, counted per reply. A TWAMP
 * Light or RFC 8762-only reflector answers STAMP packets but returns SSID 0 and leaves our TLVs
 * unrecognised, so the figures that need them (DSCP/ECN from the Class of Service TLV) are unknown.
 */
export interface StampReflectorReport {
  /** Replies carrying our SSID (checked only when our SSID is not 0). */
  readonly ssidEchoed: number;
  /** Replies with SSID 0 although ours is not. */
  readonly ssidZero: number;
  /** Replies whose first TLV came back understood (only when we send TLVs). */
  readonly tlvsUnderstood: number;
  /** Replies whose first TLV came back marked Unrecognized, or without TLVs. */
  readonly tlvsUnrecognized: number;
}

/** The contract's SenderReport plus the schedule's own account. */
export interface SessionSenderReport extends SenderReport {
  readonly schedule: SenderScheduleReport;
  /** STAMP runs only (undefined otherwise). */
  readonly stampReflector: StampReflectorReport | undefined;
  /** Requests handed to the socket (a send the socket refused is in sendErrors instead). */
  readonly packetsSent: number;
}

/** A send this long after its planned time counts as late. */
export const LATE_SEND_MS = 1;
/** Waits longer than this use a timer (which fires ~1 ms late at worst); shorter ones poll with setImmediate. */
const TIMER_THRESHOLD_MS = 2;
/** How long before the due time the timer is asked to fire, leaving the rest to setImmediate. */
const TIMER_MARGIN_MS = 1.5;
/**
 * The last stretch before a due time is spun on the clock rather than handed to the event loop:
 * long enough to cover what one loop round can cost (a young-generation GC of a few hundred
 * microseconds on a busy machine, a batch of replies), short enough not to starve I/O for long
 * (replies keep their kernel timestamps meanwhile) or other sessions of the process.
 */
const SPIN_MS = 0.25;
/**
 * Before that window, a precise wait polls the loop, spinning this long per round: a setImmediate
 * round trip takes a few microseconds and costs an Immediate object, so polling every few
 * microseconds made enough garbage for a scavenge every few tens of ms (each a late send).
 */
const POLL_SLICE_MS = 0.05;
/** Catch up at most this much schedule time in one go after falling behind; beyond it the timeline moves. */
const CATCH_UP_WINDOW_MS = 5;
const MIN_CATCH_UP_SLOTS = 8;
/** The Error Estimate and the clock anchor are refreshed at most this often. */
const CLOCK_REFRESH_MS = 1000;
/** Past the last loss deadline, give up waiting after this much more (clock trouble, a stuck timer). */
const DRAIN_GRACE_MS = 1000;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
const DEFAULT_RECEIVE_PACKET = 2048;
/**
 * The in-flight ring never goes below this. A slow session needs a handful of slots (rate × (loss
 * timeout + 200 ms) × 2 is 4.4 at 1 packet/s and 2 s), and at 8 the rings stay small enough for
 * V8 to keep them inside the object (an 8-slot Float64Array is 64 octets) rather than in a
 * separately allocated backing store, which counts for an agent's thousands of sessions.
 */
const MIN_IN_FLIGHT = 8;
/**
 * Receive batch sizes: a fast session takes replies 64 at a time (one callback per batch); a slow one
 * (under 1 packet/ms) rarely has more than a burst waiting, and each batch slot holds a receive buffer,
 * so 8 keeps thousands of slow sessions in one process small.
 */
const FAST_RECEIVE_BATCH = 64;
/**
 * Delay values kept exactly per distribution. A run of a known count up to 10 000 keeps all of them
 * (exact percentiles); a longer or open-ended run keeps 256 and then goes on in the ≤ 1 % histogram,
 * so an agent's thousands of continuous sessions stay small.
 */
const EXACT_RUN_LIMIT = 10_000;
const EXACT_CONTINUOUS_LIMIT = 256;
const SLOW_RECEIVE_BATCH = 8;
/**
 * At or below this rate (one packet per 10 ms, bursts counted) a session is "slow": the kind an
 * agent runs by the thousand. Its socket receives into the receive buffers the process's slow
 * sockets share (sharedReceive: a batch is read and recorded before the callback returns), and
 * it sends each packet with send() instead of the send queue (one packet per tick has nothing to
 * batch), so a slow socket carries no buffers of its own. Faster sessions keep their own buffers
 * and the batched path unchanged. A slow session with bursts keeps the queue for its bursts.
 */
const SLOW_PACKETS_PER_MS = 0.1;

/**
 * The send and loss timers of every slow sender of the process, on one Node.js timer (see
 * timer-queue.ts: a setTimeout per packet made old-space garbage at agent scale). Fast sessions
 * keep their own setTimeout calls.
 */
let slowTimers: TimerQueue | undefined;

/**
 * The kernel's clock state is the same for every sender of the process: read (adjtimex, one small
 * object) at most once per CLOCK_REFRESH_MS for all of them, not once per sender per second.
 * Times are on the shared monotonic clock every sender's WallClock reads.
 */
let sharedEstimateAtMs = Number.NEGATIVE_INFINITY;
let sharedEstimate = 0;

function currentErrorEstimate(nowMs: number): number {
  if (nowMs - sharedEstimateAtMs >= CLOCK_REFRESH_MS || nowMs < sharedEstimateAtMs) {
    sharedEstimate = errorEstimateForClock(clockStatus());
    sharedEstimateAtMs = nowMs;
  }
  return sharedEstimate;
}

/** Stand-ins for the send-queue records of a sender without the queue (nothing is ever written to them). */
const NO_UINT32 = new Uint32Array(0);
const NO_FLOAT64 = new Float64Array(0);

type MutableResult = { -readonly [K in keyof PacketResult]: PacketResult[K] };

/** Every field present from the start, so all results share one shape. */
function newResult(): MutableResult {
  return {
    sequence: 0,
    reflectorSequence: 0,
    t1: 0,
    t2: 0,
    t3: 0,
    t4: 0,
    sentTtl: undefined,
    reflectorReceivedTtl: undefined,
    reflectorSentTtl: undefined,
    replyTtl: undefined,
    sentTos: undefined,
    reflectorReceivedTos: undefined,
    reflectorSentTos: undefined,
    replyTos: undefined,
    senderClock: UNKNOWN_CLAIM,
    reflectorClock: UNKNOWN_CLAIM,
    requestLength: 0,
    replyLength: 0,
    disposition: 'unknown',
    rtt: 0,
    forward: 0,
    backward: 0,
    processing: 0,
  };
}

const UNKNOWN_CLAIM: ClockClaim = clockClaimFromErrorEstimate(0);

/**
 * The sample handed to metrics when nobody asked for events, shared by every sender of the process:
 * it is filled and recorded within one call, and metrics copies what it keeps.
 */
const SCRATCH_SAMPLE = newResult();
/** The packet event of a handler that reuses results: always the scratch sample. */
const SCRATCH_EVENT: SenderEvent = Object.freeze({ type: 'packet', result: SCRATCH_SAMPLE });

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Requests that may be outstanding at once: rate × (loss timeout + margin), doubled, within metrics' bound. */
/** Mean packets per millisecond of the schedule. */
function packetsPerMs(options: ResolvedSenderOptions): number {
  const interval = options.schedule.kind === 'periodic' ? options.schedule.intervalMs : options.schedule.meanIntervalMs;
  return options.burst / interval;
}

function inFlightCapacity(options: ResolvedSenderOptions): number {
  const needed = Math.min(packetsPerMs(options) * (options.lossTimeoutMs + 200) * 2, options.count);
  return Math.min(MAX_IN_FLIGHT_CAPACITY, nextPowerOfTwo(Math.max(MIN_IN_FLIGHT, Math.ceil(needed))));
}

export class SessionSender implements SessionSenderApi {
  readonly done: Promise<SessionSenderReport>;
  readonly #resolveDone: (report: SessionSenderReport) => void;
  readonly #options: ResolvedSenderOptions;
  readonly #socket: UdpSocket;
  readonly #clock: WallClock;
  readonly #ntp: NtpToRelative;
  readonly #builder: RequestBuilder;
  readonly #reader: ReplyReader;
  readonly #timeline: Timeline;
  readonly #metrics: SessionStatistics;
  readonly #startClock: ClockStatus;
  readonly #startedAtMs: number;
  readonly #targetAddress: string;
  readonly #targetPort: number;
  readonly #stampOptions: SendOptions;
  readonly #t1Source: TimestampSource;
  #t4Source: TimestampSource;

  // Schedule state.
  #startMs = 0;
  /** The schedule has begun (#startMs is set): from here replies may trigger due sends too. */
  #started = false;
  #sequence = 0;
  #attempts = 0;
  #sent = 0;
  #slots = 0;
  #lateSends = 0;
  #maxLateNs = 0;
  #shifts = 0;
  #shiftedMs = 0;
  readonly #catchUpSlots: number;
  /**
   * The socket batches sends (native): every packet due in one tick is queued and leaves with one
   * flush (one sendmmsg(), one clock read for T1). Per queue index: the request's sequence, its
   * planned time, and its T1 when the sender wrote it (NaN: stamp-on-send, read after the flush).
   */
  readonly #batched: boolean;
  readonly #queuedSequence: Uint32Array;
  readonly #queuedPlannedMs: Float64Array;
  readonly #queuedT1: Float64Array;
  /** The request #nextRequest filled last. */
  #requestSequence = 0;
  #requestLength = 0;
  #sendTimer: NodeJS.Timeout | undefined;
  #sendImmediate: NodeJS.Immediate | undefined;

  // Clock state for the Error Estimate.
  #errorEstimate: number;
  #senderClaim: ClockClaim;
  #lastClockRefreshMs = 0;
  #lastReflectorEstimate = -1;
  #reflectorClaim: ClockClaim = clockClaimFromErrorEstimate(0);

  // Completion.
  #sendingDone = false;
  #aborted = false;
  #complete = false;
  #endedAtMs = 0;
  #lossTimer: NodeJS.Timeout | undefined;
  /** A loss deadline is armed (on #lossTimer, or in the slow senders' queue). */
  #lossArmed = false;
  /** Slow sessions: the shared timer queue and this sender's two slots in it (send, loss). */
  readonly #timers: TimerQueue | undefined;
  #sendTimerSlot = -1;
  #lossTimerSlot = -1;
  #drainTimer: NodeJS.Timeout | undefined;
  #intervalTimer: NodeJS.Timeout | undefined;
  /** Slow sessions: interval reports from the shared queue too, on a fixed grid (see #runEmitInterval). */
  #intervalTimerSlot = -1;
  #intervalDueMs = 0;
  #intervalIndex = 0;
  /** Inside the socket's receive callback (closing the socket waits until it returns). */
  #inBatch = false;
  #malformed = 0;
  /** STAMP replies by what they said about RFC 8972 support (see StampReflectorReport). */
  #ssidEchoed = 0;
  #ssidZero = 0;
  #tlvsUnderstood = 0;
  #tlvsUnrecognized = 0;
  #sendErrors = 0;
  readonly #onAbort: () => void;

  // Events.
  #handler: ((event: SenderEvent) => void) | undefined;
  /** The handler takes the shared packet event (see onEvent); events() still gets objects of its own. */
  #reuseResults = false;
  #queue: BoundedEventQueue<SenderEvent> | undefined;
  #handlerDropped = 0;

  // Callbacks handed to timers, the socket and metrics: one closure each per sender, made in the
  // constructor around the #run… methods. (Arrow-function class fields would do the same, but a
  // transpiler keeping function names, as tsx does, gives each of those a `name` property and
  // with it a 256-octet property store: 1.8 KiB per sender, 18 MiB for an agent's 10 000.)
  readonly #begin: () => void;
  readonly #tick: () => void;
  readonly #onBatch: (batch: ReceiveBatch) => void;
  readonly #onLost: (sequence: number) => void;
  readonly #onLossTimer: () => void;
  readonly #forceComplete: () => void;
  readonly #emitInterval: () => void;

  /** Validate, open the socket, start sending. Bad options: ConfigError; socket failures: NetworkError. */
  static async open(options: SessionSenderOptions): Promise<SessionSender> {
    const resolved = resolveSenderOptions(options);
    const largest = Math.max(...resolved.sizes);
    const rate = packetsPerMs(resolved);
    const socket = await openUdpSocket({
      family: resolved.family,
      ...(resolved.localAddress === undefined ? {} : { address: resolved.localAddress }),
      port: resolved.localPort,
      ttl: resolved.ttl,
      ...(resolved.tos === undefined ? {} : { tos: resolved.tos }),
      ...(resolved.dontFragment === undefined ? {} : { dontFragment: resolved.dontFragment }),
      // Replies are as long as the request (or the reflector base): room for the largest, plus slack.
      maxPacketSize: Math.min(65_535, Math.max(DEFAULT_RECEIVE_PACKET, largest + 64)),
      batchSize: rate >= 1 ? FAST_RECEIVE_BATCH : SLOW_RECEIVE_BATCH,
      sharedReceive: rate <= SLOW_PACKETS_PER_MS,
      receiveBufferSize: RECEIVE_BUFFER_BYTES,
      sendBufferSize: RECEIVE_BUFFER_BYTES,
      implementation: resolved.implementation,
    });
    return new SessionSender(resolved, socket);
  }

  private constructor(options: ResolvedSenderOptions, socket: UdpSocket) {
    this.#begin = (): void => {
      this.#runBegin();
    };
    this.#tick = (): void => {
      this.#runTick();
    };
    this.#onBatch = (batch: ReceiveBatch): void => {
      this.#runOnBatch(batch);
    };
    this.#onLost = (sequence: number): void => {
      this.#runOnLost(sequence);
    };
    this.#onLossTimer = (): void => {
      this.#runOnLossTimer();
    };
    this.#forceComplete = (): void => {
      this.#runForceComplete();
    };
    this.#emitInterval = (): void => {
      this.#runEmitInterval();
    };
    this.#options = options;
    this.#socket = socket;
    this.#clock = new WallClock();
    this.#startedAtMs = Date.now();
    this.#ntp = new NtpToRelative(this.#clock.epochUnixSeconds);
    this.#builder = new RequestBuilder(options.format, options.sizes, options.paddingFill);
    this.#reader = new ReplyReader(options.format, this.#ntp);
    this.#timeline = new Timeline(options.schedule);
    this.#targetAddress = options.target.address;
    this.#targetPort = options.target.port;
    this.#stampOptions = { stampOffset: this.#builder.timestampAt };
    this.#startClock = clockStatus();
    this.#errorEstimate = errorEstimateForClock(this.#startClock);
    this.#senderClaim = clockClaimFromErrorEstimate(this.#errorEstimate);
    this.#lastClockRefreshMs = this.#clock.monotonicMs();
    const caps = socket.capabilities;
    this.#t1Source = this.#builder.t1Writer === 'sender' || !caps.stampOnSend ? 'userspace' : 'stamp-on-send';
    this.#t4Source = caps.kernelTimestamps ? 'kernel' : 'userspace';
    const slow = packetsPerMs(options) <= SLOW_PACKETS_PER_MS;
    this.#batched = caps.batching && !(slow && options.burst === 1);
    if (slow) {
      const timers = (slowTimers ??= new TimerQueue(sharedMonotonicReader()));
      this.#timers = timers;
      this.#sendTimerSlot = timers.register(this.#tick);
      this.#lossTimerSlot = timers.register(this.#onLossTimer);
    }
    // Without the queue, shared empty arrays: even an empty typed array is ~180 octets of objects.
    const queueCapacity = this.#batched ? socket.sendQueueCapacity : 0;
    this.#queuedSequence = queueCapacity === 0 ? NO_UINT32 : new Uint32Array(queueCapacity);
    this.#queuedPlannedMs = queueCapacity === 0 ? NO_FLOAT64 : new Float64Array(queueCapacity);
    this.#queuedT1 = queueCapacity === 0 ? NO_FLOAT64 : new Float64Array(queueCapacity);
    const interval = this.#timeline.meanIntervalMs;
    this.#catchUpSlots = Math.max(MIN_CATCH_UP_SLOTS, Math.ceil(CATCH_UP_WINDOW_MS / interval));

    const capacity = inFlightCapacity(options);
    const statistics: SessionStatisticsOptions = {
      lossTimeout: options.lossTimeoutMs * 1_000_000,
      inFlightCapacity: capacity,
      exactSampleLimit: options.count <= EXACT_RUN_LIMIT ? options.count : EXACT_CONTINUOUS_LIMIT,
      reflectorStateful: options.reflectorStateful,
      sharedClock: options.sharedClock,
      sessionDistributions: options.sessionDistributions,
      ...(options.percentiles === undefined ? {} : { percentiles: options.percentiles }),
      onLost: this.#onLost,
    };
    this.#metrics = new SessionStatistics(statistics);

    let resolveDone: (report: SessionSenderReport) => void = () => undefined;
    this.done = new Promise<SessionSenderReport>((resolve) => {
      resolveDone = resolve;
    });
    this.#resolveDone = resolveDone;

    socket.onReceive(this.#onBatch);
    // Asynchronous socket errors (receive failures; ICMP errors need a connected socket) are counted.
    socket.onError(() => {
      this.#sendErrors += 1;
    });
    this.#onAbort = () => {
      this.stop();
    };
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (options.intervalReportMs !== undefined) {
      if (this.#timers === undefined) {
        this.#intervalTimer = setInterval(this.#emitInterval, options.intervalReportMs);
      } else {
        // An agent's thousands of windows end within the same second when their sessions started
        // together. As Node.js timers they all ran in one pass of the timer list, with no I/O in
        // between (seconds of work, its garbage promoted, lines piling up unwritten); in the queue,
        // each round takes only what is due when it starts, and I/O runs between rounds.
        this.#intervalTimerSlot = this.#timers.register(this.#emitInterval);
        this.#intervalDueMs = this.#clock.monotonicMs() + options.intervalReportMs;
        this.#timers.arm(this.#intervalTimerSlot, this.#intervalDueMs);
      }
    }
    if (options.signal?.aborted === true) {
      this.#finishSending(true);
    } else {
      // Start on the next turn, so that handlers the caller sets right after `await open()` see everything.
      this.#sendImmediate = setImmediate(this.#begin);
    }
  }

  get localAddress(): string {
    return this.#socket.localAddress;
  }

  get localPort(): number {
    return this.#socket.localPort;
  }

  /** The run's epoch (integer Unix seconds): every relative time in events and the report counts from it. */
  get epochUnixSeconds(): number {
    return this.#clock.epochUnixSeconds;
  }

  onEvent(handler: (event: SenderEvent) => void, options: SenderEventOptions = {}): void {
    this.#handler = handler;
    this.#reuseResults = options.reusePacketResults === true;
  }

  /**
   * Events from now on, through a bounded queue (eventQueueLimit; beyond it events are dropped and
   * counted in eventsDropped). Call it before the run produces events you want: right after open().
   * Ends when the run is done.
   */
  events(): AsyncIterable<SenderEvent> {
    if (this.#queue === undefined) {
      this.#queue = new BoundedEventQueue<SenderEvent>(this.#options.eventQueueLimit);
      if (this.#complete) this.#queue.close();
    }
    const queue = this.#queue;
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => queue.next(),
        return: () => Promise.resolve({ value: undefined, done: true as const }),
      }),
    };
  }

  stop(): void {
    if (!this.#sendingDone) this.#finishSending(true);
  }

  // ---- sending --------------------------------------------------------------------------------

  #runBegin(): void {
    this.#sendImmediate = undefined;
    if (this.#sendingDone) return;
    this.#startMs = this.#clock.monotonicMs();
    this.#started = true;
    this.#tick();
  }

  #runTick(): void {
    this.#sendTimer = undefined;
    this.#sendImmediate = undefined;
    if (this.#sendingDone) return;
    const clock = this.#clock;
    const timeline = this.#timeline;
    let now = clock.monotonicMs();
    if (now - this.#lastClockRefreshMs >= CLOCK_REFRESH_MS) this.#refreshClock(now);
    const due = this.#startMs + timeline.nextMs;
    if (this.#options.precise && due > now) {
      // Still early: spin a slice, then hand the loop over (unless the final window began meanwhile).
      const spinFrom = due - SPIN_MS;
      if (now < spinFrom) {
        const sliceEnd = Math.min(spinFrom, now + POLL_SLICE_MS);
        while (now < sliceEnd) now = clock.monotonicMs();
      }
      // The final window: spin to the due time rather than hand the loop over and come back late.
      if (now >= spinFrom) {
        while (now < due) now = clock.monotonicMs();
      }
    }
    if (!this.#sendDue(now)) return;
    this.#arm(this.#startMs + timeline.nextMs - clock.monotonicMs());
  }

  /**
   * Send every slot due by `now`, queued and flushed once on a batching socket. False when sending
   * ended (count or duration reached, or stopped). Called from #tick, and from the receive callback
   * so that a long run of reply batches does not hold back a due send.
   */
  #sendDue(nowMs: number): boolean {
    const clock = this.#clock;
    const timeline = this.#timeline;
    const duration = this.#options.durationMs;
    let now = nowMs;
    let due = this.#startMs + timeline.nextMs;
    let slots = 0;
    while (due <= now) {
      if (duration !== undefined && timeline.nextMs >= duration) {
        this.#finishSending(false);
        return false;
      }
      if (slots >= this.#catchUpSlots) {
        // Too far behind to catch up without a long burst: move the rest of the timeline so the
        // next slot is now, and count it.
        const behind = now - due;
        timeline.shift(behind);
        this.#shifts += 1;
        this.#shiftedMs += behind;
        break;
      }
      if (!this.#sendSlot(due)) return false;
      slots += 1;
      timeline.advance();
      due = this.#startMs + timeline.nextMs;
      now = clock.monotonicMs();
    }
    // Everything due now leaves together (a no-op without a batching socket).
    this.#flushQueue();
    if (this.#stopped()) return false;
    if (duration !== undefined && timeline.nextMs >= duration) {
      this.#finishSending(false);
      return false;
    }
    return true;
  }

  #arm(waitMs: number): void {
    const timers = this.#timers;
    if (!this.#options.precise) {
      // Timer only: Node may fire up to ~1 ms early by our clock; #tick then re-arms for the rest.
      // (The queue fires on our clock, never early.)
      if (timers !== undefined) timers.arm(this.#sendTimerSlot, this.#startMs + this.#timeline.nextMs);
      else this.#sendTimer = setTimeout(this.#tick, Math.max(0, waitMs));
    } else if (waitMs > TIMER_THRESHOLD_MS) {
      if (timers !== undefined) timers.arm(this.#sendTimerSlot, this.#startMs + this.#timeline.nextMs - TIMER_MARGIN_MS);
      else this.#sendTimer = setTimeout(this.#tick, waitMs - TIMER_MARGIN_MS);
    } else {
      this.#sendImmediate = setImmediate(this.#tick);
    }
  }

  /** Send (or queue) the slot's burst; false when that was the last of the count. */
  #sendSlot(plannedMs: number): boolean {
    this.#slots += 1;
    const burst = this.#options.burst;
    const count = this.#options.count;
    const batched = this.#batched;
    // The onSendTiming hook may stop the run: check after every packet.
    for (let i = 0; i < burst && this.#attempts < count && !this.#stopped(); i++) {
      if (batched) this.#queueOne(plannedMs);
      else this.#sendOne(plannedMs);
    }
    if (this.#stopped()) return false;
    if (this.#attempts < count) return true;
    this.#finishSending(false);
    return false;
  }

  /** Read through methods so that the compiler does not assume a field it checked stays unchanged. */
  #stopped(): boolean {
    return this.#sendingDone;
  }

  #isComplete(): boolean {
    return this.#complete;
  }

  /** The next request's buffer, filled with its sequence and Error Estimate; undefined when the cycle has none. */
  #nextRequest(): Buffer | undefined {
    const builder = this.#builder;
    const position = this.#attempts % builder.cycleLength.length;
    const buffer = builder.cycleBuffer[position];
    const length = builder.cycleLength[position];
    this.#attempts += 1;
    if (buffer === undefined || length === undefined) return undefined;
    this.#requestLength = length;
    this.#requestSequence = this.#sequence;
    this.#sequence = (this.#sequence + 1) >>> 0;
    builder.fill(buffer, this.#requestSequence, this.#errorEstimate);
    return buffer;
  }

  /**
   * T1 for a request whose timestamp is covered by encryption or an HMAC: read now from the
   * socket's own clock (the clock of T4), written, then the packet is protected.
   */
  #stampAndProtect(buffer: Buffer): number {
    const socket = this.#socket;
    socket.stampNow();
    const stamp = socket.stamp;
    const seconds = stamp[0] ?? 0;
    const fraction = stamp[1] ?? 0;
    this.#builder.writeTimestamp(buffer, seconds, fraction);
    this.#builder.protect(buffer);
    return this.#ntp.convert(seconds, fraction);
  }

  #sendOne(plannedMs: number): void {
    const clock = this.#clock;
    const socket = this.#socket;
    const buffer = this.#nextRequest();
    if (buffer === undefined) return;
    const sequence = this.#requestSequence;
    const length = this.#requestLength;
    let actualMs: number;
    let t1: number;
    let accepted: boolean;
    try {
      if (this.#builder.t1Writer === 'sender') {
        actualMs = clock.monotonicMs();
        t1 = this.#stampAndProtect(buffer);
        accepted = socket.send(buffer, length, this.#targetAddress, this.#targetPort);
      } else {
        this.#builder.protect(buffer);
        actualMs = clock.monotonicMs();
        accepted = socket.send(buffer, length, this.#targetAddress, this.#targetPort, this.#stampOptions);
        const stamp = socket.stamp;
        t1 = this.#ntp.convert(stamp[0] ?? 0, stamp[1] ?? 0);
      }
    } catch {
      // A typed NetworkError (EMSGSIZE, EACCES, ...): counted; the run goes on.
      this.#sendErrors += 1;
      return;
    }
    if (!accepted) {
      // The socket buffer was full: the packet never left, so it is not a network loss.
      this.#sendErrors += 1;
      return;
    }
    this.#recordSent(sequence, t1);
    this.#sendTiming(plannedMs, actualMs);
  }

  /**
   * Queue the next request for the tick's single flush (batching sockets). Its T1 is known only
   * after the flush: the time of the batch's sendmmsg(), or, when the sender writes T1 itself, the
   * time read before protection.
   */
  #queueOne(plannedMs: number): void {
    const socket = this.#socket;
    if (socket.queuedSends >= socket.sendQueueCapacity) {
      this.#flushQueue();
      if (this.#stopped()) return;
    }
    const buffer = this.#nextRequest();
    if (buffer === undefined) return;
    let index: number;
    let t1 = Number.NaN;
    try {
      if (this.#builder.t1Writer === 'sender') {
        t1 = this.#stampAndProtect(buffer);
        index = socket.queue(buffer, this.#requestLength, this.#targetAddress, this.#targetPort);
      } else {
        this.#builder.protect(buffer);
        index = socket.queue(buffer, this.#requestLength, this.#targetAddress, this.#targetPort, this.#stampOptions);
      }
    } catch {
      this.#sendErrors += 1;
      return;
    }
    if (index < 0) {
      // Not expected (the queue was flushed when full above): never lose count of a request.
      this.#sendErrors += 1;
      return;
    }
    this.#queuedSequence[index] = this.#requestSequence;
    this.#queuedPlannedMs[index] = plannedMs;
    this.#queuedT1[index] = t1;
  }

  /** Send what #queueOne queued, with one flush, then record each packet's T1 by its queue index. */
  #flushQueue(): void {
    const socket = this.#socket;
    const queued = socket.queuedSends;
    if (queued === 0) return;
    const actualMs = this.#clock.monotonicMs();
    socket.flushSends();
    const results = socket.sendResults;
    const stamps = socket.sendStamps;
    const ntp = this.#ntp;
    // Every packet that left is recorded before any onSendTiming hook runs (a hook may stop the run).
    for (let q = 0; q < queued; q++) {
      if (results[q] !== 1) {
        // Dropped (socket buffer full) or refused: it never left, so it is not a network loss.
        this.#sendErrors += 1;
        this.#queuedPlannedMs[q] = Number.NaN;
        continue;
      }
      const own = this.#queuedT1[q] ?? Number.NaN;
      const t1 = Number.isNaN(own) ? ntp.convert(stamps[2 * q] ?? 0, stamps[2 * q + 1] ?? 0) : own;
      this.#recordSent(this.#queuedSequence[q] ?? 0, t1);
    }
    for (let q = 0; q < queued; q++) {
      const plannedMs = this.#queuedPlannedMs[q] ?? Number.NaN;
      if (!Number.isNaN(plannedMs)) this.#sendTiming(plannedMs, actualMs);
    }
  }

  #recordSent(sequence: number, t1: number): void {
    this.#sent += 1;
    this.#metrics.recordSent(sequence, t1);
    if (!this.#lossArmed) this.#armLossTimer();
  }

  #sendTiming(plannedMs: number, actualMs: number): void {
    const lateMs = actualMs - plannedMs;
    if (lateMs > LATE_SEND_MS) this.#lateSends += 1;
    if (lateMs * 1_000_000 > this.#maxLateNs) this.#maxLateNs = lateMs * 1_000_000;
    const timing = this.#options.onSendTiming;
    if (timing !== undefined) timing(this.#clock.relativeNanosAt(plannedMs), this.#clock.relativeNanosAt(actualMs));
  }

  #refreshClock(nowMs: number): void {
    this.#lastClockRefreshMs = nowMs;
    this.#clock.follow();
    const estimate = currentErrorEstimate(nowMs);
    if (estimate !== this.#errorEstimate) {
      this.#errorEstimate = estimate;
      this.#senderClaim = clockClaimFromErrorEstimate(estimate);
    }
  }

  #finishSending(aborted: boolean): void {
    if (this.#sendingDone) return;
    this.#sendingDone = true;
    this.#aborted = aborted;
    // Requests already queued in this tick go out: their sequences are taken.
    this.#flushQueue();
    if (this.#sendTimer !== undefined) clearTimeout(this.#sendTimer);
    this.#timers?.cancel(this.#sendTimerSlot);
    if (this.#sendImmediate !== undefined) clearImmediate(this.#sendImmediate);
    this.#sendTimer = undefined;
    this.#sendImmediate = undefined;
    // Every request still in flight gets its full loss timeout; this timer only guards against a
    // deadline that never comes (a clock step, a stuck timer).
    this.#drainTimer = setTimeout(this.#forceComplete, this.#options.lossTimeoutMs + DRAIN_GRACE_MS);
    this.#checkDone();
  }

  // ---- receiving ------------------------------------------------------------------------------

  #runOnBatch(batch: ReceiveBatch): void {
    if (this.#complete) return;
    if (batch.timeSource === 'userspace') this.#t4Source = 'userspace';
    const count = batch.count;
    const epoch = this.#clock.epochUnixSeconds;
    this.#inBatch = true;
    // A handler may stop the run mid-batch, which can complete it: stop reading then.
    for (let i = 0; i < count && !this.#isComplete(); i++) {
      if (batch.port(i) !== this.#targetPort || batch.truncated(i) || batch.address(i) !== this.#targetAddress) {
        this.#malformed += 1;
        continue;
      }
      const length = batch.length(i);
      if (this.#reader.read(batch.data(i), length) !== ReplyProblem.None) {
        this.#malformed += 1;
        continue;
      }
      const t4 = (batch.timeSeconds(i) - epoch) * 1_000_000_000 + batch.timeNanos(i);
      this.#record(batch, i, length, t4);
    }
    // A send that fell due while this batch was read goes now, not after the rest of the loop
    // round (the socket may deliver many batches in one); the armed tick still comes and re-arms.
    if (this.#started && !this.#sendingDone) {
      const now = this.#clock.monotonicMs();
      if (this.#startMs + this.#timeline.nextMs <= now) this.#sendDue(now);
    }
    this.#inBatch = false;
    if (this.#sendingDone) this.#checkDone();
  }

  #record(batch: ReceiveBatch, index: number, replyLength: number, t4: number): void {
    const f = this.#reader.fields;
    const sequence = f.senderSequence;
    if (f.ssidEchoed === 1) this.#ssidEchoed++;
    else if (f.ssidEchoed === 0) this.#ssidZero++;
    if (f.tlvsUnderstood === 1) this.#tlvsUnderstood++;
    else if (f.tlvsUnderstood === 0) this.#tlvsUnrecognized++;
    // A reply is measured against the T1 we recorded, not the one the reflector echoes; the echo
    // only serves for a sequence the in-flight table no longer holds (told 'unknown' anyway).
    const recorded = this.#metrics.sentT1(sequence);
    const t1 = Number.isNaN(recorded) ? f.senderTimestamp : recorded;
    if (f.errorEstimate !== this.#lastReflectorEstimate) {
      this.#lastReflectorEstimate = f.errorEstimate;
      this.#reflectorClaim = clockClaimFromErrorEstimate(f.errorEstimate);
    }
    const ttl = batch.ttl(index);
    const tos = batch.tos(index);
    const cycle = this.#builder.cycleLength;
    const wantEvents = this.#handler !== undefined || this.#queue !== undefined;
    // The event's own object, filled once, when it is kept (a queue, a handler that did not opt in to
    // reuse); otherwise the shared scratch sample.
    const fresh = this.#queue !== undefined || (this.#handler !== undefined && !this.#reuseResults);
    const sample: MutableResult = fresh ? newResult() : SCRATCH_SAMPLE;
    sample.sequence = sequence;
    sample.reflectorSequence = f.reflectorSequence;
    sample.t1 = t1;
    sample.t2 = f.receiveTimestamp;
    sample.t3 = f.transmitTimestamp;
    sample.t4 = t4;
    sample.sentTtl = this.#options.ttl;
    sample.reflectorReceivedTtl = f.senderTtl < 0 ? undefined : f.senderTtl;
    sample.reflectorSentTtl = undefined;
    sample.replyTtl = ttl < 0 ? undefined : ttl;
    sample.sentTos = this.#options.tos ?? 0;
    sample.reflectorReceivedTos = f.receivedTos < 0 ? undefined : f.receivedTos;
    sample.reflectorSentTos = f.sentTos < 0 ? undefined : f.sentTos;
    sample.replyTos = tos < 0 ? undefined : tos;
    sample.senderClock = this.#senderClaim;
    sample.reflectorClock = this.#reflectorClaim;
    sample.requestLength = cycle[sequence % cycle.length];
    sample.replyLength = replyLength;
    const disposition = this.#metrics.recordReply(sample);
    if (!wantEvents) return;
    sample.disposition = disposition;
    sample.rtt = roundTripTime(t1, sample.t2, sample.t3, t4);
    sample.forward = sample.t2 - t1;
    sample.backward = t4 - sample.t3;
    sample.processing = sample.t3 - sample.t2;
    this.#emit(fresh ? { type: 'packet', result: sample } : SCRATCH_EVENT);
  }

  // ---- loss and completion --------------------------------------------------------------------

  #runOnLost(sequence: number): void {
    if (this.#handler !== undefined || this.#queue !== undefined) this.#emit({ type: 'lost', sequence });
  }

  #armLossTimer(): void {
    const deadline = this.#metrics.nextDeadline;
    if (deadline === undefined || this.#complete) return;
    const nowMs = this.#clock.monotonicMs();
    const waitMs = (deadline - this.#clock.relativeNanosAt(nowMs)) / 1_000_000;
    // +1 ms: setTimeout may fire a little early by our clock, and an early expire() finds nothing.
    const delayMs = Math.max(0, Math.ceil(waitMs)) + 1;
    this.#lossArmed = true;
    const timers = this.#timers;
    if (timers !== undefined) timers.arm(this.#lossTimerSlot, nowMs + delayMs);
    else this.#lossTimer = setTimeout(this.#onLossTimer, delayMs);
  }

  #runOnLossTimer(): void {
    this.#lossTimer = undefined;
    this.#lossArmed = false;
    this.#metrics.expire(this.#clock.nowRelativeNanos());
    if (this.#sendingDone) this.#checkDone();
    if (!this.#complete) this.#armLossTimer();
  }

  #checkDone(): void {
    if (!this.#complete && this.#sendingDone && this.#metrics.pending === 0) this.#finish();
  }

  #runForceComplete(): void {
    this.#drainTimer = undefined;
    if (this.#complete) return;
    // Everything still pending has had its loss timeout and more: declare it lost.
    this.#metrics.expire(Number.MAX_SAFE_INTEGER);
    this.#finish();
  }

  #runEmitInterval(): void {
    const timers = this.#timers;
    const period = this.#options.intervalReportMs;
    if (timers !== undefined && this.#intervalTimerSlot >= 0 && period !== undefined) {
      // The next boundary on the same grid (no drift), past any the process was too busy to see.
      const now = this.#clock.monotonicMs();
      do this.#intervalDueMs += period;
      while (this.#intervalDueMs <= now);
      timers.arm(this.#intervalTimerSlot, this.#intervalDueMs);
    }
    this.#emitWindow();
  }

  #emitWindow(): void {
    const summary = this.#metrics.takeWindow();
    this.#emit({ type: 'interval', index: this.#intervalIndex, summary });
    this.#intervalIndex += 1;
  }

  #finish(): void {
    this.#complete = true;
    this.#endedAtMs = Date.now();
    for (const timer of [this.#lossTimer, this.#drainTimer, this.#sendTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.#lossArmed = false;
    // Freed for other senders: this one never arms again (a freed slot number is -1, which the queue ignores).
    this.#timers?.release(this.#sendTimerSlot);
    this.#timers?.release(this.#lossTimerSlot);
    this.#timers?.release(this.#intervalTimerSlot);
    this.#sendTimerSlot = -1;
    this.#lossTimerSlot = -1;
    this.#intervalTimerSlot = -1;
    if (this.#intervalTimer !== undefined) clearInterval(this.#intervalTimer);
    // The last, partial window, so that the windows add up to the run.
    if (this.#options.intervalReportMs !== undefined) this.#emitWindow();
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    // Not from inside the socket's own receive callback: the batch is still being read there.
    if (this.#inBatch) {
      setImmediate(() => {
        this.#socket.close();
      });
    } else {
      this.#socket.close();
    }
    const report = this.#report();
    this.#queue?.close();
    this.#resolveDone(report);
  }

  #report(): SessionSenderReport {
    const options = this.#options;
    const target: Endpoint = { address: options.target.address, port: options.target.port };
    const local: Endpoint = { address: this.#socket.localAddress, port: this.#socket.localPort };
    return {
      protocol: options.protocol,
      target,
      local,
      epochUnixSeconds: this.#clock.epochUnixSeconds,
      startedAtMs: this.#startedAtMs,
      durationMs: this.#endedAtMs - this.#startedAtMs,
      summary: this.#metrics.summary(),
      timestamps: { t1: this.#t1Source, t4: this.#t4Source },
      clock: this.#startClock,
      capabilities: this.#socket.capabilities,
      malformedReplies: this.#malformed,
      sendErrors: this.#sendErrors,
      eventsDropped: (this.#queue?.dropped ?? 0) + this.#handlerDropped,
      aborted: this.#aborted,
      packetsSent: this.#sent,
      stampReflector:
        options.format.kind === 'stamp'
          ? { ssidEchoed: this.#ssidEchoed, ssidZero: this.#ssidZero, tlvsUnderstood: this.#tlvsUnderstood, tlvsUnrecognized: this.#tlvsUnrecognized }
          : undefined,
      schedule: {
        kind: this.#timeline.kind,
        seed: this.#timeline.seed,
        slots: this.#slots,
        lateSends: this.#lateSends,
        maxLateNs: Math.round(this.#maxLateNs),
        timelineShifts: this.#shifts,
        shiftedMs: this.#shiftedMs,
      },
    };
  }

  #emit(event: SenderEvent): void {
    const handler = this.#handler;
    if (handler !== undefined) {
      try {
        handler(event);
      } catch {
        // A throwing handler must not break the receive path or the run; its event counts as dropped.
        this.#handlerDropped += 1;
      }
    }
    this.#queue?.push(event);
  }
}
