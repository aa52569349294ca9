// twampd's Prometheus registry: the process metrics prom-client collects by default (process_*,
// nodejs_*), the listeners' counters read at scrape time, and the agent's per-target metrics (the
// agent calls this object as one of its observers).
import type { PacketResult } from '@twamp/test-session';
import { createRequire } from 'node:module';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AgentFailure, AgentObserver, AgentTargetInfo, AgentWindow, ListenersSnapshot, TargetState } from '../types.js';
import { AgentMetrics } from './agent-metrics.js';
import { ListenerMetrics } from './listener-metrics.js';

/** This package's version, for twampd_info (package.json sits two levels up from src/ and dist/ alike). */
const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export interface DaemonMetricsOptions {
  /** The listeners' snapshot, read once per scrape (undefined: no listener series). */
  readonly listeners: () => ListenersSnapshot | undefined;
  /** RTT and one-way delay histograms per target (19 series each: turn off for very many targets). */
  readonly agentHistograms: boolean;
}

export class DaemonMetrics implements AgentObserver {
  /** Our own registry, never prom-client's global one: two daemons in one process (tests) stay apart. */
  readonly registry: Registry;
  readonly #agent: AgentMetrics;
  readonly #listeners: ListenerMetrics;

  constructor(options: DaemonMetricsOptions) {
    this.registry = new Registry();
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these three gauges with a `_total` suffix, which `promtool check metrics`
    // rejects (only counters end in _total). They are the sums of nodejs_active_handles{type},
    // nodejs_active_requests{type} and nodejs_active_resources{type}, which stay.
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    // Always present, so that dashboards can tell twampd processes from other Node.js ones.
    new Gauge({ name: 'twampd_info', help: 'Always 1; the version label says which twampd this is.', labelNames: ['version'], registers: [this.registry] }).set({ version: VERSION }, 1);
    // Lives as long as the registry: its metrics' collect callbacks read the listeners at scrape time.
    this.#listeners = new ListenerMetrics(this.registry, options.listeners);
    this.#agent = new AgentMetrics(this.registry, options.agentHistograms);
  }

  /** The text exposition (Prometheus 0.0.4) of every metric. */
  async text(): Promise<string> {
    return (await this.chunks()).join('');
  }

  /**
   * The text exposition as chunks, each ending with a newline, in registration order (what the HTTP
   * server writes, without ever building one string of it). The agent's per-target families are
   * rendered by their own fast path, which yields to the event loop (see target-family.ts); every
   * other metric the Registry's way. All collect callbacks run in the first synchronous pass, so the
   * listeners are read once per scrape.
   */
  async chunks(): Promise<string[]> {
    // First: whether the control families are listed depends on what the listeners are now.
    this.#listeners.prepare();
    const families: readonly unknown[] = this.#agent.families;
    const parts = await Promise.all(
      this.registry.getMetricsAsArray().map(async (metric): Promise<string[]> => {
        const family = this.#agent.families[families.indexOf(metric)];
        return family === undefined ? [`${await this.registry.getSingleMetricAsString(metric.name)}\n`] : family.slices();
      }),
    );
    return parts.flat();
  }

  /** The Content-Type header value for `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  get agentHistograms(): boolean {
    return this.#agent.histograms;
  }

  /** SIGHUP: histograms on or off; off frees every histogram series at once. */
  setAgentHistograms(on: boolean): void {
    this.#agent.setHistograms(on);
  }

  packet(target: AgentTargetInfo, result: PacketResult): void {
    this.#agent.packet(target, result);
  }

  window(window: AgentWindow): void {
    this.#agent.window(window);
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    this.#agent.state(target, state);
  }

  failure(failure: AgentFailure): void {
    this.#agent.failure(failure);
  }

  removed(target: AgentTargetInfo): void {
    this.#agent.removed(target);
  }
}
