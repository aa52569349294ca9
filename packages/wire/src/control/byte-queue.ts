/**
 * Received octets not yet framed, kept as a list of chunks so that a message arriving one octet
 * at a time costs O(length) copying, not O(length²). Chunks are copied on entry: the caller may
 * reuse its read buffer as soon as `push` returns.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  /** Octets of the first chunk already taken. */
  #start = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(Buffer.from(chunk));
    this.#length += chunk.length;
  }

  /**
   * Remove and return the next `count` octets (the caller checks `length` first). The result is
   * owned by the queue's copy of the input, never by the caller's buffer, so it may be modified.
   */
  take(count: number): Buffer {
    if (count > this.#length) throw new RangeError(`take(${count}) with only ${this.#length} octets queued`);
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#start >= count) {
      const out = first.subarray(this.#start, this.#start + count);
      this.#advance(count);
      return out;
    }
    const out = Buffer.alloc(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) break;
      const n = Math.min(count - filled, chunk.length - this.#start);
      chunk.copy(out, filled, this.#start, this.#start + n);
      filled += n;
      this.#advance(n);
    }
    return out;
  }

  clear(): void {
    this.#chunks = [];
    this.#start = 0;
    this.#length = 0;
  }

  #advance(count: number): void {
    this.#start += count;
    this.#length -= count;
    if (this.#start === this.#chunks[0]?.length) {
      this.#chunks.shift();
      this.#start = 0;
    }
  }
}
