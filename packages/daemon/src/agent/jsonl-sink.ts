// The agent's JSON Lines output (a file, appended, or stdout for `-`; see line-output.ts). Writes
// never wait: lines are queued, and when the queue holds more than a bound (a slow or stuck disk, a
// reader that stopped) new lines are dropped and counted, then reported in a `dropped` record once
// the output keeps up again; lines a failed output had accepted count as dropped too. reopen() starts a new file at the same path (logrotate's postrotate on SIGHUP).
import { clockStatus, type ClockStatus } from '@twamp/udp';
import type { AgentFailure, AgentObserver, AgentTargetInfo, AgentWindow, TargetState } from '../types.js';
import { droppedRecord, failureRecord, stateRecord, windowRecord } from './jsonl-records.js';
import { type LineOutput, type LineOutputEvents, openLineOutput } from './line-output.js';

export interface JsonlSink extends AgentObserver {
  /** One line per window, failure and state change (packets are not written: that is the CLI's --jsonl). */
  window(window: AgentWindow): void;
  failure(failure: AgentFailure): void;
  state(target: AgentTargetInfo, state: TargetState): void;
  /** Close the file and open it again at the same path (after logrotate moved it). No-op for stdout. */
  reopen(): void;
  /** Write what is buffered and close the file (stdout stays open). */
  close(): Promise<void>;
  /** Lines dropped so far because the output could not keep up or failed. */
  readonly dropped: number;
  /** Octets the output may hold unwritten before lines are dropped (settable: the daemon sizes it to its targets). */
  maxBufferedBytes: number;
}

export interface JsonlSinkOptions {
  /** Bytes the output may hold unwritten before lines are dropped. Default 16 MiB. */
  readonly maxBufferedBytes?: number;
}

export const DEFAULT_JSONL_BUFFER_BYTES = 16 * 1024 * 1024;
/**
 * Room per target: a window line is 2-3 KiB, and all targets can deliver one at once (their last
 * windows at shutdown, or windows that fall due together). The sink's bound is at least this many
 * octets per target, so such a round is written whole; it only guards against a stuck output.
 */
export const JSONL_BUFFER_BYTES_PER_TARGET = 8 * 1024;

/** The JSON Lines bound for an agent of `targets` targets (see JSONL_BUFFER_BYTES_PER_TARGET). */
export function jsonlBufferBytesFor(targets: number): number {
  return Math.max(DEFAULT_JSONL_BUFFER_BYTES, targets * JSONL_BUFFER_BYTES_PER_TARGET);
}
/** How long close() waits for the buffer to reach the disk before it gives up. */
const CLOSE_TIMEOUT_MS = 10_000;
/** The host clock's state is read at most this often (one read serves every target's window). */
const CLOCK_CACHE_MS = 1000;

class JsonLinesSink implements JsonlSink {
  readonly #path: string;
  #maxBytes: number;
  #output: LineOutput;
  #closed = false;
  #dropped = 0;
  /** Dropped since the last `dropped` record. */
  #unreported = 0;
  #clock: ClockStatus | undefined;
  #clockReadMs = 0;
  readonly #events: LineOutputEvents;

  constructor(path: string, options: JsonlSinkOptions) {
    this.#path = path;
    this.#maxBytes = options.maxBufferedBytes ?? DEFAULT_JSONL_BUFFER_BYTES;
    this.#events = {
      drained: () => {
        this.#reportDropped();
      },
      failed: (lost) => {
        // Lines the output had accepted count as dropped too; the next reopen() reports them.
        this.#dropped += lost;
        this.#unreported += lost;
      },
    };
    this.#output = openLineOutput(path, this.#events);
  }

  get dropped(): number {
    return this.#dropped;
  }

  get maxBufferedBytes(): number {
    return this.#maxBytes;
  }

  set maxBufferedBytes(bytes: number) {
    this.#maxBytes = bytes;
  }

  window(window: AgentWindow): void {
    this.#write(JSON.stringify(windowRecord(window, this.#senderClock())));
  }

  failure(failure: AgentFailure): void {
    this.#write(JSON.stringify(failureRecord(failure, Date.now())));
  }

  state(target: AgentTargetInfo, state: TargetState): void {
    this.#write(JSON.stringify(stateRecord(target, state, Date.now())));
  }

  reopen(): void {
    if (this.#path === '-' || this.#closed) return;
    // What the old file still has queued is written to it (logrotate renamed it), then it closes.
    void this.#output.close();
    this.#output = openLineOutput(this.#path, this.#events);
    this.#reportDropped();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#reportDropped();
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([this.#output.close(), gaveUp]);
    clearTimeout(timer);
  }

  #reportDropped(): void {
    if (this.#unreported === 0 || this.#output.failed || this.#closed) return;
    const lines = this.#unreported;
    this.#unreported = 0;
    const line = JSON.stringify(droppedRecord(lines, Date.now()));
    this.#output.add(line, Buffer.byteLength(line) + 1);
  }

  #write(line: string): void {
    if (this.#closed) return;
    const output = this.#output;
    const bytes = Buffer.byteLength(line) + 1;
    if (output.failed || output.bufferedBytes + bytes > this.#maxBytes) {
      this.#dropped += 1;
      this.#unreported += 1;
      return;
    }
    output.add(line, bytes);
  }

  #senderClock(): ClockStatus | undefined {
    const now = Date.now();
    if (this.#clock === undefined || now - this.#clockReadMs >= CLOCK_CACHE_MS) {
      this.#clock = clockStatus();
      this.#clockReadMs = now;
    }
    return this.#clock;
  }
}

/** JSON Lines to a file (appended; created when missing) or to stdout for `-`. */
export function openJsonlSink(output: string, options: JsonlSinkOptions = {}): JsonlSink {
  return new JsonLinesSink(output, options);
}
