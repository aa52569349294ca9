// Failed authentications per client: after `limit` failures within a minute, the client is backed
// off (its new connections get a Greeting with Modes 0) for 1 s, then 2, 4, … up to 5 min for each
// further failure. A success, or five quiet minutes after the backoff, forgets the client. This bounds how fast a
// passphrase can be guessed from one address (about `limit` guesses a minute, then fewer).
import { tryParseIpAddress } from '@twamp/wire';

const WINDOW_MS = 60_000;
export const AUTH_BACKOFF_INITIAL_MS = 1_000;
export const AUTH_BACKOFF_MAX_MS = 300_000;
/** A client with no failure for this long starts again from a clean slate. */
const QUIET_MS = AUTH_BACKOFF_MAX_MS;
/** Clients remembered at once; beyond it the oldest are forgotten (bounded memory under a flood of addresses). */
const MAX_CLIENTS = 65_536;

interface Entry {
  windowStart: number;
  failures: number;
  /** The latest backoff applied (0: none yet); the next one doubles it. */
  backoffMs: number;
  until: number;
  last: number;
}

/**
 * The key failures are counted under: the address, except that an IPv6 client counts under its /64
 * (one host usually has a whole /64 to pick addresses from).
 */
export function authClientKey(address: string): string {
  const parsed = tryParseIpAddress(address);
  if (parsed?.family !== 6) return address;
  return `${Buffer.from(parsed.octets.subarray(0, 8)).toString('hex')}::/64`;
}

export class AuthBackoff {
  readonly #entries = new Map<string, Entry>();
  #limit: number;

  /** `limit` failures per minute (Infinity: never back off). */
  constructor(limit: number) {
    this.#limit = limit;
  }

  set limit(limit: number) {
    this.#limit = limit;
  }

  /** Milliseconds this client is still backed off for, or 0. */
  remaining(address: string, now: number): number {
    const entry = this.#entries.get(authClientKey(address));
    return entry === undefined ? 0 : Math.max(0, entry.until - now);
  }

  /** Count a failure; returns the backoff it started (ms), or 0 when the client is still under the limit. */
  failure(address: string, now: number): number {
    if (!Number.isFinite(this.#limit)) return 0;
    const key = authClientKey(address);
    let entry = this.#entries.get(key);
    // Quiet: no failure for QUIET_MS after the last one and after the backoff ended.
    if (entry !== undefined && now - Math.max(entry.last, entry.until) >= QUIET_MS) {
      this.#entries.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      this.#makeRoom(now);
      entry = { windowStart: now, failures: 0, backoffMs: 0, until: 0, last: now };
      this.#entries.set(key, entry);
    }
    if (now - entry.windowStart >= WINDOW_MS && now >= entry.until) {
      entry.windowStart = now;
      entry.failures = 0;
    }
    entry.failures += 1;
    entry.last = now;
    if (entry.failures < this.#limit) return 0;
    entry.backoffMs = entry.backoffMs === 0 ? AUTH_BACKOFF_INITIAL_MS : Math.min(entry.backoffMs * 2, AUTH_BACKOFF_MAX_MS);
    entry.until = now + entry.backoffMs;
    return entry.backoffMs;
  }

  /** A successful authentication: the client starts again from a clean slate. */
  success(address: string): void {
    this.#entries.delete(authClientKey(address));
  }

  get size(): number {
    return this.#entries.size;
  }

  #makeRoom(now: number): void {
    if (this.#entries.size < MAX_CLIENTS) return;
    for (const [key, entry] of this.#entries) {
      if (now >= entry.until && now - entry.last >= WINDOW_MS) this.#entries.delete(key);
    }
    // Still full: forget the oldest (Map order is insertion order).
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < MAX_CLIENTS) break;
      this.#entries.delete(key);
    }
  }
}
