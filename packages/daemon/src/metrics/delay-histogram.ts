// A Prometheus histogram per target whose observe() costs one array scan and three float adds: no
// label object, no label hashing, no allocation per packet.
//
// Why not prom-client's own `histogram.labels(target).observe(v)`: in prom-client 15 the child it
// returns still validates the labels and builds the hash string on every call. Here each target's
// series is a Float64Array that the agent observer resolves once (when the target appears) and keeps;
// the family renders the series in the standard exposition (cumulative `_bucket{le}`, `+Inf`, `_sum`,
// `_count`) at scrape time, through prom-client's Registry like any other metric.
import { Histogram } from 'prom-client';

/** One target's counts: [bucket 0 … bucket n−1, above the last bound, sum, count]. */
export class DelaySeries {
  readonly #bounds: readonly number[];
  readonly values: Float64Array;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.values = new Float64Array(bounds.length + 3);
  }

  /** Count a value (seconds; finite and not negative: the caller decides what may be observed). */
  observe(seconds: number): void {
    const bounds = this.#bounds;
    const values = this.values;
    const n = bounds.length;
    let i = 0;
    while (i < n && seconds > (bounds[i] ?? Infinity)) i++;
    values[i] = (values[i] ?? 0) + 1;
    values[n + 1] = (values[n + 1] ?? 0) + seconds;
    values[n + 2] = (values[n + 2] ?? 0) + 1;
  }

  get count(): number {
    return this.values[this.#bounds.length + 2] ?? 0;
  }

  get sum(): number {
    return this.values[this.#bounds.length + 1] ?? 0;
  }
}

/** What a Registry renders: one line's name, labels and value. */
interface ExpositionValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

interface ExpositionMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly values: ExpositionValue[];
  readonly aggregator: 'sum';
}

/**
 * A histogram family with one label (`target`), registered like a prom-client Histogram; the series
 * live in DelaySeries objects handed out by `series()`.
 */
export class DelayHistogramFamily extends Histogram<'target'> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, DelaySeries>();

  constructor(options: { readonly name: string; readonly help: string; readonly buckets: readonly number[] }) {
    // registers: [] — the owner registers the family with its own Registry, never the global one.
    super({ name: options.name, help: options.help, labelNames: ['target'], buckets: [...options.buckets], registers: [] });
    this.#name = options.name;
    this.#help = options.help;
    this.#bounds = options.buckets;
  }

  /** The target's series, created empty on first use (and then kept by the caller for observe()). */
  series(target: string): DelaySeries {
    let series = this.#series.get(target);
    if (series === undefined) {
      series = new DelaySeries(this.#bounds);
      this.#series.set(target, series);
    }
    return series;
  }

  /** Forget a target's series (it disappears from the next scrape). */
  deleteSeries(target: string): void {
    this.#series.delete(target);
  }

  /** Forget every series. (prom-client's constructor calls reset() before our fields exist.) */
  override reset(): void {
    if (#series in this) this.#series.clear();
    else super.reset();
  }

  get size(): number {
    return this.#series.size;
  }

  /** Read by prom-client's Registry when it renders the text exposition. */
  getForPromString(): Promise<ExpositionMetric> {
    return Promise.resolve(this.#render());
  }

  override get(): ReturnType<Histogram<'target'>['get']> {
    return Promise.resolve(this.#render()) as unknown as ReturnType<Histogram<'target'>['get']>;
  }

  #render(): ExpositionMetric {
    const bounds = this.#bounds;
    const n = bounds.length;
    const bucketName = `${this.#name}_bucket`;
    const values: ExpositionValue[] = [];
    for (const [target, series] of this.#series) {
      const counts = series.values;
      let cumulative = 0;
      for (let i = 0; i < n; i++) {
        cumulative += counts[i] ?? 0;
        values.push({ metricName: bucketName, labels: { target, le: bounds[i] ?? '+Inf' }, value: cumulative });
      }
      values.push({ metricName: bucketName, labels: { target, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.#name}_sum`, labels: { target }, value: series.sum });
      values.push({ metricName: `${this.#name}_count`, labels: { target }, value: series.count });
    }
    return { name: this.#name, help: this.#help, type: 'histogram', values, aggregator: 'sum' };
  }
}
