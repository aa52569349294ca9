// The UDP ports a TWAMP server hands out to its reflectors: a range walked round-robin, so a port
// just released is the last one reused (a late packet of an old session then finds nobody rather
// than a new session), and ports the process already holds are skipped without a bind attempt.
import { ConfigError } from '@twamp/errors';

/** perfSONAR twampd's default test-port range (interop-notes.md), easy to open in a firewall. */
export const DEFAULT_REFLECTOR_PORT_RANGE: PortRange = Object.freeze({ first: 8760, last: 9960 });

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Checks a range given as text `A-B` (both inclusive, 1-65535, A ≤ B); throws a ConfigError for `path`. */
export function parsePortRange(text: string, path = 'portRange'): PortRange {
  const match = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  const first = match === null ? Number.NaN : Number(match[1]);
  const last = match === null ? Number.NaN : Number(match[2]);
  const range = { first, last };
  checkPortRange(range, path);
  return range;
}

export function checkPortRange(range: PortRange, path = 'portRange'): void {
  const { first, last } = range;
  const valid = Number.isInteger(first) && Number.isInteger(last) && first >= 1 && last <= 65535 && first <= last;
  if (!valid) {
    throw new ConfigError([{ path, expected: 'a port range A-B with 1 ≤ A ≤ B ≤ 65535', received: `${String(first)}-${String(last)}` }]);
  }
}

/** Hands out candidate ports of a range; the caller binds and reports back what it holds. */
export class PortCursor {
  readonly #range: PortRange;
  readonly #held = new Set<number>();
  #next: number;

  constructor(range: PortRange) {
    checkPortRange(range);
    this.#range = range;
    this.#next = range.first;
  }

  get size(): number {
    return this.#range.last - this.#range.first + 1;
  }

  /** How many ports of the range this process holds. */
  get held(): number {
    return this.#held.size;
  }

  /**
   * The next port not held by us, in round-robin order from where the last call stopped; undefined
   * when every port of the range is held. Only ports handed out move the cursor, so a bind that
   * succeeds at once does not skip any.
   */
  next(): number | undefined {
    const size = this.size;
    for (let step = 0; step < size; step++) {
      const port = this.#next;
      this.#next = port === this.#range.last ? this.#range.first : port + 1;
      if (!this.#held.has(port)) return port;
    }
    return undefined;
  }

  includes(port: number): boolean {
    return port >= this.#range.first && port <= this.#range.last;
  }

  hold(port: number): void {
    if (this.includes(port)) this.#held.add(port);
  }

  release(port: number): void {
    this.#held.delete(port);
  }
}
