// Reload: targets added start, removed ones stop with their last window delivered and their series
// forgotten, changed ones (any key of the config schema, or the secret behind their keyId) restart, and unchanged ones
// keep running untouched: same sender, window indexes continuing.
import { createKeyStore } from '@twamp/control';
import { SessionReflector } from '@twamp/test-session';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, sameTarget } from '../src/agent/index.js';
import { parseConfig } from '../src/config/index.js';
import { type RawTarget, targetSchema } from '../src/config/schema.js';
import type { AgentTargetConfig } from '../src/types.js';
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
  it('is false when any key of the normalised target differs (every key of AgentTargetConfig, found at run time)', () => {
    const keys = Object.keys(base) as (keyof AgentTargetConfig)[];
    // The test helper sets every key the config resolver produces (a key added there is tried here too).
    expect([...keys].sort()).toEqual(Object.keys(resolvedTarget('name', 'a')).sort());
    for (const key of keys) {
      const changed = { ...base, [key]: perturbed(base[key]) };
      expect({ key, same: sameTarget(base, undefined, changed, undefined) }).toEqual({ key, same: false });
    }
  });
  it('is false when the secret behind the keyId changed', () => {
    const before = createKeyStore([['k', 'one']]);
    const after = createKeyStore([['k', 'two']]);
    expect(sameTarget(base, before, base, createKeyStore([['k', 'one']]))).toBe(true);
    expect(sameTarget(base, before, base, after)).toBe(false);
  });
});

/** A value of another shape or content than `value`, whatever its type. */
function perturbed(value: unknown): unknown {
  if (value === undefined) return 'changed';
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return `${value}-changed`;
  if (typeof value === 'boolean') return !value;
  if (Array.isArray(value)) return [...(value as unknown[]), 'changed'];
  if (typeof value === 'object' && value !== null) return { ...value, changed: 'changed' };
  throw new Error(`no perturbation for ${typeof value}`);
}

/** Drops a key from the YAML target (a key not every protocol takes). */
const OMIT = Symbol('omit');

/**
 * Every key of the config file's target schema: a value, another value, and the other keys a
 * protocol needs for both to be valid. Typed by the schema (a key added there fails to compile
 * here until it has a row) and checked against it at run time.
 */
const TARGET_KEY_VARIANTS: Readonly<Record<keyof RawTarget, { readonly from: unknown; readonly to: unknown; readonly with?: Readonly<Record<string, unknown>> }>> = {
  name: { from: 'a', to: 'b' },
  protocol: { from: 'stamp', to: 'twamp-light', with: { ssid: OMIT, modes: OMIT, keyId: OMIT } },
  address: { from: '192.0.2.1', to: '192.0.2.2' },
  port: { from: 862, to: 863 },
  localAddress: { from: '192.0.2.9', to: '192.0.2.10' },
  modes: { from: ['encrypted', 'authenticated'], to: ['encrypted'], with: { protocol: 'twamp', ssid: OMIT } },
  keyId: { from: 'k1', to: 'k2' },
  ssid: { from: 1, to: 2 },
  schedule: { from: 'periodic', to: 'poisson' },
  interval: { from: '100ms', to: '200ms' },
  padding: { from: 40, to: 41 },
  dscp: { from: 'EF', to: 'AF41' },
  ttl: { from: 64, to: 65 },
  window: { from: '10s', to: '20s' },
  lossTimeout: { from: '1s', to: '2s' },
  reflectorStateful: { from: true, to: false },
  labels: { from: { site: 'par1' }, to: { site: 'ams1' } },
};

/** The one target of a config file with every schema key set (`key` to `value`), as twampd resolves it. */
function resolvedTarget(key: keyof RawTarget, value: unknown): AgentTargetConfig {
  const variant = TARGET_KEY_VARIANTS[key];
  const fields: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(TARGET_KEY_VARIANTS).map(([name, row]) => [name, row.from])),
    modes: ['authenticated'],
    ...variant.with,
    [key]: value,
  };
  const yaml = Object.fromEntries(Object.entries(fields).filter(([, field]) => field !== OMIT));
  const [resolved] = parseConfig(JSON.stringify({ security: { keyFile: '/nonexistent/keys' }, agent: { targets: [yaml] } })).agent.targets;
  if (resolved === undefined) throw new Error('no target');
  return resolved;
}

describe('sameTarget over the config schema', () => {
  it('has a row for every key of the target schema', () => {
    expect(Object.keys(TARGET_KEY_VARIANTS).sort()).toEqual(Object.keys(targetSchema.shape).sort());
  });

  it.each(Object.keys(TARGET_KEY_VARIANTS) as (keyof RawTarget)[])('a reload that changes %s restarts the target', (key) => {
    const row = TARGET_KEY_VARIANTS[key];
    const before = resolvedTarget(key, row.from);
    expect(sameTarget(before, undefined, resolvedTarget(key, row.from), undefined)).toBe(true);
    expect(sameTarget(before, undefined, resolvedTarget(key, row.to), undefined)).toBe(false);
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
