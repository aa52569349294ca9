// The agent's metrics, per target: delay histograms fed per counted reply (the hot path), gauges and
// counters set once per reporting window, the target's state and failures.
//
// One-way delays are only put in the histograms when they mean something; the rule, per reply:
//   1. both clocks claim to be synchronised (S bit set in the sender's and the reflector's Error
//      Estimate),
//   2. their claimed errors together are at most CLAIMED_ERROR_RTT_FRACTION (10 %) of this reply's
//      round-trip time (the window verdict's rule, applied to one reply),
//   3. neither one-way delay is negative (a negative delay is clock offset, and a histogram cannot
//      hold it; it is never clamped to 0), and
//   4. the target's latest window verdict (`summary.clock.oneWayReliable`, which also checks the
//      offset estimated from the data against the claims) did not say unreliable; a window without a
//      counted reply says nothing and leaves the previous verdict in force.
// Replies that fail the rule have neither one-way delay observed, and are counted in
// twampd_agent_oneway_unreliable_total, so the histograms' _count shows how many were left out.
import { CLAIMED_ERROR_RTT_FRACTION, CLOCK_REASONS } from '@twamp/metrics';
import type { PacketResult } from '@twamp/test-session';
import type { Registry } from 'prom-client';
import type { AgentFailure, AgentTargetInfo, AgentWindow, TargetState } from '../types.js';
import { DELAY_BUCKETS_SECONDS } from './buckets.js';
import { DelaySeries, delaySeriesLength } from './delay-histogram.js';
import { escapeLabelValue, type SampleSink, TargetFamily, type TargetFamilySpec } from './target-family.js';

const NS_PER_SECOND = 1e9;

/** The `direction` label of twampd_agent_jitter_seconds. */
export const JITTER_DIRECTIONS = ['round-trip', 'forward', 'backward'] as const;

const BOUNDS = Float64Array.from(DELAY_BUCKETS_SECONDS);
/** The `le` label values, spelled once. */
const LE = DELAY_BUCKETS_SECONDS.map(String);

/** Everything exported about one target: its series' values, kept here and read at scrape time. */
class TargetSeries {
  readonly name: string;
  readonly labelText: string;
  rtt: DelaySeries | undefined;
  forward: DelaySeries | undefined;
  backward: DelaySeries | undefined;
  /** The latest window verdict with a counted reply (rule 4); true until a window says otherwise. */
  oneWayTrusted = true;
  oneWayUnreliable = 0;
  /** Undefined (or NaN for jitter) until a window sets them, and when the last window had none. */
  lossRatio: number | undefined;
  readonly jitter = new Float64Array([NaN, NaN, NaN]);
  clockSynchronized: number | undefined;
  oneWayReliable: number | undefined;
  up: number | undefined;
  sent = 0;
  received = 0;
  lost = 0;
  failures = 0;

  constructor(name: string) {
    this.name = name;
    this.labelText = `target="${escapeLabelValue(name)}"`;
  }
}

function histogramSamples(series: DelaySeries | undefined, sink: SampleSink): void {
  if (series === undefined) return;
  let cumulative = 0;
  const n = series.bucketCount;
  for (let i = 0; i < n; i++) {
    cumulative += series.bucket(i);
    sink.sample('_bucket', cumulative, 'le', LE[i]);
  }
  sink.sample('_bucket', series.count, 'le', '+Inf');
  sink.sample('_sum', series.sum);
  sink.sample('_count', series.count);
}

function optional(value: number | undefined, sink: SampleSink): void {
  if (value !== undefined) sink.sample('', value);
}

export class AgentMetrics {
  readonly #targets = new Map<string, TargetSeries>();
  #histogramsOn: boolean;

  constructor(registry: Registry, histograms: boolean) {
    this.#histogramsOn = histograms;
    const entries = (): Iterable<TargetSeries> => this.#targets.values();
    const specs: TargetFamilySpec<TargetSeries>[] = [
      {
        name: 'twampd_agent_rtt_seconds',
        help: 'Round-trip time of each counted reply, (T4 - T1) - (T3 - T2).',
        type: 'histogram',
        samples: (t, sink) => {
          histogramSamples(t.rtt, sink);
        },
      },
      {
        name: 'twampd_agent_forward_delay_seconds',
        help: 'Forward one-way delay T2 - T1 of each counted reply whose clocks are trusted (see twampd_agent_oneway_unreliable_total).',
        type: 'histogram',
        samples: (t, sink) => {
          histogramSamples(t.forward, sink);
        },
      },
      {
        name: 'twampd_agent_backward_delay_seconds',
        help: 'Backward one-way delay T4 - T3 of each counted reply whose clocks are trusted.',
        type: 'histogram',
        samples: (t, sink) => {
          histogramSamples(t.backward, sink);
        },
      },
      {
        name: 'twampd_agent_oneway_unreliable_total',
        help: 'Counted replies whose one-way delays were not put in the histograms (clocks not synchronised, claimed error too large, negative delay, or the window verdict says unreliable).',
        type: 'counter',
        samples: (t, sink) => {
          if (t.rtt !== undefined) sink.sample('', t.oneWayUnreliable);
        },
      },
      {
        name: 'twampd_agent_loss_ratio',
        help: 'Share of the requests decided in the last window that were lost (0..1); absent when the window decided none.',
        type: 'gauge',
        samples: (t, sink) => {
          optional(t.lossRatio, sink);
        },
      },
      {
        name: 'twampd_agent_jitter_seconds',
        help: 'RFC 3550 interarrival jitter at the end of the last window, per direction; absent when not measured.',
        type: 'gauge',
        extraLabels: ['direction'],
        samples: (t, sink) => {
          JITTER_DIRECTIONS.forEach((direction, i) => {
            const value = t.jitter[i] ?? NaN;
            if (!Number.isNaN(value)) sink.sample('', value, 'direction', direction);
          });
        },
      },
      {
        name: 'twampd_agent_clock_synchronized',
        help: '1 when both clocks claimed synchronisation for every counted reply of the last window, else 0.',
        type: 'gauge',
        samples: (t, sink) => {
          optional(t.clockSynchronized, sink);
        },
      },
      {
        name: 'twampd_agent_oneway_reliable',
        help: "1 when the last window's clock verdict says one-way delays are meaningful, else 0.",
        type: 'gauge',
        samples: (t, sink) => {
          optional(t.oneWayReliable, sink);
        },
      },
      {
        name: 'twampd_agent_packets_sent_total',
        help: 'Test packets sent, added per window.',
        type: 'counter',
        samples: (t, sink) => {
          sink.sample('', t.sent);
        },
      },
      {
        name: 'twampd_agent_packets_received_total',
        help: 'Requests answered within the loss timeout, added per window.',
        type: 'counter',
        samples: (t, sink) => {
          sink.sample('', t.received);
        },
      },
      {
        name: 'twampd_agent_packets_lost_total',
        help: 'Requests not answered within the loss timeout, added per window.',
        type: 'counter',
        samples: (t, sink) => {
          sink.sample('', t.lost);
        },
      },
      {
        name: 'twampd_agent_target_up',
        help: '1 while the target is measuring, 0 while it starts, backs off after a failure, or stopped.',
        type: 'gauge',
        samples: (t, sink) => {
          optional(t.up, sink);
        },
      },
      {
        name: 'twampd_agent_failures_total',
        help: 'Failures of the target (connection, handshake, session), each followed by a retry with backoff.',
        type: 'counter',
        samples: (t, sink) => {
          sink.sample('', t.failures);
        },
      },
    ];
    this.families = specs.map((spec) => {
      const family = new TargetFamily(spec, entries);
      registry.registerMetric(family);
      return family;
    });
  }

  /** The families, for DaemonMetrics.text()'s fast path. */
  readonly families: readonly TargetFamily<TargetSeries>[];

  get histograms(): boolean {
    return this.#histogramsOn;
  }

  /** Histograms on (series resolved for every known target) or off (every histogram series freed). */
  setHistograms(on: boolean): void {
    if (on === this.#histogramsOn) return;
    this.#histogramsOn = on;
    for (const series of this.#targets.values()) {
      if (on) {
        resolveHistograms(series);
      } else {
        series.rtt = series.forward = series.backward = undefined;
        series.oneWayUnreliable = 0;
      }
    }
  }

  /** The hot path: one Map lookup, three histogram searches; no allocation, no label hashing. */
  packet(target: AgentTargetInfo, result: PacketResult): void {
    if (!this.#histogramsOn || result.disposition !== 'counted') return;
    const series = this.#series(target.name);
    const rtt = result.rtt / NS_PER_SECOND;
    // A negative round trip (a reflector whose T3 − T2 exceeds our T4 − T1) is not a delay: left out.
    if (rtt >= 0 && rtt < Infinity) series.rtt?.observe(rtt);
    const forward = result.forward / NS_PER_SECOND;
    const backward = result.backward / NS_PER_SECOND;
    const { senderClock, reflectorClock } = result;
    // One clock at both ends (a local reflector) needs no synchronisation and makes no claim to weigh.
    const clocksAgree =
      target.sharedClock ||
      (senderClock.synchronized &&
        reflectorClock.synchronized &&
        (senderClock.errorSeconds + reflectorClock.errorSeconds) * NS_PER_SECOND <= CLAIMED_ERROR_RTT_FRACTION * result.rtt);
    const trusted =
      series.oneWayTrusted &&
      clocksAgree &&
      forward >= 0 &&
      backward >= 0 &&
      forward < Infinity &&
      backward < Infinity;
    if (trusted) {
      series.forward?.observe(forward);
      series.backward?.observe(backward);
    } else {
      series.oneWayUnreliable++;
    }
  }

  window(window: AgentWindow): void {
    const series = this.#series(window.target.name);
    const { loss, jitter, clock } = window.summary;
    series.lossRatio = loss.lossRatio;
    const jitters = [jitter.roundTrip.rfc3550, jitter.forward.rfc3550, jitter.backward.rfc3550];
    for (let i = 0; i < jitters.length; i++) {
      const value = jitters[i];
      series.jitter[i] = value === undefined || !Number.isFinite(value) ? NaN : value / NS_PER_SECOND;
    }
    series.clockSynchronized = clock.bothSynchronized ? 1 : 0;
    series.oneWayReliable = clock.oneWayReliable ? 1 : 0;
    series.sent += loss.sent;
    series.received += loss.received;
    series.lost += loss.lost;
    if (!clock.reasons.includes(CLOCK_REASONS.noSamples)) series.oneWayTrusted = clock.oneWayReliable;
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    this.#series(target.name).up = state === 'running' ? 1 : 0;
  }

  failure(failure: AgentFailure): void {
    this.#series(failure.target.name).failures++;
  }

  /** Every series of the target goes with its store entry. */
  removed(target: AgentTargetInfo): void {
    this.#targets.delete(target.name);
  }

  /** The target's entry, created (counters at 0, histograms resolved) the first time it is seen. */
  #series(name: string): TargetSeries {
    let series = this.#targets.get(name);
    if (series === undefined) {
      series = new TargetSeries(name);
      this.#targets.set(name, series);
      if (this.#histogramsOn) resolveHistograms(series);
    }
    return series;
  }
}

/** A target's three delay histograms, in one array: one backing store per target rather than three. */
function resolveHistograms(series: TargetSeries): void {
  const length = delaySeriesLength(BOUNDS);
  const storage = new Float64Array(3 * length);
  series.rtt = new DelaySeries(BOUNDS, storage, 0);
  series.forward = new DelaySeries(BOUNDS, storage, length);
  series.backward = new DelaySeries(BOUNDS, storage, 2 * length);
}
