// Daemon: twampd's parts started from one config, reloaded on SIGHUP and stopped on SIGTERM.
//
// Start order is the order the parts depend on each other: the logger (everything logs), the keys
// (listeners and targets need them), the listeners (a target may measure a listener of this very
// process), metrics and the JSON Lines sink (the agent's observers), the agent, the HTTP endpoint,
// and only then the agent's first packets and the `ready` line. A failure anywhere closes what had
// started, in reverse, and rethrows: nothing is left bound.
import { performance } from 'node:perf_hooks';
import type { KeyFileWarning, KeyStore } from '@twamp/control';
import { ConfigError } from '@twamp/errors';
import { Agent, type JsonlSink, jsonlBufferBytesFor, openJsonlSink } from './agent/index.js';
import { formatConfigError, loadConfigKeys } from './config/index.js';
import { agentFileOf, appendProblem } from './config/paths.js';
import { placeConfigError } from './config/places.js';
import { ObserverRelay } from './daemon/relay.js';
import { startListeners } from './listeners/index.js';
import { createLogger, type DaemonLogger } from './logging/index.js';
import { DaemonMetrics, type HttpServerHandle, startHttpServer } from './metrics/index.js';
import type {
  DaemonConfig,
  DaemonLog,
  HealthReport,
  ListenerEndpoint,
  ListenerSetApi,
  ListenersSnapshot,
  MetricsConfig,
} from './types.js';

export interface DaemonStartOptions {
  /** Log here instead of a logger made from `config.logging` (the daemon still sets its level and reopens it on reload). */
  readonly logger?: DaemonLogger;
  /** The file the config came from, for logs. */
  readonly configPath?: string;
}

/** Where the daemon listens, as bound (port 0 in the config shows the port the system chose). */
export interface DaemonEndpoints {
  readonly listeners: readonly ListenerEndpoint[];
  /** The /metrics and /healthz HTTP server; undefined when metrics are disabled. */
  readonly metrics: { readonly address: string; readonly port: number } | undefined;
}

/** The parts a started daemon holds; some come and go on reload. */
interface Parts {
  config: DaemonConfig;
  readonly logger: DaemonLogger;
  readonly listeners: ListenerSetApi;
  readonly agent: Agent;
  /** The agent's two observers: each points at the current sink / metrics, or at nothing. */
  readonly sinkRelay: ObserverRelay;
  readonly metricsRelay: ObserverRelay;
  sink: JsonlSink | undefined;
  metrics: DaemonMetrics | undefined;
  http: HttpServerHandle | undefined;
}

/**
 * The agent's results file must be one this process can append to. The sink opens it asynchronously
 * and would only count every line as dropped, so a wrong path is refused at start (and on SIGHUP)
 * instead, as a mistake at \`agent.output\` with the absolute path tried and the file:line of the key.
 */
function checkAgentOutput(config: DaemonConfig): void {
  const file = agentFileOf(config.agent.output);
  const problem = file === undefined ? undefined : appendProblem(file);
  if (problem === undefined) return;
  const issue = { path: 'agent.output', expected: 'a file this user may create or append to, or - for standard output', received: `${JSON.stringify(file)} (${problem})` };
  throw placeConfigError(config, new ConfigError([issue]));
}

/** The agent's JSON Lines sink, if the config names an output, sized for its targets. */
/** A weak but usable key (a secret under 16 octets) is logged at start and on each reload, never fatal. */
function weakKeyWarning(log: DaemonLog): (warning: KeyFileWarning) => void {
  return (warning) => {
    log.warn({ event: 'key-file-weak-secret', keyFile: warning.path, keyId: warning.keyId, octets: warning.octets }, warning.message);
  };
}

function openSink(config: DaemonConfig): JsonlSink | undefined {
  if (config.agent.output === undefined) return undefined;
  return openJsonlSink(config.agent.output, { maxBufferedBytes: jsonlBufferBytesFor(config.agent.targets.length) });
}

export class Daemon {
  readonly #parts: Parts;
  readonly #configPath: string | undefined;
  readonly #startedAt = performance.now();
  /** Reloads run one after the other; this is the tail of the queue (never rejects). */
  #reloads: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  private constructor(parts: Parts, configPath: string | undefined) {
    this.#parts = parts;
    this.#configPath = configPath;
  }

  /** Starts every part of `config`; resolves once every listener is bound and the `ready` line is logged. */
  static async start(config: DaemonConfig, options: DaemonStartOptions = {}): Promise<Daemon> {
    let logger: DaemonLogger;
    try {
      logger = options.logger ?? createLogger(config.logging);
    } catch (error) {
      throw placeConfigError(config, error);
    }
    const log = logger.log;
    // Closers of what has started, run in reverse if a later part fails.
    const started: (() => Promise<void>)[] = [];
    try {
      const keys = await loadConfigKeys(config, weakKeyWarning(log));
      checkAgentOutput(config);
      const listeners = await startListeners(config, { log: log.child({ component: 'listeners' }), keys });
      started.push(() => listeners.close(0));

      const sink = openSink(config);
      if (sink !== undefined) started.push(() => sink.close());
      const metrics = config.metrics.enabled ? newMetrics(config.metrics, () => listeners.snapshot()) : undefined;
      const sinkRelay = new ObserverRelay(sink);
      const metricsRelay = new ObserverRelay(metrics);
      const agent = new Agent(config.agent, { log: log.child({ component: 'agent' }), keys, observers: [sinkRelay, metricsRelay] });
      started.push(() => agent.stop(0));

      const parts: Parts = { config, logger, listeners, agent, sinkRelay, metricsRelay, sink, metrics, http: undefined };
      const daemon = new Daemon(parts, options.configPath);
      if (metrics !== undefined) {
        parts.http = await daemon.#startHttp(config.metrics, metrics);
      }
      agent.start();
      log.info(
        {
          event: 'ready',
          pid: process.pid,
          config: options.configPath,
          listeners: listeners.endpoints(),
          metrics: daemon.endpoints.metrics,
          targets: config.agent.targets.length,
        },
        'twampd ready',
      );
      return daemon;
    } catch (error) {
      for (const close of started.reverse()) {
        await close().catch((closeError: unknown) => {
          log.error({ event: 'start-cleanup-failed', error: messageOf(closeError) }, 'closing a part after a failed start failed');
        });
      }
      await logger.flush().catch(() => undefined);
      throw error;
    }
  }

  /** The config in force (the last one reload accepted). */
  get config(): DaemonConfig {
    return this.#parts.config;
  }

  get log(): DaemonLog {
    return this.#parts.logger.log;
  }

  get endpoints(): DaemonEndpoints {
    const { listeners, http } = this.#parts;
    return {
      listeners: listeners.endpoints(),
      metrics: http === undefined ? undefined : { address: http.address, port: http.port },
    };
  }

  health(): HealthReport {
    const { listeners, agent } = this.#parts;
    let running = 0;
    let backoff = 0;
    for (const target of agent.targets) {
      if (target.state === 'running') running += 1;
      else if (target.state === 'backoff') backoff += 1;
    }
    const status = this.#stopping !== undefined ? 'stopping' : listeners.missing().length > 0 ? 'failed' : 'ok';
    return {
      status,
      uptimeMs: Math.round(performance.now() - this.#startedAt),
      listeners: listeners.endpoints(),
      targets: { total: agent.targets.length, running, backoff },
    };
  }

  /**
   * Applies a new config (SIGHUP) without dropping running sessions: new limits, access and keys
   * apply to new sessions and connections. When the new key file cannot be used nothing changes and
   * the error is thrown. A part that cannot apply its share (a new port taken) is logged and the
   * first such error thrown after the other parts have applied theirs.
   */
  reload(config: DaemonConfig): Promise<void> {
    const run = this.#reloads.then(() => this.#applyReload(config));
    this.#reloads = run.catch(() => undefined);
    return run;
  }

  /**
   * SIGTERM: stop accepting, let sessions and targets end until `shutdownGraceMs`, write the last
   * windows, flush the logs, and close the HTTP endpoint last (so /healthz says `stopping` meanwhile).
   * Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #applyReload(config: DaemonConfig): Promise<void> {
    if (this.#stopping !== undefined) throw new Error('twampd is stopping: the reload was ignored');
    const parts = this.#parts;
    const log = parts.logger.log;
    const previous = parts.config;
    let keys: KeyStore | undefined;
    let stage = 'keys';
    try {
      keys = await loadConfigKeys(config, weakKeyWarning(log));
      stage = 'files';
      if (config.agent.output !== previous.agent.output) checkAgentOutput(config);
    } catch (error) {
      // A config mistake (an empty key file, an identity it lacks, a results file that cannot be
      // written) with file:line:column, as the config stage gives them.
      const mistakes = error instanceof ConfigError ? { mistakes: formatConfigError(error).split('\n') } : {};
      log.error({ event: 'reload-failed', stage, error: messageOf(error), ...mistakes }, 'reload refused: the running config stays');
      throw error;
    }
    parts.logger.setLevel(config.logging.level);
    if (config.logging.destination !== previous.logging.destination) {
      log.warn(
        { event: 'reload-partial', setting: 'logging.destination', running: previous.logging.destination, wanted: config.logging.destination },
        'logging.destination changes on restart only',
      );
    }

    const failures: unknown[] = [];
    try {
      await parts.listeners.reconfigure(config, keys);
    } catch (error) {
      // The listener set logged each failure once (reload-failed, stage listeners, with what still serves).
      failures.push(error);
    }

    // Results after this point go to the new sink (the old one is flushed and closed first).
    if (config.agent.output !== previous.agent.output) {
      await parts.sink?.close();
      parts.sink = openSink(config);
      parts.sinkRelay.target = parts.sink;
    } else if (parts.sink !== undefined) {
      parts.sink.maxBufferedBytes = jsonlBufferBytesFor(config.agent.targets.length);
    }
    try {
      await this.#reloadMetrics(config.metrics, previous.metrics);
    } catch (error) {
      failures.push(error);
      log.error({ event: 'reload-failed', stage: 'metrics', error: messageOf(error) }, 'the metrics endpoint could not apply the new config');
    }
    parts.agent.reconfigure(config.agent, keys);

    // SIGHUP is also logrotate's signal: reopen the files we append to.
    if (config.agent.output === previous.agent.output) parts.sink?.reopen();
    parts.logger.reopen();
    parts.config = config;
    log.info(
      {
        event: 'reloaded',
        config: this.#configPath,
        listeners: parts.listeners.endpoints(),
        targets: config.agent.targets.length,
        failed: failures.length,
      },
      failures.length === 0 ? 'config reloaded' : 'config reloaded with failures (see above)',
    );
    if (failures.length > 0) throw failures[0];
  }

  /** Metrics on, off, histograms toggled, or the HTTP endpoint moved: only what changed is touched. */
  async #reloadMetrics(next: MetricsConfig, previous: MetricsConfig): Promise<void> {
    const parts = this.#parts;
    if (!next.enabled) {
      parts.metricsRelay.target = undefined;
      parts.metrics = undefined;
      const http = parts.http;
      parts.http = undefined;
      await http?.close();
      return;
    }
    let metrics = parts.metrics;
    if (metrics === undefined) {
      const listeners = parts.listeners;
      metrics = newMetrics(next, () => listeners.snapshot());
      parts.metrics = metrics;
      parts.metricsRelay.target = metrics;
    } else {
      metrics.setAgentHistograms(next.agentHistograms);
    }
    const moved = next.address !== previous.address || next.port !== previous.port;
    if (parts.http !== undefined && !moved && previous.enabled) return;
    const old = parts.http;
    try {
      parts.http = await this.#startHttp(next, metrics);
      await old?.close();
    } catch (error) {
      // The new address may overlap the old one (0.0.0.0 → 127.0.0.1, same port): free it and retry once.
      if (old === undefined) throw error;
      await old.close();
      parts.http = undefined;
      parts.http = await this.#startHttp(next, metrics);
    }
  }

  #startHttp(config: MetricsConfig, metrics: DaemonMetrics): Promise<HttpServerHandle> {
    const log = this.#parts.logger.log;
    return startHttpServer({
      address: config.address,
      port: config.port,
      metrics,
      health: () => this.health(),
      log: log.child({ component: 'http' }),
    });
  }

  async #shutdown(): Promise<void> {
    const parts = this.#parts;
    const log = parts.logger.log;
    const graceMs = parts.config.shutdownGraceMs;
    log.info({ event: 'stopping', graceMs }, 'stopping: no new sessions; running ones may end until the grace period is over');
    await this.#reloads;
    const failures: unknown[] = [];
    const record = (stage: string) => (error: unknown) => {
      failures.push(error);
      log.error({ event: 'stop-failed', stage, error: messageOf(error) }, `stopping the ${stage} failed`);
    };
    await Promise.all([
      parts.listeners.close(graceMs).catch(record('listeners')),
      parts.agent.stop(graceMs).catch(record('agent')),
    ]);
    await parts.sink?.close().catch(record('results sink'));
    log.info({ event: 'stopped', uptimeMs: this.health().uptimeMs, failed: failures.length }, 'twampd stopped');
    await parts.logger.flush().catch(record('logger'));
    await parts.http?.close().catch(record('http'));
    if (failures.length > 0) throw failures[0];
  }
}

function newMetrics(config: MetricsConfig, snapshot: () => ListenersSnapshot): DaemonMetrics {
  return new DaemonMetrics({ listeners: snapshot, agentHistograms: config.agentHistograms });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
