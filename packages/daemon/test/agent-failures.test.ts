// A target that fails is retried with backoff and reported, without disturbing the others: a
// closed control port (refused) until a server appears, a server that refuses with Accept ≠ 0, a
// control connection the server closes mid-run, a host name that does not resolve. No unhandled
// rejection anywhere.
import { ControlServer, type ControlServerApi } from '@twamp/control';
import { AcceptCode, ErrorCode } from '@twamp/errors';
import { ReflectorPool, SessionReflector } from '@twamp/test-session';
import { Mode } from '@twamp/wire';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent, RETRY_JITTER, retryDelayMs } from '../src/agent/index.js';
import { agentConfig, closedPort, recordingLog, RecordingObserver, target, waitFor } from './agent-support.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(unhandled).toEqual([]);
});

/** A TCP port nobody listens on (bound, then released). */

async function twampServer(port: number, pool = new ReflectorPool({ portRange: 'ephemeral' })): Promise<ControlServerApi> {
  const server = await ControlServer.listen({ address: '127.0.0.1', port, modes: Mode.Unauthenticated, handler: pool });
  cleanups.push(async () => {
    await server.close(0);
    pool.close();
  });
  return server;
}

async function lightReflector(): Promise<SessionReflector> {
  const reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0 });
  cleanups.push(() => {
    reflector.close();
  });
  return reflector;
}

describe('retryDelayMs', () => {
  it('doubles from the first delay to the maximum, within ±20 % jitter', () => {
    const settings = { retryInitialMs: 1000, retryMaxMs: 300_000 };
    expect(retryDelayMs(1, settings, () => 0.5)).toBe(1000);
    expect(retryDelayMs(2, settings, () => 0.5)).toBe(2000);
    expect(retryDelayMs(5, settings, () => 0.5)).toBe(16_000);
    expect(retryDelayMs(30, settings, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(5000, settings, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(1, settings, () => 0)).toBe(1000 * (1 - RETRY_JITTER));
    expect(retryDelayMs(1, settings, () => 0.999_999)).toBeCloseTo(1000 * (1 + RETRY_JITTER), -1);
  });
});

describe('Agent failures', () => {
  it('backs off a refused TWAMP target with growing delays, recovers when the server appears, and leaves the others alone', async () => {
    const port = await closedPort();
    const light = await lightReflector();
    const observer = new RecordingObserver();
    const log = recordingLog();
    const agent = new Agent(
      agentConfig([
        target({ name: 'refused', protocol: 'twamp', port }),
        target({ name: 'healthy', port: light.localPort }),
      ]),
      { log, keys: undefined, observers: [observer] },
    );
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('four failures', () => observer.failuresOf('refused').length >= 4);
    const failures = observer.failuresOf('refused');
    failures.slice(0, 4).forEach((failure, i) => {
      expect(failure.attempt).toBe(i + 1);
      const nominal = Math.min(800, 100 * 2 ** i);
      expect(failure.retryInMs).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - RETRY_JITTER)));
      expect(failure.retryInMs).toBeLessThanOrEqual(Math.ceil(nominal * (1 + RETRY_JITTER)));
      expect(failure.code).toBe(ErrorCode.Network);
      expect(failure.message).toContain('ECONNREFUSED');
      expect(failure.accept).toBeUndefined();
    });
    expect(observer.statesOf('refused')).toContain('backoff');
    expect(log.lines.some((line) => (line.fields as { event?: string }).event === 'target-failed')).toBe(true);

    // The server appears on that port: the next attempt succeeds and the target measures.
    await twampServer(port);
    await waitFor('the recovered target to report a window with replies', () => observer.windowsOf('refused').some((w) => w.summary.loss.received > 0));
    expect(agent.targets.find((t) => t.name === 'refused')?.state).toBe('running');

    // The healthy target never noticed: one run, windows in a row, nothing lost.
    const healthy = observer.windowsOf('healthy');
    expect(healthy.length).toBeGreaterThan(0);
    expect(observer.statesOf('healthy')).toEqual(['starting', 'running']);
    expect(observer.failuresOf('healthy')).toEqual([]);
    healthy.forEach((window, i) => {
      expect(window.index).toBe(i);
    });
  });

  it('reports Accept 5 with its name and meaning, and retries', async () => {
    // A server whose session handler is out of capacity: every Request-TW-Session gets Accept 5.
    const server = await ControlServer.listen({
      address: '127.0.0.1',
      port: 0,
      modes: Mode.Unauthenticated,
      handler: {
        open: () => Promise.resolve({ accept: AcceptCode.TemporaryResourceLimitation, reason: 'test: no capacity' }),
        start: () => undefined,
        stop: () => undefined,
        release: () => undefined,
      },
    });
    cleanups.push(() => server.close(0));
    const observer = new RecordingObserver();
    const agent = new Agent(agentConfig([target({ name: 'busy', protocol: 'twamp', port: server.port })]), {
      log: recordingLog(),
      keys: undefined,
      observers: [observer],
    });
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('two refusals', () => observer.failuresOf('busy').length >= 2);
    const [first, second] = observer.failuresOf('busy');
    expect(first?.accept).toBe(AcceptCode.TemporaryResourceLimitation);
    expect(first?.code).toBe(ErrorCode.PeerRejected);
    expect(first?.message).toMatch(/Accept 5 \(Cannot perform request due to temporary resource limitations\): The peer is busy right now/);
    expect(second?.attempt).toBe(2);
    expect(observer.windowsOf('busy')).toEqual([]);
    // Each refused attempt closed its control connection.
    await waitFor('no connection left open', () => server.stats.connectionsActive <= 1);
  });

  it('treats a control connection the server closes mid-run as a failure, keeps the windows measured, and reconnects', async () => {
    const port = await closedPort();
    let server = await twampServer(port);
    const observer = new RecordingObserver();
    const agent = new Agent(agentConfig([target({ name: 'dropped', protocol: 'twamp', port, lossTimeoutMs: 200 })]), {
      log: recordingLog(),
      keys: undefined,
      observers: [observer],
    });
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('a first window', () => observer.windowsOf('dropped').length >= 1);
    await server.close(0);
    await waitFor('the failure', () => observer.failuresOf('dropped').length >= 1);
    const failure = observer.failuresOf('dropped')[0];
    expect(failure?.code).toBe(ErrorCode.Network);
    expect(failure?.message).toMatch(/control/i);
    expect(observer.statesOf('dropped')).toContain('backoff');
    // The last window of the dropped run is delivered with the run's totals.
    await waitFor('the dropped run\'s last window', () => observer.windowsOf('dropped').some((w) => w.sendErrors !== undefined));
    const before = observer.windowsOf('dropped').length;
    server = await twampServer(port);
    await waitFor('windows after the reconnect', () => observer.windowsOf('dropped').length >= before + 2);
    const indexes = observer.windowsOf('dropped').map((w) => w.index);
    expect(indexes).toEqual(indexes.map((_, i) => i));
    expect(server.stats.sessionsActive).toBe(1);

    // The windows after the reconnect were healthy: the next failure starts the backoff over.
    const failuresBefore = observer.failuresOf('dropped').length;
    await server.close(0);
    await waitFor('the next failure', () => observer.failuresOf('dropped').length > failuresBefore);
    expect(observer.failuresOf('dropped')[failuresBefore]?.attempt).toBe(1);
    expect(observer.failuresOf('dropped')[failuresBefore]?.retryInMs).toBeLessThanOrEqual(120);
  });

  it('backs off a target whose host name does not resolve', async () => {
    const observer = new RecordingObserver();
    // The lookup fails as the system resolver does for an unknown name, without a DNS query leaving
    // the machine (tests send nothing beyond loopback).
    const lookup = (hostname: string): Promise<string> =>
      Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const agent = new Agent(agentConfig([target({ name: 'nowhere', address: 'twampd-agent-test.invalid', port: 862 })]), {
      log: recordingLog(),
      keys: undefined,
      observers: [observer],
      lookup,
    });
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('two resolve failures', () => observer.failuresOf('nowhere').length >= 2);
    const failure = observer.failuresOf('nowhere')[0];
    expect(failure?.message).toMatch(/resolve failed with ENOTFOUND \(twampd-agent-test\.invalid\)/);
    expect(failure?.code).toBe(ErrorCode.Network);
    expect(observer.statesOf('nowhere')).toContain('backoff');
  });

  it('resolves a host name through the lookup and measures', async () => {
    const light = await lightReflector();
    const observer = new RecordingObserver();
    const asked: string[] = [];
    const lookup = (hostname: string): Promise<string> => {
      asked.push(hostname);
      return Promise.resolve('127.0.0.1');
    };
    const agent = new Agent(agentConfig([target({ name: 'named', address: 'reflector.example', port: light.localPort })]), {
      log: recordingLog(),
      keys: undefined,
      observers: [observer],
      lookup,
    });
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('a window with replies', () => observer.windowsOf('named').some((w) => w.summary.loss.received > 0));
    expect(asked).toEqual(['reflector.example']);
    expect(observer.windowsOf('named')[0]?.target.address).toBe('reflector.example');
  });

  it('counts a 100 % loss window as a measurement, not a failure', async () => {
    // A UDP port with nobody behind it: every request is lost.
    const silent = await lightReflector();
    const port = silent.localPort;
    silent.close();
    const observer = new RecordingObserver();
    const agent = new Agent(agentConfig([target({ name: 'void', port, lossTimeoutMs: 100 })]), {
      log: recordingLog(),
      keys: undefined,
      observers: [observer],
    });
    cleanups.push(() => agent.stop(2000));
    agent.start();
    await waitFor('a window with losses', () => observer.windowsOf('void').some((w) => w.summary.loss.lost > 0));
    expect(observer.failuresOf('void')).toEqual([]);
    expect(agent.targets).toEqual([{ name: 'void', state: 'running' }]);
    expect(observer.windowsOf('void').every((w) => w.summary.loss.received === 0)).toBe(true);
  });
});
