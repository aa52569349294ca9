// `--interval-report N` in human output: one line per window, what the window alone measured.
//   interval 3 at 12.0 s: 10 sent, 10 received, loss 0.00% (outbound 0, inbound 0), rtt min/median/mean/max 0.041/0.055/0.057/0.122 ms, jitter 0.006 ms
import type { SessionSummary } from '@twamp/metrics';
import { formatMs, formatPercent } from './units.js';

function directional(summary: SessionSummary): string {
  const { forwardLost, backwardLost } = summary.loss;
  if (forwardLost === undefined || backwardLost === undefined) return '';
  return ` (outbound ${forwardLost}, inbound ${backwardLost})`;
}

/** The line of window `index`, closed `elapsedMs` after the start of the run. Pure. */
export function formatIntervalLine(index: number, summary: SessionSummary, elapsedMs: number): string {
  const { loss, roundTrip: rt } = summary;
  const delays = `${formatMs(rt.min)}/${formatMs(rt.median)}/${formatMs(rt.mean)}/${formatMs(rt.max)}`;
  return (
    `interval ${index} at ${(elapsedMs / 1000).toFixed(1)} s: ${loss.sent} sent, ${loss.received} received, loss ${formatPercent(loss.lossRatio)}${directional(summary)}` +
    `, rtt min/median/mean/max ${delays} ms, jitter ${formatMs(summary.jitter.roundTrip.rfc3550)} ms` +
    (loss.duplicates > 0 ? `, ${loss.duplicates} duplicates` : '') +
    (summary.reorder.reordered > 0 ? `, ${summary.reorder.reordered} reordered` : '')
  );
}
