// A UDP network in memory, like libp2p's memory transport: sockets bind any IPv4/IPv6 literal
// (the network is its own address space), packets travel as in-flight records on the network's
// clock, and impairments programmed per direction of a link delay, jitter, lose, duplicate,
// reorder and decrement the TTL of what crosses it, drawn from a seed. On a VirtualClock a run is
// deterministic; on the real clock it behaves like loopback with real waits.

import { ConfigError, type ConfigIssue, formatEndpoint, NetworkError } from '@twamp/errors';
import { checkSocketOptions, DEFAULT_BATCH_SIZE, DEFAULT_MAX_PACKET_SIZE } from '../dgram/options.js';
import type { IpFamily, UdpSocketOptions } from '../types.js';
import { canonicalAddress, WILDCARD } from './address.js';
import { RealClock, VirtualClock, type NetworkClock, type WallTime } from './clock.js';
import { describe, Fate, ImpairmentRule, type Impairment, type ImpairmentSpec, type LinkPacket, type LinkSelector } from './impairment.js';
import { InFlightPacket, type PacketSink } from './packet.js';
import { Arrival, DEFAULT_RECEIVE_BUFFER, DEFAULT_TTL, MemorySocket, type MemoryUdpSocket, type SocketHost } from './socket.js';
import type { Task } from './task-queue.js';

export interface MemoryNetworkOptions {
  /**
   * The clock of deliveries, receive times and stamps: 'virtual' (default; a new VirtualClock that
   * moves only on advance()), a VirtualClock of yours (to share it, or to hand it to other code),
   * or 'real' (the wall clock and real timers, for code that waits for real).
   */
  readonly clock?: 'virtual' | 'real' | VirtualClock;
  /** Seed of every impairment's random draws (each rule gets its own stream from it). Default 1. */
  readonly seed?: number;
  /** Routers between every pair of sockets: TTL / Hop Limit drops by this many on every packet. Default 0 (loopback). */
  readonly hops?: number;
  /** MTU of every link, for sockets with don't-fragment set. Default 65536 (Linux loopback). */
  readonly mtu?: number;
  /** Packets one socket may have in flight; past it send() returns false (sendDropped). Default 4096. */
  readonly maxInFlightPerSocket?: number;
}

/** Counters of the network since it was made. */
export interface MemoryNetworkStats {
  /** Packets sockets put on the network (not counting duplicates). */
  readonly sent: number;
  /** Packets that reached a socket's receive queue (duplicates included). */
  readonly delivered: number;
  /** Packets on the way now. */
  readonly inFlight: number;
  /** Lost to an impairment (loss or decide). */
  readonly lost: number;
  /** Lost because nobody was bound at the destination (or it is connected to another peer), as UDP loses them. */
  readonly unreachable: number;
  /** Lost because the TTL ran out on the hops. */
  readonly ttlExpired: number;
  /** Dropped because the receiver's queue was full. */
  readonly receiveOverflow: number;
  /** Extra copies made by duplication. */
  readonly duplicated: number;
  /** Packets held back to be overtaken. */
  readonly reordered: number;
}

type MutableStats = { -readonly [K in keyof MemoryNetworkStats]: MemoryNetworkStats[K] };

/** Linux's ephemeral port range (ip_local_port_range). */
const EPHEMERAL_FIRST = 32_768;
const EPHEMERAL_LAST = 60_999;
/** Records kept for reuse; beyond this, freed ones go to the garbage collector. */
const POOL_LIMIT = 4096;
const DEFAULT_MTU = 65_536;
const DEFAULT_MAX_IN_FLIGHT = 4096;

/** Sockets bound to one port of one family: on the wildcard, and per address (lists: SO_REUSEADDR). */
class PortBinding {
  readonly wildcard: MemorySocket[] = [];
  readonly byAddress = new Map<string, MemorySocket[]>();

  get empty(): boolean {
    return this.wildcard.length === 0 && this.byAddress.size === 0;
  }

  /** Sockets a new bind to `address` (or the wildcard) would share the port with. */
  conflicts(address: string, wildcard: boolean): MemorySocket[] {
    if (wildcard) return [...this.wildcard, ...[...this.byAddress.values()].flat()];
    return [...this.wildcard, ...(this.byAddress.get(address) ?? [])];
  }

  /** The socket a packet to `address` goes to: the last bound to the address, else to the wildcard. */
  receiver(address: string): MemorySocket | undefined {
    const exact = this.byAddress.get(address);
    if (exact !== undefined) return exact[exact.length - 1];
    return this.wildcard[this.wildcard.length - 1];
  }
}

/** The packet an impairment's decide() sees: one object over the record being sent. */
class LinkView implements LinkPacket {
  packet: InFlightPacket | undefined;
  #at(): InFlightPacket {
    if (this.packet === undefined) throw new RangeError('the packet is valid only during decide()');
    return this.packet;
  }
  get fromAddress(): string {
    return this.#at().sourceAddress;
  }
  get fromPort(): number {
    return this.#at().sourcePort;
  }
  get toAddress(): string {
    return this.#at().destinationAddress;
  }
  get toPort(): number {
    return this.#at().destinationPort;
  }
  get length(): number {
    return this.#at().length;
  }
  get ttl(): number {
    return this.#at().ttl;
  }
  get tos(): number {
    return this.#at().tos;
  }
  payload(): Uint8Array {
    const packet = this.#at();
    return packet.buffer.subarray(0, packet.length);
  }
}

function checkNetworkOptions(options: MemoryNetworkOptions): void {
  const issues: ConfigIssue[] = [];
  const clock: unknown = options.clock;
  if (clock !== undefined && clock !== 'virtual' && clock !== 'real' && !(clock instanceof VirtualClock)) {
    issues.push({ path: 'clock', expected: "'virtual', 'real' or a VirtualClock", received: describe(clock) });
  }
  const integer = (path: keyof MemoryNetworkOptions, min: number, max: number): void => {
    const value: unknown = options[path];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)) {
      issues.push({ path, expected: `an integer from ${min} to ${max}`, received: describe(value) });
    }
  };
  integer('seed', 0, 4_294_967_295);
  integer('hops', 0, 255);
  integer('mtu', 68, 1_048_576);
  integer('maxInFlightPerSocket', 1, 1_048_576);
  if (issues.length > 0) throw new ConfigError(issues);
}

export class MemoryNetwork implements SocketHost, PacketSink {
  /** The clock of this network: hold a VirtualClock to advance() it. */
  readonly clock: NetworkClock;
  readonly mtu: number;
  readonly #ownsClock: boolean;
  readonly #seed: number;
  readonly #hops: number;
  readonly #maxInFlight: number;
  readonly #bindings: Record<IpFamily, Map<number, PortBinding>> = { 4: new Map(), 6: new Map() };
  readonly #nextEphemeral: Record<IpFamily, number> = { 4: EPHEMERAL_FIRST, 6: EPHEMERAL_FIRST };
  readonly #sockets = new Set<MemorySocket>();
  readonly #rules: ImpairmentRule[] = [];
  #ruleCount = 0;
  readonly #pool: InFlightPacket[] = [];
  readonly #fate = new Fate();
  readonly #view = new LinkView();
  readonly #reading: WallTime = { seconds: 0, nanos: 0 };
  readonly #stats: MutableStats = {
    sent: 0,
    delivered: 0,
    inFlight: 0,
    lost: 0,
    unreachable: 0,
    ttlExpired: 0,
    receiveOverflow: 0,
    duplicated: 0,
    reordered: 0,
  };
  #closed = false;

  constructor(options: MemoryNetworkOptions = {}) {
    checkNetworkOptions(options);
    const clock = options.clock ?? 'virtual';
    this.clock = clock === 'real' ? new RealClock() : clock === 'virtual' ? new VirtualClock() : clock;
    this.#ownsClock = typeof clock === 'string';
    this.#seed = options.seed ?? 1;
    this.#hops = options.hops ?? 0;
    this.mtu = options.mtu ?? DEFAULT_MTU;
    this.#maxInFlight = options.maxInFlightPerSocket ?? DEFAULT_MAX_IN_FLIGHT;
  }

  get stats(): MemoryNetworkStats {
    return this.#stats;
  }

  /**
   * Open a socket on this network: the options of openUdpSocket (`implementation` may be left out,
   * 'auto' or 'memory'). Bad options are a ConfigError; an address:port in use a NetworkError
   * EADDRINUSE, as on a real host.
   */
  open(options: UdpSocketOptions): Promise<MemoryUdpSocket> {
    try {
      return Promise.resolve(this.#open(options));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Impair the packets from `link.from` to `link.to` (either left out: any; one direction: impair
   * the other with its own call). Every rule that matches a packet applies: delays add up, any
   * loss loses it. Returns the rule; remove() lifts it.
   */
  impair(link: LinkSelector, spec: ImpairmentSpec): Impairment {
    const rule = new ImpairmentRule(link, spec, this.#seed, this.#ruleCount++, (removed) => {
      const at = this.#rules.indexOf(removed);
      if (at >= 0) this.#rules.splice(at, 1);
    });
    this.#rules.push(rule);
    return rule;
  }

  /** Lift every impairment. */
  clearImpairments(): void {
    this.#rules.length = 0;
  }

  /** Close every socket; on a clock the network made itself, also drop what is in flight and stop its timer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of [...this.#sockets]) socket.close();
    if (this.#ownsClock && this.clock instanceof RealClock) this.clock.stop();
  }

  // ---- SocketHost

  acquire(length: number): InFlightPacket {
    const packet = this.#pool.pop() ?? new InFlightPacket(this, length);
    packet.reserve(length);
    return packet;
  }

  release(packet: InFlightPacket): void {
    packet.clear();
    if (this.#pool.length < POOL_LIMIT) this.#pool.push(packet);
  }

  transmit(packet: InFlightPacket): boolean {
    const sender = packet.sender;
    if (sender !== undefined && sender.inFlight >= this.#maxInFlight) {
      this.release(packet);
      return false;
    }
    const stats = this.#stats;
    stats.sent += 1;
    const fate = this.#fate;
    fate.reset();
    fate.hops = this.#hops;
    const rules = this.#rules;
    if (rules.length > 0) {
      const view = this.#view;
      view.packet = packet;
      try {
        for (const rule of rules) {
          if (rule.matches(packet.sourceAddress, packet.sourcePort, packet.destinationAddress, packet.destinationPort)) rule.apply(fate, view);
        }
      } catch (error) {
        // A decide() that threw: the packet goes nowhere, and the error goes to the sender's caller.
        stats.sent -= 1;
        this.release(packet);
        throw error;
      } finally {
        view.packet = undefined;
      }
    }
    if (fate.drop) {
      stats.lost += 1;
      this.release(packet);
      return true;
    }
    if (packet.ttl <= fate.hops) {
      stats.ttlExpired += 1;
      this.release(packet);
      return true;
    }
    packet.ttl -= fate.hops;
    if (fate.reordered) stats.reordered += 1;
    const dueNs = this.clock.monotonicNs() + Math.max(0, fate.delayNs);
    this.#launch(packet, dueNs);
    for (let copy = 0; copy < fate.duplicates; copy++) {
      const twin = this.acquire(packet.length);
      twin.fill(packet.buffer, packet.length);
      twin.family = packet.family;
      twin.sourceAddress = packet.sourceAddress;
      twin.sourcePort = packet.sourcePort;
      twin.destinationAddress = packet.destinationAddress;
      twin.destinationPort = packet.destinationPort;
      twin.ttl = packet.ttl;
      twin.tos = packet.tos;
      twin.connected = packet.connected;
      twin.sender = packet.sender;
      stats.duplicated += 1;
      this.#launch(twin, dueNs);
    }
    return true;
  }

  soon(task: Task): void {
    this.clock.enqueue(task, this.clock.monotonicNs());
  }

  unbind(socket: MemorySocket): void {
    this.#sockets.delete(socket);
    const binding = this.#bindings[socket.family].get(socket.localPort);
    if (binding === undefined) return;
    const list = socket.wildcard ? binding.wildcard : binding.byAddress.get(socket.localAddress);
    const at = list?.indexOf(socket) ?? -1;
    if (list !== undefined && at >= 0) list.splice(at, 1);
    if (!socket.wildcard && list?.length === 0) binding.byAddress.delete(socket.localAddress);
    if (binding.empty) this.#bindings[socket.family].delete(socket.localPort);
  }

  // ---- PacketSink

  arrive(packet: InFlightPacket): void {
    const stats = this.#stats;
    stats.inFlight -= 1;
    const sender = packet.sender;
    if (sender !== undefined) sender.inFlight -= 1;
    const receiver = this.#bindings[packet.family].get(packet.destinationPort)?.receiver(packet.destinationAddress);
    // The receive time, as a kernel would take it: when the packet arrives, before any handler.
    this.clock.readWall(this.#reading);
    packet.seconds = this.#reading.seconds;
    packet.nanos = this.#reading.nanos;
    const outcome = receiver === undefined ? Arrival.foreign : receiver.arrive(packet);
    if (outcome === Arrival.queued) {
      stats.delivered += 1;
      return;
    }
    if (outcome === Arrival.full) {
      stats.receiveOverflow += 1;
    } else {
      stats.unreachable += 1;
      if (packet.connected) sender?.refused(packet);
    }
    this.release(packet);
  }

  // ---- internals

  #launch(packet: InFlightPacket, dueNs: number): void {
    this.#stats.inFlight += 1;
    const sender = packet.sender;
    if (sender !== undefined) sender.inFlight += 1;
    this.clock.enqueue(packet, dueNs);
  }

  #open(options: UdpSocketOptions): MemorySocket {
    if (this.#closed) throw new NetworkError({ operation: 'socket', systemCode: 'ENETDOWN', detail: 'the memory network is closed' });
    const { implementation, ...rest } = options;
    checkSocketOptions(rest);
    if (implementation !== undefined && implementation !== 'auto' && implementation !== 'memory') {
      throw new ConfigError([
        { path: 'implementation', expected: "'memory', 'auto' or nothing (a memory network opens memory sockets)", received: JSON.stringify(implementation) },
      ]);
    }
    const family = options.family;
    const wildcard = options.address === undefined || canonicalAddress(family, options.address) === WILDCARD[family];
    const address = options.address === undefined ? WILDCARD[family] : (canonicalAddress(family, options.address) ?? WILDCARD[family]);
    const reuseAddress = options.reuseAddress ?? false;
    const port = this.#bindPort(family, address, wildcard, reuseAddress, options.port ?? 0);
    const socket = new MemorySocket(this, {
      family,
      address,
      wildcard,
      port,
      reuseAddress,
      ttl: options.ttl ?? DEFAULT_TTL,
      tos: options.tos ?? 0,
      dontFragment: options.dontFragment ?? false,
      maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
      batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
      receiveBufferSize: options.receiveBufferSize ?? DEFAULT_RECEIVE_BUFFER,
    });
    const table = this.#bindings[family];
    let binding = table.get(port);
    if (binding === undefined) {
      binding = new PortBinding();
      table.set(port, binding);
    }
    if (wildcard) {
      binding.wildcard.push(socket);
    } else {
      const list = binding.byAddress.get(address);
      if (list === undefined) binding.byAddress.set(address, [socket]);
      else list.push(socket);
    }
    this.#sockets.add(socket);
    return socket;
  }

  /** The port to bind: `port` when free for the address, or the next free ephemeral one for 0. */
  #bindPort(family: IpFamily, address: string, wildcard: boolean, reuseAddress: boolean, port: number): number {
    const table = this.#bindings[family];
    const free = (candidate: number): boolean => {
      const others = table.get(candidate)?.conflicts(address, wildcard) ?? [];
      return others.length === 0 || (reuseAddress && others.every((other) => other.reuseAddress));
    };
    if (port !== 0) {
      if (free(port)) return port;
      throw new NetworkError({
        operation: 'bind',
        systemCode: 'EADDRINUSE',
        endpoint: formatEndpoint(address, port),
        detail: 'address already in use (on the memory network)',
      });
    }
    // Ephemeral ports go round the range from where the last one was taken, so a port just freed
    // is not handed out again at once (as the kernel does).
    const span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    const start = this.#nextEphemeral[family];
    for (let step = 0; step < span; step++) {
      const candidate = EPHEMERAL_FIRST + ((start - EPHEMERAL_FIRST + step) % span);
      // An ephemeral port is never shared, even between reuseAddress sockets.
      if ((table.get(candidate)?.conflicts(address, wildcard).length ?? 0) === 0) {
        this.#nextEphemeral[family] = candidate === EPHEMERAL_LAST ? EPHEMERAL_FIRST : candidate + 1;
        return candidate;
      }
    }
    throw new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: formatEndpoint(address, 0), detail: 'no ephemeral port left on the memory network' });
  }
}
