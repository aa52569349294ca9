// One call to every observer: a throwing observer (a full disk in a sink, a bug) is logged and
// skipped, never allowed to stop the agent or keep the next observer from hearing the news.
import type { PacketResult } from '@twamp/test-session';
import type { AgentFailure, AgentObserver, AgentTargetInfo, AgentWindow, DaemonLog, TargetState } from '../types.js';

export class ObserverFanout {
  readonly #observers: readonly AgentObserver[];
  /** Only the observers that want packets: the hot path loops over these alone. */
  readonly #packetObservers: readonly AgentObserver[];
  readonly #log: DaemonLog;
  #packetFailures = 0;

  constructor(observers: readonly AgentObserver[], log: DaemonLog) {
    this.#observers = observers;
    this.#packetObservers = observers.filter((observer) => observer.packet !== undefined);
    this.#log = log;
  }

  /** Packets an observer threw on (not logged one by one: this is per packet). */
  get packetFailures(): number {
    return this.#packetFailures;
  }

  get wantsPackets(): boolean {
    return this.#packetObservers.length > 0;
  }

  /** Per counted reply: no closures, no arrays (V8 optimises the array iterator away). */
  packet(target: AgentTargetInfo, result: PacketResult): void {
    for (const observer of this.#packetObservers) {
      try {
        observer.packet?.(target, result);
      } catch {
        this.#packetFailures += 1;
      }
    }
  }

  window(window: AgentWindow): void {
    for (const observer of this.#observers) {
      try {
        observer.window?.(window);
      } catch (error) {
        this.#failed('window', window.target, error);
      }
    }
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    for (const observer of this.#observers) {
      try {
        observer.state?.(target, state);
      } catch (error) {
        this.#failed('state', target, error);
      }
    }
  }

  failure(failure: AgentFailure): void {
    for (const observer of this.#observers) {
      try {
        observer.failure?.(failure);
      } catch (error) {
        this.#failed('failure', failure.target, error);
      }
    }
  }

  removed(target: AgentTargetInfo): void {
    for (const observer of this.#observers) {
      try {
        observer.removed?.(target);
      } catch (error) {
        this.#failed('removed', target, error);
      }
    }
  }

  #failed(call: string, target: AgentTargetInfo, error: unknown): void {
    this.#log.warn(
      { event: 'agent-observer-failed', call, target: target.name, error: error instanceof Error ? error.message : String(error) },
      'an agent observer threw; the agent goes on',
    );
  }
}
