// Daemon in-process, with its real parts on loopback: it starts from a config, serves /healthz,
// leaves nothing bound when a part fails to start, applies a reload or keeps the old config when the
// new one is unusable, moves its HTTP endpoint only when asked, and stops in order.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NetworkError } from '@twamp/errors';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Daemon, type DaemonConfig, type DaemonLog, type LogLevel } from '../src/index.js';
import type { DaemonLogger } from '../src/logging/index.js';
import { connect, probe } from './listeners-support.js';
import { promtoolCheck, promtoolMissing } from './metrics-support.js';

const work = mkdtempSync(join(tmpdir(), 'twampd-daemon-'));
const keyFile = join(work, 'keys.pfs');
writeFileSync(keyFile, 'alice 00112233445566778899aabbccddeeff\n', { mode: 0o600 });
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Recorded {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}

/** A DaemonLogger that keeps every line, and counts setLevel/reopen/flush calls. */
function recordingLogger(): DaemonLogger & { readonly lines: Recorded[]; readonly calls: string[]; events(event: string): Recorded[] } {
  const lines: Recorded[] = [];
  const calls: string[] = [];
  const make = (bindings: Readonly<Record<string, unknown>>): DaemonLog => {
    const at = (level: Recorded['level']) => (fields: object, message: string) => {
      lines.push({ level, fields: { ...bindings, ...fields }, message });
    };
    return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: (more) => make({ ...bindings, ...more }) };
  };
  return {
    log: make({}),
    lines,
    calls,
    events: (event) => lines.filter((line) => line.fields['event'] === event),
    setLevel: (level: LogLevel) => calls.push(`setLevel ${level}`),
    reopen: () => calls.push('reopen'),
    flush: () => {
      calls.push('flush');
      return Promise.resolve();
    },
  };
}

function baseConfig(): DaemonConfig {
  return {
    listeners: {
      control: { name: 'control', address: '127.0.0.1', port: 0, reflectorPorts: 'ephemeral', extensions: true, thirdPartySenders: false },
      reflectors: [
        { name: 'light', protocol: 'twamp-light', address: '127.0.0.1', port: 0, stateful: true, stampSecurity: 'open', keyId: undefined },
      ],
    },
    security: { modes: ['open'], keyFile: undefined, pbkdf2Count: 1024 },
    access: {},
    limits: {
      controlConnections: 16,
      controlConnectionsPerClient: 4,
      sessionsPerConnection: 4,
      sessionsTotal: 8,
      sessionRequestsPerSecond: undefined,
      reflectorSessions: 100,
      packetsPerSecondPerSession: undefined,
      packetsPerSecondPerSource: undefined,
      idleTimeoutMs: 60_000,
      handshakeTimeoutMs: 10_000,
      sessionsPerClient: 8,
      authFailuresPerMinute: 10,
      reflectorSessionsPerSource: 100,
      idleWithoutSessionsTimeoutMs: 30_000,
      unstartedSessionTimeoutMs: 60_000,
    },
    agent: { targets: [], output: undefined, retryInitialMs: 1000, retryMaxMs: 10_000, startSpreadMs: undefined },
    logging: { level: 'info', destination: 'stderr' },
    metrics: { enabled: true, address: '127.0.0.1', port: 0, agentHistograms: true },
    shutdownGraceMs: 1000,
  };
}

function withMetrics(config: DaemonConfig, metrics: Partial<DaemonConfig['metrics']>): DaemonConfig {
  return { ...config, metrics: { ...config.metrics, ...metrics } };
}

const daemons: Daemon[] = [];
afterEach(async () => {
  await Promise.allSettled(daemons.splice(0).map((daemon) => daemon.stop()));
});

async function startDaemon(config: DaemonConfig, logger = recordingLogger()): Promise<{ daemon: Daemon; logger: ReturnType<typeof recordingLogger> }> {
  const daemon = await Daemon.start(config, { logger, configPath: '/test/twampd.yaml' });
  daemons.push(daemon);
  return { daemon, logger };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
async function tcpOpen(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/healthz`).then(
    () => true,
    () => false,
  );
}

function listenTcp(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve(server);
    });
  });
}

function tcpPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not bound');
  return address.port;
}

function closeTcp(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => { resolve(); }));
}

/** Binds UDP 127.0.0.1:port (0: any free one) and resolves with the socket, or rejects with the bind error. */
function bindUdp(port = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      resolve(socket);
    });
  });
}

describe('Daemon.start', () => {
  it('binds every listener, serves /healthz, and logs ready with the bound ports', async () => {
    const { daemon, logger } = await startDaemon(baseConfig());
    const { listeners, metrics } = daemon.endpoints;
    expect(listeners.map((endpoint) => [endpoint.name, endpoint.kind])).toEqual(
      expect.arrayContaining([
        ['control', 'control'],
        ['light', 'twamp-light'],
      ]),
    );
    for (const endpoint of listeners) expect(endpoint.port).toBeGreaterThan(0);
    expect(metrics?.port).toBeGreaterThan(0);

    const ready = logger.events('ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]?.fields['listeners']).toEqual(listeners);
    expect(ready[0]?.fields['metrics']).toEqual(metrics);
    expect(ready[0]?.fields['config']).toBe('/test/twampd.yaml');

    const health = await get(metrics?.port ?? 0, '/healthz');
    expect(health.status).toBe(200);
    const report = JSON.parse(health.body) as { status: string; listeners: unknown[]; targets: unknown };
    expect(report.status).toBe('ok');
    expect(report.listeners).toEqual(listeners);
    expect(report.targets).toEqual({ total: 0, running: 0, backoff: 0 });
    expect(daemon.health().status).toBe('ok');
  });

  it('with metrics disabled serves no HTTP', async () => {
    const { daemon } = await startDaemon(withMetrics(baseConfig(), { enabled: false }));
    expect(daemon.endpoints.metrics).toBeUndefined();
    expect(daemon.health().status).toBe('ok');
  });

  it('closes the listeners it had bound when a later part (the HTTP port) fails, and rethrows', async () => {
    // A free UDP port for the reflector, known in advance so we can check it is released again.
    const probe = await bindUdp();
    const reflectorPort = probe.address().port;
    probe.close();
    const taken = await listenTcp();
    try {
      const config = withMetrics(baseConfig(), { port: tcpPort(taken) });
      const light = config.listeners.reflectors[0];
      if (light === undefined) throw new Error('no reflector');
      const logger = recordingLogger();
      const failed = Daemon.start({ ...config, listeners: { ...config.listeners, reflectors: [{ ...light, port: reflectorPort }] } }, { logger });
      await expect(failed).rejects.toBeInstanceOf(NetworkError);
      await expect(failed).rejects.toMatchObject({ systemCode: 'EADDRINUSE' });
      expect(logger.events('ready')).toEqual([]);
      // The reflector's port is free again: nothing was left bound.
      const again = await bindUdp(reflectorPort);
      again.close();
    } finally {
      await closeTcp(taken);
    }
  });

  it('refuses to start when a keyId is not in the key file (ConfigError), leaving nothing bound', async () => {
    const base = baseConfig();
    const config: DaemonConfig = {
      ...base,
      security: { ...base.security, modes: ['open', 'authenticated'], keyFile },
      listeners: {
        ...base.listeners,
        reflectors: [{ name: 'stamp', protocol: 'stamp', address: '127.0.0.1', port: 0, stateful: true, stampSecurity: 'authenticated', keyId: 'nobody' }],
      },
    };
    await expect(Daemon.start(config, { logger: recordingLogger() })).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('Daemon.reload', () => {
  it('applies new limits and level, reopens the logs, and keeps the bound ports', async () => {
    const { daemon, logger } = await startDaemon(baseConfig());
    const before = daemon.endpoints;
    const base = baseConfig();
    const next: DaemonConfig = { ...base, limits: { ...base.limits, sessionsTotal: 1 }, logging: { ...base.logging, level: 'debug' } };
    await daemon.reload(next);
    expect(daemon.config.limits.sessionsTotal).toBe(1);
    expect(logger.calls).toEqual(expect.arrayContaining(['setLevel debug', 'reopen']));
    expect(logger.events('reloaded')).toHaveLength(1);
    // Port 0 in both configs: the listeners are the same ones, not re-bound elsewhere.
    expect(daemon.endpoints).toEqual(before);
  });

  it('keeps the running config when the new key file is missing, and says so', async () => {
    const { daemon, logger } = await startDaemon(baseConfig());
    const base = baseConfig();
    const broken: DaemonConfig = {
      ...base,
      security: { ...base.security, modes: ['authenticated'], keyFile: join(work, 'no-such-keys.pfs') },
      limits: { ...base.limits, sessionsTotal: 1 },
    };
    await expect(daemon.reload(broken)).rejects.toBeInstanceOf(ConfigError);
    expect(daemon.config.limits.sessionsTotal).toBe(8);
    expect(logger.events('reload-failed')[0]?.fields['stage']).toBe('keys');
    expect(logger.events('reloaded')).toEqual([]);
    expect(daemon.health().status).toBe('ok');
  });

  it('a listener moved to a taken port keeps serving where it was: /healthz stays ok, one clear error per listener', async () => {
    const { daemon, logger } = await startDaemon(baseConfig());
    const before = daemon.endpoints.listeners;
    const lightBefore = before.find((endpoint) => endpoint.name === 'light');
    const controlBefore = before.find((endpoint) => endpoint.name === 'control');
    if (lightBefore === undefined || controlBefore === undefined) throw new Error('listeners missing');
    const takenUdp = await bindUdp();
    const takenTcp = await listenTcp();
    try {
      const base = baseConfig();
      const light = base.listeners.reflectors[0];
      const control = base.listeners.control;
      if (light === undefined || control === undefined) throw new Error('no listeners');
      const clash: DaemonConfig = {
        ...base,
        listeners: { control: { ...control, port: tcpPort(takenTcp) }, reflectors: [{ ...light, port: takenUdp.address().port }] },
        limits: { ...base.limits, sessionsTotal: 2 },
      };
      const error: unknown = await daemon.reload(clash).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NetworkError);
      // Said once, not "bind failed with EADDRINUSE (…): bind failed with EADDRINUSE (…)".
      expect((error as Error).message.match(/EADDRINUSE/g)).toHaveLength(1);
      // One error line per listener that could not move, saying where it still serves.
      const errors = logger.lines.filter((line) => line.level === 'error');
      expect(errors.map((line) => [line.fields['event'], line.fields['stage'], line.fields['name']])).toEqual([
        ['reload-failed', 'listeners', 'control'],
        ['reload-failed', 'listeners', 'light'],
      ]);
      expect(errors[1]?.fields['running']).toEqual(lightBefore);
      expect(errors[1]?.message).toContain(`keeps serving at 127.0.0.1:${lightBefore.port}`);

      // The old ones still answer where they were, and the daemon is healthy.
      expect(daemon.endpoints.listeners).toEqual(before);
      expect(daemon.health().status).toBe('ok');
      expect((await get(daemon.endpoints.metrics?.port ?? 0, '/healthz')).status).toBe(200);
      const report = await probe(lightBefore, { protocol: 'twamp-light', count: 3 });
      expect(report.summary.loss.received).toBe(3);
      const client = await connect(controlBefore.port);
      client.close();
      // The rest of the reload applied.
      expect(daemon.config.limits.sessionsTotal).toBe(2);
    } finally {
      takenUdp.close();
      await closeTcp(takenTcp);
    }
  });

  it('a listener added by a reload that cannot bind: /healthz says failed until a reload without it', async () => {
    const { daemon } = await startDaemon(baseConfig());
    const taken = await bindUdp();
    try {
      const base = baseConfig();
      const extra = { name: 'extra', protocol: 'stamp' as const, address: '127.0.0.1', port: taken.address().port, stateful: true, stampSecurity: 'open' as const, keyId: undefined };
      const more: DaemonConfig = { ...base, listeners: { ...base.listeners, reflectors: [...base.listeners.reflectors, extra] } };
      await expect(daemon.reload(more)).rejects.toBeInstanceOf(NetworkError);
      expect(daemon.health().status).toBe('failed');
      expect((await get(daemon.endpoints.metrics?.port ?? 0, '/healthz')).status).toBe(503);
    } finally {
      taken.close();
    }
    await daemon.reload(baseConfig());
    expect(daemon.health().status).toBe('ok');
  });

  it('moves the HTTP endpoint only when its address or port changes', async () => {
    const { daemon } = await startDaemon(baseConfig());
    const first = daemon.endpoints.metrics?.port ?? 0;
    // Same metrics settings (port 0): the endpoint stays where it is.
    await daemon.reload(baseConfig());
    expect(daemon.endpoints.metrics?.port).toBe(first);

    const free = await listenTcp();
    const wanted = tcpPort(free);
    await closeTcp(free);
    await daemon.reload(withMetrics(baseConfig(), { port: wanted }));
    expect(daemon.endpoints.metrics?.port).toBe(wanted);
    expect((await get(wanted, '/healthz')).status).toBe(200);
    expect(await tcpOpen(first)).toBe(false);

    await daemon.reload(withMetrics(baseConfig(), { enabled: false }));
    expect(daemon.endpoints.metrics).toBeUndefined();
    expect(await tcpOpen(wanted)).toBe(false);
  });
});

describe('/metrics and the control listener', () => {
  const withoutControl = (): DaemonConfig => {
    const base = baseConfig();
    return { ...base, listeners: { ...base.listeners, control: undefined } };
  };
  const controlFamilies = async (daemon: Daemon): Promise<string[]> => {
    const { body } = await get(daemon.endpoints.metrics?.port ?? 0, '/metrics');
    expect(body).toContain('twampd_reflector_');
    if (!promtoolMissing) expect(await promtoolCheck(body)).toEqual({ code: 0, output: '' });
    return [...body.matchAll(/^# TYPE (twampd_control_\S+)/gm)].map((match) => match[1] ?? '');
  };

  it('exports twampd_control_* only while the control listener runs, through reloads that turn it off and on', async () => {
    const { daemon } = await startDaemon(withoutControl());
    // The docs' promise: a reflector-only twampd has no control families (before: ten of them, at 0).
    expect(await controlFamilies(daemon)).toEqual([]);
    await daemon.reload(baseConfig());
    expect(await controlFamilies(daemon)).toHaveLength(10);
    await daemon.reload(withoutControl());
    expect(await controlFamilies(daemon)).toEqual([]);
    // On again: registering the same families a second time must not throw (prom-client refuses duplicates).
    await daemon.reload(baseConfig());
    expect(await controlFamilies(daemon)).toHaveLength(10);
    expect(daemon.health().status).toBe('ok');
  });
});

describe('agent.output that cannot be written', () => {
  const withOutput = (output: string): DaemonConfig => {
    const base = baseConfig();
    return { ...base, agent: { ...base.agent, output } };
  };
  const unwritable = join(work, 'no-such-dir', 'results.jsonl');

  it('refuses to start with a ConfigError at agent.output naming the absolute path, leaving nothing bound', async () => {
    const error: unknown = await Daemon.start(withOutput(unwritable), { logger: recordingLogger() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({ path: 'agent.output', received: `${JSON.stringify(unwritable)} (ENOENT)` });
  });

  it('refuses a reload to it (stage files), keeping the running config', async () => {
    const { daemon, logger } = await startDaemon(withOutput(join(work, 'results.jsonl')));
    await expect(daemon.reload(withOutput(unwritable))).rejects.toBeInstanceOf(ConfigError);
    expect(daemon.config.agent.output).toBe(join(work, 'results.jsonl'));
    expect(logger.events('reload-failed')[0]?.fields['stage']).toBe('files');
  });
});

describe('Daemon.stop', () => {
  it('reports stopping, closes the listeners and the HTTP endpoint last, flushes the logger, and is idempotent', async () => {
    const output = join(work, 'results.jsonl');
    const base = baseConfig();
    const { daemon, logger } = await startDaemon({ ...base, agent: { ...base.agent, output } });
    const port = daemon.endpoints.metrics?.port ?? 0;
    const light = daemon.endpoints.listeners.find((endpoint) => endpoint.name === 'light')?.port ?? 0;
    const stopping = daemon.stop();
    expect(daemon.health().status).toBe('stopping');
    expect(daemon.stop()).toBe(stopping);
    await stopping;
    expect(logger.events('stopping')).toHaveLength(1);
    expect(logger.events('stopped')).toHaveLength(1);
    expect(logger.calls).toContain('flush');
    expect(await tcpOpen(port)).toBe(false);
    const again = await bindUdp(light);
    again.close();
    await expect(daemon.reload(base)).rejects.toThrow(/stopping/);
  });
});
