// Valid configs: what an empty file, a minimal one and the documented example become, and how each
// kind of value is read (durations, DSCP names, mode words, port ranges, rates, defaults for targets).
import { DEFAULT_SERVER_LIMITS, DEFAULT_SERVER_TIMEOUTS } from '@twamp/control';
import { DEFAULT_MAX_SESSIONS_PER_SOURCE, DEFAULT_REFLECTOR_PORT_RANGE } from '@twamp/test-session';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_REFERENCE, DEFAULT_CONFIG_PATH, DEFAULT_REFLECTOR_PORTS, loadConfig, PATH_KEYS, parseConfig } from '../src/index.js';
import { exampleText, uncommentedExample } from './fixtures/config/example-uncommented.js';

const MINIMAL = new URL('./fixtures/config/minimal.yaml', import.meta.url);

describe('parseConfig: defaults', () => {
  it('reads an empty file as the control listener on [::]:862, open mode, metrics on loopback', () => {
    for (const text of ['', '\n', '# only a comment\n', '---\n', 'limits:\n']) {
      const config = parseConfig(text);
      expect(config.listeners.control).toEqual({ name: 'control', address: '::', port: 862, reflectorPorts: { first: 8760, last: 9960 }, extensions: true, thirdPartySenders: false });
      expect(config.listeners.reflectors).toEqual([]);
      expect(config.security).toEqual({ modes: ['open'], keyFile: undefined, pbkdf2Count: 2048 });
      expect(config.access).toEqual({});
      expect(config.limits).toEqual({
        controlConnections: 1000,
        controlConnectionsPerClient: 16,
        sessionsPerConnection: 64,
        sessionsTotal: 1024,
        sessionRequestsPerSecond: undefined,
        reflectorSessions: 10_000,
        packetsPerSecondPerSession: undefined,
        packetsPerSecondPerSource: undefined,
        idleTimeoutMs: 900_000,
        handshakeTimeoutMs: 30_000,
        // The libraries' own defaults, so twampd and `twamp server` cannot disagree.
        sessionsPerClient: DEFAULT_SERVER_LIMITS.maxSessionsPerClient,
        authFailuresPerMinute: DEFAULT_SERVER_LIMITS.authFailuresPerMinute,
        reflectorSessionsPerSource: DEFAULT_MAX_SESSIONS_PER_SOURCE,
        idleWithoutSessionsTimeoutMs: DEFAULT_SERVER_TIMEOUTS.idleWithoutSessionsMs,
        unstartedSessionTimeoutMs: DEFAULT_SERVER_TIMEOUTS.unstartedSessionMs,
      });
      expect(config.agent).toEqual({ targets: [], output: undefined, retryInitialMs: 1000, retryMaxMs: 300_000, startSpreadMs: undefined });
      expect(config.logging).toEqual({ level: 'info', destination: 'stderr' });
      expect(config.metrics).toEqual({ enabled: true, address: '127.0.0.1', port: 9862, agentHistograms: true });
      expect(config.shutdownGraceMs).toBe(10_000);
    }
  });

  it('reads the issue-13 limits, `unlimited` included, and thirdPartySenders', () => {
    const config = parseConfig(`listeners:
  control: {thirdPartySenders: true}
limits:
  sessionsPerClient: unlimited
  authFailuresPerMinute: 3
  reflectorSessionsPerSource: 8
  idleWithoutSessionsTimeout: 5s
  unstartedSessionTimeout: 2m
`);
    expect(config.listeners.control?.thirdPartySenders).toBe(true);
    expect(config.limits).toMatchObject({
      sessionsPerClient: undefined,
      authFailuresPerMinute: 3,
      reflectorSessionsPerSource: 8,
      idleWithoutSessionsTimeoutMs: 5000,
      unstartedSessionTimeoutMs: 120_000,
    });
  });

  it('offers all four modes when a key file is given and no modes are', () => {
    expect(parseConfig('security: {keyFile: /k}').security.modes).toEqual(['open', 'authenticated', 'encrypted', 'mixed']);
  });

  it('turns the control listener off only when asked', () => {
    expect(parseConfig('listeners: {control: {enabled: false}}').listeners.control).toBeUndefined();
    expect(parseConfig('listeners: {reflectors: []}').listeners.control?.port).toBe(862);
  });

  it('names the default config path', () => {
    expect(DEFAULT_CONFIG_PATH).toBe('/etc/twampd/twampd.yaml');
  });
});

describe('parseConfig: values', () => {
  it('reads durations as seconds or with a unit', () => {
    const text = (value: string): string => `limits: {idleTimeout: ${value}}`;
    expect(parseConfig(text('30')).limits.idleTimeoutMs).toBe(30_000);
    expect(parseConfig(text('0.5')).limits.idleTimeoutMs).toBe(500);
    expect(parseConfig(text('250ms')).limits.idleTimeoutMs).toBe(250);
    expect(parseConfig(text('"30 s"')).limits.idleTimeoutMs).toBe(30_000);
    expect(parseConfig(text('15m')).limits.idleTimeoutMs).toBe(900_000);
    expect(parseConfig(text('1h')).limits.idleTimeoutMs).toBe(3_600_000);
    expect(parseConfig('shutdownGrace: 0').shutdownGraceMs).toBe(0);
  });

  it('reads rates as numbers or unlimited', () => {
    const limits = parseConfig('limits: {sessionRequestsPerSecond: 50, packetsPerSecondPerSource: 0.5, packetsPerSecondPerSession: unlimited}').limits;
    expect(limits.sessionRequestsPerSecond).toBe(50);
    expect(limits.packetsPerSecondPerSource).toBe(0.5);
    expect(limits.packetsPerSecondPerSession).toBeUndefined();
  });

  it('reads security modes as words, one or a list, with auth and all', () => {
    const modes = (value: string): readonly string[] => parseConfig(`security: {keyFile: /k, modes: ${value}}`).security.modes;
    expect(modes('[open, auth]')).toEqual(['open', 'authenticated']);
    expect(modes('Encrypted')).toEqual(['encrypted']);
    expect(modes('[mixed, unauthenticated]')).toEqual(['open', 'mixed']);
    expect(modes('all')).toEqual(['open', 'authenticated', 'encrypted', 'mixed']);
  });

  it('reads reflector ports as a range or ephemeral', () => {
    const ports = (value: string): unknown => parseConfig(`listeners: {control: {reflectorPorts: ${value}}}`).listeners.control?.reflectorPorts;
    expect(ports('"2000-2100"')).toEqual({ first: 2000, last: 2100 });
    expect(ports('2000-2100')).toEqual({ first: 2000, last: 2100 });
    expect(ports('ephemeral')).toBe('ephemeral');
    expect(ports('0')).toBe('ephemeral');
  });

  it('allows port 0 (any free port) on listeners and metrics, as tests bind', () => {
    const config = parseConfig('listeners: {control: {port: 0}, reflectors: [{name: a, protocol: stamp, port: 0}, {name: b, protocol: twamp-light, port: 0}]}\nmetrics: {port: 0}');
    expect(config.listeners.control?.port).toBe(0);
    expect(config.listeners.reflectors.map((reflector) => reflector.port)).toEqual([0, 0]);
    expect(config.metrics.port).toBe(0);
  });

  it('applies agent.defaults to every target, a target\'s own value winning, labels merged', () => {
    const config = parseConfig(`
agent:
  defaults: {protocol: stamp, interval: 100ms, dscp: EF, labels: {site: par1, tier: 1}}
  targets:
    - {name: a, address: 192.0.2.1}
    - {name: b, address: b.example.net, protocol: twamp, dscp: AF41, window: 10s, labels: {tier: 2}}
`);
    const [a, b] = config.agent.targets;
    expect(a).toMatchObject({ name: 'a', protocol: 'stamp', intervalMs: 100, dscp: 46, labels: { site: 'par1', tier: '1' }, modes: ['open'], port: 862 });
    expect(b).toMatchObject({ name: 'b', protocol: 'twamp', intervalMs: 100, dscp: 34, windowMs: 10_000, labels: { site: 'par1', tier: '2' } });
  });

  it('chooses target modes from the protocol and the keyId, strongest first', () => {
    const targets = parseConfig(`
security: {keyFile: /k}
agent:
  targets:
    - {name: t1, protocol: twamp, address: 192.0.2.1, keyId: fleet}
    - {name: t2, protocol: twamp, address: 192.0.2.1, modes: [open, auth], keyId: fleet}
    - {name: s1, protocol: stamp, address: 192.0.2.1, keyId: fleet}
    - {name: s2, protocol: stamp, address: 192.0.2.1, modes: open, keyId: fleet}
    - {name: l1, protocol: twamp-light, address: 192.0.2.1, keyId: fleet}
    - {name: t3, protocol: twamp, address: 192.0.2.1}
`).agent.targets;
    expect(targets.map((target) => [target.name, target.modes, target.keyId])).toEqual([
      ['t1', ['encrypted', 'authenticated', 'mixed', 'open'], 'fleet'],
      ['t2', ['authenticated', 'open'], 'fleet'],
      ['s1', ['authenticated'], 'fleet'],
      // An identity that no mode uses is dropped, so key checks see only real uses.
      ['s2', ['open'], undefined],
      ['l1', ['open'], undefined],
      ['t3', ['open'], undefined],
    ]);
  });

  it('fills in every target default', () => {
    const [target] = parseConfig('agent: {targets: [{name: x, protocol: twamp-light, address: "2001:db8::1"}]}').agent.targets;
    expect(target).toEqual({
      name: 'x',
      protocol: 'twamp-light',
      address: '2001:db8::1',
      port: 862,
      localAddress: undefined,
      modes: ['open'],
      keyId: undefined,
      ssid: undefined,
      schedule: 'periodic',
      intervalMs: 1000,
      padding: 'symmetric',
      dscp: 0,
      ttl: 255,
      windowMs: 60_000,
      lossTimeoutMs: 2000,
      reflectorStateful: true,
      labels: {},
    });
  });

  it('takes an empty value as the default', () => {
    const config = parseConfig('listeners:\n  control:\n    port:\n    address:\nmetrics:\n  port:\n');
    expect(config.listeners.control?.port).toBe(862);
    expect(config.metrics.port).toBe(9862);
  });

  it('reads a STAMP reflector with authenticated security and its key identity', () => {
    const [reflector] = parseConfig('security: {keyFile: /k}\nlisteners: {reflectors: [{name: s, protocol: stamp, security: authenticated, keyId: fleet, stateful: false}]}').listeners.reflectors;
    expect(reflector).toEqual({ name: 's', protocol: 'stamp', address: '::', port: 862, stateful: false, stampSecurity: 'authenticated', keyId: 'fleet' });
  });
});

describe('the documented example', () => {
  it('is valid as shipped, and means the same as an empty file', () => {
    expect(parseConfig(exampleText(), 'twampd.example.yaml')).toEqual(parseConfig(''));
  });

  it('is valid with every example setting turned on, and uses them', () => {
    const config = parseConfig(uncommentedExample(), 'twampd.example.yaml');
    expect(config.listeners.reflectors.map((reflector) => reflector.name)).toEqual(['light', 'stamp']);
    expect(config.security.keyFile).toBe('/etc/twampd/twampd.keys');
    expect(Object.keys(config.access)).toEqual(['control', 'light']);
    expect(config.agent.targets.map((target) => [target.name, target.protocol])).toEqual([
      ['fra1-twamp', 'twamp'],
      ['ams1-stamp', 'stamp'],
      ['lon1-light', 'twamp-light'],
    ]);
    expect(config.agent.output).toBe('/var/lib/twampd/results.jsonl');
    expect(config.agent.startSpreadMs).toBe(5000);
  });
});

describe('loadConfig', () => {
  it('reads a file', async () => {
    const config = await loadConfig(MINIMAL.pathname);
    expect(config.listeners.control).toBeUndefined();
    expect(config.listeners.reflectors).toHaveLength(1);
    expect(config.agent.targets).toHaveLength(1);
  });
});

describe('the reflector port range', () => {
  it('defaults to the same range as twamp server (the library default, perfSONAR 8760-9960)', () => {
    // \`twamp server --port-range\` defaults to DEFAULT_REFLECTOR_PORT_RANGE; twampd must open the same hole.
    expect(DEFAULT_REFLECTOR_PORTS).toEqual(DEFAULT_REFLECTOR_PORT_RANGE);
    expect(parseConfig('').listeners.control?.reflectorPorts).toEqual(DEFAULT_REFLECTOR_PORT_RANGE);
    expect(DEFAULT_REFLECTOR_PORT_RANGE).toEqual({ first: 8760, last: 9960 });
  });
});

describe('relative file paths', () => {
  const PATHS = 'security: {keyFile: keys.txt}\nagent: {output: results/out.jsonl}\nlogging: {destination: twampd.log}\n';

  it('are read from the config file\'s directory, not the working directory', () => {
    const config = parseConfig(PATHS, '/etc/twampd/site/twampd.yaml');
    expect(config.security.keyFile).toBe('/etc/twampd/site/keys.txt');
    expect(config.agent.output).toBe('/etc/twampd/site/results/out.jsonl');
    expect(config.logging.destination).toBe('/etc/twampd/site/twampd.log');
  });

  it('a relative config file name is taken from the working directory first; absolute paths and streams stay', () => {
    expect(parseConfig(PATHS, 'conf/twampd.yaml').security.keyFile).toBe(join(process.cwd(), 'conf', 'keys.txt'));
    expect(parseConfig(PATHS).security.keyFile).toBe(join(process.cwd(), 'keys.txt'));
    const config = parseConfig('security: {keyFile: /k/keys}\nagent: {output: "-"}\nlogging: {destination: stdout}\n', '/etc/twampd/twampd.yaml');
    expect([config.security.keyFile, config.agent.output, config.logging.destination]).toEqual(['/k/keys', '-', 'stdout']);
  });

  it('loadConfig resolves them against the file it read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twampd-paths-'));
    try {
      writeFileSync(join(dir, 'twampd.yaml'), PATHS);
      expect((await loadConfig(join(dir, 'twampd.yaml'))).security.keyFile).toBe(join(dir, 'keys.txt'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('covers every key the reference documents as a file path', () => {
    const documented = CONFIG_REFERENCE.filter((entry) => entry.type.includes('file path')).map((entry) => entry.key);
    expect(documented).toEqual([...PATH_KEYS]);
    for (const key of documented) expect(CONFIG_REFERENCE.find((entry) => entry.key === key)?.meaning).toContain('config file\'s directory');
  });
});
