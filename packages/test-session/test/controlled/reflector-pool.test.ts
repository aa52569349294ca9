// The reflectors behind a TWAMP-Control server, on real loopback sockets: a session opened on the
// requested port (or another one when it is busy), registered with its crypto, reflecting; Stop
// with the Timeout, release, the start guard, and the Accept values for exhausted ports and limits.
import { randomBytes } from 'node:crypto';
import { openUdpSocket, type UdpSocket } from '@twamp/udp';
import {
  decodeTwampReflector,
  deriveTestKeys,
  encodeTwampSender,
  TestPacketCrypto,
  TestPacketKind,
  TestSecurity,
  type TwampLayout,
  twampLayout,
} from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ControlledSessionEvent,
  type ControlledSessionRequest,
  parsePortRange,
  plainAddress,
  PortCursor,
  ReflectorPool,
  type ReflectorPoolOptions,
} from '../../src/controlled/index.js';
import { SessionReflector } from '../../src/reflector/index.js';
import { Client, implementationUnderTest, LOOPBACK, nowTimestamp } from '../reflector/harness.js';

const CONTROL = { aesKey: Buffer.alloc(16, 0x11), hmacKey: Buffer.alloc(32, 0x22) };
const OPEN = twampLayout({ security: TestSecurity.Open });

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function pool(options: ReflectorPoolOptions = {}): ReflectorPool {
  const p = new ReflectorPool({ portRange: 'ephemeral', reflector: { implementation: implementationUnderTest() }, ...options });
  cleanup.push(() => {
    p.close();
  });
  return p;
}

async function client(family: 4 | 6 = 4): Promise<Client> {
  const c = await Client.open(family);
  cleanup.push(() => {
    c.close();
  });
  return c;
}

function request(overrides: Partial<ControlledSessionRequest> & { family?: 4 | 6; crypto?: () => TestPacketCrypto | undefined } = {}): ControlledSessionRequest {
  const family = overrides.family ?? 4;
  const sid = overrides.sid ?? randomBytes(16);
  return {
    sid,
    layout: overrides.layout ?? OPEN,
    createCrypto: overrides.crypto ?? (() => undefined),
    sender: overrides.sender ?? { address: LOOPBACK[family], port: 0 },
    receiver: overrides.receiver ?? { address: LOOPBACK[family], port: 0 },
    requestedReceiverPort: overrides.requestedReceiverPort ?? 0,
    timeoutSeconds: overrides.timeoutSeconds ?? 0,
    dscp: overrides.dscp,
  };
}

function packet(layout: TwampLayout, sequence: number, crypto?: TestPacketCrypto): Buffer {
  const padding = Buffer.alloc(layout.security === TestSecurity.Open ? 27 : 64);
  const data = encodeTwampSender({ sequence, timestamp: nowTimestamp(), errorEstimate: 0x0001, padding }, layout);
  crypto?.protect(data, TestPacketKind.Sender);
  return data;
}

function portOf(result: Awaited<ReturnType<ReflectorPool['open']>>): number {
  if (result.accept !== 0) throw new Error(`refused: ${result.accept} ${result.reason}`);
  return result.port;
}

async function holdPort(family: 4 | 6 = 4, port = 0): Promise<UdpSocket> {
  const socket = await openUdpSocket({ family, address: LOOPBACK[family], port, implementation: 'dgram' });
  cleanup.push(() => {
    socket.close();
  });
  return socket;
}

async function freePort(family: 4 | 6 = 4): Promise<number> {
  const socket = await openUdpSocket({ family, address: LOOPBACK[family], port: 0, implementation: 'dgram' });
  const port = socket.localPort;
  socket.close();
  return port;
}

describe.each([4, 6] as const)('ReflectorPool over IPv%i', (family) => {
  it('opens a registered-only reflector on the receiver address and reflects the session (encrypted)', async () => {
    const events: ControlledSessionEvent[] = [];
    const p = pool({ onEvent: (e) => events.push(e) });
    const c = await client(family);
    const sid = randomBytes(16);
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    const keys = deriveTestKeys(CONTROL, sid);
    const result = await p.open(
      request({ family, sid, layout, crypto: () => new TestPacketCrypto(keys, 'encrypted'), sender: { address: LOOPBACK[family], port: c.port } }),
    );
    const port = portOf(result);
    p.start([sid]);
    const mine = new TestPacketCrypto(keys, 'encrypted');
    c.send(packet(layout, 7, mine), port);
    const reply = await c.next(2000);
    expect(reply).toBeDefined();
    expect(mine.unprotect(reply!.data, TestPacketKind.Reflector)).toBe(true);
    expect(decodeTwampReflector(reply!.data, layout).senderSequence).toBe(7);
    expect(p.stats).toMatchObject({ reflectorsOpen: 1, sessionsOpened: 1, sessionsRunning: 1, packetsReflected: 1 });
    expect(p.sessions()[0]).toMatchObject({ sid: sid.toString('hex'), reflector: { address: LOOPBACK[family], port }, started: true, packets: 1 });
    expect(events.map((e) => e.type)).toEqual(['opened', 'started']);
    p.release([sid]);
    expect(p.stats.reflectorsOpen).toBe(0);
    expect(p.stats.packetsReflected).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'ended', why: 'released' });
    c.send(packet(layout, 8, mine), port);
    expect(await c.next(150)).toBeUndefined();
  });
});

describe('ReflectorPool ports', () => {
  it('binds the requested receiver port when it is free', async () => {
    const p = pool();
    const wanted = await freePort();
    expect(portOf(await p.open(request({ requestedReceiverPort: wanted })))).toBe(wanted);
  });

  it('answers with another port when the requested one is busy', async () => {
    const p = pool();
    const busy = await holdPort();
    const port = portOf(await p.open(request({ requestedReceiverPort: busy.localPort })));
    expect(port).not.toBe(busy.localPort);
    expect(port).toBeGreaterThan(0);
  });

  it('never binds a requested port below 1024, nor one when honourRequestedPort is off', async () => {
    const p = pool();
    expect(portOf(await p.open(request({ requestedReceiverPort: 862 })))).not.toBe(862);
    const q = pool({ honourRequestedPort: false });
    const wanted = await freePort();
    expect(portOf(await q.open(request({ requestedReceiverPort: wanted })))).not.toBe(wanted);
  });

  it('walks the port range, skips busy ports, and answers Accept 4 when no port of the range is free (insufficient port range: permanent)', async () => {
    const first = 40_000 + Math.floor(Math.random() * 20_000);
    const busy = await holdPort(4, first + 1).catch(() => undefined);
    const p = pool({ portRange: { first, last: first + 2 } });
    const ports = [portOf(await p.open(request())), portOf(await p.open(request()))];
    if (busy !== undefined) expect(ports).toEqual([first, first + 2]);
    const refused = await p.open(request());
    expect(refused).toMatchObject({ accept: 4 });
    expect(p.stats.refused[4]).toBe(1);
    // Released ports come back.
    p.release(p.sessions().map((s) => Buffer.from(s.sid, 'hex')));
    expect(portOf(await p.open(request()))).toBeGreaterThanOrEqual(first);
  });

  it('answers Accept 4 beyond maxReflectors, and Accept 2 when the receiver address is not local', async () => {
    const p = pool({ maxReflectors: 1 });
    portOf(await p.open(request()));
    expect(await p.open(request())).toMatchObject({ accept: 4 });
    const q = pool();
    const result = await q.open(request({ receiver: { address: '192.0.2.1', port: 0 } }));
    expect(result).toMatchObject({ accept: 2 });
    expect(q.stats.refused).toEqual({ 2: 1, 4: 0, 5: 0 });
  });
});

describe('ReflectorPool refusals: permanent (4) or temporary (5)', () => {
  it('every port of the range held by this pool → Accept 4 without a bind attempt', async () => {
    const first = 40_000 + Math.floor(Math.random() * 20_000);
    let binds = 0;
    const p = pool({
      portRange: { first, last: first },
      openReflector: (options) => {
        binds++;
        return SessionReflector.open({ ...options, implementation: implementationUnderTest() });
      },
    });
    const port = portOf(await p.open(request()));
    expect(port).toBe(first);
    expect(await p.open(request())).toMatchObject({ accept: 4, reason: expect.stringMatching(/every port/) as unknown });
    expect(binds).toBe(1);
  });

  it('bind attempts run out before the range was walked → Accept 5 (another request may find a port)', async () => {
    const first = 40_000 + Math.floor(Math.random() * 20_000);
    const busy = await holdPort(4, first).catch(() => undefined);
    if (busy === undefined) return; // someone else holds it: the walk cannot be steered
    const p = pool({ portRange: { first, last: first + 3 }, bindAttempts: 1 });
    expect(await p.open(request())).toMatchObject({ accept: 5 });
    expect(p.stats.refused[5]).toBe(1);
    // The cursor moved on: the next request tries the next port of the range.
    expect(portOf(await p.open(request()))).toBe(first + 1);
  });

  it('a transient bind failure (EMFILE, ENOBUFS) → Accept 5; any other failure → Accept 2', async () => {
    const { NetworkError } = await import('@twamp/errors');
    let code = 'ENOBUFS';
    const p = pool({
      openReflector: () => Promise.reject(new NetworkError({ operation: 'bind', systemCode: code })),
    });
    expect(await p.open(request())).toMatchObject({ accept: 5 });
    code = 'EMFILE';
    expect(await p.open(request())).toMatchObject({ accept: 5 });
    code = 'EINVAL';
    expect(await p.open(request())).toMatchObject({ accept: 2 });
    expect(p.stats.refused).toEqual({ 2: 1, 4: 0, 5: 2 });
  });
});

describe('ReflectorPool reconfigure', () => {
  it('a lower maxReflectors refuses new sessions with Accept 4 and keeps the running one reflecting', async () => {
    const p = pool({ maxReflectors: 4 });
    const c = await client();
    const sid = randomBytes(16);
    const port = portOf(await p.open(request({ sid, sender: { address: LOOPBACK[4], port: c.port } })));
    p.start([sid]);
    portOf(await p.open(request()));
    p.reconfigure({ maxReflectors: 1 });
    expect(await p.open(request())).toMatchObject({ accept: 4 });
    expect(p.stats.reflectorsOpen).toBe(2);
    c.send(packet(OPEN, 1), port);
    expect(await c.next(2000)).toBeDefined();
    p.reconfigure({ maxReflectors: 8 });
    portOf(await p.open(request()));
  });

  it('a new port range applies to new sessions; ports of running sessions stay theirs', async () => {
    const first = 40_000 + Math.floor(Math.random() * 20_000);
    const p = pool({ portRange: { first, last: first + 1 } });
    const a = portOf(await p.open(request()));
    p.reconfigure({ portRange: { first: first + 1, last: first + 3 } });
    const b = portOf(await p.open(request()));
    // Another process may hold a port of the range: only ours are certain to be skipped.
    expect([first, first + 1]).toContain(a);
    expect([first + 1, first + 2, first + 3]).toContain(b);
    expect(b).not.toBe(a);
    p.reconfigure({ portRange: 'ephemeral' });
    expect(portOf(await p.open(request()))).toBeGreaterThan(0);
    expect(p.stats.reflectorsOpen).toBe(3);
  });

  it('new reflector options (a per-session rate) apply to sessions opened afterwards', async () => {
    const p = pool();
    const [c1, c2] = [await client(), await client()];
    const before = randomBytes(16);
    const port1 = portOf(await p.open(request({ sid: before, sender: { address: LOOPBACK[4], port: c1.port } })));
    p.reconfigure({ reflector: { implementation: implementationUnderTest(), perSessionRate: 1 } });
    const after = randomBytes(16);
    const port2 = portOf(await p.open(request({ sid: after, sender: { address: LOOPBACK[4], port: c2.port } })));
    p.start([before, after]);
    for (let i = 0; i < 3; i++) {
      c1.send(packet(OPEN, i), port1);
      c2.send(packet(OPEN, i), port2);
    }
    expect((await c1.collect(3, 2000)).length).toBe(3);
    expect((await c2.collect(3, 500)).length).toBe(1);
    expect(p.stats.reflectors).toMatchObject({ packetsIn: 6, packetsOut: 4 });
    expect(p.stats.reflectors.dropped['session-rate']).toBe(2);
  });

  it('pool stats sum the reflectors, ended ones included', async () => {
    const p = pool();
    const c = await client();
    const sid = randomBytes(16);
    const port = portOf(await p.open(request({ sid, sender: { address: LOOPBACK[4], port: c.port } })));
    p.start([sid]);
    c.send(packet(OPEN, 1), port);
    expect(await c.next(2000)).toBeDefined();
    p.release([sid]);
    expect(p.stats.reflectors).toMatchObject({ packetsIn: 1, packetsOut: 1, sessionsActive: 0, sessionsCreated: 1 });
  });

  it('refuses a bad maxReflectors or port range with a ConfigError and changes nothing', async () => {
    const p = pool({ maxReflectors: 1 });
    expect(() => {
      p.reconfigure({ maxReflectors: 0 });
    }).toThrow(/maxReflectors/);
    expect(() => {
      p.reconfigure({ portRange: { first: 10, last: 5 } });
    }).toThrow(/port range/);
    portOf(await p.open(request()));
    expect(await p.open(request())).toMatchObject({ accept: 4 });
  });
});

describe('ReflectorPool lifecycle', () => {
  it('keeps reflecting for the Timeout after stop, then closes the reflector', async () => {
    const events: ControlledSessionEvent[] = [];
    const p = pool({ onEvent: (e) => events.push(e) });
    const c = await client();
    const sid = randomBytes(16);
    const port = portOf(await p.open(request({ sid, timeoutSeconds: 0.3 })));
    p.start([sid]);
    p.stop([sid]);
    expect(events.at(-1)).toMatchObject({ type: 'stopping', lingerMs: 300 });
    c.send(packet(OPEN, 1), port);
    expect(await c.next(250)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(p.stats.reflectorsOpen).toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'ended', why: 'stopped' });
    c.send(packet(OPEN, 2), port);
    expect(await c.next(150)).toBeUndefined();
  });

  it('caps the linger at maxStopTimeoutMs and releases sessions never started', async () => {
    const events: ControlledSessionEvent[] = [];
    const p = pool({ maxStopTimeoutMs: 50, startTimeoutMs: 100, onEvent: (e) => events.push(e) });
    const a = randomBytes(16);
    const b = randomBytes(16);
    portOf(await p.open(request({ sid: a, timeoutSeconds: 4_000_000 })));
    portOf(await p.open(request({ sid: b })));
    p.start([a]);
    p.stop([a]);
    expect(events.find((e) => e.type === 'stopping')).toMatchObject({ lingerMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const ends = events.flatMap((e) => (e.type === 'ended' ? [[e.session.sid, e.why]] : []));
    expect(ends).toEqual(
      expect.arrayContaining([
        [a.toString('hex'), 'stopped'],
        [b.toString('hex'), 'not-started'],
      ]),
    );
    expect(p.stats.reflectorsOpen).toBe(0);
  });

  it('closes the reflector of a session the reflector forgot for idleness (REFWAIT)', async () => {
    const events: ControlledSessionEvent[] = [];
    const p = pool({ reflector: { implementation: implementationUnderTest(), idleTimeoutMs: 60 }, onEvent: (e) => events.push(e) });
    const sid = randomBytes(16);
    portOf(await p.open(request({ sid })));
    p.start([sid]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(events.at(-1)).toMatchObject({ type: 'ended', why: 'expired' });
    expect(p.stats.reflectorsOpen).toBe(0);
  });

  it('refuses (Accept 5) and closes the reflector when close() ran while it was being opened', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let closed = 0;
    const p = new ReflectorPool({
      portRange: 'ephemeral',
      openReflector: async (options) => {
        await gate;
        const reflector = await SessionReflector.open({ ...options, implementation: implementationUnderTest() });
        return {
          get localAddress() {
            return reflector.localAddress;
          },
          get localPort() {
            return reflector.localPort;
          },
          get capabilities() {
            return reflector.capabilities;
          },
          get stats() {
            return reflector.stats;
          },
          register: (session) => reflector.register(session),
          sessions: () => reflector.sessions(),
          reconfigure: (changes) => {
            reflector.reconfigure(changes);
          },
          close: () => {
            closed++;
            reflector.close();
          },
        };
      },
    });
    const pending = p.open(request());
    p.close();
    release();
    expect(await pending).toMatchObject({ accept: 5 });
    expect(closed).toBe(1);
  });

  it('answers only the negotiated sender address; ignores unknown SIDs; close() refuses later requests', async () => {
    const p = pool();
    const c = await client();
    const sid = randomBytes(16);
    const port = portOf(await p.open(request({ sid, sender: { address: '127.0.0.2', port: 0 } })));
    p.start([randomBytes(16)]);
    p.stop([randomBytes(16)]);
    c.send(packet(OPEN, 1), port);
    expect(await c.next(150)).toBeUndefined();
    p.close();
    expect(p.stats.reflectorsOpen).toBe(0);
    expect(await p.open(request())).toMatchObject({ accept: 5 });
  });

  it('matches the sender port only when asked (NAT rewrites ports)', async () => {
    const c = await client();
    const loose = pool();
    const port = portOf(await loose.open(request({ sender: { address: '127.0.0.1', port: 1 } })));
    c.send(packet(OPEN, 1), port);
    expect(await c.next(1000)).toBeDefined();
    const strict = pool({ matchSenderPort: true });
    const port2 = portOf(await strict.open(request({ sender: { address: '127.0.0.1', port: 1 } })));
    c.send(packet(OPEN, 1), port2);
    expect(await c.next(150)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('parses port ranges and rejects bad ones', () => {
    expect(parsePortRange('8760-9960')).toEqual({ first: 8760, last: 9960 });
    expect(parsePortRange(' 5 - 5 ')).toEqual({ first: 5, last: 5 });
    for (const bad of ['9960-8760', '0-10', '1-65536', 'a-b', '100']) expect(() => parsePortRange(bad, '--port-range')).toThrow(/--port-range/);
  });

  it('walks a range round-robin, skipping held ports', () => {
    const cursor = new PortCursor({ first: 10, last: 13 });
    expect([cursor.next(), cursor.next()]).toEqual([10, 11]);
    cursor.hold(12);
    expect([cursor.next(), cursor.next(), cursor.next()]).toEqual([13, 10, 11]);
    cursor.release(12);
    expect(cursor.next()).toBe(12);
    for (const port of [10, 11, 12, 13]) cursor.hold(port);
    expect(cursor.next()).toBeUndefined();
    expect(cursor.held).toBe(4);
  });

  it('reads IPv4-mapped addresses as IPv4', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::1')).toBe('::1');
  });

  it('refuses bad options with a ConfigError', () => {
    expect(() => new ReflectorPool({ maxReflectors: 0 })).toThrow(/maxReflectors/);
    expect(() => new ReflectorPool({ portRange: { first: 10, last: 5 } })).toThrow(/portRange/);
  });
});
