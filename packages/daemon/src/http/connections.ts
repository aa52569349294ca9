// Who may hold a connection to the HTTP endpoint. A slot is cheap to take (a TCP handshake) and an
// endpoint that refuses silently when its slots are full takes /healthz with it, and whatever probes
// /healthz then restarts a healthy daemon. So instead of a hard cap that drops new connections:
//
//   - every client address has a share (perClient) of the slots (total), so one address cannot hold them all;
//   - a connection that is not being answered (it has sent nothing yet, is trickling headers, or is
//     an idle keep-alive connection) is evicted, the longest-waiting first, to make room for a new one:
//     from the new one's own address when that address is at its share, else from the address
//     holding the most connections;
//   - only when every slot is answering a request does a new connection get an immediate 503
//     (with Retry-After), never a silent close.
//
// The table is pure bookkeeping (time injected, no I/O): the server owns the sockets.

export interface ConnectionLimits {
  /** Connections at once, all clients. */
  readonly total: number;
  /** Connections at once from one client address. */
  readonly perClient: number;
}

export interface HttpConnectionStats {
  readonly open: number;
  /** Waiting connections closed to make room for a new one. */
  readonly evicted: number;
  /** New connections answered 503 because every slot was answering a request. */
  readonly refused: number;
}

interface Entry<C> {
  readonly connection: C;
  readonly address: string;
  /** A request is being answered (the connection is not evictable meanwhile). */
  serving: boolean;
  /** When it last started waiting (accepted, or its last response finished). */
  waitingSinceMs: number;
}

export type Admission<C> = { readonly admitted: true; readonly evict: C | undefined } | { readonly admitted: false };

export class ConnectionTable<C> {
  readonly #limits: ConnectionLimits;
  readonly #entries = new Map<C, Entry<C>>();
  readonly #byAddress = new Map<string, Set<Entry<C>>>();
  #evicted = 0;
  #refused = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  get stats(): HttpConnectionStats {
    return { open: this.#entries.size, evicted: this.#evicted, refused: this.#refused };
  }

  /**
   * A new connection from `address`. Admitted: it holds a slot now, and `evict` (if any) is the
   * connection whose slot it took (already forgotten here: the caller closes it). Not admitted:
   * nothing is held, and the caller answers 503.
   */
  admit(connection: C, address: string, nowMs: number): Admission<C> {
    const peers = this.#byAddress.get(address);
    let victim: Entry<C> | undefined;
    if ((peers?.size ?? 0) >= this.#limits.perClient) {
      victim = longestWaiting(peers ?? []);
      if (victim === undefined) return this.#refuse();
    } else if (this.#entries.size >= this.#limits.total) {
      victim = this.#fairVictim();
      if (victim === undefined) return this.#refuse();
    }
    if (victim !== undefined) {
      this.remove(victim.connection);
      this.#evicted += 1;
    }
    const entry: Entry<C> = { connection, address, serving: false, waitingSinceMs: nowMs };
    this.#entries.set(connection, entry);
    let set = this.#byAddress.get(address);
    if (set === undefined) {
      set = new Set();
      this.#byAddress.set(address, set);
    }
    set.add(entry);
    return { admitted: true, evict: victim?.connection };
  }

  /** A request arrived on `connection`: not evictable until its response is done. */
  serving(connection: C): void {
    const entry = this.#entries.get(connection);
    if (entry !== undefined) entry.serving = true;
  }

  /** Its response is done: it waits for the next request (keep-alive) and may be evicted again. */
  served(connection: C, nowMs: number): void {
    const entry = this.#entries.get(connection);
    if (entry === undefined) return;
    entry.serving = false;
    entry.waitingSinceMs = nowMs;
  }

  /** The connection closed (or was evicted): its slot is free. */
  remove(connection: C): void {
    const entry = this.#entries.get(connection);
    if (entry === undefined) return;
    this.#entries.delete(connection);
    const set = this.#byAddress.get(entry.address);
    set?.delete(entry);
    if (set?.size === 0) this.#byAddress.delete(entry.address);
  }

  #refuse(): Admission<C> {
    this.#refused += 1;
    return { admitted: false };
  }

  /** The longest-waiting connection of the address holding the most connections that has one waiting. */
  #fairVictim(): Entry<C> | undefined {
    const addresses = [...this.#byAddress.values()].sort((a, b) => b.size - a.size);
    for (const set of addresses) {
      const victim = longestWaiting(set);
      if (victim !== undefined) return victim;
    }
    return undefined;
  }
}

function longestWaiting<C>(entries: Iterable<Entry<C>>): Entry<C> | undefined {
  let victim: Entry<C> | undefined;
  for (const entry of entries) {
    if (entry.serving) continue;
    if (victim === undefined || entry.waitingSinceMs < victim.waitingSinceMs) victim = entry;
  }
  return victim;
}
