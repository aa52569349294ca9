// The reflector's session lookup. Keyed by source address text (the socket hands out the same cached
// string for a repeated source, so no key string is built per packet), then by a 32-bit integer of
// source port and SSID (a V8 small integer: no boxing), then by local address along a short chain.
// A packet of a known session costs two Map lookups; the reflector also keeps the last session hit,
// which serves back-to-back packets of one flow with four comparisons.
import type { ReflectorSession } from './session.js';

function innerKey(port: number, ssid: number): number {
  return ((port << 16) | ssid) | 0;
}

export class SessionTable {
  readonly #bySource = new Map<string, Map<number, ReflectorSession>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(address: string, port: number, ssid: number, local: string): ReflectorSession | undefined {
    const inner = this.#bySource.get(address);
    if (inner === undefined) return undefined;
    let session = inner.get(innerKey(port, ssid));
    while (session !== undefined && session.local !== local) session = session.next;
    return session;
  }

  add(session: ReflectorSession): void {
    let inner = this.#bySource.get(session.address);
    if (inner === undefined) {
      inner = new Map();
      this.#bySource.set(session.address, inner);
    }
    const k = innerKey(session.port, session.ssid);
    session.next = inner.get(k);
    inner.set(k, session);
    session.inTable = true;
    this.#size++;
  }

  remove(session: ReflectorSession): void {
    if (!session.inTable) return;
    const inner = this.#bySource.get(session.address);
    session.inTable = false;
    if (inner === undefined) return;
    const k = innerKey(session.port, session.ssid);
    let previous: ReflectorSession | undefined;
    let current = inner.get(k);
    while (current !== undefined && current !== session) {
      previous = current;
      current = current.next;
    }
    if (current === undefined) return;
    if (previous === undefined) {
      if (session.next === undefined) inner.delete(k);
      else inner.set(k, session.next);
    } else {
      previous.next = session.next;
    }
    session.next = undefined;
    this.#size--;
    if (inner.size === 0) this.#bySource.delete(session.address);
  }

  *values(): IterableIterator<ReflectorSession> {
    for (const inner of this.#bySource.values()) {
      for (const head of inner.values()) {
        for (let s: ReflectorSession | undefined = head; s !== undefined; s = s.next) yield s;
      }
    }
  }

  clear(): void {
    for (const session of this.values()) {
      session.inTable = false;
      session.next = undefined;
    }
    this.#bySource.clear();
    this.#size = 0;
  }
}
