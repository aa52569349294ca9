// The agent's JSON Lines output (a file, appended, or stdout for `-`). Writes never wait: lines go
// to the stream's buffer, and when that holds more than a bound (a slow or stuck disk, a reader that
// stopped) new lines are dropped and counted, then reported in a `dropped` record once the output
// keeps up again. reopen() starts a new file at the same path (logrotate's postrotate on SIGHUP).
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { clockStatus, type ClockStatus } from '@twamp/udp';
import type { AgentFailure, AgentObserver, AgentTargetInfo, AgentWindow, TargetState } from '../types.js';
import { droppedRecord, failureRecord, stateRecord, windowRecord } from './jsonl-records.js';

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
}

export interface JsonlSinkOptions {
  /** Bytes the output may hold unwritten before lines are dropped. Default 16 MiB. */
  readonly maxBufferedBytes?: number;
}

export const DEFAULT_JSONL_BUFFER_BYTES = 16 * 1024 * 1024;
/** How long close() waits for the buffer to reach the disk before it gives up. */
const CLOSE_TIMEOUT_MS = 10_000;
/** The host clock's state is read at most this often (one read serves every target's window). */
const CLOCK_CACHE_MS = 1000;

class JsonLinesSink implements JsonlSink {
  readonly #output: string;
  readonly #maxBytes: number;
  #stream: Writable;
  /** The stream reported an error: drop until reopen(). */
  #failed = false;
  #closed = false;
  #dropped = 0;
  /** Dropped since the last `dropped` record. */
  #unreported = 0;
  #clock: ClockStatus | undefined;
  #clockReadMs = 0;

  constructor(output: string, options: JsonlSinkOptions) {
    this.#output = output;
    this.#maxBytes = options.maxBufferedBytes ?? DEFAULT_JSONL_BUFFER_BYTES;
    this.#stream = this.#open();
  }

  get dropped(): number {
    return this.#dropped;
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
    if (this.#output === '-' || this.#closed) return;
    const old = this.#stream;
    this.#detach(old);
    // What the old stream still buffers goes to the old (renamed) file; errors there are moot now.
    old.on('error', () => undefined);
    old.end();
    this.#failed = false;
    this.#stream = this.#open();
    this.#reportDropped();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#reportDropped();
    this.#closed = true;
    const stream = this.#stream;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, CLOSE_TIMEOUT_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      if (this.#output === '-') {
        // stdout is not ours to end: wait until what we wrote has left the buffer.
        if (stream.writableLength === 0) done();
        else stream.once('drain', done);
        return;
      }
      stream.once('error', done);
      stream.end(done);
    });
    this.#detach(stream);
  }

  #open(): Writable {
    const stream = this.#output === '-' ? process.stdout : createWriteStream(this.#output, { flags: 'a' });
    stream.on('error', this.#onError);
    stream.on('drain', this.#onDrain);
    return stream;
  }

  #detach(stream: Writable): void {
    stream.off('error', this.#onError);
    stream.off('drain', this.#onDrain);
  }

  readonly #onError = (): void => {
    // ENOSPC, EACCES, EPIPE, ...: lines are counted as dropped until reopen() (a new file).
    this.#failed = true;
  };

  readonly #onDrain = (): void => {
    this.#reportDropped();
  };

  #reportDropped(): void {
    if (this.#unreported === 0 || this.#failed || this.#closed) return;
    const lines = this.#unreported;
    this.#unreported = 0;
    this.#stream.write(`${JSON.stringify(droppedRecord(lines, Date.now()))}\n`);
  }

  #write(line: string): void {
    if (this.#closed) return;
    const stream = this.#stream;
    if (this.#failed || stream.destroyed || stream.writableLength + Buffer.byteLength(line) + 1 > this.#maxBytes) {
      this.#dropped += 1;
      this.#unreported += 1;
      return;
    }
    stream.write(`${line}\n`);
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
