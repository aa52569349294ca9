// `--interval-report N`: a summary (sender) or a statistics line (responder, server) every N seconds
// while the command runs. One parser, so the option reads the same on every command.
import { parseDecimalOption } from './numbers.js';

export const MIN_INTERVAL_REPORT_S = 0.01;
export const MAX_INTERVAL_REPORT_S = 86_400;

/** Seconds (fractions allowed, 0.01-86400) as milliseconds; undefined when the option is absent. */
export function parseIntervalReportOption(text: string | undefined, path = '--interval-report'): number | undefined {
  if (text === undefined) return undefined;
  return parseDecimalOption(text, { path, min: MIN_INTERVAL_REPORT_S, max: MAX_INTERVAL_REPORT_S, unit: 'seconds' }) * 1000;
}
