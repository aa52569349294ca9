// Many targets in one process: 200 TWAMP Light targets at 20 packets/s each against one reflector,
// for a few seconds. Every target reports, starts are spread, and nothing fails. Bounded: 200
// targets, at most ~60 s.
import { SessionReflector } from '@twamp/test-session';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent/index.js';
import { agentConfig, RecordingObserver, recordingLog, target, total, waitFor } from './agent-support.js';

const TARGETS = 200;

let reflector: SessionReflector | undefined;
afterEach(() => {
  reflector?.close();
});

describe('Agent at scale', () => {
  it(`runs ${TARGETS} targets at 20 packets/s, every one reporting windows`, async () => {
    reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0 });
    const port = reflector.localPort;
    const observer = new RecordingObserver();
    const targets = Array.from({ length: TARGETS }, (_, i) => target({ name: `t${i}`, port, intervalMs: 50, windowMs: 1000, lossTimeoutMs: 1000 }));
    const agent = new Agent(agentConfig(targets, { startSpreadMs: 500 }), { log: recordingLog(), keys: undefined, observers: [observer] });
    agent.start();
    try {
      await waitFor('two windows from every target', () => targets.every((t) => observer.windowsOf(t.name).length >= 2), 60_000);
    } finally {
      await agent.stop(5000);
    }
    expect(observer.failures).toEqual([]);
    for (const t of targets) {
      const windows = observer.windowsOf(t.name);
      const sent = total(windows, (w) => w.summary.loss.sent);
      const received = total(windows, (w) => w.summary.loss.received);
      const lost = total(windows, (w) => w.summary.loss.lost);
      expect(sent).toBeGreaterThan(0);
      expect(received + lost).toBe(sent);
      expect(received).toBeGreaterThan(0);
      expect(windows.at(-1)?.sendErrors).toBe(0);
    }
    // Starts were spread over the 500 ms asked for, not fired in one tick.
    const runningAt = observer.states.filter((s) => s.state === 'running').map((s) => s.atMs);
    expect(runningAt).toHaveLength(TARGETS);
    expect(Math.max(...runningAt) - Math.min(...runningAt)).toBeGreaterThanOrEqual(300);
    expect(agent.targets).toEqual([]);
  });

  it('stops 450 targets in slices: the last targets are told to stop after the loop has turned, and every target ends with its last window', async () => {
    reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0 });
    const port = reflector.localPort;
    const observer = new RecordingObserver();
    // The loop turns counted when each target's window arrives (a target with nothing in flight
    // delivers its last window inside its stop() call).
    let turns = 0;
    const turnOfWindow = new Map<string, number>();
    const turnWatcher = {
      window: (window: { readonly target: { readonly name: string } }): void => {
        turnOfWindow.set(window.target.name, turns);
      },
    };
    const targets = Array.from({ length: 450 }, (_, i) => target({ name: `s${i}`, port, intervalMs: 100, windowMs: 400, lossTimeoutMs: 500 }));
    const agent = new Agent(agentConfig(targets, { startSpreadMs: 200 }), { log: recordingLog(), keys: undefined, observers: [observer, turnWatcher] });
    agent.start();
    await waitFor('a window from every target', () => targets.every((t) => observer.windowsOf(t.name).length >= 1), 60_000);
    let ticking = true;
    const tick = (): void => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    turns = 0;
    setImmediate(tick);
    await agent.stop(5000);
    ticking = false;
    // Slices of 200: targets 400-449 are told to stop two loop turns after the first ones at least.
    const lastSlice = targets.slice(400).map((t) => turnOfWindow.get(t.name) ?? -1);
    expect(Math.min(...lastSlice)).toBeGreaterThanOrEqual(2);
    expect(observer.failures).toEqual([]);
    for (const t of targets) {
      const windows = observer.windowsOf(t.name);
      const sent = total(windows, (w) => w.summary.loss.sent);
      expect(total(windows, (w) => w.summary.loss.received) + total(windows, (w) => w.summary.loss.lost)).toBe(sent);
    }
    expect(observer.states.filter((s) => s.state === 'stopped')).toHaveLength(targets.length);
    expect(agent.targets).toEqual([]);
  });
});
