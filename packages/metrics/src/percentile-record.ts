// The object a summary maps percentiles to values in (DistributionSummary.percentiles, its JSON form).
/** An array index far past any percentile: see percentileRecord(). */
const SPARSE_INDEX = 1 << 20;

/**
 * An empty object for percentile → value. Its keys (50, 99) are array indexes, for which V8 reserves
 * a fast elements store sized for the largest: about 1.5 KiB for p99, and an agent makes seven of
 * these per window for each of its thousands of targets. An index past V8's sparse threshold, removed
 * at once, leaves the object with a small dictionary instead (about a third of the memory).
 */
export function percentileRecord<K extends number | string, V>(): Record<K, V> {
  const record = {} as Record<K, V>;
  Reflect.set(record, SPARSE_INDEX, 0);
  Reflect.deleteProperty(record, SPARSE_INDEX);
  return record;
}

