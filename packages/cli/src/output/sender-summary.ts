// The sender's text summary: one table with a row per direction, then the lines that qualify it
// (packets, hops, DSCP/ECN, reflector processing, timestamp sources, clocks), then a plain warning
// when one-way figures cannot be trusted. Pure: a SenderReport in, text out.
import { formatEndpoint } from '@twamp/errors';
import type { DistributionSummary, HopsSummary, JitterSummary, OneWaySummary, SessionSummary, TosChangeSummary } from '@twamp/metrics';
import type { SenderReport } from '@twamp/test-session';
import { dscpOfTos, ecnName, ecnOfTos, formatDscp } from '@twamp/wire';
import { type Palette, PLAIN } from './color.js';
import { formatHistogram, type LatencyHistogram } from './histogram.js';
import { implementationDescription, protocolName, timestampSourceName } from './names.js';
import { stampReflectorWarning } from './stamp-reflector.js';
import { alignColumns, formatDuration, formatMs, formatPercent, NOT_MEASURED, percentileLabel } from './units.js';

export interface SenderSummaryOptions {
  /** Extra percentile columns, in the order shown. */
  readonly percentiles?: readonly number[];
  /** Round-trip times of the run, drawn as a small histogram under the table. */
  readonly histogram?: LatencyHistogram;
  /** Colour for a terminal; default none. */
  readonly palette?: Palette;
  /** `-q`: the title, the table and the warnings only (no histogram, no qualifying lines). */
  readonly brief?: boolean;
}

/** Percentile columns the commands show when --percentiles is not given (the engine computes them by default). */
export const DEFAULT_SUMMARY_PERCENTILES: readonly number[] = [90, 99];

/** How the jitter column is defined; printed under the table and stated in the JSON. */
export const JITTER_DEFINITION = 'RFC 3550 interarrival jitter (running mean of |D(i-1,i)| with gain 1/16)';

const UNRELIABLE_MARK = '*';
/** Width of the qualifying lines' labels (`clock:` and the rest), so continuation lines align. */
const LABEL_WIDTH = 12;

/** Values shown that cannot be trusted (no values: nothing to warn about). */
function isUnreliable(d: OneWaySummary): boolean {
  return d.count > 0 && !d.reliable;
}

function lossCell(lost: number | undefined, of: number, ratio?: number): string {
  if (lost === undefined) return 'unknown';
  const share = ratio ?? (of > 0 ? lost / of : undefined);
  return `${lost}/${of} (${formatPercent(share)})`;
}

function distributionCells(d: DistributionSummary, jitter: JitterSummary, percentiles: readonly number[]): string[] {
  return [
    formatMs(d.min),
    formatMs(d.median),
    formatMs(d.mean),
    formatMs(d.max),
    formatMs(d.stddev),
    ...percentiles.map((p) => formatMs(d.percentiles[p])),
    formatMs(jitter.rfc3550),
  ];
}

function tableLines(summary: SessionSummary, percentiles: readonly number[], palette: Palette): string[] {
  const { loss } = summary;
  const mark = (d: OneWaySummary): string => (isUnreliable(d) ? UNRELIABLE_MARK : '');
  // Per-direction loss needs a stateful reflector; the inbound share is of what reached the reflector.
  const reachedReflector = loss.forwardLost === undefined ? loss.sent : loss.sent - loss.forwardLost;
  const header = ['', 'min', 'median', 'mean', 'max', 'stddev', ...percentiles.map(percentileLabel), 'jitter', 'loss'];
  const rows = [
    header,
    [
      `outbound${mark(summary.forward)}`,
      ...distributionCells(summary.forward, summary.jitter.forward, percentiles),
      lossCell(loss.forwardLost, loss.sent),
    ],
    [
      `inbound${mark(summary.backward)}`,
      ...distributionCells(summary.backward, summary.jitter.backward, percentiles),
      lossCell(loss.backwardLost, reachedReflector),
    ],
    [
      'round trip',
      ...distributionCells(summary.roundTrip, summary.jitter.roundTrip, percentiles),
      lossCell(loss.lost, loss.sent, loss.lossRatio),
    ],
  ];
  const aligned = alignColumns(rows);
  if (!palette.enabled) return aligned;
  // Colour goes on after alignment: escapes would count as width. The loss cell ends each row.
  const lost = [loss.forwardLost, loss.backwardLost, loss.lost];
  return aligned.map((line, i) => {
    if (i === 0) return palette.dim(line);
    const cell = rows[i]?.at(-1) ?? '';
    const count = lost[i - 1];
    if (count === undefined || count === 0 || !line.endsWith(cell)) return line;
    return `${line.slice(0, line.length - cell.length)}${palette.red(cell)}`;
  });
}

function hopsText(hops: HopsSummary['forward']): string {
  if (hops === undefined) return 'unknown';
  return hops.min === hops.max ? `${hops.mode} hops` : `${hops.mode} hops (${hops.min}-${hops.max})`;
}

function tosValue(tos: number): string {
  return `${formatDscp(dscpOfTos(tos))} ${ecnName(ecnOfTos(tos))}`;
}

function tosDirection(dscpChanged: number | undefined, ecnChanged: number | undefined, last: TosChangeSummary['forwardLast']): string {
  if (dscpChanged === undefined || last === undefined) return 'unknown';
  const changes =
    dscpChanged === 0 && (ecnChanged ?? 0) === 0
      ? 'unchanged'
      : `DSCP changed on ${dscpChanged}, ECN on ${ecnChanged ?? NOT_MEASURED} packets`;
  return `${changes} (${tosValue(last.sent)} -> ${tosValue(last.received)})`;
}

/** A claim without bound (the largest Error Estimate, which unsynchronised clocks send) is Infinity: "unbounded", as JSON's null. */
function formatClaimedError(seconds: number): string {
  if (seconds === Infinity) return 'unbounded';
  if (seconds < 1) return `${formatMs(seconds * 1e9)} ms`;
  if (seconds < 86_400) return `${seconds.toFixed(1)} s`;
  return `${Math.round(seconds / 86_400)} days`;
}

function clockLine(report: SenderReport): string {
  const verdict = report.summary.clock;
  const parts = [
    `sender ${report.clock.synchronized ? 'synchronised' : 'not synchronised'} (${report.clock.source})`,
    `both ends synchronised: ${verdict.bothSynchronized ? 'yes' : 'no'}`,
  ];
  if (verdict.claimedErrorSeconds !== undefined) parts.push(`claimed error ${formatClaimedError(verdict.claimedErrorSeconds)}`);
  if (verdict.offsetEstimate !== undefined) {
    parts.push(`offset estimate (reflector - sender) ${formatMs(verdict.offsetEstimate)} ms +/- ${formatMs(verdict.offsetBound)} ms`);
  }
  return parts.join('; ');
}

/** The summary of a sender run as text lines (no trailing newline). */
export function formatSenderSummary(report: SenderReport, options: SenderSummaryOptions = {}): string {
  const percentiles = options.percentiles ?? [];
  const palette = options.palette ?? PLAIN;
  const { summary } = report;
  const { loss, reorder } = summary;
  const title = `${protocolName(report.protocol)} ${formatEndpoint(report.local.address, report.local.port)} -> ${formatEndpoint(report.target.address, report.target.port)}: ${loss.sent} sent, ${loss.received} received in ${formatDuration(report.durationMs)}${report.aborted ? ' (interrupted: partial summary)' : ''}`;
  const lines = [palette.bold(title), '', ...tableLines(summary, percentiles, palette)];
  lines.push(`delays in ms; jitter: ${JITTER_DEFINITION}`);
  if (options.brief === true) {
    lines.push(...warningLines(report, palette));
    return lines.join('\n');
  }
  lines.push('');
  if (options.histogram !== undefined && options.histogram.total > 0) {
    lines.push(...formatHistogram(options.histogram, `round-trip histogram (${options.histogram.total} replies):`, { palette }), '');
  }
  const label = (name: string): string => `${name}:`.padEnd(LABEL_WIDTH);
  lines.push(
    `${label('packets')}${loss.duplicates} duplicates, ${loss.late} late, ${reorder.reordered} reordered (${formatPercent(reorder.ratio)}, max extent ${reorder.maxExtent ?? NOT_MEASURED})` +
      (loss.evicted > 0 ? `, ${loss.evicted} lost for want of in-flight slots` : '') +
      (loss.unknown > 0 ? `, ${loss.unknown} replies to unknown sequence numbers` : '') +
      (report.malformedReplies > 0 ? `, ${report.malformedReplies} malformed replies` : '') +
      (report.sendErrors > 0 ? `, ${report.sendErrors} send errors` : ''),
  );
  lines.push(`${label('hops')}outbound ${hopsText(summary.hops.forward)}, inbound ${hopsText(summary.hops.backward)}`);
  const tos = summary.tos;
  lines.push(
    `${label('DSCP/ECN')}outbound ${tosDirection(tos.forwardDscpChanged, tos.forwardEcnChanged, tos.forwardLast)}; inbound ${tosDirection(tos.backwardDscpChanged, tos.backwardEcnChanged, tos.backwardLast)}`,
  );
  const p = summary.processing;
  lines.push(`${label('reflector')}processing time (T3 - T2) min ${formatMs(p.min)} / median ${formatMs(p.median)} / mean ${formatMs(p.mean)} / max ${formatMs(p.max)} ms`);
  lines.push(`${label('timestamps')}T1 ${timestampSourceName(report.timestamps.t1)}, T4 ${timestampSourceName(report.timestamps.t4)}; ${implementationDescription(report.capabilities)}`);
  lines.push(`${label('clock')}${clockLine(report)}`);
  // One clock read at both ends: the one-way delays hold no offset, whatever the clocks claim about UTC.
  if (summary.clock.sharedClock && summary.clock.oneWayReliable) lines.push(`${' '.repeat(LABEL_WIDTH)}same host, same clock: one-way delays are valid`);
  lines.push(...warningLines(report, palette));
  return lines.join('\n');
}

/** The plain warnings: one-way figures that cannot be trusted (with the reasons), a reflector that is not what STAMP asked for. */
function warningLines(report: SenderReport, palette: Palette): string[] {
  const { summary } = report;
  const lines: string[] = [];
  const unreliable = [isUnreliable(summary.forward) ? 'outbound' : undefined, isUnreliable(summary.backward) ? 'inbound' : undefined].filter(
    (name) => name !== undefined,
  );
  if (unreliable.length > 0) {
    const names = unreliable.map((name) => `${name}${UNRELIABLE_MARK}`).join(' and ');
    const why = summary.clock.sharedClock
      ? 'both ends read one clock, but it moved during the run'
      : 'they include the unknown offset between the two clocks';
    lines.push(palette.yellow(`warning: ${names} delays are unreliable: ${why}; trust the round trip.`));
    for (const reason of summary.clock.reasons) lines.push(`  - ${reason}`);
  }
  const stamp = stampReflectorWarning(report);
  if (stamp !== undefined) lines.push(palette.yellow(stamp));
  return lines;
}
