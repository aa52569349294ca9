// The multi-target measurement agent: one TargetRunner per configured target, started spread over
// a short period, reconfigured in place on reload (unchanged targets keep running untouched), and
// stopped with every last window delivered. Results go to the observers (JSON Lines, Prometheus).
import { isDeepStrictEqual } from 'node:util';
import type { KeyStore } from '@twamp/control';
import type { AgentApi, AgentConfig, AgentObserver, AgentTargetConfig, DaemonLog, TargetState } from '../types.js';
import { ObserverFanout } from './observers.js';
import { within } from './session-run.js';
import { TargetRunner } from './target-runner.js';
import type { HostLookup } from './target-session.js';

export interface AgentDeps {
  readonly log: DaemonLog;
  readonly keys: KeyStore | undefined;
  readonly observers: readonly AgentObserver[];
  /** How target host names are resolved (default: the system resolver). For tests that must not query DNS. */
  readonly lookup?: HostLookup;
}

/** Spread starts over at most this long by default (and never longer than the target's interval). */
const DEFAULT_MAX_SPREAD_MS = 1000;
/** A target removed or changed by a reload gets its loss timeout plus this much to drain. */
const RELOAD_DRAIN_SLACK_MS = 2000;
/** Targets told to stop per turn of the event loop when the agent stops (see #stop). */
const STOP_SLICE = 200;

function sameSecret(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * Every key of the normalised target (resolve.ts sets each one, defaults applied), compared
 * structurally: a key added to the config schema and to AgentTargetConfig counts here without a
 * line of its own (a hand-written list of 17 fields missed new ones). Labels compare in any order,
 * modes in order (the order is the preference). And the secret its key identity stands for: a
 * rotated key restarts the target.
 */
export function sameTarget(a: AgentTargetConfig, aKeys: KeyStore | undefined, b: AgentTargetConfig, bKeys: KeyStore | undefined): boolean {
  return isDeepStrictEqual(a, b) && (a.keyId === undefined || sameSecret(aKeys?.secret(a.keyId), bKeys?.secret(a.keyId)));
}

export class Agent implements AgentApi {
  #config: AgentConfig;
  #keys: KeyStore | undefined;
  readonly #log: DaemonLog;
  readonly #fanout: ObserverFanout;
  readonly #lookup: HostLookup | undefined;
  readonly #runners = new Map<string, TargetRunner>();
  /** Runners leaving by a reload, still draining; stop waits for them too. */
  readonly #leaving = new Set<Promise<void>>();
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(config: AgentConfig, deps: AgentDeps) {
    this.#config = config;
    this.#keys = deps.keys;
    this.#log = deps.log;
    this.#fanout = new ObserverFanout(deps.observers, deps.log);
    this.#lookup = deps.lookup;
  }

  get targets(): readonly { readonly name: string; readonly state: TargetState }[] {
    return [...this.#runners.values()].map((runner) => ({ name: runner.name, state: runner.state }));
  }

  start(): void {
    if (this.#started || this.#stopping !== undefined) return;
    this.#started = true;
    this.#log.info({ event: 'agent-started', targets: this.#config.targets.length, output: this.#config.output ?? null }, 'agent started');
    this.#startTargets(this.#config.targets);
  }

  reconfigure(agent: AgentConfig, keys: KeyStore | undefined): void {
    if (this.#stopping !== undefined) return;
    const oldKeys = this.#keys;
    this.#config = agent;
    this.#keys = keys;
    if (!this.#started) return;
    const wanted = new Map(agent.targets.map((target) => [target.name, target]));
    /** A changed target's new runner starts once the old one has stopped and its series are forgotten. */
    const predecessors = new Map<string, Promise<void>>();
    let removed = 0;
    for (const [name, runner] of this.#runners) {
      const next = wanted.get(name);
      if (next !== undefined && sameTarget(runner.config, oldKeys, next, keys)) continue;
      this.#runners.delete(name);
      const leaving = this.#leave(runner);
      if (next === undefined) removed += 1;
      else predecessors.set(name, leaving);
    }
    const toStart = agent.targets.filter((target) => !this.#runners.has(target.name));
    this.#startTargets(toStart, predecessors);
    const changed = predecessors.size;
    this.#log.info(
      { event: 'agent-reconfigured', targets: agent.targets.length, started: toStart.length - changed, restarted: changed, removed },
      'agent reconfigured',
    );
  }

  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    const runners = [...this.#runners.values()];
    this.#runners.clear();
    const stopOne = async (runner: TargetRunner): Promise<void> => {
      try {
        await runner.stop(graceMs);
      } catch (error) {
        this.#log.error({ event: 'target-stop-failed', target: runner.name, error: String(error) }, 'agent target did not stop cleanly');
      }
      this.#fanout.removed(runner.info);
    };
    const stopping: Promise<void>[] = [];
    for (const [i, runner] of runners.entries()) {
      stopping.push(stopOne(runner));
      // A target with nothing in flight finishes inside stop(): its last window, report and lines
      // are made there and then. 10 000 in one pass blocked the loop for ~3 s and held every report
      // (in promise reactions that run after the pass) at once: ~120 MiB more for the moment. In
      // slices, each slice's reactions run and the output drains before the next.
      if ((i + 1) % STOP_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Each runner is now held by its own stop only: a finished target's sender and report go at once,
    // not when the last target has stopped.
    const targets = runners.length;
    runners.length = 0;
    await Promise.all(stopping);
    // Targets a reload removed are bounded by their own drain; the stop's grace bounds the wait here.
    await within(Promise.all(this.#leaving), graceMs);
    this.#log.info({ event: 'agent-stopped', targets }, 'agent stopped');
  }

  /** Stop a target that left the config or changed: its last window is delivered, then its series are forgotten. */
  #leave(runner: TargetRunner): Promise<void> {
    const leaving: Promise<void> = runner
      .stop(runner.config.lossTimeoutMs + RELOAD_DRAIN_SLACK_MS)
      .then(
        () => {
          this.#fanout.removed(runner.info);
        },
        (error: unknown) => {
          this.#log.error({ event: 'target-stop-failed', target: runner.name, error: String(error) }, 'agent target did not stop cleanly');
        },
      )
      .finally(() => {
        this.#leaving.delete(leaving);
      });
    this.#leaving.add(leaving);
    return leaving;
  }

  /**
   * Start targets spread over startSpreadMs (default: the smaller of the target's interval and 1 s),
   * so that thousands of targets do not open sockets and send in the same tick.
   */
  #startTargets(targets: readonly AgentTargetConfig[], predecessors: ReadonlyMap<string, Promise<void>> = new Map()): void {
    const count = targets.length;
    targets.forEach((target, i) => {
      const spread = this.#config.startSpreadMs ?? Math.min(target.intervalMs, DEFAULT_MAX_SPREAD_MS);
      const runner = new TargetRunner(target, {
        fanout: this.#fanout,
        log: this.#log,
        keys: () => this.#keys,
        retry: () => this.#config,
        lookup: this.#lookup,
      });
      this.#runners.set(target.name, runner);
      const delayMs = count <= 1 ? 0 : (spread * i) / count;
      const predecessor = predecessors.get(target.name);
      // After the old runner's last window and `removed`, so observers never see the two overlap.
      if (predecessor === undefined) runner.start(delayMs);
      else void predecessor.then(() => {
        runner.start(delayMs);
      });
    });
  }
}
