// Number formatting shared by every text output: delays in milliseconds with microsecond precision,
// ratios as percentages, and "-" for what was not measured.

export const NOT_MEASURED = '-';

/** Nanoseconds as milliseconds with three decimals (microsecond precision): 1234567 → `1.235`. */
export function formatMs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return NOT_MEASURED;
  const text = (ns / 1e6).toFixed(3);
  // A value that rounds to zero carries no sign worth showing.
  return text === '-0.000' ? '0.000' : text;
}

/** 0..1 as `0.25%` (two decimals). */
export function formatPercent(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return NOT_MEASURED;
  return `${(ratio * 100).toFixed(2)}%`;
}

/** A duration in ms as `850 ms`, `12.3 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `p99`, `p99.9`: the column name of a percentile. */
export function percentileLabel(p: number): string {
  return `p${p}`;
}

/** Right-aligns every column after the first (left-aligned), two spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
