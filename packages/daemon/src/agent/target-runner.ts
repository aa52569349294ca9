// One target of the agent: open its session, deliver what it measures, and when something fails
// (resolve, connect, Accept ≠ 0, a control connection that ends, a socket that cannot be opened) tell
// the observers, wait out an exponential backoff and try again, without touching any other target.
// Per target: this small record and, while running, one sender (and a control client for TWAMP).
import { formatEndpoint, formatError } from '@twamp/errors';
import type { KeyStore } from '@twamp/control';
import type { AgentTargetConfig, AgentTargetInfo, DaemonLog, SecurityModeWord, TargetState } from '../types.js';
import { retryDelayMs, type RetrySettings } from './backoff.js';
import { controlClosedError, failureFacts } from './failure.js';
import type { ObserverFanout } from './observers.js';
import { SessionRun, within } from './session-run.js';
import { configuredMode, type HostLookup, openTargetSession, SetupCancelled, type TargetSession } from './target-session.js';

export interface RunnerContext {
  readonly fanout: ObserverFanout;
  readonly log: DaemonLog;
  keys(): KeyStore | undefined;
  retry(): RetrySettings;
  readonly lookup: HostLookup | undefined;
}

/**
 * After a failure the old sender still drains (its in-flight packets and last window); it gets its
 * loss timeout plus this much before the run is cut.
 */
const FAILURE_DRAIN_SLACK_MS = 2000;

function targetInfo(config: AgentTargetConfig, mode: SecurityModeWord, sharedClock: boolean): AgentTargetInfo {
  return {
    name: config.name,
    protocol: config.protocol,
    address: config.address,
    port: config.port,
    mode,
    dscp: config.dscp,
    labels: config.labels,
    sharedClock,
  };
}

export class TargetRunner {
  readonly config: AgentTargetConfig;
  readonly #context: RunnerContext;
  #info: AgentTargetInfo;
  #state: TargetState = 'starting';
  /** Consecutive failures (reset by a window measured while the session was up). */
  #failures = 0;
  #windowIndex = 0;
  /** Bumped by each attempt and by stop: a set-up of an older generation is abandoned. */
  #generation = 0;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #current: SessionRun | undefined;
  /** Runs ended by a failure that are still draining (stop waits for them too); made on the first failure. */
  #draining: Map<SessionRun, Promise<void>> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(config: AgentTargetConfig, context: RunnerContext) {
    this.config = config;
    this.#context = context;
    this.#info = targetInfo(config, configuredMode(config), false);
  }

  get name(): string {
    return this.config.name;
  }

  get state(): TargetState {
    return this.#state;
  }

  get info(): AgentTargetInfo {
    return this.#info;
  }

  /** First attempt after `delayMs` (start spreading). */
  start(delayMs: number): void {
    if (this.#stopped) return;
    this.#context.fanout.state(this.#info, 'starting');
    this.#timer = setTimeout(this.#attempt, Math.max(0, delayMs));
  }

  readonly #attempt = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#generation += 1;
    const generation = this.#generation;
    this.#setState('starting');
    const run = new SessionRun({
      fanout: this.#context.fanout,
      log: this.#context.log,
      info: () => this.#info,
      nextWindowIndex: () => this.#windowIndex++,
      healthy: () => {
        if (run === this.#current) this.#failures = 0;
      },
    });
    const cancelled = (): boolean => this.#stopped || generation !== this.#generation;
    openTargetSession(this.config, { keys: this.#context.keys(), onEvent: run.onEvent, cancelled, lookup: this.#context.lookup }).then(
      (session) => {
        if (cancelled()) {
          // Stopped between the sender's open and here: end it quietly (stop is not waiting for it).
          run.attach(session);
          void run.end(0);
          return;
        }
        this.#running(run, session, generation);
      },
      (error: unknown) => {
        if (error instanceof SetupCancelled || cancelled()) return;
        this.#failed(error);
      },
    );
  };

  #running(run: SessionRun, session: TargetSession, generation: number): void {
    run.attach(session);
    this.#current = run;
    if (session.mode !== this.#info.mode || session.sharedClock !== this.#info.sharedClock) {
      this.#info = targetInfo(this.config, session.mode, session.sharedClock);
    }
    this.#setState('running');
    this.#context.log.info(
      {
        event: 'target-running',
        target: this.name,
        protocol: this.config.protocol,
        peer: formatEndpoint(this.config.address, this.config.port),
        mode: session.mode,
        local: formatEndpoint(session.sender.localAddress, session.sender.localPort),
      },
      'agent target running',
    );
    const control = session.control;
    if (control === undefined) return;
    const server = formatEndpoint(control.server.address, control.server.port);
    const onClosed = (cause: unknown): void => {
      // Our own close (stop, reload, a failure already told) is not news.
      if (this.#stopped || generation !== this.#generation || run.ending) return;
      this.#failed(controlClosedError(server, cause));
    };
    control.closed.then(
      () => {
        onClosed(undefined);
      },
      onClosed,
    );
  }

  #failed(error: unknown): void {
    const run = this.#current;
    this.#current = undefined;
    if (run !== undefined) {
      // The measurement so far stands: the sender drains and its last window is delivered.
      const runs = (this.#draining ??= new Map());
      const draining = run.end(this.config.lossTimeoutMs + FAILURE_DRAIN_SLACK_MS).finally(() => {
        runs.delete(run);
      });
      runs.set(run, draining);
    }
    this.#failures += 1;
    const retryInMs = retryDelayMs(this.#failures, this.#context.retry());
    const facts = failureFacts(error);
    this.#context.log.warn(
      {
        event: 'target-failed',
        target: this.name,
        protocol: this.config.protocol,
        peer: formatEndpoint(this.config.address, this.config.port),
        code: facts.code,
        accept: facts.accept,
        attempt: this.#failures,
        retryInMs,
      },
      `agent target failed: ${facts.message}`,
    );
    if (facts.code === undefined) {
      // Not one of ours: the stack helps whoever reads the debug log.
      this.#context.log.debug({ event: 'target-failed-detail', target: this.name, error: formatError(error) }, 'failure detail');
    }
    this.#setState('backoff');
    this.#context.fanout.failure({
      target: this.#info,
      message: facts.message,
      code: facts.code,
      accept: facts.accept,
      attempt: this.#failures,
      retryInMs,
    });
    this.#timer = setTimeout(this.#attempt, retryInMs);
  }

  #setState(state: TargetState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#context.fanout.state(this.#info, state);
  }

  /**
   * Stop for good: no retry, the running sender stops (in-flight packets get their loss timeout,
   * but no more than `graceMs`), its last window is delivered, a TWAMP session gets Stop-Sessions.
   */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopped = true;
    this.#generation += 1;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const run = this.#current;
    this.#current = undefined;
    const ending = [...(this.#draining?.values() ?? [])];
    if (run !== undefined) ending.push(run.end(graceMs));
    await within(Promise.all(ending), graceMs);
    // Whatever still drains after the grace reports nothing more: the observers may be closing.
    for (const draining of this.#draining?.keys() ?? []) draining.abandon();
    this.#setState('stopped');
    this.#context.log.info({ event: 'target-stopped', target: this.name }, 'agent target stopped');
  }
}
