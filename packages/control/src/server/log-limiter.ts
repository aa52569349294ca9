// Warnings an attacker can trigger at will (failed authentications, backoffs) are logged at most
// once per interval per event; the next line says how many were left out, so nothing is hidden
// and a flood cannot fill the disk.
import type { ControlLogger } from '../types.js';

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
