// An AgentObserver whose receiver can be swapped while the agent runs. The agent takes its observers
// once, at construction; a reload may open a new JSON Lines file or turn metrics on or off, so the
// agent talks to relays and the daemon points them at whatever is current (or at nothing).
import type { PacketResult } from '@twamp/test-session';
import type { AgentFailure, AgentObserver, AgentTargetInfo, AgentWindow, TargetState } from '../types.js';

export class ObserverRelay implements AgentObserver {
  /** Where events go now; undefined drops them. */
  target: AgentObserver | undefined;

  constructor(target: AgentObserver | undefined) {
    this.target = target;
  }

  packet(target: AgentTargetInfo, result: PacketResult): void {
    this.target?.packet?.(target, result);
  }

  window(window: AgentWindow): void {
    this.target?.window?.(window);
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    this.target?.state?.(target, state);
  }

  failure(failure: AgentFailure): void {
    this.target?.failure?.(failure);
  }

  removed(target: AgentTargetInfo): void {
    this.target?.removed?.(target);
  }
}
