// Durations in the config file: a number of seconds (`30`, `0.25`) or a number with a unit
// (`250ms`, `30s`, `15m`, `1h`). Everything inside the daemon is in milliseconds.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/;

/** The words used wherever a duration is expected. */
export const DURATION_WORDS = 'a duration: seconds as a number, or a number with a unit (250ms, 30s, 15m, 1h)';

/** Milliseconds for a duration as written in YAML, or undefined when it is not one (negative, NaN, no number...). */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * UNIT_MS.s : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? 's') as Unit;
  const ms = amount * UNIT_MS[unit];
  return Number.isFinite(ms) ? ms : undefined;
}

/** The shortest exact spelling of a duration in ms (`900000` → `15m`), for documentation and examples. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const amount = ms / UNIT_MS[unit];
    if (amount >= 1 && Number.isInteger(amount)) return `${amount}${unit}`;
  }
  return `${ms}ms`;
}
