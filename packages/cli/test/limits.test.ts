// The limit options of `twamp server` and `twamp responder`: parsed in the option's unit, defaults
// taken from @twamp/control and @twamp/test-session (not copies), every default shown in --help,
// each value handed to the library that enforces it, and the reflector's rate-limited drop reports
// printed as one info line (and a `drops` record) each.
import { DEFAULT_SERVER_LIMITS, DEFAULT_SERVER_TIMEOUTS } from '@twamp/control';
import { DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_SOURCE, DEFAULT_REFWAIT_MS, type ReflectorDropReport } from '@twamp/test-session';
import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { parseResponderArguments, reflectorOptionsFor, RESPONDER_LIMIT_OPTIONS } from '../src/commands/responder.js';
import { parseServerArguments, SERVER_LIMIT_OPTIONS, serverControlLimits, sessionReflectorOptions } from '../src/commands/server.js';
import { main } from '../src/main.js';
import { describeLimit, flagName, type LimitSpec, parseLimit } from '../src/options/limits.js';
import { formatResponderStats } from '../src/output/responder-lines.js';
import { emptyStats, scriptedControl, scriptedEngine, settle, testIo } from './commands-support.js';

function issueOf(run: () => unknown): { path: string; expected: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues[0] as { path: string; expected: string };
    throw error;
  }
  throw new Error('no ConfigError');
}

async function helpText(command: string): Promise<string> {
  let out = '';
  const io = { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => true } };
  expect(await main([command, '--help'], io)).toBe(0);
  // Commander wraps long lines; compare words.
  return out.replace(/\s+/g, ' ');
}

describe('one limit value', () => {
  const count: LimitSpec = { flag: '--max-things <n>', key: 'maxThings', kind: 'count', unit: 'things', defaultValue: 5, help: 'things' };
  const rate: LimitSpec = { flag: '--rate <n>', key: 'rate', kind: 'rate', defaultValue: Number.POSITIVE_INFINITY, unlimited: true, help: 'rate' };
  const seconds: LimitSpec = { flag: '--wait <s>', key: 'wait', kind: 'seconds', defaultValue: 30_000, help: 'wait' };

  it('counts are whole numbers, rates take fractions, seconds become milliseconds', () => {
    expect(parseLimit(count, '7')).toBe(7);
    expect(parseLimit(rate, '2.5')).toBe(2.5);
    expect(parseLimit(seconds, '0.25')).toBe(250);
    expect(parseLimit(seconds, '900')).toBe(900_000);
  });

  it('unlimited (and 0 for a rate) only where the option allows it', () => {
    expect(parseLimit(rate, 'unlimited')).toBe(Number.POSITIVE_INFINITY);
    expect(parseLimit(rate, '0')).toBe(Number.POSITIVE_INFINITY);
    expect(issueOf(() => parseLimit(count, 'unlimited'))).toMatchObject({ path: '--max-things', expected: 'an integer from 1 to 1000000 things' });
    expect(issueOf(() => parseLimit(count, '0')).path).toBe('--max-things');
    expect(issueOf(() => parseLimit(seconds, '0')).path).toBe('--wait');
    expect(issueOf(() => parseLimit(rate, '-1')).path).toBe('--rate');
  });

  it('shows defaults in the unit typed', () => {
    expect(describeLimit(count)).toBe('5');
    expect(describeLimit(rate)).toBe('unlimited');
    expect(describeLimit(seconds)).toBe('30 s');
  });
});

describe('twamp server limits', () => {
  it('default to @twamp/control\'s DEFAULT_SERVER_LIMITS and DEFAULT_SERVER_TIMEOUTS', () => {
    const plan = parseServerArguments(undefined, {});
    expect(plan.thirdPartySenders).toBe(false);
    expect(serverControlLimits(plan)).toEqual({
      limits: {
        maxConnections: DEFAULT_SERVER_LIMITS.maxConnections,
        maxConnectionsPerClient: DEFAULT_SERVER_LIMITS.maxConnectionsPerClient,
        maxSessionsTotal: DEFAULT_SERVER_LIMITS.maxSessionsTotal,
        maxSessionsPerConnection: DEFAULT_SERVER_LIMITS.maxSessionsPerConnection,
        maxSessionsPerClient: DEFAULT_SERVER_LIMITS.maxSessionsPerClient,
        requestsPerSecond: DEFAULT_SERVER_LIMITS.requestsPerSecond,
        sessionRequestsPerSecond: DEFAULT_SERVER_LIMITS.sessionRequestsPerSecond,
        authFailuresPerMinute: DEFAULT_SERVER_LIMITS.authFailuresPerMinute,
      },
      timeouts: {
        handshakeMs: DEFAULT_SERVER_TIMEOUTS.handshakeMs,
        servwaitMs: DEFAULT_SERVER_TIMEOUTS.servwaitMs,
        idleWithoutSessionsMs: DEFAULT_SERVER_TIMEOUTS.idleWithoutSessionsMs,
        unstartedSessionMs: DEFAULT_SERVER_TIMEOUTS.unstartedSessionMs,
      },
    });
    expect(plan.maxSessions).toBe(DEFAULT_SERVER_LIMITS.maxSessionsTotal);
  });

  it('read every option', () => {
    const plan = parseServerArguments(undefined, {
      maxConnections: '10',
      maxConnectionsPerClient: '2',
      maxSessions: '20',
      maxSessionsPerConnection: '3',
      maxSessionsPerClient: '4',
      requestRate: '5',
      serverRequestRate: '6.5',
      authFailuresPerMinute: 'unlimited',
      handshakeTimeout: '1',
      idleTimeout: '120',
      idleWithoutSessionsTimeout: '0.5',
      unstartedSessionTimeout: '7',
      ratePerSource: '1000',
      ratePerSession: '0',
      thirdPartySenders: true,
    });
    expect(plan.thirdPartySenders).toBe(true);
    expect(plan.maxSessions).toBe(20);
    expect(serverControlLimits(plan)).toEqual({
      limits: {
        maxConnections: 10,
        maxConnectionsPerClient: 2,
        maxSessionsTotal: 20,
        maxSessionsPerConnection: 3,
        maxSessionsPerClient: 4,
        requestsPerSecond: 5,
        sessionRequestsPerSecond: 6.5,
        authFailuresPerMinute: Number.POSITIVE_INFINITY,
      },
      timeouts: { handshakeMs: 1000, servwaitMs: 120_000, idleWithoutSessionsMs: 500, unstartedSessionMs: 7000 },
    });
    const report = (): void => undefined;
    // REFWAIT of the session reflectors is --idle-timeout, as twampd's limits.idleTimeout; no per-session cap when 0.
    expect(sessionReflectorOptions(plan, report)).toEqual({ idleTimeoutMs: 120_000, perSourceRate: 1000, onDropReport: report });
  });

  it('name the bad option', () => {
    for (const spec of SERVER_LIMIT_OPTIONS) {
      expect(issueOf(() => parseServerArguments(undefined, { [spec.key]: 'lots' })).path).toBe(flagName(spec));
    }
  });

  it('reach the control server and say so in --help, each with its default', async () => {
    const help = await helpText('server');
    for (const spec of SERVER_LIMIT_OPTIONS) expect(help).toContain(`${spec.flag} `);
    for (const spec of SERVER_LIMIT_OPTIONS) expect(help).toMatch(new RegExp(`${flagName(spec)} <[a-z]+> [^]*?default ${describeLimit(spec).replace('.', '\\.')}\\)`));
    expect(help).toContain('default 30 s');
    expect(help).toContain(`default ${DEFAULT_SERVER_LIMITS.maxSessionsPerClient})`);
    expect(help).toContain('--third-party-senders');

    const io = testIo();
    const control = scriptedControl();
    const run = main(['server', '127.0.0.1:0', '--max-sessions-per-client', '2', '--idle-without-sessions-timeout', '5', '--third-party-senders'], io, { engine: scriptedEngine(), control });
    await settle();
    io.emit('SIGTERM');
    expect(await run).toBe(0);
    expect(control.listens[0]).toMatchObject({
      limits: { maxSessionsPerClient: 2, maxSessionsTotal: DEFAULT_SERVER_LIMITS.maxSessionsTotal },
      timeouts: { idleWithoutSessionsMs: 5000, handshakeMs: DEFAULT_SERVER_TIMEOUTS.handshakeMs },
      thirdPartySenders: true,
    });
  });
});

describe('twamp responder limits', () => {
  it('default to @twamp/test-session\'s values and reach the reflector', () => {
    const plan = parseResponderArguments(undefined, {});
    expect(plan).toMatchObject({
      maxSessions: DEFAULT_MAX_SESSIONS,
      maxSessionsPerSource: DEFAULT_MAX_SESSIONS_PER_SOURCE,
      ratePerSource: Number.POSITIVE_INFINITY,
      ratePerSession: Number.POSITIVE_INFINITY,
      idleTimeoutMs: DEFAULT_REFWAIT_MS,
    });
    const options = reflectorOptionsFor(plan, '0.0.0.0');
    expect(options).toMatchObject({ maxSessions: DEFAULT_MAX_SESSIONS, maxSessionsPerSource: DEFAULT_MAX_SESSIONS_PER_SOURCE });
    expect(options).not.toHaveProperty('perSourceRate');
    expect(options).not.toHaveProperty('perSessionRate');
  });

  it('read --max-sessions-per-source, --rate-per-source and --rate-per-session', () => {
    const plan = parseResponderArguments(undefined, { maxSessionsPerSource: '2', ratePerSource: '100', ratePerSession: '12.5' });
    expect(reflectorOptionsFor(plan, '0.0.0.0')).toMatchObject({ maxSessionsPerSource: 2, perSourceRate: 100, perSessionRate: 12.5 });
    expect(issueOf(() => parseResponderArguments(undefined, { maxSessionsPerSource: '0' }))).toMatchObject({ path: '--max-sessions-per-source', expected: 'an integer from 1 to 1000000 sessions' });
    expect(issueOf(() => parseResponderArguments(undefined, { ratePerSource: 'fast' })).path).toBe('--rate-per-source');
  });

  it('show every default in --help', async () => {
    const help = await helpText('responder');
    for (const spec of RESPONDER_LIMIT_OPTIONS) expect(help).toMatch(new RegExp(`${flagName(spec)} <[a-z]+> [^]*?default ${describeLimit(spec)}\\)`));
    expect(help).toContain(`default ${DEFAULT_MAX_SESSIONS_PER_SOURCE})`);
  });

  it('print each drop report as one line and one --jsonl record; -q keeps the terminal quiet', async () => {
    const report: ReflectorDropReport = { reason: 'looped-reply', count: 1523, total: 1530, source: { address: '127.0.0.1', port: 862 } };
    const io = testIo();
    const engine = scriptedEngine();
    const run = main(['responder', ':0', '--jsonl'], io, { engine });
    await settle();
    engine.reflectors[0]?.options.onDropReport?.(report);
    io.emit('SIGTERM');
    expect(await run).toBe(0);
    expect(io.err()).toContain('twamp responder: dropped 1523 packets (looped-reply: one of our own replies came back (a loop)) since the last report, 1530 in all; latest from 127.0.0.1:862\n');
    const records = io.out().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((record) => record['type'] === 'drops')).toMatchObject({ reason: 'looped-reply', count: 1523, total: 1530, source: { address: '127.0.0.1', port: 862 } });

    const quiet = testIo();
    const quietEngine = scriptedEngine();
    const quietRun = main(['responder', ':0', '-q'], quiet, { engine: quietEngine });
    await settle();
    quietEngine.reflectors[0]?.options.onDropReport?.(report);
    quiet.emit('SIGTERM');
    expect(await quietRun).toBe(0);
    expect(quiet.err()).toBe('');
  });

  it('the stop line counts evicted sessions and every new drop reason', () => {
    const stats = emptyStats({
      packetsIn: 10,
      packetsOut: 4,
      sessionsCreated: 5,
      sessionsActive: 2,
      sessionsEvicted: 3,
      dropped: { ...emptyStats().dropped, 'own-address': 1, 'source-port-zero': 2, 'bad-source-address': 1, 'looped-reply': 2 },
    });
    expect(formatResponderStats(stats, 1000)).toBe(
      'twamp responder: stopped after 1.0 s: 10 packets in, 4 out, 5 sessions (2 active, 0 expired, 3 evicted); dropped: 1 own-address, 2 source-port-zero, 1 bad-source-address, 2 looped-reply',
    );
  });
});
