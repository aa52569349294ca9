// Everything a sender run prints while it runs and at its end, for `twamp sender`, `twamp controller`
// and `twamp demo` alike. One object per run sees every event of the Session-Sender and decides, from
// the output plan, what goes where:
//
//   format  stdout                                   stderr
//   text    summary (+ histogram), interval lines,   start line, progress line (terminal only)
//           -v per-packet lines
//   json    one JSON object at the end               start line, interval lines, -v lines
//   jsonl   packet/lost/interval records, summary    start line, -v lines
//   csv     header and one row per packet            start line, interval lines, -v lines, summary
//
// -q drops the start line, the progress line, the histogram and the qualifying lines of the text
// summary (its title, table and warnings stay); machine-readable output is never cut.
import type { SenderEvent, SenderReport, SessionSenderApi } from '@twamp/test-session';
import type { CliIo, CliWriter } from '../io.js';
import { choosePalette, type Palette } from './color.js';
import { csvHeader, csvLostRow, csvPacketRow } from './csv.js';
import { LatencyHistogram } from './histogram.js';
import { formatIntervalLine } from './interval-line.js';
import { formatLostLine, formatReplyLine } from './packet-lines.js';
import { formatProgress, PROGRESS_MIN_RUN_MS, PROGRESS_REFRESH_MS, ProgressLine } from './progress.js';
import { intervalRecord, lostRecord, packetRecord, summaryRecord } from './records.js';
import type { SenderJson } from './sender-json.js';
import { formatSenderSummary } from './sender-summary.js';

/** What stdout carries. */
export type OutputFormat = 'text' | 'json' | 'jsonl' | 'csv';

export type OutputVerbosity = 'quiet' | 'normal' | 'verbose';

export interface RunOutputPlan {
  readonly format: OutputFormat;
  readonly verbosity: OutputVerbosity;
  /** Colour allowed by --no-color and NO_COLOR; a stream also has to be a terminal to get it. */
  readonly colorAllowed: boolean;
  /** Percentile columns of the text table. */
  readonly tablePercentiles: readonly number[];
  /** The address replies come from, for -v lines. */
  readonly peer: string;
  readonly lossTimeoutMs: number;
  /** How long the run should take (Infinity: until stopped); decides the progress line. */
  readonly expectedRunMs: number;
  /** The engine emits interval summaries (--interval-report). */
  readonly intervals: boolean;
}

/**
 * Where status lines go: the command's log (which also appends them to a -l file). `info` is a status
 * line on stderr, `detail` a -v line, `warn` a warning that -q does not silence.
 */
export interface OutputLog {
  info(line: string): void;
  warn(line: string): void;
  /** A -v line (and to the -l file); without it -v lines go straight to the stream. */
  detail?(line: string): void;
}

/** A plain log on the io's stderr (for callers without a command log). */
export function stderrLog(io: CliIo, quiet: boolean): OutputLog {
  return {
    info: (line) => {
      if (!quiet) io.stderr.write(`${line}\n`);
    },
    warn: (line) => io.stderr.write(`${line}\n`),
  };
}

/** The facts of a run the output needs that only the end knows. */
export interface FinishInput {
  readonly report: SenderReport;
  /** The --json object for this run (built only when printed). */
  readonly json: () => SenderJson;
  /** Lines added under the text summary (the controller's control-session facts). */
  readonly extraText?: string;
}

export class RunOutput {
  readonly #plan: RunOutputPlan;
  readonly #io: CliIo;
  readonly #log: OutputLog;
  readonly #now: () => number;
  readonly #stdoutPalette: Palette;
  readonly #stderrPalette: Palette;
  readonly #histogram: LatencyHistogram | undefined;
  readonly #progress: ProgressLine | undefined;
  /** Where -v lines and, outside text mode, interval lines go. */
  readonly #side: CliWriter;
  #progressTimer: NodeJS.Timeout | undefined;
  #epochUnixSeconds: number | undefined;
  #startedAtMs: number;
  #sent = 0;
  #received = 0;
  #lost = 0;
  #lastRttNs: number | undefined;

  constructor(plan: RunOutputPlan, io: CliIo, log: OutputLog) {
    this.#plan = plan;
    this.#io = io;
    this.#log = log;
    this.#now = io.now ?? Date.now;
    this.#startedAtMs = this.#now();
    const term = process.env['TERM'];
    this.#stdoutPalette = choosePalette({ allowed: plan.colorAllowed, isTTY: io.isTTY?.stdout ?? false, term });
    this.#stderrPalette = choosePalette({ allowed: plan.colorAllowed, isTTY: io.isTTY?.stderr ?? false, term });
    const human = plan.format === 'text' || plan.format === 'csv';
    this.#histogram = human && plan.verbosity !== 'quiet' ? new LatencyHistogram() : undefined;
    const progress = (io.isTTY?.stderr ?? false) && plan.verbosity === 'normal' && plan.expectedRunMs > PROGRESS_MIN_RUN_MS;
    this.#progress = progress ? new ProgressLine(io.stderr, io.columns) : undefined;
    this.#side = plan.format === 'text' ? io.stdout : io.stderr;
  }

  /** Counts a packet that left (the sender's onSendTiming hook: called on the send path, so only a counter). */
  readonly onSent = (): void => {
    this.#sent += 1;
  };

  /** A status line on stderr (unless -q), e.g. the start line. */
  info(line: string): void {
    this.#progress?.clear();
    this.#log.info(line);
  }

  warn(line: string): void {
    this.#progress?.clear();
    this.#log.warn(line);
  }

  /**
   * Whether the run needs the sender's events: a subscriber costs the engine an object per reply, so a
   * plain --json run without intervals goes without.
   */
  get wantsEvents(): boolean {
    const p = this.#plan;
    return p.format !== 'json' || p.verbosity === 'verbose' || p.intervals || this.#histogram !== undefined || this.#progress !== undefined;
  }

  /** Subscribes to the sender's events and starts the progress line. Call right after open(). */
  attach(sender: SessionSenderApi): void {
    this.#startedAtMs = this.#now();
    // The class exposes the run's epoch; the interface does not promise it (scripted engines).
    const epoch = (sender as Partial<Record<'epochUnixSeconds', unknown>>).epochUnixSeconds;
    this.#epochUnixSeconds = typeof epoch === 'number' && Number.isFinite(epoch) ? epoch : undefined;
    if (this.#plan.format === 'csv') this.#io.stdout.write(`${csvHeader()}\n`);
    if (this.wantsEvents) sender.onEvent(this.#onEvent);
    if (this.#progress !== undefined) {
      this.#progressTimer = setInterval(this.#drawProgress, PROGRESS_REFRESH_MS);
      this.#progressTimer.unref();
    }
  }

  /** Stops the progress line (idempotent). */
  dispose(): void {
    if (this.#progressTimer !== undefined) clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#progress?.clear();
  }

  /** Prints the result of the run in the plan's format. */
  finish(input: FinishInput): void {
    this.dispose();
    const { report } = input;
    const quiet = this.#plan.verbosity === 'quiet';
    switch (this.#plan.format) {
      case 'json':
        this.#io.stdout.write(`${JSON.stringify(input.json())}\n`);
        return;
      case 'jsonl':
        this.#io.stdout.write(`${JSON.stringify(summaryRecord(input.json()))}\n`);
        return;
      case 'csv':
        // stdout is the table of packets; the summary goes beside it for the person watching.
        if (!quiet) this.#io.stderr.write(`${this.#summaryText(report, input.extraText, this.#stderrPalette)}\n`);
        return;
      case 'text':
        this.#io.stdout.write(`${this.#summaryText(report, input.extraText, this.#stdoutPalette)}\n`);
        return;
    }
  }

  #summaryText(report: SenderReport, extraText: string | undefined, palette: Palette): string {
    const brief = this.#plan.verbosity === 'quiet';
    const summary = formatSenderSummary(report, {
      percentiles: this.#plan.tablePercentiles,
      palette,
      brief,
      ...(this.#histogram === undefined ? {} : { histogram: this.#histogram }),
    });
    return extraText === undefined || brief ? summary : `${summary}\n${extraText}`;
  }

  readonly #drawProgress = (): void => {
    this.#progress?.update(
      formatProgress({
        elapsedMs: this.#now() - this.#startedAtMs,
        sent: this.#sent,
        received: this.#received,
        lost: this.#lost,
        lastRttNs: this.#lastRttNs,
      }),
    );
  };

  #write(writer: CliWriter, line: string): void {
    this.#progress?.clear();
    writer.write(`${line}\n`);
  }

  #detail(line: string): void {
    if (this.#log.detail === undefined) {
      this.#write(this.#side, line);
    } else {
      this.#progress?.clear();
      this.#log.detail(line);
    }
  }

  readonly #onEvent = (event: SenderEvent): void => {
    const plan = this.#plan;
    switch (event.type) {
      case 'packet': {
        const { result } = event;
        if (result.disposition === 'counted') {
          this.#received += 1;
          this.#lastRttNs = result.rtt;
          this.#histogram?.add(result.rtt);
        }
        if (plan.format === 'jsonl') this.#write(this.#io.stdout, JSON.stringify(packetRecord(result, this.#epochUnixSeconds)));
        else if (plan.format === 'csv') this.#write(this.#io.stdout, csvPacketRow(result, this.#epochUnixSeconds));
        if (plan.verbosity === 'verbose') this.#detail(formatReplyLine(result, plan.peer, this.#now()));
        return;
      }
      case 'lost':
        this.#lost += 1;
        if (plan.format === 'jsonl') this.#write(this.#io.stdout, JSON.stringify(lostRecord(event.sequence, this.#now())));
        else if (plan.format === 'csv') this.#write(this.#io.stdout, csvLostRow(event.sequence));
        if (plan.verbosity === 'verbose') this.#detail(formatLostLine(event.sequence, plan.peer, plan.lossTimeoutMs, this.#now()));
        return;
      case 'interval':
        if (plan.format === 'jsonl') {
          this.#write(this.#io.stdout, JSON.stringify(intervalRecord(event.index, event.summary, this.#now())));
        } else if (plan.format === 'text' || plan.verbosity !== 'quiet') {
          // Text: interval lines are results (stdout, even with -q). Beside JSON or CSV: stderr.
          this.#write(this.#side, formatIntervalLine(event.index, event.summary, this.#now() - this.#startedAtMs));
        }
        return;
    }
  };
}
