// The agent against real peers on loopback: TWAMP Light and STAMP reflectors, and a TWAMP-Control
// server with its reflector pool in open and authenticated modes. Each target's windows carry the
// counts the sender measured, stop() delivers the last partial window with the run's totals, and a
// TWAMP target ends its session with Stop-Sessions.
import { ControlServer, type ControlServerApi, createKeyStore } from '@twamp/control';
import { type ControlledSessionEvent, ReflectorPool, SessionReflector } from '@twamp/test-session';
import { Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent/index.js';
import type { AgentWindow } from '../src/types.js';
import { agentConfig, RecordingObserver, recordingLog, target, total, waitFor } from './agent-support.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function reflector(protocol: 'twamp-light' | 'stamp', stampKey?: Uint8Array): Promise<SessionReflector> {
  const opened = await SessionReflector.open({
    address: '127.0.0.1',
    port: 0,
    protocol,
    ...(stampKey === undefined ? {} : { stampSecurity: 'authenticated' as const, stampKey }),
  });
  cleanups.push(() => {
    opened.close();
  });
  return opened;
}

const SECRET = 'agent test passphrase';
const KEYS = createKeyStore([['agent-test', SECRET]]);

async function twampServer(modes: number, events: ControlledSessionEvent[] = []): Promise<ControlServerApi> {
  const pool = new ReflectorPool({ portRange: 'ephemeral', onEvent: (event) => events.push(event) });
  const server = await ControlServer.listen({ address: '127.0.0.1', port: 0, modes, keys: KEYS, pbkdf2Count: 1024, handler: pool });
  cleanups.push(async () => {
    await server.close(0);
    pool.close();
  });
  return server;
}

/** Every request of a finished run is decided: the windows add up. */
function expectConsistent(windows: readonly AgentWindow[]): void {
  const sent = total(windows, (w) => w.summary.loss.sent);
  const received = total(windows, (w) => w.summary.loss.received);
  const lost = total(windows, (w) => w.summary.loss.lost);
  expect(sent).toBeGreaterThan(0);
  expect(received + lost).toBe(sent);
  // Loopback with a 300 ms loss timeout: nothing should be lost, but a loaded machine may lose a few.
  expect(received).toBeGreaterThan(sent * 0.9);
  windows.forEach((window, i) => {
    expect(window.index).toBe(i);
    expect(window.endMs).toBeGreaterThanOrEqual(window.startMs);
    if (i > 0) expect(window.startMs).toBe(windows[i - 1]?.endMs);
  });
}

describe('Agent against real reflectors', () => {
  it('measures a TWAMP Light and a STAMP target, window by window, and flushes the last window on stop', async () => {
    const light = await reflector('twamp-light');
    const stamp = await reflector('stamp');
    const observer = new RecordingObserver();
    const agent = new Agent(
      agentConfig([
        target({ name: 'light', port: light.localPort, labels: { site: 'lab' } }),
        target({ name: 'stamp', protocol: 'stamp', port: stamp.localPort, ssid: 77, dscp: 46 }),
      ]),
      { log: recordingLog(), keys: undefined, observers: [observer] },
    );
    agent.start();
    await waitFor('two windows of each target', () => observer.windowsOf('light').length >= 2 && observer.windowsOf('stamp').length >= 2);
    expect(agent.targets).toEqual([
      { name: 'light', state: 'running' },
      { name: 'stamp', state: 'running' },
    ]);
    await agent.stop(5000);

    for (const name of ['light', 'stamp']) {
      const windows = observer.windowsOf(name);
      expectConsistent(windows);
      // Only the last window knows the run's totals (the sender reports them at its end).
      const last = windows.at(-1);
      expect(last?.sendErrors).toBe(0);
      expect(last?.malformedReplies).toBe(0);
      expect(last?.timestamps?.t1).toMatch(/^(kernel|stamp-on-send|userspace)$/);
      for (const window of windows.slice(0, -1)) {
        expect(window.sendErrors).toBeUndefined();
        expect(window.timestamps).toBeUndefined();
      }
      // Every counted reply went to the packet observer.
      expect(observer.packets.get(name)).toBe(total(windows, (w) => w.summary.loss.received));
      expect(observer.statesOf(name)).toEqual(['starting', 'running', 'stopped']);
    }
    expect(observer.windowsOf('light')[0]?.target).toMatchObject({ protocol: 'twamp-light', mode: 'open', labels: { site: 'lab' } });
    expect(observer.windowsOf('stamp')[0]?.target).toMatchObject({ protocol: 'stamp', mode: 'open', dscp: 46 });
    // The reflectors saw the packets the windows counted.
    expect(light.stats.packetsOut).toBe(total(observer.windowsOf('light'), (w) => w.summary.loss.received));
    expect(stamp.sessions().length + stamp.stats.sessionsCreated).toBeGreaterThan(0);
    expect(observer.removedTargets.sort()).toEqual(['light', 'stamp']);
    expect(observer.failures).toEqual([]);
  });

  it('measures an authenticated STAMP target with the key of its keyId', async () => {
    const key = KEYS.secret('agent-test');
    if (key === undefined) throw new Error('test key missing');
    const stamp = await reflector('stamp', key);
    const observer = new RecordingObserver();
    const agent = new Agent(
      agentConfig([target({ name: 'stamp-auth', protocol: 'stamp', port: stamp.localPort, modes: ['authenticated'], keyId: 'agent-test' })]),
      { log: recordingLog(), keys: KEYS, observers: [observer] },
    );
    agent.start();
    await waitFor('a window with replies', () => observer.windowsOf('stamp-auth').some((w) => w.summary.loss.received > 0));
    await agent.stop(5000);
    expectConsistent(observer.windowsOf('stamp-auth'));
    expect(observer.windowsOf('stamp-auth')[0]?.target.mode).toBe('authenticated');
    expect(stamp.stats.dropped['bad-hmac']).toBe(0);
  });

  it.each([
    ['open', Mode.Unauthenticated, ['open'] as const, undefined],
    ['authenticated', Mode.Unauthenticated | Mode.Authenticated, ['authenticated', 'open'] as const, 'agent-test'],
    ['encrypted', Mode.Encrypted | Mode.Authenticated, ['encrypted'] as const, 'agent-test'],
  ])('measures a TWAMP target in %s mode and ends it with Stop-Sessions', async (modeName, serverModes, modes, keyId) => {
    const events: ControlledSessionEvent[] = [];
    const server = await twampServer(serverModes, events);
    const observer = new RecordingObserver();
    const agent = new Agent(
      agentConfig([target({ name: 'twamp', protocol: 'twamp', port: server.port, modes: [...modes], keyId, dscp: 10, padding: 40 })]),
      { log: recordingLog(), keys: KEYS, observers: [observer] },
    );
    agent.start();
    await waitFor('two TWAMP windows', () => observer.windowsOf('twamp').length >= 2);
    expect(server.stats.sessionsActive).toBe(1);
    await agent.stop(5000);
    const windows = observer.windowsOf('twamp');
    expectConsistent(windows);
    expect(windows[0]?.target.mode).toBe(modeName);
    expect(windows.at(-1)?.malformedReplies).toBe(0);
    // Stop-Sessions reached the server (the pool lingers, then ends the session).
    await waitFor('the server to see Stop-Sessions', () => events.some((event) => event.type === 'stopping'));
    expect(observer.failures).toEqual([]);
  });

  it('delivers the partial window on stop when the window is far from over', async () => {
    const light = await reflector('twamp-light');
    const observer = new RecordingObserver();
    const agent = new Agent(agentConfig([target({ name: 'long', port: light.localPort, windowMs: 60_000 })]), {
      log: recordingLog(),
      keys: undefined,
      observers: [observer],
    });
    agent.start();
    await waitFor('replies', () => (observer.packets.get('long') ?? 0) >= 10);
    await agent.stop(5000);
    const windows = observer.windowsOf('long');
    expect(windows).toHaveLength(1);
    const [window] = windows;
    expect(window?.index).toBe(0);
    expect(window?.endMs).toBeDefined();
    expect((window?.endMs ?? 0) - (window?.startMs ?? 0)).toBeLessThan(60_000);
    expect(window?.summary.loss.received).toBe(observer.packets.get('long'));
    expect(window?.summary.loss.sent).toBe((window?.summary.loss.received ?? 0) + (window?.summary.loss.lost ?? 0));
    expect(window?.sendErrors).toBe(0);
  });

  it('stops within the grace when the loss timeout is longer, dropping the unfinished window', async () => {
    // Nobody answers: every request waits out its 30 s loss timeout, far beyond the 300 ms grace.
    const silent = await reflector('twamp-light');
    const port = silent.localPort;
    silent.close();
    const observer = new RecordingObserver();
    const log = recordingLog();
    const agent = new Agent(agentConfig([target({ name: 'slow', port, lossTimeoutMs: 30_000, windowMs: 60_000 })]), {
      log,
      keys: undefined,
      observers: [observer],
    });
    agent.start();
    await waitFor('running', () => agent.targets[0]?.state === 'running');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = Date.now();
    await agent.stop(300);
    expect(Date.now() - before).toBeLessThan(5000);
    expect(observer.statesOf('slow').at(-1)).toBe('stopped');
    expect(observer.windowsOf('slow')).toEqual([]);
    expect(log.lines.some((line) => (line.fields as { event?: string }).event === 'target-window-dropped')).toBe(true);
  });
});
