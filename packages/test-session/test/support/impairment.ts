// What the impairment relay does to one direction of traffic, without any I/O: for each packet it
// decides (from a seeded generator) whether to drop it, duplicate it, hold it back behind the next
// N packets, and how long to delay it, and it counts what it did. The relay feeds it packets and
// sends what it hands back. Kept apart from the sockets so the decisions can be tested exactly.

import { SeededRandom } from './prng.js';

/** How long a packet is delayed, in milliseconds. */
export type DelayDistribution =
  | { readonly kind: 'none' }
  | { readonly kind: 'constant'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** Normal with a floor: samples below `floorMs` are raised to it (a path cannot be faster than its wire). */
  | { readonly kind: 'normal'; readonly meanMs: number; readonly stddevMs: number; readonly floorMs: number };

/** Impairments of one direction. Probabilities are per packet, 0..1. */
export interface DirectionImpairment {
  readonly drop?: number;
  /** Send a second copy right after the packet. */
  readonly duplicate?: number;
  /** Hold the packet back and release it after the next `after` packets of this direction. */
  readonly reorder?: { readonly probability: number; readonly after: number };
  readonly delay?: DelayDistribution;
}

/** What one direction did, for tests to compare the measured against the actual. */
export interface DirectionCounters {
  /** Packets that entered this direction. */
  readonly received: number;
  readonly dropped: number;
  /** Packets sent twice (each adds one extra packet on the wire). */
  readonly duplicated: number;
  /** Packets held back and released after `after` later packets passed them. */
  readonly reordered: number;
  /** Held packets released by the hold timeout before enough packets passed (not reordered). */
  readonly holdExpired: number;
  /** Packets given a delay above zero. */
  readonly delayed: number;
  /** Packets put on the wire, duplicates included. */
  readonly sent: number;
  /** Packets discarded because the delay queue or the hold list was full. */
  readonly overflow: number;
  readonly sendErrors: number;
  /** How late the single timer released delayed packets, ms: the largest and the sum (mean = sum / delayed). */
  readonly maxLatenessMs: number;
  readonly totalLatenessMs: number;
}

/** A packet leaving the stage: `copies` times (1, or 2 when duplicated), after `delayMs`. */
export interface Release<T> {
  readonly value: T;
  readonly copies: 1 | 2;
  readonly delayMs: number;
}

interface Held<T> {
  readonly value: T;
  readonly copies: 1 | 2;
  readonly delayMs: number;
  /** Packets still to pass before this one is released. */
  remaining: number;
  /** performance.now() ms after which it is released anyway. */
  readonly deadline: number;
}

export interface StageLimits {
  /** Packets held back at once; a packet chosen for reordering beyond it is counted in overflow and dropped. */
  readonly maxHeld: number;
  readonly holdTimeoutMs: number;
}

function checkProbability(name: string, p: number | undefined): number {
  const value = p ?? 0;
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new RangeError(`${name} must be a probability in [0, 1], got ${p}`);
  return value;
}

function checkDelay(delay: DelayDistribution): DelayDistribution {
  const nonNegative = (name: string, x: number): void => {
    if (!Number.isFinite(x) || x < 0) throw new RangeError(`${name} must be a finite number ≥ 0, got ${x}`);
  };
  switch (delay.kind) {
    case 'none':
      break;
    case 'constant':
      nonNegative('delay.ms', delay.ms);
      break;
    case 'uniform':
      nonNegative('delay.minMs', delay.minMs);
      nonNegative('delay.maxMs', delay.maxMs);
      if (delay.maxMs < delay.minMs) throw new RangeError(`delay.maxMs (${delay.maxMs}) is below delay.minMs (${delay.minMs})`);
      break;
    case 'normal':
      nonNegative('delay.meanMs', delay.meanMs);
      nonNegative('delay.stddevMs', delay.stddevMs);
      nonNegative('delay.floorMs', delay.floorMs);
      break;
  }
  return delay;
}

export class ImpairmentStage<T> {
  readonly #random: SeededRandom;
  readonly #drop: number;
  readonly #duplicate: number;
  readonly #reorder: number;
  readonly #reorderAfter: number;
  readonly #delay: DelayDistribution;
  readonly #limits: StageLimits;
  readonly #held: Held<T>[] = [];
  readonly #counters = {
    received: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    holdExpired: 0,
    delayed: 0,
    sent: 0,
    overflow: 0,
    sendErrors: 0,
    maxLatenessMs: 0,
    totalLatenessMs: 0,
  };

  constructor(impairment: DirectionImpairment, seed: number, limits: StageLimits) {
    this.#random = new SeededRandom(seed);
    this.#drop = checkProbability('drop', impairment.drop);
    this.#duplicate = checkProbability('duplicate', impairment.duplicate);
    this.#reorder = checkProbability('reorder.probability', impairment.reorder?.probability);
    const after = impairment.reorder?.after ?? 1;
    if (!Number.isInteger(after) || after < 1) throw new RangeError(`reorder.after must be an integer ≥ 1, got ${after}`);
    this.#reorderAfter = after;
    this.#delay = checkDelay(impairment.delay ?? { kind: 'none' });
    this.#limits = limits;
  }

  get counters(): DirectionCounters {
    return { ...this.#counters };
  }

  /** Packets held back now. */
  get holding(): number {
    return this.#held.length;
  }

  /** Earliest hold deadline, or undefined when nothing is held. */
  get nextHoldDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const held of this.#held) if (earliest === undefined || held.deadline < earliest) earliest = held.deadline;
    return earliest;
  }

  /**
   * Take one packet. Returns the packets that leave the stage now, in order: this one (unless it
   * was dropped or held), then any held packet it was the last to pass.
   *
   * Every packet draws the same four values (drop, duplicate, reorder, delay) whatever the settings,
   * so the n-th packet's fate depends only on the seed and n.
   */
  admit(value: T, now: number): Release<T>[] {
    this.#counters.received += 1;
    const dropDraw = this.#random.next();
    const duplicateDraw = this.#random.next();
    const reorderDraw = this.#random.next();
    const delayMs = this.#sampleDelay();
    if (dropDraw < this.#drop) {
      this.#counters.dropped += 1;
      return [];
    }
    const copies: 1 | 2 = duplicateDraw < this.#duplicate ? 2 : 1;
    if (copies === 2) this.#counters.duplicated += 1;
    if (reorderDraw < this.#reorder) {
      if (this.#held.length >= this.#limits.maxHeld) {
        this.#counters.overflow += 1;
        return [];
      }
      this.#held.push({ value, copies, delayMs, remaining: this.#reorderAfter, deadline: now + this.#limits.holdTimeoutMs });
      return [];
    }
    const out: Release<T>[] = [{ value, copies, delayMs }];
    // This packet passed every held one; those that have now been passed by enough follow it.
    for (let i = 0; i < this.#held.length; ) {
      const held = this.#held[i]!;
      held.remaining -= 1;
      if (held.remaining <= 0) {
        this.#held.splice(i, 1);
        this.#counters.reordered += 1;
        out.push({ value: held.value, copies: held.copies, delayMs: held.delayMs });
      } else {
        i += 1;
      }
    }
    return out;
  }

  /** Release held packets whose hold timeout has passed (counted in holdExpired). */
  expireHeld(now: number): Release<T>[] {
    const out: Release<T>[] = [];
    for (let i = 0; i < this.#held.length; ) {
      const held = this.#held[i]!;
      if (held.deadline <= now) {
        this.#held.splice(i, 1);
        this.#counters.holdExpired += 1;
        out.push({ value: held.value, copies: held.copies, delayMs: held.delayMs });
      } else {
        i += 1;
      }
    }
    return out;
  }

  /** Forget held packets (closing). Returns how many. */
  discardHeld(): number {
    return this.#held.splice(0).length;
  }

  // The relay reports what happened to the packets it was handed back.
  noteDelayed(): void {
    this.#counters.delayed += 1;
  }

  noteSent(): void {
    this.#counters.sent += 1;
  }

  noteOverflow(): void {
    this.#counters.overflow += 1;
  }

  noteSendError(): void {
    this.#counters.sendErrors += 1;
  }

  noteLateness(ms: number): void {
    const late = Math.max(0, ms);
    this.#counters.totalLatenessMs += late;
    if (late > this.#counters.maxLatenessMs) this.#counters.maxLatenessMs = late;
  }

  #sampleDelay(): number {
    // Two draws always (the normal's pair), so the number of draws per packet never changes.
    const a = this.#random.next();
    const b = this.#random.next();
    const delay = this.#delay;
    switch (delay.kind) {
      case 'none':
        return 0;
      case 'constant':
        return delay.ms;
      case 'uniform':
        return delay.minMs + (delay.maxMs - delay.minMs) * a;
      case 'normal': {
        const z = Math.sqrt(-2 * Math.log(1 - a)) * Math.cos(2 * Math.PI * b);
        return Math.max(delay.floorMs, delay.meanMs + delay.stddevMs * z);
      }
    }
  }
}
