// The pure pieces of the sender's output: histogram, twampy -v lines, progress line, interval lines,
// CSV rows, JSON Lines records, colour.
import { describe, expect, it } from 'vitest';
import { ANSI, choosePalette, noColorRequested, PLAIN, stripAnsi } from '../src/output/color.js';
import { CSV_COLUMNS, csvHeader, csvLostRow, csvPacketRow } from '../src/output/csv.js';
import { formatEdgeMs, formatHistogram, LatencyHistogram } from '../src/output/histogram.js';
import { formatIntervalLine } from '../src/output/interval-line.js';
import { formatLostLine, formatReplyLine, twampyPrefix } from '../src/output/packet-lines.js';
import { formatProgress, ProgressLine } from '../src/output/progress.js';
import { intervalRecord, lostRecord, packetRecord, summaryRecord } from '../src/output/records.js';
import { senderJson } from '../src/output/sender-json.js';
import { formatSenderSummary } from '../src/output/sender-summary.js';
import { fixedReport, fixedSummary } from './report-fixture.js';
import { JSON_SETTINGS, packetResult } from './output-support.js';

describe('LatencyHistogram and formatHistogram', () => {
  it('puts values into log buckets and draws a few rows with bars, counts and shares', () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 90; i++) histogram.add(50_000 + i * 100);
    for (let i = 0; i < 9; i++) histogram.add(200_000);
    histogram.add(2_000_000);
    histogram.add(Number.NaN);
    expect(histogram.total).toBe(100);
    const lines = formatHistogram(histogram, 'round-trip histogram (100 replies):', { rows: 4, width: 10 });
    expect(lines[0]).toBe('round-trip histogram (100 replies):');
    expect(lines).toHaveLength(5);
    // The busiest row has the full bar; every non-empty row at least one block.
    expect(lines[1]).toBe('  0.0447 - 0.126 ms |██████████ 90 (90.0%)');
    expect(lines.at(-1)).toMatch(/ms \|█ +1 \(1\.0%\)$/);
    expect(lines.slice(1).every((line) => line.includes(' ms |'))).toBe(true);
  });

  it('shows one row per bucket when there are few, nothing when empty, and handles extremes', () => {
    const one = new LatencyHistogram();
    one.add(123_456);
    expect(formatHistogram(one, 't')).toEqual(['t', expect.stringMatching(/^ {2}0\.\d+ - 0\.\d+ ms \|█{30} 1 \(100\.0%\)$/)]);
    expect(formatHistogram(new LatencyHistogram(), 't')).toEqual([]);
    const extremes = new LatencyHistogram();
    extremes.add(-5);
    extremes.add(1e13);
    const buckets = extremes.buckets();
    expect(buckets[0]).toEqual([0, 1000, 1]);
    expect(buckets[1]?.[1]).toBe(Number.POSITIVE_INFINITY);
    expect(formatHistogram(extremes, 't', { rows: 2 }).at(-1)).toMatch(/- +inf ms \|/);
  });

  it('labels edges with three significant digits', () => {
    expect([0, 50_100, 100_000, 562_000, 5_623_000, 56_230_000, 562_300_000].map(formatEdgeMs)).toEqual(['0', '0.0501', '0.100', '0.562', '5.62', '56.2', '562']);
  });

  it('colours the bars only, after padding', () => {
    const histogram = new LatencyHistogram();
    histogram.add(100_000);
    const [, row = ''] = formatHistogram(histogram, 't', { palette: ANSI, width: 4 });
    expect(row).toContain('\u001b[36m████\u001b[39m');
    expect(stripAnsi(row)).toBe(formatHistogram(histogram, 't', { width: 4 })[1]);
  });
});

describe('-v lines in twampy format', () => {
  const at = new Date(2026, 10, 26, 4, 1, 2, 5).getTime();

  it('prefixes like twampy: yy/mm/dd HH:MM:SS,ms (left-aligned in 3) and the level padded to 8', () => {
    expect(twampyPrefix(at, 'INFO')).toBe('26/11/26 04:01:02,5   INFO     ');
    expect(twampyPrefix(new Date(2026, 0, 2, 3, 4, 5, 678).getTime(), 'WARNING')).toBe('26/01/02 03:04:05,678 WARNING  ');
  });

  it("prints twampy's Reply line with delays in ms, two decimals", () => {
    expect(formatReplyLine(packetResult({ rtt: 211_000, forward: 104_900, backward: -3_000 }), '127.0.0.1', at)).toBe(
      '26/11/26 04:01:02,5   INFO     Reply from 127.0.0.1 [rseq=6 sseq=7 rtt=0.21ms outbound=0.10ms inbound=0.00ms]',
    );
    expect(formatReplyLine(packetResult({ forward: -1_500_000, disposition: 'duplicate' }), '::1', at)).toMatch(/outbound=-1\.50ms inbound=0\.03ms\] duplicate$/);
    expect(formatLostLine(9, '127.0.0.1', 2000, at)).toBe('26/11/26 04:01:02,5   WARNING  No reply from 127.0.0.1 [sseq=9] within 2000 ms');
  });
});

describe('progress line', () => {
  it('formats what the run did so far', () => {
    expect(formatProgress({ elapsedMs: 12_340, sent: 123, received: 119, lost: 1, lastRttNs: 123_456 })).toBe(
      '12.3 s: sent 123, received 119, lost 1 (0.83%), rtt 0.123 ms',
    );
    expect(formatProgress({ elapsedMs: 500, sent: 0, received: 0, lost: 0, lastRttNs: undefined })).toBe('500 ms: sent 0, received 0, lost 0 (-), rtt - ms');
  });

  it('rewrites one line in place, cut to the terminal width, and clears it once', () => {
    let written = '';
    const line = new ProgressLine({ write: (text: string) => (written += text) }, 11);
    line.clear();
    expect(written).toBe('');
    line.update('0123456789abcdef');
    line.update('short');
    line.clear();
    line.clear();
    expect(written).toBe('\r0123456789\u001b[K\rshort\u001b[K\r\u001b[K');
  });
});

describe('interval line', () => {
  it('says what the window measured, with loss per direction when known', () => {
    expect(formatIntervalLine(2, fixedSummary(), 3_000)).toBe(
      'interval 2 at 3.0 s: 10 sent, 9 received, loss 10.00% (outbound 0, inbound 1), rtt min/median/mean/max 0.041/0.055/0.057/0.122 ms, jitter 0.006 ms, 2 duplicates, 1 reordered',
    );
    const base = fixedSummary();
    const stateless = fixedSummary({ loss: { ...base.loss, forwardLost: undefined, backwardLost: undefined, duplicates: 0 }, reorder: { reordered: 0, ratio: 0, maxExtent: undefined } });
    expect(formatIntervalLine(0, stateless, 1_000)).toMatch(/loss 10\.00%, rtt .* jitter 0\.006 ms$/);
  });
});

describe('CSV', () => {
  it('has a header row and one row per reply or loss, every column in place', () => {
    expect(csvHeader()).toBe(CSV_COLUMNS.join(','));
    const row = csvPacketRow(packetResult({ replyTtl: undefined }), 1_790_000_000);
    // T1 is epoch + 1 ms, as a double: the last decimals are the double's, not ours.
    expect(row).toMatch(/^7,6,counted,1790000000\.00\d{7},0\.056,0\.03,0\.026,0\.005,255,255,,136,136,136,41,41$/);
    expect(row.split(',')).toHaveLength(CSV_COLUMNS.length);
    expect(csvPacketRow(packetResult(), undefined).split(',')[3]).toBe('');
    expect(csvLostRow(12)).toBe(`12,,lost${','.repeat(CSV_COLUMNS.length - 3)}`);
    expect(csvLostRow(12).split(',')).toHaveLength(CSV_COLUMNS.length);
  });
});

describe('JSON Lines records', () => {
  it('builds packet, lost, interval and summary records', () => {
    const packet = packetRecord(packetResult(), 1_790_000_000);
    expect(packet).toMatchObject({ schemaVersion: 1, record: 'packet', sequence: 7, disposition: 'counted', rttMs: 0.056, outboundMs: 0.03, replyOctets: 41 });
    expect(packet.t1).toBeCloseTo(1_790_000_000.001, 6);
    expect(packetRecord(packetResult({ sentTtl: undefined }), undefined)).toMatchObject({ t1: null, t4: null, sentTtl: null });
    expect(lostRecord(3, Date.UTC(2026, 10, 26, 3, 0, 1))).toEqual({ schemaVersion: 1, record: 'lost', sequence: 3, at: '2026-11-26T03:00:01.000Z' });
    const interval = intervalRecord(1, fixedSummary(), Date.UTC(2026, 10, 26, 3, 0, 2));
    expect(interval).toMatchObject({ record: 'interval', index: 1, packets: { sent: 10, received: 9, lost: 1, outboundLost: 0, inboundLost: 1 } });
    expect(interval.delayMs.roundTrip.min).toBe(0.041);
    const summary = summaryRecord(senderJson(fixedReport(), JSON_SETTINGS, []));
    expect(Object.keys(summary).slice(0, 3)).toEqual(['schemaVersion', 'record', 'command']);
  });
});

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR or --no-color, never on a dumb terminal', () => {
    expect(choosePalette({ allowed: true, isTTY: true })).toBe(ANSI);
    expect(choosePalette({ allowed: true, isTTY: false })).toBe(PLAIN);
    expect(choosePalette({ allowed: false, isTTY: true })).toBe(PLAIN);
    expect(choosePalette({ allowed: true, isTTY: true, term: 'dumb' })).toBe(PLAIN);
    expect(noColorRequested({ NO_COLOR: '1' })).toBe(true);
    expect(noColorRequested({ NO_COLOR: '' })).toBe(false);
    expect(noColorRequested({})).toBe(false);
  });

  it('colours the summary without moving a column', () => {
    const plain = formatSenderSummary(fixedReport(), { percentiles: [90] });
    const coloured = formatSenderSummary(fixedReport(), { percentiles: [90], palette: ANSI });
    expect(coloured).not.toBe(plain);
    expect(coloured).toContain('\u001b[31m1/10 (10.00%)\u001b[39m');
    expect(coloured).toContain('\u001b[33mwarning:');
    expect(stripAnsi(coloured)).toBe(plain);
  });
});

describe('formatSenderSummary extras', () => {
  it('draws the histogram under the table', () => {
    const histogram = new LatencyHistogram();
    for (const ns of [41_000, 55_000, 57_000, 122_000]) histogram.add(ns);
    const text = formatSenderSummary(fixedReport(), { histogram });
    expect(text).toMatch(/^delays in ms; jitter: .*\n\nround-trip histogram \(4 replies\):\n {2}0\.0\d+ - /m);
    expect(text.indexOf('round-trip histogram')).toBeLessThan(text.indexOf('packets:'));
  });

  it('-q keeps the title, the table and the warning only', () => {
    const histogram = new LatencyHistogram();
    histogram.add(41_000);
    const text = formatSenderSummary(fixedReport(), { brief: true, histogram });
    expect(text).toContain('round trip');
    expect(text).toContain('warning: outbound* and inbound* delays are unreliable');
    expect(text).not.toMatch(/histogram|packets:|hops:|clock:/);
  });
});
