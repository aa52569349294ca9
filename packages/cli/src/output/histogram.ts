// The small round-trip histogram under the human summary. Values go into fixed logarithmic buckets
// (20 per decade from 1 µs to 1000 s, each about 12 % wide) held in one typed array, so a run of any
// length costs the same few kilobytes and adding a value allocates nothing. Rendering merges the
// buckets between the smallest and the largest value into a few rows with a bar each.
import { type Palette, PLAIN } from './color.js';

const BUCKETS_PER_DECADE = 20;
const DECADES = 9;
/** Lower edge of the first bucket: 1 µs in ns. */
const LOWEST_NS = 1000;
/** Below LOWEST_NS (zero or negative values included), the regular buckets, then above 1000 s. */
const BUCKET_COUNT = BUCKETS_PER_DECADE * DECADES + 2;

/** Lower edge of bucket `index` in ns (bucket 0 holds everything below 1 µs). */
function lowerEdgeNs(index: number): number {
  if (index <= 0) return 0;
  return LOWEST_NS * 10 ** ((index - 1) / BUCKETS_PER_DECADE);
}

export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKET_COUNT);
  #total = 0;

  /** Values recorded. */
  get total(): number {
    return this.#total;
  }

  /** Records one delay in ns. NaN and infinities are ignored. */
  add(ns: number): void {
    if (!Number.isFinite(ns)) return;
    let index: number;
    if (ns < LOWEST_NS) {
      index = 0;
    } else {
      index = 1 + Math.floor(Math.log10(ns / LOWEST_NS) * BUCKETS_PER_DECADE);
      if (index >= BUCKET_COUNT) index = BUCKET_COUNT - 1;
    }
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#total += 1;
  }

  /** Non-empty buckets as [lower ns, upper ns, count], in order. Upper is Infinity for the last bucket. */
  buckets(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const count = this.#counts[i] ?? 0;
      if (count === 0) continue;
      const upper = i === BUCKET_COUNT - 1 ? Number.POSITIVE_INFINITY : lowerEdgeNs(i + 1);
      out.push([lowerEdgeNs(i), upper, count]);
    }
    return out;
  }

  /** Index range [first, last] of non-empty buckets, or undefined when empty. */
  range(): readonly [number, number] | undefined {
    let first = -1;
    let last = -1;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      if ((this.#counts[i] ?? 0) === 0) continue;
      if (first < 0) first = i;
      last = i;
    }
    return first < 0 ? undefined : [first, last];
  }

  /** Count of bucket `index`. */
  countAt(index: number): number {
    return this.#counts[index] ?? 0;
  }
}

export interface HistogramRenderOptions {
  /** At most this many rows (default 8). */
  readonly rows?: number;
  /** Width of the longest bar in characters (default 30). */
  readonly width?: number;
  readonly palette?: Palette;
}

/** A bucket edge in ms with three significant digits: 0.0501, 0.100, 0.562, 5.62, 56.2, 562. */
export function formatEdgeMs(ns: number): string {
  if (!Number.isFinite(ns)) return 'inf';
  const ms = ns / 1e6;
  if (ms === 0) return '0';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  // toPrecision keeps trailing zeros (0.100), so that the edges of a column line up by their digits.
  return ms.toPrecision(3);
}

const BAR = '\u2588';

/**
 * The histogram as text lines: a title, then one row per group of buckets, `lower - upper ms |bar
 * count (share)`. Empty when nothing was recorded.
 */
export function formatHistogram(histogram: LatencyHistogram, title: string, options: HistogramRenderOptions = {}): string[] {
  const range = histogram.range();
  if (range === undefined) return [];
  const rows = Math.max(1, options.rows ?? 8);
  const width = Math.max(1, options.width ?? 30);
  const palette = options.palette ?? PLAIN;
  const [first, last] = range;
  const span = last - first + 1;
  const perRow = Math.ceil(span / rows);
  const groups: { lower: number; upper: number; count: number }[] = [];
  for (let start = first; start <= last; start += perRow) {
    const end = Math.min(last, start + perRow - 1);
    let count = 0;
    for (let i = start; i <= end; i++) count += histogram.countAt(i);
    const upper = end === BUCKET_COUNT - 1 ? Number.POSITIVE_INFINITY : lowerEdgeNs(end + 1);
    groups.push({ lower: lowerEdgeNs(start), upper, count });
  }
  const labels = groups.map((g) => [formatEdgeMs(g.lower), formatEdgeMs(g.upper)] as const);
  const lowWidth = Math.max(...labels.map(([low]) => low.length));
  const highWidth = Math.max(...labels.map(([, high]) => high.length));
  const most = Math.max(...groups.map((g) => g.count));
  const countWidth = String(most).length;
  const total = histogram.total;
  const lines = [title];
  groups.forEach((group, i) => {
    const [low, high] = labels[i] ?? ['', ''];
    // A non-empty row always shows at least one block, so that rare outliers stay visible.
    const length = group.count === 0 ? 0 : Math.max(1, Math.round((group.count / most) * width));
    const bar = BAR.repeat(length);
    const share = `${((group.count / total) * 100).toFixed(1)}%`;
    const label = `  ${low.padStart(lowWidth)} - ${high.padStart(highWidth)} ms |`;
    lines.push(`${label}${palette.cyan(bar)}${' '.repeat(width - length)} ${String(group.count).padStart(countWidth)} (${share})`.trimEnd());
  });
  return lines;
}
