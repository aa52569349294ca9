// Reload: targets added start, removed ones stop with their last window delivered and their series
// forgotten, changed ones (any field, or the secret behind their keyId) restart, and unchanged ones
// keep running untouched: same sender, window indexes continuing.
import { createKeyStore } from '@twamp/control';
import { SessionReflector } from '@twamp/test-session';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, sameTarget } from '../src/agent/index.js';
import { agentConfig, RecordingObserver, recordingLog, target, waitFor } from './agent-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lightReflector(): Promise<SessionReflector> {
  const reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0 });
  cleanups.push(() => {
    reflector.close();
  });
  return reflector;
}

describe('sameTarget', () => {
  const base = target({ name: 'a', port: 862, keyId: 'k', labels: { site: 'x', rack: '1' } });
  it('is true for equal fields (labels in any order)', () => {
    expect(sameTarget(base, undefined, { ...base, labels: { rack: '1', site: 'x' } }, undefined)).toBe(true);
  });
  it.each([
    ['port', { port: 863 }],
    ['dscp', { dscp: 1 }],
    ['intervalMs', { intervalMs: 21 }],
    ['windowMs', { windowMs: 501 }],
    ['padding', { padding: 40 }],
    ['modes', { modes: ['authenticated' as const] }],
    ['labels', { labels: { site: 'x' } }],
    ['localAddress', { localAddress: '127.0.0.1' }],
  ])('is false when %s differs', (_field, change) => {
    expect(sameTarget(base, undefined, { ...base, ...change }, undefined)).toBe(false);
  });
  it('is false when the secret behind the keyId changed', () => {
    const before = createKeyStore([['k', 'one']]);
    const after = createKeyStore([['k', 'two']]);
    expect(sameTarget(base, before, base, createKeyStore([['k', 'one']]))).toBe(true);
    expect(sameTarget(base, before, base, after)).toBe(false);
  });
});

describe('Agent.reconfigure', () => {
  it('adds, removes and restarts targets and leaves the unchanged one running', async () => {
    const light = await lightReflector();
    const observer = new RecordingObserver();
    const keep = target({ name: 'keep', port: light.localPort });
    const remove = target({ name: 'remove', port: light.localPort });
    const change = target({ name: 'change', port: light.localPort, dscp: 0 });
    const config = agentConfig([keep, remove, change]);
    const agent = new Agent(config, { log: recordingLog(), keys: undefined, observers: [observer] });
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('two windows of each target', () => ['keep', 'remove', 'change'].every((name) => observer.windowsOf(name).length >= 2));
    const keepWindowsBefore = observer.windowsOf('keep').length;
    const changeWindowsBefore = observer.windowsOf('change').length;

    const added = target({ name: 'added', port: light.localPort });
    agent.reconfigure(agentConfig([keep, { ...change, dscp: 34 }, added]), undefined);
    expect(agent.targets.map((t) => t.name).sort()).toEqual(['added', 'change', 'keep']);

    await waitFor('the removed target to be forgotten', () => observer.removedTargets.includes('remove'));
    await waitFor('windows of the added and the restarted target', () =>
      observer.windowsOf('added').length >= 1 && observer.windowsOf('change').some((w) => w.target.dscp === 34),
    );
    await waitFor('more windows of the kept target', () => observer.windowsOf('keep').length >= keepWindowsBefore + 2);

    // Removed: its last (partial) window came with the run's totals, then `stopped`, then removed.
    const removed = observer.windowsOf('remove');
    expect(removed.at(-1)?.sendErrors).toBe(0);
    expect(observer.statesOf('remove').at(-1)).toBe('stopped');

    // Changed: the old run ended (its last window has totals), the new one counts from 0 with the new DSCP.
    const changed = observer.windowsOf('change');
    const oldRun = changed.filter((w) => w.target.dscp === 0);
    const newRun = changed.filter((w) => w.target.dscp === 34);
    expect(oldRun.length).toBeGreaterThanOrEqual(changeWindowsBefore);
    expect(oldRun.at(-1)?.sendErrors).toBe(0);
    expect(newRun[0]?.index).toBe(0);
    expect(observer.removedTargets).toContain('change');
    expect(observer.statesOf('change')).toEqual(['starting', 'running', 'stopped', 'starting', 'running']);

    // Kept: one run throughout, indexes 0, 1, 2, ... without a gap and no window carrying run totals yet.
    const kept = observer.windowsOf('keep');
    expect(kept.map((w) => w.index)).toEqual(kept.map((_, i) => i));
    expect(kept.every((w) => w.sendErrors === undefined)).toBe(true);
    expect(observer.statesOf('keep')).toEqual(['starting', 'running']);
    expect(observer.removedTargets).not.toContain('keep');

    await agent.stop(2000);
    expect(observer.statesOf('keep').at(-1)).toBe('stopped');
    expect(observer.windowsOf('keep').at(-1)?.sendErrors).toBe(0);
    expect(observer.removedTargets.sort()).toEqual(['added', 'change', 'change', 'keep', 'remove']);
  });

  it('takes a new config before start without starting anything', async () => {
    const light = await lightReflector();
    const observer = new RecordingObserver();
    const agent = new Agent(agentConfig([]), { log: recordingLog(), keys: undefined, observers: [observer] });
    cleanups.push(() => agent.stop(2000));
    agent.reconfigure(agentConfig([target({ name: 'late', port: light.localPort })]), undefined);
    expect(agent.targets).toEqual([]);
    agent.start();
    await waitFor('a window', () => observer.windowsOf('late').length >= 1);
  });
});
