// Test support for the agent's tests: a recording observer, a log that keeps its lines, target
// configs with short windows, and waiting for a condition with a generous bound.
import { createServer } from 'node:net';
import type { PacketResult } from '@twamp/test-session';
import type {
  AgentConfig,
  AgentFailure,
  AgentObserver,
  AgentTargetConfig,
  AgentTargetInfo,
  AgentWindow,
  DaemonLog,
  TargetState,
} from '../src/types.js';

export interface LogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly fields: object;
  readonly message: string;
}

export function recordingLog(lines: LogLine[] = []): DaemonLog & { readonly lines: LogLine[] } {
  const log = {
    lines,
    error: (fields: object, message: string) => lines.push({ level: 'error', fields, message }),
    warn: (fields: object, message: string) => lines.push({ level: 'warn', fields, message }),
    info: (fields: object, message: string) => lines.push({ level: 'info', fields, message }),
    debug: (fields: object, message: string) => lines.push({ level: 'debug', fields, message }),
    child: () => log,
  };
  return log;
}

export class RecordingObserver implements AgentObserver {
  readonly windows: AgentWindow[] = [];
  readonly failures: AgentFailure[] = [];
  readonly states: { readonly target: string; readonly state: TargetState; readonly atMs: number }[] = [];
  readonly removedTargets: string[] = [];
  readonly packets = new Map<string, number>();

  packet(target: AgentTargetInfo, _result: PacketResult): void {
    this.packets.set(target.name, (this.packets.get(target.name) ?? 0) + 1);
  }

  window(window: AgentWindow): void {
    this.windows.push(window);
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    this.states.push({ target: target.name, state, atMs: Date.now() });
  }

  failure(failure: AgentFailure): void {
    this.failures.push(failure);
  }

  removed(target: AgentTargetInfo): void {
    this.removedTargets.push(target.name);
  }

  windowsOf(name: string): AgentWindow[] {
    return this.windows.filter((window) => window.target.name === name);
  }

  failuresOf(name: string): AgentFailure[] {
    return this.failures.filter((failure) => failure.target.name === name);
  }

  statesOf(name: string): TargetState[] {
    return this.states.filter((entry) => entry.target === name).map((entry) => entry.state);
  }
}

export function target(overrides: Partial<AgentTargetConfig> & Pick<AgentTargetConfig, 'name' | 'port'>): AgentTargetConfig {
  return {
    protocol: 'twamp-light',
    address: '127.0.0.1',
    localAddress: undefined,
    modes: ['open'],
    keyId: undefined,
    ssid: undefined,
    schedule: 'periodic',
    intervalMs: 20,
    padding: 'symmetric',
    dscp: 0,
    ttl: 255,
    windowMs: 500,
    lossTimeoutMs: 300,
    reflectorStateful: true,
    labels: {},
    ...overrides,
  };
}

export function agentConfig(targets: readonly AgentTargetConfig[], overrides: Partial<AgentConfig> = {}): AgentConfig {
  return { targets, output: undefined, retryInitialMs: 100, retryMaxMs: 800, startSpreadMs: 50, ...overrides };
}

/** Polls `condition` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sums a window field over windows. */
export function total(windows: readonly AgentWindow[], pick: (window: AgentWindow) => number): number {
  return windows.reduce((sum, window) => sum + pick(window), 0);
}

/** A TCP port on 127.0.0.1 that nothing listens on (just closed): a connection there is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return address.port;
}
