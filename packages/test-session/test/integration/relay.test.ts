// The impairment relay's own tests: its decisions are seeded and exact (stage and queue, no I/O),
// and on real loopback sockets (IPv4 and IPv6) what reaches each side is what its counters say.
// The session tests rely on these counters as the ground truth.

import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type DirectionImpairment, ImpairmentStage } from '../support/impairment.js';
import { ImpairmentRelay, type ImpairmentRelayOptions } from '../support/impairment-relay.js';
import { SeededRandom } from '../support/prng.js';
import { TimeQueue } from '../support/time-queue.js';

const LIMITS = { maxHeld: 1024, holdTimeoutMs: 1000 };

/** Run n packets (their index as the value) through a stage; returns what left, in order. */
function runStage(impairment: DirectionImpairment, seed: number, n: number): { out: number[]; stage: ImpairmentStage<number>; delays: number[] } {
  const stage = new ImpairmentStage<number>(impairment, seed, LIMITS);
  const out: number[] = [];
  const delays: number[] = [];
  for (let i = 0; i < n; i += 1) {
    for (const release of stage.admit(i, 0)) {
      for (let c = 0; c < release.copies; c += 1) out.push(release.value);
      delays.push(release.delayMs);
    }
  }
  return { out, stage, delays };
}

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 100 }, () => a.uint32());
    expect(Array.from({ length: 100 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.uint32())).not.toEqual(xs);
  });

  it('is uniform enough in [0, 1) for the probabilities the relay draws', () => {
    const random = new SeededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i += 1) {
      const x = random.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      buckets[Math.floor(x * 10)]! += 1;
    }
    for (const count of buckets) expect(Math.abs(count - n / 10)).toBeLessThan(n / 10 * 0.05);
  });
});

describe('TimeQueue', () => {
  it('releases by time, ties in insertion order, and only what is due', () => {
    const queue = new TimeQueue<string>(10);
    queue.push(5, 'c');
    queue.push(1, 'a');
    queue.push(5, 'd');
    queue.push(3, 'b');
    queue.push(5, 'e');
    expect(queue.nextAt).toBe(1);
    expect(queue.popDue(0)).toBeUndefined();
    const out: string[] = [];
    for (let v = queue.popDue(5); v !== undefined; v = queue.popDue(5)) out.push(v);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(queue.size).toBe(0);
  });

  it('keeps insertion order for equal times over many entries (a constant delay never reorders)', () => {
    const queue = new TimeQueue<number>(5000);
    for (let i = 0; i < 5000; i += 1) queue.push(Math.floor(i / 100), i);
    const out: number[] = [];
    for (let v = queue.popDue(1e9); v !== undefined; v = queue.popDue(1e9)) out.push(v);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('is bounded: a push beyond capacity is refused', () => {
    const queue = new TimeQueue<number>(2);
    expect(queue.push(1, 1)).toBe(true);
    expect(queue.push(1, 2)).toBe(true);
    expect(queue.push(1, 3)).toBe(false);
    expect(queue.size).toBe(2);
    expect(() => new TimeQueue(0)).toThrow(RangeError);
  });
});

describe('ImpairmentStage', () => {
  it('is deterministic: the same seed gives the same fate to every packet, another seed does not', () => {
    const impairment: DirectionImpairment = {
      drop: 0.1,
      duplicate: 0.05,
      reorder: { probability: 0.02, after: 3 },
      delay: { kind: 'normal', meanMs: 5, stddevMs: 2, floorMs: 1 },
    };
    const first = runStage(impairment, 99, 5000);
    const again = runStage(impairment, 99, 5000);
    const other = runStage(impairment, 100, 5000);
    expect(again.out).toEqual(first.out);
    expect(again.delays).toEqual(first.delays);
    expect(again.stage.counters).toEqual(first.stage.counters);
    expect(other.out).not.toEqual(first.out);
  });

  it('a packet’s fate depends only on the seed and its index, not on the other settings', () => {
    // Same seed, drop alone vs drop + delay: the same packets are dropped.
    const dropOnly = runStage({ drop: 0.2 }, 5, 2000);
    const dropAndDelay = runStage({ drop: 0.2, delay: { kind: 'uniform', minMs: 1, maxMs: 9 } }, 5, 2000);
    expect(dropAndDelay.out).toEqual(dropOnly.out);
  });

  it('drops at the configured probability and counts exactly what it dropped', () => {
    const n = 40_000;
    const { out, stage } = runStage({ drop: 0.05 }, 1, n);
    const counters = stage.counters;
    expect(counters.received).toBe(n);
    expect(counters.dropped).toBe(n - out.length);
    expect(Math.abs(counters.dropped / n - 0.05)).toBeLessThan(0.005);
  });

  it('duplicates: each duplicated packet leaves twice, back to back', () => {
    const n = 10_000;
    const { out, stage } = runStage({ duplicate: 0.1 }, 2, n);
    expect(out.length).toBe(n + stage.counters.duplicated);
    expect(Math.abs(stage.counters.duplicated / n - 0.1)).toBeLessThan(0.01);
    let pairs = 0;
    for (let i = 1; i < out.length; i += 1) if (out[i] === out[i - 1]) pairs += 1;
    expect(pairs).toBe(stage.counters.duplicated);
  });

  it('reorders: a held packet leaves right after the `after`-th packet that passed it', () => {
    const n = 10_000;
    const after = 3;
    const { out, stage } = runStage({ reorder: { probability: 0.01, after } }, 3, n);
    const counters = stage.counters;
    expect(counters.reordered).toBeGreaterThan(50);
    // Those still held at the end never left.
    expect(out.length).toBe(n - stage.holding);
    // Every packet that arrives below an earlier one is a held packet, and it is exactly `after`
    // packets late when no other held packet interferes.
    let late = 0;
    let highest = -1;
    for (const value of out) {
      if (value < highest) {
        late += 1;
        // Released right behind the packet that passed it last: at least `after` packets later.
        expect(highest - value).toBeGreaterThanOrEqual(after);
      } else {
        highest = value;
      }
    }
    expect(late).toBe(counters.reordered);
  });

  it('holds at most maxHeld packets and releases held packets at their hold timeout', () => {
    // With probability 1 every packet is held and none passes, so only the timeout releases them.
    const stage = new ImpairmentStage<number>({ reorder: { probability: 1, after: 2 } }, 1, { maxHeld: 4, holdTimeoutMs: 1000 });
    // Every packet is held; nothing passes, so nothing is released until the hold timeout.
    for (let i = 0; i < 4; i += 1) expect(stage.admit(i, 0)).toEqual([]);
    expect(stage.admit(4, 0)).toEqual([]); // beyond maxHeld: counted in overflow, dropped
    expect(stage.counters.overflow).toBe(1);
    expect(stage.expireHeld(999)).toEqual([]);
    expect(stage.expireHeld(1000).map((r) => r.value)).toEqual([0, 1, 2, 3]);
    expect(stage.counters.holdExpired).toBe(4);
    expect(stage.counters.reordered).toBe(0);
  });

  it('delays: constant, uniform within its bounds, normal never below its floor', () => {
    const constant = runStage({ delay: { kind: 'constant', ms: 20 } }, 4, 1000);
    expect(new Set(constant.delays)).toEqual(new Set([20]));
    const uniform = runStage({ delay: { kind: 'uniform', minMs: 2, maxMs: 6 } }, 4, 20_000);
    expect(Math.min(...uniform.delays)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...uniform.delays)).toBeLessThan(6);
    expect(Math.abs(mean(uniform.delays) - 4)).toBeLessThan(0.05);
    const normal = runStage({ delay: { kind: 'normal', meanMs: 10, stddevMs: 3, floorMs: 7 } }, 4, 20_000);
    expect(Math.min(...normal.delays)).toBe(7);
    const above = normal.delays.filter((d) => d > 7);
    // P(X > 7) for N(10, 3) is Φ(1) ≈ 0.841.
    expect(Math.abs(above.length / normal.delays.length - 0.841)).toBeLessThan(0.015);
    const unfloored = runStage({ delay: { kind: 'normal', meanMs: 50, stddevMs: 5, floorMs: 0 } }, 4, 20_000);
    expect(Math.abs(mean(unfloored.delays) - 50)).toBeLessThan(0.15);
    expect(Math.abs(stddev(unfloored.delays) - 5)).toBeLessThan(0.15);
  });

  it('rejects settings that make no sense', () => {
    expect(() => new ImpairmentStage({ drop: 1.5 }, 1, LIMITS)).toThrow(RangeError);
    expect(() => new ImpairmentStage({ duplicate: -0.1 }, 1, LIMITS)).toThrow(RangeError);
    expect(() => new ImpairmentStage({ reorder: { probability: 0.1, after: 0 } }, 1, LIMITS)).toThrow(RangeError);
    expect(() => new ImpairmentStage({ delay: { kind: 'uniform', minMs: 5, maxMs: 1 } }, 1, LIMITS)).toThrow(RangeError);
    expect(() => new ImpairmentStage({ delay: { kind: 'constant', ms: Number.NaN } }, 1, LIMITS)).toThrow(RangeError);
  });
});

// ------------------------------------------------------------------------------ on real sockets

interface Echo {
  readonly socket: dgram.Socket;
  readonly port: number;
  /** Sequence numbers received (first 4 octets), in arrival order. */
  readonly received: number[];
  readonly sources: Set<string>;
}

/** A minimal reflector: echoes every datagram back to its source. */
async function openEcho(family: 4 | 6): Promise<Echo> {
  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, recvBufferSize: 4 << 20 });
  const received: number[] = [];
  const sources = new Set<string>();
  socket.on('message', (data, from) => {
    received.push(data.readUInt32BE(0));
    sources.add(`${from.address}|${from.port}`);
    socket.send(data, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, family === 6 ? '::1' : '127.0.0.1', resolve));
  return { socket, port: socket.address().port, received, sources };
}

interface Client {
  readonly socket: dgram.Socket;
  /** Sequence numbers of replies in arrival order, with their RTT in ms. */
  readonly replies: { sequence: number; rttMs: number }[];
  send(sequence: number): void;
}

async function openClient(family: 4 | 6, relay: ImpairmentRelay): Promise<Client> {
  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, recvBufferSize: 4 << 20 });
  const sentAt = new Map<number, number>();
  const replies: { sequence: number; rttMs: number }[] = [];
  socket.on('message', (data) => {
    const sequence = data.readUInt32BE(0);
    replies.push({ sequence, rttMs: performance.now() - (sentAt.get(sequence) ?? Number.NaN) });
  });
  await new Promise<void>((resolve) => socket.bind(0, family === 6 ? '::1' : '127.0.0.1', resolve));
  return {
    socket,
    replies,
    send(sequence: number) {
      // A new buffer each time: dgram sends asynchronously and would see a reused one change.
      const packet = Buffer.alloc(41);
      packet.writeUInt32BE(sequence, 0);
      sentAt.set(sequence, performance.now());
      socket.send(packet, relay.port, relay.address);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Send `count` packets spaced `gapMs` apart (in small bursts so timers are not per packet). */
async function sendPaced(client: Client, count: number, gapMs: number): Promise<void> {
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor((performance.now() - start) / gapMs) + 1);
    while (sent < due) {
      client.send(sent);
      sent += 1;
    }
    await sleep(1);
  }
}

/** Wait until `done()` or the timeout (bounded). */
async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done() && performance.now() < deadline) await sleep(5);
}

/**
 * Sends complete asynchronously and everything shares one event loop: wait (bounded) until every
 * packet got as far as the counters say it went, hop by hop.
 */
async function untilQuiet(relay: ImpairmentRelay, echo: Echo, client: Client, sent: number): Promise<void> {
  await until(() => {
    const { forward, backward } = relay.stats;
    return (
      forward.received >= sent &&
      relay.inFlight === 0 &&
      echo.received.length >= forward.sent &&
      backward.received >= echo.received.length &&
      client.replies.length >= backward.sent
    );
  }, 5000);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function stddev(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

describe.each([4, 6] as const)('ImpairmentRelay on loopback IPv%i', (family) => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const close of cleanup.splice(0)) close();
  });

  async function setup(options: Omit<ImpairmentRelayOptions, 'target'>): Promise<{ echo: Echo; relay: ImpairmentRelay; client: Client }> {
    const echo = await openEcho(family);
    cleanup.push(() => echo.socket.close());
    const relay = await ImpairmentRelay.open({ ...options, target: { address: family === 6 ? '::1' : '127.0.0.1', port: echo.port } });
    cleanup.push(() => {
      relay.close();
    });
    const client = await openClient(family, relay);
    cleanup.push(() => client.socket.close());
    return { echo, relay, client };
  }

  it('without impairments relays everything both ways, in order', async () => {
    const { echo, relay, client } = await setup({});
    expect(relay.address).toBe(family === 6 ? '::1' : '127.0.0.1');
    await sendPaced(client, 200, 0.5);
    await until(() => client.replies.length >= 200, 3000);
    expect(echo.received).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(client.replies.map((r) => r.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(relay.stats.forward).toMatchObject({ received: 200, sent: 200, dropped: 0, duplicated: 0, reordered: 0, delayed: 0 });
    expect(relay.stats.backward).toMatchObject({ received: 200, sent: 200 });
  });

  it('drops per direction exactly as it counts', async () => {
    const { echo, relay, client } = await setup({ seed: 11, forward: { drop: 0.1 }, backward: { drop: 0.2 } });
    const n = 1000;
    await sendPaced(client, n, 0.25);
    await untilQuiet(relay, echo, client, n);
    const { forward, backward } = relay.stats;
    expect(forward.received).toBe(n);
    expect(echo.received.length).toBe(n - forward.dropped);
    expect(backward.received).toBe(echo.received.length);
    expect(client.replies.length).toBe(backward.received - backward.dropped);
    expect(forward.dropped / n).toBeGreaterThan(0.06);
    expect(forward.dropped / n).toBeLessThan(0.14);
    expect(backward.dropped / backward.received).toBeGreaterThan(0.15);
    expect(backward.dropped / backward.received).toBeLessThan(0.25);
  });

  it('the same seed drops the same packets on a second run', async () => {
    const runs: number[][] = [];
    for (let run = 0; run < 2; run += 1) {
      const { echo, relay, client } = await setup({ seed: 77, forward: { drop: 0.3 } });
      await sendPaced(client, 300, 0.25);
      await untilQuiet(relay, echo, client, 300);
      runs.push([...echo.received]);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('duplicates and reorders exactly as it counts', async () => {
    const { echo, relay, client } = await setup({ seed: 5, backward: { duplicate: 0.05, reorder: { probability: 0.03, after: 2 } } });
    const n = 1000;
    await sendPaced(client, n, 0.25);
    await untilQuiet(relay, echo, client, n);
    const { backward } = relay.stats;
    expect(client.replies.length).toBe(n + backward.duplicated);
    const seen = new Set<number>();
    let duplicates = 0;
    let late = 0;
    let highest = -1;
    for (const { sequence } of client.replies) {
      if (seen.has(sequence)) {
        duplicates += 1;
        continue;
      }
      seen.add(sequence);
      if (sequence < highest) late += 1;
      else highest = sequence;
    }
    expect(duplicates).toBe(backward.duplicated);
    expect(late).toBe(backward.reordered + backward.holdExpired);
    expect(backward.reordered).toBeGreaterThan(10);
  });

  it('adds a constant delay within a millisecond, with one timer however many packets wait', async () => {
    const base = await setup({});
    for (let i = 0; i < 50; i += 1) {
      base.client.send(i);
      await sleep(2);
    }
    await until(() => base.client.replies.length >= 50, 2000);
    const baseline = median(base.client.replies.map((r) => r.rttMs));

    const { relay, client } = await setup({ forward: { delay: { kind: 'constant', ms: 20 } } });
    // 200 packets sent at once (more could overflow a default socket buffer): they wait together,
    // and the relay still holds at most one timer.
    const timersBefore = countTimeouts();
    for (let i = 0; i < 200; i += 1) client.send(i);
    let timersWhileQueued = 0;
    await until(() => {
      if (relay.stats.forward.received > 100) timersWhileQueued = Math.max(timersWhileQueued, countTimeouts() - timersBefore);
      return relay.stats.forward.received >= 200;
    }, 2000);
    expect(relay.stats.maxQueued).toBeGreaterThan(100);
    expect(timersWhileQueued).toBeLessThanOrEqual(1);
    await until(() => client.replies.length >= 200, 3000);
    client.replies.length = 0;
    for (let i = 500; i < 600; i += 1) {
      client.send(i);
      await sleep(3);
    }
    await until(() => client.replies.length >= 100, 3000);
    const delayed = median(client.replies.map((r) => r.rttMs));
    expect(delayed - baseline).toBeGreaterThan(19);
    expect(delayed - baseline).toBeLessThan(21);
    expect(relay.stats.forward.delayed).toBe(relay.stats.forward.received);
    expect(relay.stats.forward.received).toBe(300);
    // Order is kept under a constant delay.
    expect(client.replies.map((r) => r.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => 500 + i));
  });

  it('bounds its delay queue and counts what did not fit', async () => {
    const { relay, client } = await setup({ queueLimit: 50, forward: { delay: { kind: 'constant', ms: 50 } } });
    for (let i = 0; i < 120; i += 1) client.send(i);
    await until(() => relay.stats.forward.received >= 120, 2000);
    expect(relay.stats.forward.overflow).toBe(70);
    expect(relay.stats.maxQueued).toBe(50);
    expect(await relay.settle(2000)).toBe(true);
  });

  it('gives each sender its own upstream socket, rejects senders beyond maxClients, ignores strays', async () => {
    const { echo, relay, client } = await setup({ maxClients: 2 });
    const second = await openClient(family, relay);
    cleanup.push(() => second.socket.close());
    const third = await openClient(family, relay);
    cleanup.push(() => third.socket.close());
    client.send(1);
    await until(() => client.replies.length === 1, 1000);
    second.send(2);
    await until(() => second.replies.length === 1, 1000);
    third.send(3);
    await sleep(50);
    expect(echo.sources.size).toBe(2);
    expect(third.replies).toEqual([]);
    expect(relay.stats.clientsRejected).toBe(1);
    // Something other than the reflector writes to an upstream port: counted, not relayed. (The
    // upstream port is the source the echo saw.)
    const upstreamPort = Number([...echo.sources][0]!.split('|')[1]);
    const stray = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, recvBufferSize: 4 << 20 });
    cleanup.push(() => stray.close());
    await new Promise<void>((resolve) => stray.bind(0, family === 6 ? '::1' : '127.0.0.1', resolve));
    stray.send(Buffer.alloc(41), upstreamPort, family === 6 ? '::1' : '127.0.0.1');
    await until(() => relay.stats.strayReplies === 1, 1000);
    expect(relay.stats.strayReplies).toBe(1);
    expect(client.replies.length).toBe(1);
  });
});

function countTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
