// PBKDF2 for Set-Up-Responses, off the event loop: node:crypto's asynchronous pbkdf2 runs on the
// libuv thread pool. At most `concurrency` derivations run at once and the rest wait in order, so a
// flood of Set-Up-Responses uses at most that many cores, and leaves the event loop (control
// messages, reflectors of the same process) and the rest of the pool (file and DNS work) alone.
import { availableParallelism } from 'node:os';
import { deriveKeyAsync } from '@twamp/wire';

/** One fewer than the cores, at least 1, at most 4 (the default libuv pool size). */
export const DEFAULT_DERIVATION_CONCURRENCY = Math.min(4, Math.max(1, availableParallelism() - 1));

interface Job {
  readonly secret: Uint8Array;
  readonly salt: Uint8Array;
  readonly count: number;
  /** Checked when the job's turn comes: a connection that has gone needs no key. */
  readonly wanted: () => boolean;
  readonly done: (key: Uint8Array | Error) => void;
}

export class KeyDeriver {
  readonly #concurrency: number;
  readonly #queue: Job[] = [];
  #running = 0;

  constructor(concurrency = DEFAULT_DERIVATION_CONCURRENCY) {
    this.#concurrency = concurrency;
  }

  /** Waiting and running derivations. */
  get pending(): number {
    return this.#queue.length + this.#running;
  }

  /**
   * The RFC 4656 §3.1 key (@twamp/wire's deriveKeyAsync). `done` is called once, later, unless
   * `wanted()` is false by then.
   */
  derive(job: Job): void {
    this.#queue.push(job);
    this.#next();
  }

  #next(): void {
    while (this.#running < this.#concurrency) {
      const job = this.#queue.shift();
      if (job === undefined) return;
      if (!job.wanted()) continue;
      this.#running += 1;
      const finished = (key: Uint8Array | Error): void => {
        this.#running -= 1;
        // The callback's own failure must not stop the queue.
        try {
          if (job.wanted()) job.done(key);
        } finally {
          this.#next();
        }
      };
      try {
        deriveKeyAsync(job.secret, job.salt, job.count, finished);
      } catch (error) {
        // A count deriveKey refuses (the server checks it at start): still one answer, later.
        queueMicrotask(() => {
          finished(error instanceof Error ? error : new Error(String(error)));
        });
      }
    }
  }
}
