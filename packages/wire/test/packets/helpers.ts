import { MalformedInputError } from '@twamp/errors';
import { expect } from 'vitest';

/** Concatenate byte groups; vectors list one group per RFC field with a comment beside it. */
export function bytes(...groups: readonly (readonly number[])[]): Buffer {
  return Buffer.from(groups.flat());
}

/** `n` copies of `value` (MBZ runs, fillers). */
export function fill(n: number, value = 0): number[] {
  return new Array<number>(n).fill(value);
}

/** 0, 1, 2, ... n-1 (mod 256): padding whose every octet is distinguishable. */
export function ramp(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

/**
 * Deep copy with every Uint8Array (Buffer or view) replaced by its hex string, so decoded views and
 * expected arrays compare by content, whatever their class or backing buffer.
 */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return `hex:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export function hex(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

/** Run `fn`; only MalformedInputError may escape it. */
export function onlyMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof MalformedInputError)) {
      expect.fail(`unexpected ${String(error)}`);
    }
  }
}

/** Small, fast, seeded PRNG (xorshift32) for the high-volume fuzz loops; deterministic per seed. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#state = x;
    return x;
  }

  below(n: number): number {
    return this.next() % n;
  }

  fill(target: Uint8Array, length: number): void {
    for (let i = 0; i < length; i++) {
      target[i] = this.next() & 0xff;
    }
  }
}
