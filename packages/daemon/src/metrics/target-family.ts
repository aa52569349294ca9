// A metric family with one series (or a few, by a second label from a fixed set) per agent target,
// read from the agent observer's own per-target store.
//
// Why not prom-client's Counter/Gauge/Histogram with a `target` label: at 10 000 targets a scrape has
// ≈ 700 000 lines with histograms on, and prom-client's Registry formats each line through label
// objects, sorting and escaping, in one synchronous run — measured 12 s on a loaded 2-core machine,
// which would stall the agent's schedule and the reflectors for as long. Here each target's label text
// is escaped once, lines are built as strings, and the scrape yields to the event loop every
// YIELD_EVERY targets. The families are still registered in the Registry (so `registry.metrics()` and
// `getMetricsAsJSON()` see them, the slow way); DaemonMetrics.text() takes the fast path.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Gauge } from 'prom-client';

/** Targets rendered between two yields to the event loop. */
const YIELD_EVERY = 100;

/**
 * A sample of one series: name suffix (`_bucket`, `_sum`, ... or ''), value, and the second label.
 * The second label's value comes from a fixed set (`le` bounds, jitter directions) that needs no
 * escaping; only the target name is escaped (once, in TargetEntry.labelText).
 */
export interface SampleSink {
  sample(suffix: string, value: number, label?: string, labelValue?: string): void;
}

/** What a family needs from a target's store entry. */
export interface TargetEntry {
  readonly name: string;
  /** `target="…"`, escaped once. */
  readonly labelText: string;
}

export interface TargetFamilySpec<E extends TargetEntry> {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Labels besides `target` (documentation and validation only). */
  readonly extraLabels?: readonly string[];
  /** The entry's samples (none: the target has no series in this family now). */
  samples(entry: E, sink: SampleSink): void;
}

/** Prometheus text format: a label value escapes backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Same spelling as prom-client for the values it cannot write as numbers. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

class LineSink implements SampleSink {
  lines: string[] = [];
  name = '';
  labelText = '';

  sample(suffix: string, value: number, label?: string, labelValue?: string): void {
    const extra = label === undefined ? '' : `,${label}="${labelValue ?? ''}"`;
    this.lines.push(`${this.name}${suffix}{${this.labelText}${extra}} ${formatValue(value)}`);
  }

  /** The lines so far, each ending with a newline; the sink starts empty again. */
  take(): string {
    if (this.lines.length === 0) return '';
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    return text;
  }
}

interface ExpositionValue {
  readonly metricName: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

class ValueSink implements SampleSink {
  readonly values: ExpositionValue[] = [];
  name = '';
  target = '';

  sample(suffix: string, value: number, label?: string, labelValue?: string): void {
    const labels: Record<string, string> = { target: this.target };
    if (label !== undefined) labels[label] = labelValue ?? '';
    this.values.push({ metricName: `${this.name}${suffix}`, labels, value });
  }
}

/**
 * Registered like a prom-client metric (it extends Gauge only to be one for the Registry's types):
 * its values come from the store, so Gauge's own set()/inc() are not used and would not show.
 */
export class TargetFamily<E extends TargetEntry> extends Gauge {
  readonly #spec: TargetFamilySpec<E>;
  readonly #entries: () => Iterable<E>;

  constructor(spec: TargetFamilySpec<E>, entries: () => Iterable<E>) {
    // registers: [] — the owner registers the family with its own Registry, never the global one.
    super({ name: spec.name, help: spec.help, labelNames: ['target', ...(spec.extraLabels ?? [])], registers: [] });
    this.#spec = spec;
    this.#entries = entries;
  }

  /**
   * The family in the text exposition, as slices that each end with a newline, built between
   * event-loop turns. Each slice is joined as it is done and the whole is never joined here: the HTTP
   * server writes the slices one by one, so no step ever handles the whole family at once.
   */
  async slices(): Promise<string[]> {
    const spec = this.#spec;
    const sink = new LineSink();
    sink.name = spec.name;
    sink.lines.push(`# HELP ${spec.name} ${escapeHelp(spec.help)}`, `# TYPE ${spec.name} ${spec.type}`);
    const slices: string[] = [];
    let done = 0;
    for (const entry of this.#entries()) {
      sink.labelText = entry.labelText;
      spec.samples(entry, sink);
      if (++done % YIELD_EVERY === 0) {
        slices.push(sink.take());
        await yieldToEventLoop();
      }
    }
    slices.push(sink.take());
    return slices.filter((slice) => slice !== '');
  }

  /** prom-client's view (Registry.metrics(), getMetricsAsJSON()): the same samples as objects. */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: ExpositionValue[]; aggregator: 'sum' }> {
    const spec = this.#spec;
    const sink = new ValueSink();
    sink.name = spec.name;
    for (const entry of this.#entries()) {
      sink.target = entry.name;
      spec.samples(entry, sink);
    }
    return Promise.resolve({ name: spec.name, help: spec.help, type: spec.type, values: sink.values, aggregator: 'sum' });
  }

  override get(): ReturnType<Gauge['get']> {
    return this.getForPromString() as unknown as ReturnType<Gauge['get']>;
  }

  /** The store is the agent observer's; nothing to reset here. (prom-client's constructor calls this.) */
  override reset(): void {
    if (!(#spec in this)) super.reset();
  }
}
