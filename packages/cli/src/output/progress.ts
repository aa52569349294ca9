// The progress line: on a terminal, for runs expected to take longer than 2 s, one line on stderr
// rewritten in place (carriage return, then erase to the end of the line) with what the run has done
// so far. Nothing at all when stderr is not a terminal, so logs and pipes stay clean.
import type { CliWriter } from '../io.js';
import { formatDuration, formatMs, formatPercent } from './units.js';

/** Runs shorter than this end before a progress line would tell anything. */
export const PROGRESS_MIN_RUN_MS = 2000;
/** How often the line is redrawn. */
export const PROGRESS_REFRESH_MS = 250;

export interface ProgressCounts {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  /** RTT of the latest counted reply, ns. */
  readonly lastRttNs: number | undefined;
}

/** `12.3 s: sent 123, received 120, lost 1 (0.83%), rtt 0.123 ms`. Pure. */
export function formatProgress(counts: ProgressCounts): string {
  const decided = counts.received + counts.lost;
  const ratio = decided > 0 ? counts.lost / decided : undefined;
  return `${formatDuration(counts.elapsedMs)}: sent ${counts.sent}, received ${counts.received}, lost ${counts.lost} (${formatPercent(ratio)}), rtt ${formatMs(counts.lastRttNs)} ms`;
}

const ERASE_LINE = '\u001b[K';

/** One line on a terminal, rewritten in place; `clear()` before anything else is printed. */
export class ProgressLine {
  readonly #writer: CliWriter;
  readonly #columns: number;
  #shown = false;

  constructor(writer: CliWriter, columns: number | undefined) {
    this.#writer = writer;
    // Longer than the terminal, the line would wrap and `\r` would only rewrite its last part.
    this.#columns = columns !== undefined && columns > 1 ? columns - 1 : 79;
  }

  update(text: string): void {
    const line = text.length > this.#columns ? text.slice(0, this.#columns) : text;
    this.#writer.write(`\r${line}${ERASE_LINE}`);
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    this.#writer.write(`\r${ERASE_LINE}`);
    this.#shown = false;
  }
}
