// When each packet is due. Every send time is planned on an absolute timeline (start + sum of
// planned gaps), never from the time the previous packet really left, so lateness never
// accumulates into drift. Poisson streams draw exponential gaps from a seeded generator so that a
// run can be repeated exactly.
import type { SenderSchedule } from '../types.js';

/**
 * A small seeded generator (splitmix32 stepping, then a 32-bit avalanche), uniform over
 * [0, 1) with 32-bit resolution. Not for cryptography; Math.random() cannot be seeded.
 */
export class SeededUniform {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  nextUint32(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4_294_967_296;
  }
}

/**
 * The planned offsets (ms from the start) of successive send slots. `shift` moves the rest of the
 * timeline later when the sender fell too far behind to catch up (see the sender's catch-up bound).
 */
export class Timeline {
  readonly kind: SenderSchedule['kind'];
  readonly meanIntervalMs: number;
  readonly seed: number | undefined;
  readonly #random: SeededUniform | undefined;
  /** Planned offset of the next slot, ms from the start. */
  #nextMs = 0;
  /** Periodic: slots advanced so far and the total shift, so that offsets are index × interval (no summed rounding). */
  #index = 0;
  #shiftMs = 0;

  constructor(schedule: SenderSchedule) {
    this.kind = schedule.kind;
    if (schedule.kind === 'periodic') {
      this.meanIntervalMs = schedule.intervalMs;
      this.seed = undefined;
      this.#random = undefined;
    } else {
      this.meanIntervalMs = schedule.meanIntervalMs;
      this.seed = schedule.seed;
      this.#random = new SeededUniform(schedule.seed ?? 0);
    }
  }

  /** Planned offset of the next slot (ms from the start); the first slot is at 0. */
  get nextMs(): number {
    return this.#nextMs;
  }

  /** Move to the slot after the current one. */
  advance(): void {
    if (this.#random === undefined) {
      this.#index += 1;
      this.#nextMs = this.#index * this.meanIntervalMs + this.#shiftMs;
    } else {
      this.#nextMs += this.gapMs();
    }
  }

  /** Move the rest of the timeline `ms` later (the sender could not catch up). */
  shift(ms: number): void {
    this.#shiftMs += ms;
    this.#nextMs += ms;
  }

  gapMs(): number {
    const random = this.#random;
    if (random === undefined) return this.meanIntervalMs;
    // Inverse transform: −mean · ln(1 − U) with U in [0, 1) keeps the logarithm finite.
    return -this.meanIntervalMs * Math.log(1 - random.next());
  }
}

/** A random seed for Poisson streams that were given none (reported back so the run can be repeated). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4_294_967_296) >>> 0;
}
