// Log lines a stranger can make us write must not let a flood fill the disk. Two shapes:
//   - LogLimiter: warnings an attacker can trigger at will (failed authentications, backoffs) at
//     most once per interval per event;
//   - LineBudget / budgetedLogger: the ordinary per-connection and per-session lines (a connection
//     accepted or closed, a session accepted or refused), written freely in a burst, then one per
//     interval per event.
// Either way the next line written says how many were left out (`suppressed`), so nothing is hidden;
// the counters in the server's stats count every event.
import { performance } from 'node:perf_hooks';
import type { ControlLogger } from '../types.js';

/** Lines of one event written back to back before the budget applies. */
export const DEFAULT_LINE_BURST = 50;
/** Then one line per this many ms. */
export const DEFAULT_LINE_INTERVAL_MS = 1_000;

/**
 * A token bucket for log lines: `burst` lines at once, refilled at one per `intervalMs`. `take()`
 * says whether to write the next line, and the fields to add to it (how many were skipped before).
 */
export class LineBudget {
  readonly #burst: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledMs: number;
  #suppressed = 0;

  constructor(burst = DEFAULT_LINE_BURST, intervalMs = DEFAULT_LINE_INTERVAL_MS, now: () => number = () => performance.now()) {
    this.#burst = burst;
    this.#intervalMs = intervalMs;
    this.#now = now;
    this.#tokens = burst;
    this.#refilledMs = now();
  }

  /** Undefined: skip this line. Otherwise the fields to add to it: `{ suppressed }` when lines were skipped before it. */
  take(): { suppressed?: number } | undefined {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#refilledMs) / this.#intervalMs);
    this.#refilledMs = now;
    if (this.#tokens < 1) {
      this.#suppressed += 1;
      return undefined;
    }
    this.#tokens -= 1;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed === 0 ? {} : { suppressed };
  }
}

/** Server-wide lines (a handful per run), never budgeted. */
const SERVER_EVENTS: ReadonlySet<string> = new Set(['server-listening', 'server-reconfigured', 'server-closing', 'server-error']);

/**
 * `logger` with a LineBudget per event name for every per-connection and per-session line (anything
 * but the server-wide events): a flood of connections or requests writes a burst, then one line a
 * second per event, each saying how many were left out.
 */
export function budgetedLogger(logger: ControlLogger | undefined, budget: () => LineBudget = () => new LineBudget()): ControlLogger | undefined {
  if (logger === undefined) return undefined;
  const budgets = new Map<string, LineBudget>();
  const write = (level: 'info' | 'warn', event: string, fields: Readonly<Record<string, unknown>>): void => {
    if (SERVER_EVENTS.has(event)) {
      logger[level](event, fields);
      return;
    }
    let own = budgets.get(event);
    if (own === undefined) {
      own = budget();
      budgets.set(event, own);
    }
    const extra = own.take();
    if (extra === undefined) return;
    logger[level](event, extra.suppressed === undefined ? fields : { ...fields, suppressed: extra.suppressed });
  };
  return {
    info: (event, fields) => {
      write('info', event, fields);
    },
    warn: (event, fields) => {
      write('warn', event, fields);
    },
  };
}

export class LogLimiter {
  readonly #logger: ControlLogger | undefined;
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: ControlLogger | undefined, intervalMs = 1_000) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  warn(event: string, fields: Readonly<Record<string, unknown>>, now: number): void {
    if (this.#logger === undefined) return;
    const last = this.#last.get(event);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed += 1;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(event, { at: now, suppressed: 0 });
    this.#logger.warn(event, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}
