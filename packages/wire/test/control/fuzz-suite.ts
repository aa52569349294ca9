// The decoder fuzz suite, run by the fuzz-*.test.ts files over a few decoders each (so each file
// stays well under ten seconds): the only error allowed out of a decoder is MalformedInputError.
import { MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ControlMessageType, encodeControlMessage } from '../../src/control/index.js';
import { ARBITRARIES, MESSAGE_TYPES } from './arbitraries.js';
import { DECODERS, prng } from './support.js';

export const CASES_PER_DECODER = 100_000;

const WHAT: Record<ControlMessageType, string> = {
  'server-greeting': 'Server Greeting',
  'set-up-response': 'Set-Up-Response',
  'server-start': 'Server-Start',
  'request-tw-session': 'Request-TW-Session',
  'accept-session': 'Accept-Session',
  'start-sessions': 'Start-Sessions',
  'start-ack': 'Start-Ack',
  'stop-sessions': 'Stop-Sessions',
  'start-n-sessions': 'Start-N-Sessions',
  'start-n-ack': 'Start-N-Ack',
  'stop-n-sessions': 'Stop-N-Sessions',
  'stop-n-ack': 'Stop-N-Ack',
};

const LIST_TYPES = new Set<ControlMessageType>(['start-n-sessions', 'start-n-ack', 'stop-n-sessions', 'stop-n-ack']);

/** A pool of pseudo-random octets; cases are views into it, so the loop allocates almost nothing. */
function pool(seed: number, size: number): Buffer {
  const next = prng(seed);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(next() * 256);
  return out;
}

interface FuzzResult {
  readonly decoded: number;
  readonly malformed: number;
  readonly escaped: readonly unknown[];
}

/** Stack traces are most of the cost of a thrown error and tell nothing about the decoder. */
function withoutStackTraces<T>(run: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return run();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function randomCases(type: ControlMessageType, seed: number): FuzzResult {
  const decode = DECODERS[type];
  const next = prng(seed);
  const random = pool(seed, 1 << 16);
  const scratch = Buffer.alloc(256);
  let decoded = 0;
  let malformed = 0;
  const escaped: unknown[] = [];
  for (let i = 0; i < CASES_PER_DECODER; i++) {
    const length = Math.floor(next() * 200);
    const start = Math.floor(next() * (random.length - length));
    let input: Buffer = random.subarray(start, start + length);
    // For the RFC 5938 messages, half the cases carry a small N so the success path runs too.
    if (LIST_TYPES.has(type) && length >= 16 && next() < 0.5) {
      random.copy(scratch, 0, start, start + length);
      scratch.writeUInt32BE(Math.floor(next() * 12), 12);
      input = scratch.subarray(0, length);
    }
    const offset = next() < 0.1 ? Math.floor(next() * 20) : 0;
    try {
      decode(input, offset);
      decoded++;
    } catch (error) {
      if (error instanceof MalformedInputError) malformed++;
      else escaped.push(error);
    }
  }
  return { decoded, malformed, escaped };
}

/** Register the fuzz tests for `types`. */
export function fuzzDecoders(types: readonly ControlMessageType[]): void {
  describe.each(types)('%s decoder fuzz', (type) => {
    const decode = DECODERS[type];

    it(`${CASES_PER_DECODER} random inputs: decoded, or MalformedInputError and nothing else`, () => {
      const result = withoutStackTraces(() => randomCases(type, 0x7a3d0000 + MESSAGE_TYPES.indexOf(type)));
      expect(result.escaped).toEqual([]);
      expect(result.decoded + result.malformed).toBe(CASES_PER_DECODER);
      expect(result.decoded).toBeGreaterThan(0);
      expect(result.malformed).toBeGreaterThan(0);
    });

    it('every truncation of a valid message is a MalformedInputError naming the message', () => {
      fc.assert(
        fc.property(ARBITRARIES[type], (value) => {
          const bytes = encodeControlMessage(value);
          for (let length = 0; length < bytes.length; length++) {
            let caught: unknown;
            try {
              decode(bytes.subarray(0, length));
            } catch (error) {
              caught = error;
            }
            expect(caught).toBeInstanceOf(MalformedInputError);
            expect((caught as MalformedInputError).what).toBe(WHAT[type]);
          }
        }),
        { numRuns: 20 },
      );
    });

    it('fast-check random octets at random offsets: only MalformedInputError escapes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 260 }), fc.nat(300), (input, offset) => {
          try {
            decode(input, offset);
          } catch (error) {
            expect(error).toBeInstanceOf(MalformedInputError);
          }
        }),
        { numRuns: 2_000 },
      );
    });
  });
}
