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
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentFailure, AgentTargetInfo, AgentWindow, TargetState } from '../types.js';
import { DELAY_BUCKETS_SECONDS } from './buckets.js';
import { DelayHistogramFamily, type DelaySeries } from './delay-histogram.js';

const NS_PER_SECOND = 1e9;

/** The `direction` label of twampd_agent_jitter_seconds. */
export const JITTER_DIRECTIONS = ['round-trip', 'forward', 'backward'] as const;

/** What the observer keeps per target: the resolved histogram series and the one-way bookkeeping. */
class TargetSeries {
  rtt: DelaySeries | undefined;
  forward: DelaySeries | undefined;
  backward: DelaySeries | undefined;
  /** The latest window verdict with a counted reply (rule 4); true until a window says otherwise. */
  oneWayTrusted = true;
  oneWayUnreliable = 0;
  readonly labels: { readonly target: string };

  constructor(target: string) {
    this.labels = { target };
  }
}

export class AgentMetrics {
  readonly #targets = new Map<string, TargetSeries>();
  #histogramsOn: boolean;

  readonly #rtt: DelayHistogramFamily;
  readonly #forward: DelayHistogramFamily;
  readonly #backward: DelayHistogramFamily;
  readonly #oneWayUnreliable: Counter<'target'>;
  readonly #lossRatio: Gauge<'target'>;
  readonly #jitter: Gauge<'target' | 'direction'>;
  readonly #clockSynchronized: Gauge<'target'>;
  readonly #oneWayReliable: Gauge<'target'>;
  readonly #sent: Counter<'target'>;
  readonly #received: Counter<'target'>;
  readonly #lost: Counter<'target'>;
  readonly #up: Gauge<'target'>;
  readonly #failures: Counter<'target'>;

  constructor(registry: Registry, histograms: boolean) {
    this.#histogramsOn = histograms;
    const registers = [registry];
    const family = (name: string, help: string): DelayHistogramFamily => {
      const metric = new DelayHistogramFamily({ name, help, buckets: DELAY_BUCKETS_SECONDS });
      registry.registerMetric(metric);
      return metric;
    };
    this.#rtt = family('twampd_agent_rtt_seconds', 'Round-trip time of each counted reply, (T4 - T1) - (T3 - T2).');
    this.#forward = family('twampd_agent_forward_delay_seconds', 'Forward one-way delay T2 - T1 of each counted reply whose clocks are trusted (see twampd_agent_oneway_unreliable_total).');
    this.#backward = family('twampd_agent_backward_delay_seconds', 'Backward one-way delay T4 - T3 of each counted reply whose clocks are trusted.');
    this.#oneWayUnreliable = new Counter({
      name: 'twampd_agent_oneway_unreliable_total',
      help: 'Counted replies whose one-way delays were not put in the histograms (clocks not synchronised, claimed error too large, negative delay, or the window verdict says unreliable).',
      labelNames: ['target'],
      registers,
      collect: () => {
        this.#oneWayUnreliable.reset();
        if (!this.#histogramsOn) return;
        for (const series of this.#targets.values()) this.#oneWayUnreliable.inc(series.labels, series.oneWayUnreliable);
      },
    });
    this.#lossRatio = new Gauge({
      name: 'twampd_agent_loss_ratio',
      help: 'Share of the requests decided in the last window that were lost (0..1); absent when the window decided none.',
      labelNames: ['target'],
      registers,
    });
    this.#jitter = new Gauge({
      name: 'twampd_agent_jitter_seconds',
      help: 'RFC 3550 interarrival jitter at the end of the last window, per direction; absent when not measured.',
      labelNames: ['target', 'direction'],
      registers,
    });
    this.#clockSynchronized = new Gauge({
      name: 'twampd_agent_clock_synchronized',
      help: '1 when both clocks claimed synchronisation for every counted reply of the last window, else 0.',
      labelNames: ['target'],
      registers,
    });
    this.#oneWayReliable = new Gauge({
      name: 'twampd_agent_oneway_reliable',
      help: '1 when the last window\'s clock verdict says one-way delays are meaningful, else 0.',
      labelNames: ['target'],
      registers,
    });
    this.#sent = new Counter({ name: 'twampd_agent_packets_sent_total', help: 'Test packets sent, counted per window.', labelNames: ['target'], registers });
    this.#received = new Counter({ name: 'twampd_agent_packets_received_total', help: 'Requests answered within the loss timeout.', labelNames: ['target'], registers });
    this.#lost = new Counter({ name: 'twampd_agent_packets_lost_total', help: 'Requests not answered within the loss timeout.', labelNames: ['target'], registers });
    this.#up = new Gauge({ name: 'twampd_agent_target_up', help: '1 while the target is measuring, 0 while it starts, backs off after a failure, or stopped.', labelNames: ['target'], registers });
    this.#failures = new Counter({ name: 'twampd_agent_failures_total', help: 'Failures of the target (connection, handshake, session), each followed by a retry with backoff.', labelNames: ['target'], registers });
  }

  get histograms(): boolean {
    return this.#histogramsOn;
  }

  /** Histograms on (series resolved for every known target) or off (every histogram series freed). */
  setHistograms(on: boolean): void {
    if (on === this.#histogramsOn) return;
    this.#histogramsOn = on;
    for (const [name, series] of this.#targets) {
      if (on) {
        this.#resolveHistograms(name, series);
      } else {
        series.rtt = series.forward = series.backward = undefined;
        series.oneWayUnreliable = 0;
      }
    }
    if (!on) {
      this.#rtt.reset();
      this.#forward.reset();
      this.#backward.reset();
    }
  }

  /** The hot path: one Map lookup, three histogram scans; no allocation, no label hashing. */
  packet(target: AgentTargetInfo, result: PacketResult): void {
    if (!this.#histogramsOn || result.disposition !== 'counted') return;
    const series = this.#series(target.name);
    const rtt = result.rtt / NS_PER_SECOND;
    // A negative round trip (a reflector whose T3 − T2 exceeds our T4 − T1) is not a delay: left out.
    if (rtt >= 0 && rtt < Infinity) series.rtt?.observe(rtt);
    const forward = result.forward / NS_PER_SECOND;
    const backward = result.backward / NS_PER_SECOND;
    const { senderClock, reflectorClock } = result;
    const trusted =
      series.oneWayTrusted &&
      senderClock.synchronized &&
      reflectorClock.synchronized &&
      (senderClock.errorSeconds + reflectorClock.errorSeconds) * NS_PER_SECOND <= CLAIMED_ERROR_RTT_FRACTION * result.rtt &&
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
    const labels = series.labels;
    const { loss, jitter, clock } = window.summary;
    if (loss.lossRatio === undefined) this.#lossRatio.remove(labels);
    else this.#lossRatio.set(labels, loss.lossRatio);
    const jitters = [jitter.roundTrip.rfc3550, jitter.forward.rfc3550, jitter.backward.rfc3550];
    JITTER_DIRECTIONS.forEach((direction, i) => {
      const value = jitters[i];
      const directionLabels = { target: labels.target, direction };
      if (value === undefined || !Number.isFinite(value)) this.#jitter.remove(directionLabels);
      else this.#jitter.set(directionLabels, value / NS_PER_SECOND);
    });
    this.#clockSynchronized.set(labels, clock.bothSynchronized ? 1 : 0);
    this.#oneWayReliable.set(labels, clock.oneWayReliable ? 1 : 0);
    this.#sent.inc(labels, loss.sent);
    this.#received.inc(labels, loss.received);
    this.#lost.inc(labels, loss.lost);
    if (!clock.reasons.includes(CLOCK_REASONS.noSamples)) series.oneWayTrusted = clock.oneWayReliable;
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    const series = this.#series(target.name);
    this.#up.set(series.labels, state === 'running' ? 1 : 0);
  }

  failure(failure: AgentFailure): void {
    const series = this.#series(failure.target.name);
    this.#failures.inc(series.labels, 1);
  }

  removed(target: AgentTargetInfo): void {
    const series = this.#targets.get(target.name);
    if (series === undefined) return;
    this.#targets.delete(target.name);
    const labels = series.labels;
    for (const metric of [this.#lossRatio, this.#clockSynchronized, this.#oneWayReliable, this.#up]) metric.remove(labels);
    for (const metric of [this.#sent, this.#received, this.#lost, this.#failures]) metric.remove(labels);
    for (const direction of JITTER_DIRECTIONS) this.#jitter.remove({ target: labels.target, direction });
    for (const family of [this.#rtt, this.#forward, this.#backward]) family.deleteSeries(labels.target);
  }

  /** The target's series, created (counters at 0, histograms resolved) the first time it is seen. */
  #series(name: string): TargetSeries {
    let series = this.#targets.get(name);
    if (series === undefined) {
      series = new TargetSeries(name);
      this.#targets.set(name, series);
      // Counters start at 0 so that the first window's increase shows in rate() and increase().
      for (const metric of [this.#sent, this.#received, this.#lost, this.#failures]) metric.inc(series.labels, 0);
      if (this.#histogramsOn) this.#resolveHistograms(name, series);
    }
    return series;
  }

  #resolveHistograms(name: string, series: TargetSeries): void {
    series.rtt = this.#rtt.series(name);
    series.forward = this.#forward.series(name);
    series.backward = this.#backward.series(name);
  }
}
