// The reflector's session lookup. Keyed by source address text (the socket hands out the same cached
// string for a repeated source, so no key string is built per packet), then by a 32-bit integer of
// source port and SSID (a V8 small integer: no boxing), then by local address along a short chain.
// A packet of a known session costs two Map lookups; the reflector also keeps the last session hit,
// which serves back-to-back packets of one flow with four comparisons.
//
// The table also knows who holds what, for fair shares: how many sessions made on first packet each
// source address holds, the sessions answered only once (oldest first: forged packets make those),
// and roughly which source holds the most. Registered (TWAMP-Control) sessions are never victims.
import type { ReflectorSession } from './session.js';

/** How many longest-idle sessions one scan of the whole table sets aside for the evictions that follow. */
const IDLE_BATCH = 64;

function innerKey(port: number, ssid: number): number {
  return ((port << 16) | ssid) | 0;
}

/** One source address's sessions, and how many of them were made on first packet. */
class SourceSessions {
  readonly byKey = new Map<number, ReflectorSession>();
  held = 0;
  readonly address: string;

  constructor(address: string) {
    this.address = address;
  }
}

/** A session made on first packet (the only kind that is capped per source and may be evicted). */
function evictable(session: ReflectorSession): boolean {
  return session.sid === undefined;
}

/** The better victim of two: one answered once before one answered more, then the longer idle. */
function worse(a: ReflectorSession | undefined, b: ReflectorSession): ReflectorSession {
  if (a === undefined) return b;
  if (a.probation !== b.probation) return a.probation ? a : b;
  return b.lastSeenMs < a.lastSeenMs ? b : a;
}

export class SessionTable {
  readonly #bySource = new Map<string, SourceSessions>();
  #size = 0;
  #oldestOnProbation: ReflectorSession | undefined;
  #newestOnProbation: ReflectorSession | undefined;
  /** The source holding the most sessions made on first packet (exact after `recount`, approximate between). */
  #heaviest: SourceSessions | undefined;
  /**
   * Longest-idle sessions found by the last full scan, most idle last, with their lastSeenMs then:
   * one O(n) scan serves up to 64 evictions (a session seen again since is skipped).
   */
  #idle: ReflectorSession[] = [];
  #idleSeen: number[] = [];

  get size(): number {
    return this.#size;
  }

  get(address: string, port: number, ssid: number, local: string): ReflectorSession | undefined {
    const source = this.#bySource.get(address);
    if (source === undefined) return undefined;
    let session = source.byKey.get(innerKey(port, ssid));
    while (session !== undefined && session.local !== local) session = session.next;
    return session;
  }

  /** Sessions made on first packet that `address` holds. */
  heldBy(address: string): number {
    return this.#bySource.get(address)?.held ?? 0;
  }

  /** Add a session; one made on first packet starts on probation (answered once). */
  add(session: ReflectorSession): void {
    let source = this.#bySource.get(session.address);
    if (source === undefined) {
      source = new SourceSessions(session.address);
      this.#bySource.set(session.address, source);
    }
    const k = innerKey(session.port, session.ssid);
    session.next = source.byKey.get(k);
    source.byKey.set(k, session);
    session.inTable = true;
    this.#size++;
    if (!evictable(session)) return;
    source.held++;
    if (this.#heaviest === undefined || source.held > this.#heaviest.held) this.#heaviest = source;
    session.probation = true;
    session.olderOnProbation = this.#newestOnProbation;
    session.newerOnProbation = undefined;
    if (this.#newestOnProbation === undefined) this.#oldestOnProbation = session;
    else this.#newestOnProbation.newerOnProbation = session;
    this.#newestOnProbation = session;
  }

  /** The session was answered again: it is no longer among the first to go. */
  promote(session: ReflectorSession): void {
    if (!session.probation) return;
    session.probation = false;
    const older = session.olderOnProbation;
    const newer = session.newerOnProbation;
    if (older === undefined) this.#oldestOnProbation = newer;
    else older.newerOnProbation = newer;
    if (newer === undefined) this.#newestOnProbation = older;
    else newer.olderOnProbation = older;
    session.olderOnProbation = undefined;
    session.newerOnProbation = undefined;
  }

  remove(session: ReflectorSession): void {
    if (!session.inTable) return;
    const source = this.#bySource.get(session.address);
    session.inTable = false;
    this.promote(session);
    if (source === undefined) return;
    const k = innerKey(session.port, session.ssid);
    let previous: ReflectorSession | undefined;
    let current = source.byKey.get(k);
    while (current !== undefined && current !== session) {
      previous = current;
      current = current.next;
    }
    if (current === undefined) return;
    if (previous === undefined) {
      if (session.next === undefined) source.byKey.delete(k);
      else source.byKey.set(k, session.next);
    } else {
      previous.next = session.next;
    }
    session.next = undefined;
    this.#size--;
    if (evictable(session)) source.held--;
    if (source.byKey.size === 0) {
      this.#bySource.delete(session.address);
      if (this.#heaviest === source) this.#heaviest = undefined;
    }
  }

  /** The session `address` should give up for a new one: answered once before answered more, then the longest idle. */
  victimOf(address: string): ReflectorSession | undefined {
    const source = this.#bySource.get(address);
    return source === undefined ? undefined : this.#victimIn(source);
  }

  /**
   * The session to evict when the whole table is full: the oldest answered only once (what forged
   * packets leave behind), else the heaviest source's victim when it holds more than one, else
   * the longest idle of all. Never a registered session; undefined when there is none to evict.
   */
  victim(): ReflectorSession | undefined {
    if (this.#oldestOnProbation !== undefined) return this.#oldestOnProbation;
    const heaviest = this.#heaviest;
    if (heaviest !== undefined && heaviest.held > 1) {
      const victim = this.#victimIn(heaviest);
      if (victim !== undefined) return victim;
    }
    return this.#longestIdle();
  }

  #longestIdle(): ReflectorSession | undefined {
    for (let refilled = false; ; refilled = true) {
      for (let s = this.#idle.pop(), seen = this.#idleSeen.pop(); s !== undefined; s = this.#idle.pop(), seen = this.#idleSeen.pop()) {
        if (s.inTable && s.lastSeenMs === seen) return s;
      }
      if (refilled) return undefined;
      const all: ReflectorSession[] = [];
      for (const session of this.values()) {
        if (evictable(session)) all.push(session);
      }
      all.sort((a, b) => b.lastSeenMs - a.lastSeenMs);
      this.#idle = all.slice(-IDLE_BATCH);
      this.#idleSeen = this.#idle.map((session) => session.lastSeenMs);
    }
  }

  #victimIn(source: SourceSessions): ReflectorSession | undefined {
    let victim: ReflectorSession | undefined;
    for (const head of source.byKey.values()) {
      for (let s: ReflectorSession | undefined = head; s !== undefined; s = s.next) {
        if (evictable(s)) victim = worse(victim, s);
      }
    }
    return victim;
  }

  /** Find the source holding the most again (the sweep calls this; between sweeps it is tracked on add only). */
  recount(): void {
    let heaviest: SourceSessions | undefined;
    for (const source of this.#bySource.values()) {
      if (heaviest === undefined || source.held > heaviest.held) heaviest = source;
    }
    this.#heaviest = heaviest;
  }

  *values(): IterableIterator<ReflectorSession> {
    for (const source of this.#bySource.values()) {
      for (const head of source.byKey.values()) {
        for (let s: ReflectorSession | undefined = head; s !== undefined; s = s.next) yield s;
      }
    }
  }

  clear(): void {
    for (const session of this.values()) {
      session.inTable = false;
      session.next = undefined;
      session.probation = false;
      session.olderOnProbation = undefined;
      session.newerOnProbation = undefined;
    }
    this.#bySource.clear();
    this.#size = 0;
    this.#oldestOnProbation = undefined;
    this.#newestOnProbation = undefined;
    this.#heaviest = undefined;
    this.#idle = [];
    this.#idleSeen = [];
  }
}
