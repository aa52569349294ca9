// SessionReflector.reconfigure (a daemon's reload): new allowed sources, session limit, rate caps and
// idle timeout apply to what comes next, and the sessions already running keep being answered.
import { ConfigError } from '@twamp/errors';
import { encodeTwampSender, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorSessionEvent } from '../../src/types.js';
import { Client, nowTimestamp, openReflector, UNSYNCED, waitFor } from './harness.js';

const open = twampLayout({ security: TestSecurity.Open });
const request = (sequence = 1): Buffer =>
  encodeTwampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(27) }, open);

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function reflectorWith(options: Parameters<typeof openReflector>[0]): Promise<SessionReflector> {
  const reflector = await openReflector({ clock: () => UNSYNCED, ...options });
  cleanup.push(() => {
    reflector.close();
  });
  return reflector;
}

async function clients(count: number): Promise<Client[]> {
  const out = await Promise.all(Array.from({ length: count }, () => Client.open(4)));
  cleanup.push(() => {
    for (const c of out) c.close();
  });
  return out;
}

describe('SessionReflector.reconfigure', () => {
  it('a lower maxSessions evicts nothing at the reload; a new session then makes room', async () => {
    const reflector = await reflectorWith({ maxSessions: 3 });
    const [a, b, c] = await clients(3);
    expect(await a!.exchange(request(1), reflector)).toBeDefined();
    expect(await b!.exchange(request(1), reflector)).toBeDefined();
    reflector.reconfigure({ maxSessions: 1 });
    expect(await a!.exchange(request(2), reflector)).toBeDefined();
    expect(await b!.exchange(request(2), reflector)).toBeDefined();
    expect(reflector.stats).toMatchObject({ sessionsActive: 2, sessionsEvicted: 0 });
    expect(await c!.exchange(request(1), reflector)).toBeDefined();
    expect(reflector.stats).toMatchObject({ sessionsActive: 1, sessionsEvicted: 2 });
    expect(reflector.stats.dropped['session-limit']).toBe(0);
    reflector.reconfigure({ maxSessions: 3 });
    expect(await a!.exchange(request(3), reflector)).toBeDefined();
    expect(reflector.stats).toMatchObject({ sessionsActive: 2, sessionsEvicted: 2 });
  });

  it('a lower maxSessionsPerSource applies to the next new session of a source', async () => {
    const reflector = await reflectorWith({});
    const [a, b, c] = await clients(3);
    for (const client of [a, b, c]) expect(await client!.exchange(request(1), reflector)).toBeDefined();
    reflector.reconfigure({ maxSessionsPerSource: 2 });
    expect(reflector.stats.sessionsActive).toBe(3);
    // All three share 127.0.0.1: a fourth session of it evicts two to get within the share.
    const [d] = await clients(1);
    expect(await d!.exchange(request(1), reflector)).toBeDefined();
    expect(reflector.stats).toMatchObject({ sessionsActive: 2, sessionsEvicted: 2 });
  });

  it('allowed sources apply to new sessions; a running session of a source no longer allowed is kept', async () => {
    const reflector = await reflectorWith({});
    const [a, b] = await clients(2);
    expect(await a!.exchange(request(1), reflector)).toBeDefined();
    reflector.reconfigure({ allowedSources: ['192.0.2.0/24'] });
    expect(await a!.exchange(request(2), reflector)).toBeDefined();
    b!.send(request(1), reflector);
    expect(await b!.next(150)).toBeUndefined();
    expect(reflector.stats.dropped['source-not-allowed']).toBe(1);
    // Present as undefined: everyone again.
    reflector.reconfigure({ allowedSources: undefined });
    expect(await b!.exchange(request(2), reflector)).toBeDefined();
  });

  it('rate caps apply to sessions created afterwards; a session keeps the rate it started with', async () => {
    const now = 1_000_000;
    const reflector = await reflectorWith({ now: () => now });
    const [a, b] = await clients(2);
    expect(await a!.exchange(request(0), reflector)).toBeDefined();
    reflector.reconfigure({ perSessionRate: 1, perSourceRate: 100 });
    for (let i = 1; i <= 3; i++) {
      a!.send(request(i), reflector);
      b!.send(request(i), reflector);
    }
    // The clock does not move: b's session gets its burst of one, a (unlimited) all three.
    expect((await a!.collect(3, 2000)).length).toBe(3);
    expect((await b!.collect(3, 300)).length).toBe(1);
    expect(reflector.stats.dropped['session-rate']).toBe(2);
    reflector.reconfigure({ perSessionRate: undefined, perSourceRate: undefined });
    const [c] = await clients(1);
    for (let i = 1; i <= 3; i++) c!.send(request(i), reflector);
    expect((await c!.collect(3, 2000)).length).toBe(3);
  });

  it('a shorter idle timeout applies from the next sweep', async () => {
    let now = 5_000;
    const events: ReflectorSessionEvent[] = [];
    const reflector = await reflectorWith({ idleTimeoutMs: 900_000, now: () => now, onSessionEvent: (e) => events.push(e) });
    const [a] = await clients(1);
    expect(await a!.exchange(request(1), reflector)).toBeDefined();
    now += 10_000;
    reflector.reconfigure({ idleTimeoutMs: 200 });
    expect(await waitFor(() => events.some((e) => e.type === 'expired'), 2000)).toBe(true);
    expect(reflector.stats).toMatchObject({ sessionsActive: 0, sessionsExpired: 1 });
  });

  it('a bad value is a ConfigError listing every problem, and nothing changes', async () => {
    const reflector = await reflectorWith({ maxSessions: 1 });
    let thrown: unknown;
    try {
      reflector.reconfigure({ maxSessions: 0, perSessionRate: -1, allowedSources: ['nope'] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['maxSessions', 'perSessionRate', 'allowedSources[0]']));
    const [a, b] = await clients(2);
    expect(await a!.exchange(request(1), reflector)).toBeDefined();
    // Still one session at most: b's evicts a's.
    expect(await b!.exchange(request(1), reflector)).toBeDefined();
    expect(reflector.stats).toMatchObject({ sessionsActive: 1, sessionsEvicted: 1 });
  });
});
