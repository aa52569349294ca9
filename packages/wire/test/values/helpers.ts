import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';

/** Octets from a hex string; spaces are ignored so vectors can group fields. */
export function bytes(hex: string): Buffer {
  return Buffer.from(hex.replaceAll(' ', ''), 'hex');
}

export function toHex(buffer: Uint8Array): string {
  return Buffer.from(buffer).toString('hex');
}

/** Runs per decoder in the random and truncated input suites. */
export const FUZZ_RUNS = 100_000;

/**
 * Feeds `decode` random octets at random offsets (including offsets past the end). It may return or
 * throw MalformedInputError, nothing else (no RangeError, no TypeError from an undefined read).
 * `failsWhen` says exactly which inputs must be refused; `check` asserts on what was returned.
 */
export function fuzzDecoder<T>(options: {
  readonly decode: (input: Buffer, offset: number) => T;
  readonly maxLength: number;
  readonly failsWhen: (input: Buffer, offset: number) => boolean;
  readonly check?: (value: T, input: Buffer, offset: number) => void;
  readonly seed?: number;
}): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: options.maxLength }), fc.nat({ max: options.maxLength + 4 }), (raw, offset) => {
      const input = Buffer.from(raw);
      const shouldFail = options.failsWhen(input, offset);
      let value: T;
      // Plain checks rather than expect() on the common path: this runs 100 000 times per decoder.
      try {
        value = options.decode(input, offset);
      } catch (error) {
        if (!(error instanceof MalformedInputError)) {
          throw error;
        }
        if (!shouldFail) {
          throw new Error(`refused valid input: ${error.message}`);
        }
        return;
      }
      if (shouldFail) {
        throw new Error('accepted input that must be refused');
      }
      options.check?.(value, input, offset);
    }),
    { numRuns: FUZZ_RUNS, seed: options.seed ?? 0x7a3b },
  );
}

/** True when `length` octets at `offset` run past the end of `input`. */
export function truncated(input: Uint8Array, offset: number, length: number): boolean {
  return offset + length > input.length;
}
