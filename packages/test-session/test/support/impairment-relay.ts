// A UDP impairment relay for tests: it sits on loopback between a Session-Sender and a
// Session-Reflector and drops, duplicates, reorders and delays packets, independently per direction,
// deterministically for a given seed, and counts exactly what it did so a test can compare what the
// sender measured with what really happened.
//
//   sender ──► [listen socket] ─ forward stage ─► [upstream socket per sender] ──► reflector
//   sender ◄── [listen socket] ◄─ backward stage ─ [upstream socket per sender] ◄── reflector
//
// Each sender address gets its own upstream socket, so the reflector sees one 4-tuple per sender as
// it would without the relay. Delayed packets wait in one bounded time-ordered queue served by one
// timer (no setTimeout per packet). Node timers fire on whole milliseconds and often late, so the
// timer is armed about a millisecond early and the last stretch is covered by setImmediate polling:
// the release error stays well under a millisecond without blocking the event loop.
//
// node:dgram is enough here (TTL/TOS are not relayed: a relay is not a router).

import dgram from 'node:dgram';
import type { Endpoint } from '../../src/index.js';
import { type DirectionCounters, type DirectionImpairment, ImpairmentStage, type Release } from './impairment.js';
import { TimeQueue } from './time-queue.js';

export type { DelayDistribution, DirectionCounters, DirectionImpairment } from './impairment.js';

export type RelayDirection = 'forward' | 'backward';

export interface ImpairmentRelayOptions {
  /** The reflector. */
  readonly target: Endpoint;
  /** Default: the target's family. */
  readonly family?: 4 | 6;
  /** Seed of both directions' decisions (each direction derives its own stream). Default 1. */
  readonly seed?: number;
  /** Sender → reflector. */
  readonly forward?: DirectionImpairment;
  /** Reflector → sender. */
  readonly backward?: DirectionImpairment;
  /** Packets waiting for their delay, both directions together; beyond it they are counted in overflow. Default 65 536. */
  readonly queueLimit?: number;
  /** Packets held back for reordering per direction. Default 1024. */
  readonly maxHeld?: number;
  /** A held packet is released anyway after this long (no more traffic to pass it). Default 1000 ms. */
  readonly holdTimeoutMs?: number;
  /** Distinct sender addresses relayed; packets from further ones are dropped and counted. Default 64. */
  readonly maxClients?: number;
  /** How many per-packet residence times (arrival → send, ms) to keep per direction. Default 10 000. */
  readonly residenceSamples?: number;
}

export interface RelayStats {
  readonly forward: DirectionCounters;
  readonly backward: DirectionCounters;
  /** Packets from senders beyond maxClients. */
  readonly clientsRejected: number;
  /** Packets on an upstream socket that did not come from the target. */
  readonly strayReplies: number;
  /** Largest number of packets waiting in the delay queue at once. */
  readonly maxQueued: number;
}

interface Client {
  readonly address: string;
  readonly port: number;
  readonly upstream: dgram.Socket;
}

interface Outgoing {
  readonly direction: RelayDirection;
  readonly client: Client;
  readonly data: Buffer;
  /** When the relay received it (performance.now() ms). */
  readonly arrived: number;
  /** Planned release time (performance.now() ms), for the lateness counters. */
  readonly at: number;
}

/** Stream constants mixed into the seed so the two directions never share decisions. */
const FORWARD_STREAM = 0x5eed_f0f0;
const BACKWARD_STREAM = 0x5eed_0b0b;
/**
 * Socket buffers: the relay runs in the same event loop as the sessions it carries, so a busy loop
 * must not turn into drops nobody asked for (4 MiB is the usual net.core.rmem_max).
 */
const SOCKET_BUFFER = 4 << 20;
/** Arm the timer this much before the due time; poll with setImmediate for the rest. */
const EARLY_MS = 1.5;

function loopback(family: 4 | 6): string {
  return family === 6 ? '::1' : '127.0.0.1';
}

export class ImpairmentRelay {
  readonly address: string;
  readonly port: number;
  readonly target: Endpoint;
  readonly #family: 4 | 6;
  readonly #listen: dgram.Socket;
  readonly #stages: Readonly<Record<RelayDirection, ImpairmentStage<Outgoing>>>;
  readonly #queue: TimeQueue<Outgoing>;
  readonly #clients = new Map<string, Client>();
  readonly #maxClients: number;
  readonly #residence: Readonly<Record<RelayDirection, { readonly values: Float64Array; count: number }>>;
  #clientsRejected = 0;
  #strayReplies = 0;
  #maxQueued = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;

  private constructor(listen: dgram.Socket, family: 4 | 6, options: ImpairmentRelayOptions) {
    this.#listen = listen;
    this.#family = family;
    this.target = { address: options.target.address, port: options.target.port };
    const address = listen.address();
    this.address = address.address;
    this.port = address.port;
    const seed = options.seed ?? 1;
    const limits = { maxHeld: options.maxHeld ?? 1024, holdTimeoutMs: options.holdTimeoutMs ?? 1000 };
    this.#stages = {
      forward: new ImpairmentStage(options.forward ?? {}, (seed ^ FORWARD_STREAM) >>> 0, limits),
      backward: new ImpairmentStage(options.backward ?? {}, (seed ^ BACKWARD_STREAM) >>> 0, limits),
    };
    this.#queue = new TimeQueue(options.queueLimit ?? 65_536);
    this.#maxClients = options.maxClients ?? 64;
    const samples = options.residenceSamples ?? 10_000;
    this.#residence = {
      forward: { values: new Float64Array(samples), count: 0 },
      backward: { values: new Float64Array(samples), count: 0 },
    };
    listen.on('message', (data, from) => {
      this.#fromSender(data, from.address, from.port);
    });
    listen.on('error', () => {
      // Receive errors on loopback (an ICMP port unreachable for a sender gone) change nothing here.
    });
  }

  /** Bind the relay on the loopback address of the family, ephemeral port. */
  static async open(options: ImpairmentRelayOptions): Promise<ImpairmentRelay> {
    const family = options.family ?? (options.target.address.includes(':') ? 6 : 4);
    const listen = createSocket(family);
    await bind(listen, loopback(family));
    try {
      return new ImpairmentRelay(listen, family, options);
    } catch (error) {
      listen.close();
      throw error;
    }
  }

  /** Where the sender should send to. */
  get endpoint(): Endpoint {
    return { address: this.address, port: this.port };
  }

  get stats(): RelayStats {
    return {
      forward: this.#stages.forward.counters,
      backward: this.#stages.backward.counters,
      clientsRejected: this.#clientsRejected,
      strayReplies: this.#strayReplies,
      maxQueued: this.#maxQueued,
    };
  }

  /**
   * How long each packet (in the order they were sent, duplicates included) really stayed in the
   * relay, ms: the configured delay plus however late the event loop let it go. On a busy machine
   * this is what a test should compare its measurement with. The first `residenceSamples` only.
   */
  residence(direction: RelayDirection): number[] {
    const { values, count } = this.#residence[direction];
    return Array.from(values.subarray(0, count));
  }

  /** Packets delayed or held back right now, both directions. */
  get inFlight(): number {
    return this.#queue.size + this.#stages.forward.holding + this.#stages.backward.holding;
  }

  /** Wait until nothing is delayed or held (bounded by `timeoutMs`). Resolves false on timeout. */
  async settle(timeoutMs = 5000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.inFlight > 0) {
      if (performance.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  /** Close every socket and forget what is queued. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    this.#queue.clear();
    this.#stages.forward.discardHeld();
    this.#stages.backward.discardHeld();
    this.#listen.close();
    for (const client of this.#clients.values()) client.upstream.close();
    this.#clients.clear();
  }

  #fromSender(data: Buffer, address: string, port: number): void {
    if (this.#closed) return;
    const key = `${address}|${port}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      if (this.#clients.size >= this.#maxClients) {
        this.#clientsRejected += 1;
        return;
      }
      const upstream = createSocket(this.#family);
      // Sends made before the bind completes are queued by dgram, so no packet waits on this.
      upstream.bind(0, loopback(this.#family));
      upstream.on('error', () => {
        // An ICMP error for the reflector's port (reflector gone) is not the relay's concern.
      });
      const created: Client = { address, port, upstream };
      upstream.on('message', (reply, from) => {
        this.#fromReflector(created, reply, from.address, from.port);
      });
      this.#clients.set(key, created);
      client = created;
    }
    this.#admit('forward', client, data);
  }

  #fromReflector(client: Client, data: Buffer, address: string, port: number): void {
    if (this.#closed) return;
    if (port !== this.target.port || address !== this.target.address) {
      this.#strayReplies += 1;
      return;
    }
    this.#admit('backward', client, data);
  }

  #admit(direction: RelayDirection, client: Client, data: Buffer): void {
    const now = performance.now();
    const released = this.#stages[direction].admit({ direction, client, data, arrived: now, at: now }, now);
    for (const release of released) this.#release(release, now);
    this.#arm();
  }

  /** A packet leaves its stage: send it now, or queue it for its delay. */
  #release(release: Release<Outgoing>, now: number): void {
    const stage = this.#stages[release.value.direction];
    if (release.delayMs <= 0) {
      for (let i = 0; i < release.copies; i += 1) this.#send(release.value);
      return;
    }
    stage.noteDelayed();
    const at = now + release.delayMs;
    const outgoing: Outgoing = { ...release.value, at };
    for (let i = 0; i < release.copies; i += 1) {
      if (!this.#queue.push(at, outgoing)) stage.noteOverflow();
    }
    if (this.#queue.size > this.#maxQueued) this.#maxQueued = this.#queue.size;
  }

  #send(outgoing: Outgoing): void {
    const stage = this.#stages[outgoing.direction];
    const residence = this.#residence[outgoing.direction];
    if (residence.count < residence.values.length) {
      residence.values[residence.count] = performance.now() - outgoing.arrived;
      residence.count += 1;
    }
    const onSent = (error: Error | null): void => {
      if (error !== null) stage.noteSendError();
    };
    try {
      if (outgoing.direction === 'forward') {
        outgoing.client.upstream.send(outgoing.data, this.target.port, this.target.address, onSent);
      } else {
        this.#listen.send(outgoing.data, outgoing.client.port, outgoing.client.address, onSent);
      }
      stage.noteSent();
    } catch {
      stage.noteSendError();
    }
  }

  /** Release what is due: queued packets whose time has come and held packets past their timeout. */
  #pump = (): void => {
    this.#immediate = undefined;
    this.#timer = undefined;
    this.#timerAt = undefined;
    if (this.#closed) return;
    const now = performance.now();
    for (const direction of ['forward', 'backward'] as const) {
      for (const release of this.#stages[direction].expireHeld(now)) this.#release(release, now);
    }
    for (let due = this.#queue.popDue(now); due !== undefined; due = this.#queue.popDue(now)) {
      this.#stages[due.direction].noteLateness(now - due.at);
      this.#send(due);
    }
    this.#arm();
  };

  /** Keep exactly one wake-up armed for the earliest thing due. */
  #arm(): void {
    if (this.#closed) return;
    let wake = this.#queue.nextAt;
    for (const stage of [this.#stages.forward, this.#stages.backward]) {
      const deadline = stage.nextHoldDeadline;
      if (deadline !== undefined && (wake === undefined || deadline < wake)) wake = deadline;
    }
    if (wake === undefined) {
      this.#disarm();
      return;
    }
    if (this.#immediate !== undefined) return; // already polling: the poll re-arms
    const wait = wake - performance.now();
    if (wait <= EARLY_MS) {
      this.#disarm();
      this.#immediate = setImmediate(this.#pump);
      return;
    }
    // An armed timer that fires no later than needed stays (a constant delay never re-arms).
    if (this.#timerAt !== undefined && this.#timerAt <= wake - EARLY_MS) return;
    this.#disarm();
    this.#timerAt = wake - EARLY_MS;
    this.#timer = setTimeout(this.#pump, Math.max(0, wait - EARLY_MS));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#timerAt = undefined;
    this.#immediate = undefined;
  }
}

function createSocket(family: 4 | 6): dgram.Socket {
  return dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    ipv6Only: family === 6,
    recvBufferSize: SOCKET_BUFFER,
    sendBufferSize: SOCKET_BUFFER,
  });
}

function bind(socket: dgram.Socket, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
