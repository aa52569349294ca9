import { MalformedInputError } from '@twamp/errors';
import { expect, it } from 'vitest';

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

/** Timestamps whose every octet differs, as values and as the 8 octets on the wire (seconds, fraction). */
export const T1 = { seconds: 0xe8c1a2b3, fraction: 0x80000000 };
export const T1_BYTES = [0xe8, 0xc1, 0xa2, 0xb3, 0x80, 0x00, 0x00, 0x00];
export const T2 = { seconds: 0xe8c1a2b4, fraction: 0x00000001 };
export const T2_BYTES = [0xe8, 0xc1, 0xa2, 0xb4, 0x00, 0x00, 0x00, 0x01];
export const T3 = { seconds: 0xe8c1a2b4, fraction: 0x40000000 };
export const T3_BYTES = [0xe8, 0xc1, 0xa2, 0xb4, 0x40, 0x00, 0x00, 0x00];
/** An HMAC field value, a0 a1 … af: where it lands is visible in a hex dump. */
export const HMAC = Uint8Array.from(ramp(16, 0xa0));

/** One test-vector row (mqtt-packet style): a named value and its octets, with a comment per field. */
export interface CodecVector<T> {
  readonly name: string;
  readonly value: T;
  readonly bytes: Buffer;
}

/**
 * Check every row both ways: it decodes to its value, encodes to its octets, and its octets survive
 * decode then encode. `decode` and `encode` get the row too, for its layout or security.
 */
export function checkVectors<T, V extends CodecVector<T>>(
  vectors: readonly V[],
  decode: (bytes: Buffer, vector: V) => T,
  encode: (value: T, vector: V) => Buffer,
): void {
  for (const v of vectors) {
    it(`decodes: ${v.name}`, () => {
      expect(plain(decode(v.bytes, v))).toEqual(plain(v.value));
    });
    it(`encodes: ${v.name}`, () => {
      expect(encode(v.value, v).toString('hex')).toBe(v.bytes.toString('hex'));
    });
    it(`round-trips: ${v.name}`, () => {
      expect(encode(decode(v.bytes, v), v).toString('hex')).toBe(v.bytes.toString('hex'));
    });
  }
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
