// A deadline for waits on the engine, which may be moved while waiting. Timers hold at most
// 2^31 − 1 ms (about 24.8 days; longer values fire at once), so long deadlines re-arm in steps.
import { performance } from 'node:perf_hooks';

const MAX_TIMER_MS = 2_147_483_647;

export class Watchdog {
  /** Rejects with the error of the deadline that passed; never resolves. */
  readonly expired: Promise<never>;
  #reject: (error: Error) => void = () => undefined;
  #timer: NodeJS.Timeout | undefined;
  #due = Number.POSITIVE_INFINITY;
  #error: () => Error = () => new Error('deadline passed');

  constructor() {
    this.expired = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    // Handled by whoever races it; this keeps an unraced expiry from being an unhandled rejection.
    this.expired.catch(() => undefined);
  }

  /** Expire `ms` from now with `error()`, unless an earlier deadline is already set. */
  arm(ms: number, error: () => Error): void {
    const due = performance.now() + ms;
    if (due >= this.#due) return;
    this.#due = due;
    this.#error = error;
    this.#schedule();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = Number.POSITIVE_INFINITY;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const left = this.#due - performance.now();
    if (left <= 0) {
      this.#timer = undefined;
      this.#reject(this.#error());
      return;
    }
    this.#timer = setTimeout(() => {
      this.#schedule();
    }, Math.min(Math.ceil(left), MAX_TIMER_MS));
  }
}
