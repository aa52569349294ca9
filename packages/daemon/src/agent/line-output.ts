// Where the JSON Lines sink's lines go: a file appended through its descriptor, or stdout.
//
// Why not fs.WriteStream: it turns every string written into a Buffer of its own, and an agent of
// 10 000 targets writes about a thousand 3 KiB window lines a second. Those Buffers are garbage that
// V8 frees only at a full collection, and they added up to ~55 MiB of resident memory between two.
// Here each line is encoded at once into a reused chunk buffer (so the string dies young, before a
// burst of windows can promote it to the old generation), and the chunks are written in order, all
// that are ready in one writev() at a time: no allocation per line beyond the line itself.
import { close as closeFd, open as openFd, writev as writevFd } from 'node:fs';

/** Size of the reused buffers lines are encoded into; a line longer than this is written on its own. */
const CHUNK_BYTES = 256 * 1024;
/** Lines arriving while nothing is being written wait this long, so that one write carries many. */
const FLUSH_DELAY_MS = 20;

export interface LineOutputEvents {
  /** Everything queued was written (after lines were dropped, the sink may now say so). */
  readonly drained: () => void;
  /** The output failed; `lost` lines it had accepted will never be written. */
  readonly failed: (lost: number) => void;
}

export interface LineOutput {
  /** Octets accepted and not yet written. */
  readonly bufferedBytes: number;
  readonly failed: boolean;
  /** Queue one line (without its newline); `bytes` is its UTF-8 length plus the newline. */
  add(line: string, bytes: number): void;
  /** Write what is queued, then release the output (a file is closed; stdout stays open). */
  close(): Promise<void>;
}

/** A run of encoded lines waiting to be written (or being written: the head of the queue). */
interface Chunk {
  readonly buffer: Buffer;
  length: number;
  lines: number;
  /** Octets of it already written (a short write leaves the rest for the next call). */
  written: number;
}

/**
 * Spare chunk buffers kept for reuse (4 MiB at most): a round of windows from 10 000 targets takes
 * ~6 MiB at once, and buffers dropped after each round were ArrayBuffer garbage that waited for a
 * full collection.
 */
const SPARE_CHUNKS = 16;
/** Chunks per writev() at most (256 KiB each). */
const WRITEV_CHUNKS = 64;

/** A file opened for appending (created when missing); lines are written in order, one write at a time. */
class AppendedFile implements LineOutput {
  readonly #events: LineOutputEvents;
  #fd: number | undefined;
  #failed = false;
  /** The chunk lines are encoded into now (encoded at once: the line strings die young). */
  #filling: Chunk | undefined;
  /** Sealed chunks in order; the head is the one being written while #writing. */
  #ready: Chunk[] = [];
  #spare: Buffer[] = [];
  #bufferedBytes = 0;
  #writing = false;
  #timer: NodeJS.Timeout | undefined;
  #closeWaiters: (() => void)[] | undefined;

  constructor(path: string, events: LineOutputEvents) {
    this.#events = events;
    openFd(path, 'a', (error, fd) => {
      if (error !== null) {
        this.#fail();
        return;
      }
      if (this.#failed) {
        closeFd(fd, () => undefined);
        return;
      }
      this.#fd = fd;
      this.#next();
    });
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  get failed(): boolean {
    return this.#failed;
  }

  add(line: string, bytes: number): void {
    if (this.#failed || this.#closeWaiters !== undefined) return;
    this.#bufferedBytes += bytes;
    if (bytes > CHUNK_BYTES) {
      this.#seal();
      this.#ready.push({ buffer: Buffer.from(`${line}\n`), length: bytes, lines: 1, written: 0 });
    } else {
      let chunk = this.#filling;
      if (chunk !== undefined && chunk.length + bytes > CHUNK_BYTES) {
        this.#seal();
        chunk = undefined;
      }
      chunk ??= this.#filling = { buffer: this.#spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES), length: 0, lines: 0, written: 0 };
      chunk.length += chunk.buffer.write(line, chunk.length);
      chunk.buffer[chunk.length++] = 0x0a;
      chunk.lines++;
    }
    if (this.#ready.length > 0) this.#next();
    else if (!this.#writing) this.#flushLater();
  }

  /** Seal and write the filling chunk after FLUSH_DELAY_MS (so that one write carries many lines). */
  #flushLater(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#seal();
      this.#next();
    }, FLUSH_DELAY_MS);
    this.#timer.unref();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closeWaiters !== undefined) {
        this.#closeWaiters.push(resolve);
        return;
      }
      this.#closeWaiters = [resolve];
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#seal();
      this.#next();
    });
  }

  /** The chunk being filled joins the queue. */
  #seal(): void {
    const chunk = this.#filling;
    if (chunk === undefined) return;
    this.#filling = undefined;
    if (chunk.lines > 0) this.#ready.push(chunk);
    else this.#spare.push(chunk.buffer);
  }

  /** Write every sealed chunk if nothing is under way; with nothing left, finish a close that waits. */
  #next(): void {
    if (this.#writing || this.#fd === undefined) return;
    // Lines still filling wait for their timer, unless a close wants everything now.
    if (this.#closeWaiters !== undefined) this.#seal();
    if (this.#ready.length === 0) {
      this.#finishClose();
      return;
    }
    this.#writing = true;
    this.#writeReady();
  }

  /**
   * One writev() of every sealed chunk (up to WRITEV_CHUNKS): during a burst of windows the loop may
   * come round only every few tens of ms, and one chunk per round would not keep up.
   */
  #writeReady(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    const count = Math.min(this.#ready.length, WRITEV_CHUNKS);
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const chunk = this.#ready[i];
      if (chunk !== undefined) parts.push(chunk.buffer.subarray(chunk.written, chunk.length));
    }
    writevFd(fd, parts, null, (error, written) => {
      if (error !== null) {
        this.#fail();
        return;
      }
      this.#wrote(written);
      this.#writing = false;
      if (this.#ready.length > 0 || this.#closeWaiters !== undefined) this.#next();
      else if (this.#filling === undefined) this.#events.drained();
      else this.#flushLater();
    });
  }

  /** Account `written` octets to the chunks in order; a short write leaves the rest of one for the next call. */
  #wrote(written: number): void {
    let left = written;
    while (left > 0) {
      const chunk = this.#ready[0];
      if (chunk === undefined) return;
      const rest = chunk.length - chunk.written;
      if (left < rest) {
        chunk.written += left;
        return;
      }
      left -= rest;
      this.#ready.shift();
      this.#bufferedBytes -= chunk.length;
      if (chunk.buffer.length === CHUNK_BYTES && this.#spare.length < SPARE_CHUNKS) this.#spare.push(chunk.buffer);
    }
  }

  /** ENOSPC, EACCES, a missing directory, ...: what was accepted is lost, and so is everything after. */
  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    let lost = this.#filling?.lines ?? 0;
    for (const chunk of this.#ready) lost += chunk.lines;
    this.#filling = undefined;
    this.#ready = [];
    this.#spare = [];
    this.#bufferedBytes = 0;
    this.#writing = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#events.failed(lost);
    this.#finishClose();
  }

  #finishClose(): void {
    const waiters = this.#closeWaiters;
    if (waiters === undefined || this.#writing) return;
    this.#closeWaiters = [];
    const fd = this.#fd;
    this.#fd = undefined;
    const done = (): void => {
      for (const resolve of waiters) resolve();
    };
    if (fd === undefined) done();
    else closeFd(fd, done);
  }
}

/** stdout: written line by line through its stream (a pipe or a terminal; not ours to close). */
class StandardOutput implements LineOutput {
  #failed = false;
  readonly #detach: () => void;

  constructor(events: LineOutputEvents) {
    const stream = process.stdout;
    const onError = (): void => {
      // EPIPE when the reader went away: what the stream still holds is lost.
      this.#failed = true;
      stream.off('error', onError);
      stream.off('drain', events.drained);
      events.failed(0);
    };
    stream.on('error', onError);
    stream.on('drain', events.drained);
    this.#detach = () => {
      stream.off('error', onError);
      stream.off('drain', events.drained);
    };
  }

  get bufferedBytes(): number {
    return process.stdout.writableLength;
  }

  get failed(): boolean {
    return this.#failed || process.stdout.destroyed;
  }

  add(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#detach();
        resolve();
      };
      // Wait until what we wrote has left the buffer.
      if (process.stdout.writableLength === 0 || this.#failed) done();
      else process.stdout.once('drain', done);
    });
  }
}

/** The output for `path`: stdout for `-`, else the file, appended. */
export function openLineOutput(path: string, events: LineOutputEvents): LineOutput {
  return path === '-' ? new StandardOutput(events) : new AppendedFile(path, events);
}
