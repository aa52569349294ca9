// Fuzzing the control server and client (a bounded run; `pnpm --filter @twamp/control fuzz` runs
// the same drivers for millions of messages). Over 100 000 hostile messages in all: most through
// the sans-IO state machines, a share through the real node:net adapters on loopback.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Mode } from '@twamp/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingHandler } from '../support/recording-handler.js';
import { type Started, startServer } from '../support/server.js';
import { fuzzClient, fuzzEncrypted, fuzzRequestFields, fuzzStreams } from './drivers.js';
import { fuzzClientSansIo, fuzzServerEncryptedSansIo, fuzzServerSansIo } from './sans-io.js';

// A fixed base seed keeps CI reproducible; FUZZ_SEED explores elsewhere (a failure names its seed).
const SEED = Number(process.env['FUZZ_SEED'] ?? 0x7a3c_0005);

/** Forces full collections so heap figures compare live objects, not garbage not yet collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

const MB = 1024 * 1024;
let total = 0;

describe('sans-IO state machines', () => {
  it('ServerConnection: 20 000 mutated open-mode streams (~80 000 messages) never throw, always close, never leak a session', () => {
    const gc = collector();
    // Warm up so the JIT and the module caches are not counted as growth.
    fuzzServerSansIo(SEED - 1, 2000);
    gc();
    const before = process.memoryUsage().heapUsed;
    const result = fuzzServerSansIo(SEED, 20_000);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    total += result.messages;
    expect(result.messages).toBeGreaterThan(50_000);
    // Every mutation kind was exercised, and the server closed for many different reasons.
    expect(Object.keys(result.byMutation).length).toBe(8);
    expect(Object.keys(result.byCloseReason).length).toBeGreaterThanOrEqual(4);
    expect(result.sessionsOpened).toBeGreaterThan(1000);
    expect(growth).toBeLessThan(16 * MB);
  }, 30_000);

  it('ServerConnection: 600 encrypted streams with forged ciphertext end in an authentication or protocol error, never a throw', () => {
    const result = fuzzServerEncryptedSansIo(SEED + 1, 600);
    total += result.messages;
    expect(result.byCloseReason['authentication-failed']).toBeGreaterThan(50);
  }, 30_000);

  it('ClientConnection: 20 000 hostile server streams never throw; every failure is typed', () => {
    const result = fuzzClientSansIo(SEED + 2, 20_000);
    total += result.cases;
    expect(result.failed).toBeGreaterThan(1000);
    expect(result.ready).toBeGreaterThan(100);
  }, 30_000);
});

describe('over loopback TCP', () => {
  let started: Started | undefined;
  const handler = new RecordingHandler({ countOnly: true });

  beforeAll(async () => {
    started = await startServer(
      {
        modes: Mode.Unauthenticated | Mode.Encrypted | Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize,
        timeouts: { handshakeMs: 1000, messageMs: 500, servwaitMs: 1500 },
        limits: { maxConnections: 256, maxConnectionsPerClient: 256, maxSessionsPerConnection: 16, maxSessionsTotal: 512 },
      },
      handler,
    );
  });

  afterAll(async () => {
    await started?.server.close(0);
  });

  it('24 000 field-fuzzed Request-TW-Sessions on 6 connections: each one answered, none closes a connection', async () => {
    if (started === undefined) throw new Error('no server');
    const endpoint = started.endpoint;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => fuzzRequestFields(endpoint, SEED + 10 + i, 4000)));
    const accepts: Record<number, number> = {};
    for (const result of results) for (const [value, n] of Object.entries(result)) accepts[Number(value)] = (accepts[Number(value)] ?? 0) + n;
    total += 24_000;
    expect(Object.values(accepts).reduce((a, b) => a + b, 0)).toBe(24_000);
    // Refused (3) and accepted (0), and per-connection limits (4) once 16 sessions are open.
    expect(accepts[3]).toBeGreaterThan(1000);
    expect(accepts[0]).toBeGreaterThan(0);
    expect(Object.keys(accepts).every((value) => Number(value) >= 0 && Number(value) <= 5)).toBe(true);
  }, 30_000);

  it('1 500 connections with mutated streams: each ends within its timeouts, and the heap is back where it was', async () => {
    if (started === undefined) throw new Error('no server');
    const gc = collector();
    await fuzzStreams(started.endpoint, SEED + 19, 200, 32);
    gc();
    const before = process.memoryUsage().heapUsed;
    const result = await fuzzStreams(started.endpoint, SEED + 20, 1500, 32);
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    total += result.messages;
    expect(growth).toBeLessThan(16 * MB);
    expect(result.slowestCloseMs).toBeLessThan(3000);
    expect(Object.keys(result.byMutation).length).toBe(8);
  }, 30_000);

  it('100 encrypted connections with forged ciphertext are all closed', async () => {
    if (started === undefined) throw new Error('no server');
    expect(await fuzzEncrypted(started.endpoint, SEED + 30, 100)).toBeGreaterThanOrEqual(90);
  }, 30_000);

  it('afterwards the server holds no connection and every session is stopped or released', async () => {
    if (started === undefined) throw new Error('no server');
    const { server } = started;
    const deadline = Date.now() + 5000;
    while (server.stats.connectionsActive > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.stats.connectionsActive).toBe(0);
    expect(server.stats.sessionsActive).toBe(0);
    expect(handler.counts.open).toBeGreaterThan(0);
    expect(handler.unsettled.size).toBe(0);
  });

  it('the client against 300 hostile fake servers: every attempt settles in time with a typed error or a session', async () => {
    const result = await fuzzClient(SEED + 40, 300, 300, 16);
    total += result.attempts;
    expect(result.untyped).toEqual([]);
    expect(result.typedRejections + result.connected).toBeGreaterThanOrEqual(300);
    // connect and one request, each bounded by the 300 ms timeout, plus scheduling slack.
    expect(result.slowestMs).toBeLessThan(2500);
  }, 30_000);

  it('in all, at least 100 000 hostile messages', () => {
    expect(total).toBeGreaterThanOrEqual(100_000);
  });
});
