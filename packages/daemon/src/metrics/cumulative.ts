// Prometheus counters fed from the listeners' cumulative totals, kept monotonic when a listener
// restarts. A SIGHUP that reopens a listener gives it a fresh stats object starting at zero; a
// counter that went down would read to Prometheus as a reset and to a reader as lost history, so each
// stats object's readings carry an offset: the totals it had reached before it restarted.
//
// A restart is recognised when any reading of one stats object is lower than the last one seen: the
// fields of one object start over together, so all of them get the old totals added. What cannot be
// seen: a restarted listener that passed every old total before the next scrape. Its new counts up to
// the old totals are then missing (the counter runs low, never high and never backwards); scraping
// more often than listeners restart makes this rare.

export class CumulativeGroup {
  readonly #last = new Map<string, number>();
  readonly #offset = new Map<string, number>();

  /**
   * One scrape's readings of every field of one stats object, by field id. Returns the value each
   * field is exported with (reading + offset), in the same order.
   */
  read(readings: readonly (readonly [id: string, value: number])[]): number[] {
    // A reading that is not a finite count (a stats bug) counts as what was last seen: it neither
    // moves the counter nor passes for a restart.
    const values = readings.map(([id, value]) => (Number.isFinite(value) && value >= 0 ? value : (this.#last.get(id) ?? 0)));
    const restarted = readings.some(([id], i) => (values[i] ?? 0) < (this.#last.get(id) ?? 0));
    if (restarted) {
      for (const [id, last] of this.#last) this.#offset.set(id, (this.#offset.get(id) ?? 0) + last);
      this.#last.clear();
    }
    return readings.map(([id], i) => {
      const value = values[i] ?? 0;
      this.#last.set(id, value);
      return (this.#offset.get(id) ?? 0) + value;
    });
  }
}

/** CumulativeGroups by source (a listener's stats object), created on first reading. */
export class CumulativeGroups {
  readonly #groups = new Map<string, CumulativeGroup>();

  group(source: string): CumulativeGroup {
    let group = this.#groups.get(source);
    if (group === undefined) {
      group = new CumulativeGroup();
      this.#groups.set(source, group);
    }
    return group;
  }
}
