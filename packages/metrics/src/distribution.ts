// One measured quantity's distribution in bounded memory: exact while small, a ≤ 1 % histogram after.
// A DistributionSet of one member (see distribution-set.ts for the storage, the bound and the
// percentile definition), for callers that keep distributions one by one.
import { DistributionSet } from './distribution-set.js';
import type { DistributionSummary } from './types.js';

export { nearestRank } from './distribution-set.js';

/** Carries the argument of add(value) to addAt. */
const ADD_SCRATCH = new Float64Array(1);

export class Distribution {
  readonly #limit: number;
  readonly #set: DistributionSet;

  /** @param exactSampleLimit values kept exactly before switching to the histogram (0: histogram from the start). */
  constructor(exactSampleLimit: number) {
    this.#limit = exactSampleLimit;
    this.#set = new DistributionSet(1, exactSampleLimit);
  }

  /** The largest byteLength this distribution can ever reach. */
  static maxByteLength(exactSampleLimit: number): number {
    return DistributionSet.maxByteLength(1, exactSampleLimit);
  }

  get count(): number {
    return this.#set.count(0);
  }

  /** Whether percentiles are still exact. */
  get exact(): boolean {
    return this.#set.exact(0);
  }

  /** Bytes of sample storage currently held (kept values plus histogram); at most maxByteLength. */
  get byteLength(): number {
    return this.#set.byteLength;
  }

  add(value: number): void {
    ADD_SCRATCH[0] = value;
    this.#set.addAt(0, ADD_SCRATCH, 0);
  }

  /** Add values[index] (no argument to box, see packet-values.ts). */
  addAt(values: Float64Array, index: number): void {
    this.#set.addAt(0, values, index);
  }

  /** Add everything `other` holds (same exactSampleLimit), as if its values had been added here. */
  mergeFrom(other: Distribution): void {
    this.#set.mergeMember(0, other.#set, 0);
  }

  /** An independent copy (for summaries that must not disturb this one). */
  clone(): Distribution {
    const copy = new Distribution(this.#limit);
    copy.mergeFrom(this);
    return copy;
  }

  /** Forget every value. Keeps the buffers to avoid reallocating them. */
  reset(): void {
    this.#set.reset();
  }

  /** Summary with the given percentiles (each in (0, 100)). Does not change the distribution. */
  summary(percentiles: readonly number[]): DistributionSummary {
    return this.#set.summary(0, percentiles);
  }
}
