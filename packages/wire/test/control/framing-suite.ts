// The framing properties every security mode must have, shared by framer.test.ts (unauthenticated)
// and framer-crypto.test.ts (authenticated, encrypted and mixed share the control encryption): both
// directions' whole stream framed to the same messages however TCP cuts it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FramerRole } from '../../src/control/index.js';
import { norm } from './support.js';
import { clientStream, feedInPieces, serverStream, type Stream } from './streams.js';

/**
 * Registers the split tests for one mode, one describe block per framer role; `more` adds that
 * mode's own tests to the same blocks.
 */
export function describeFramingAtEverySplit(encrypted: boolean, more?: (role: FramerRole, stream: Stream) => void): void {
  describe.each([
    ['server', clientStream(encrypted)],
    ['client', serverStream(encrypted)],
  ] as const)(`%s framer, ${encrypted ? 'encrypted' : 'unauthenticated'}`, (role, stream) => {
    const expected = norm(stream.expected);

    it(encrypted ? 'decrypts, verifies and frames the whole stream in one chunk' : 'frames the whole stream fed in one chunk', () => {
      expect(norm(feedInPieces(role, encrypted, stream.bytes, []))).toEqual(expected);
    });

    it('frames the stream split once at every octet boundary', () => {
      for (let cut = 0; cut <= stream.bytes.length; cut++) {
        expect(norm(feedInPieces(role, encrypted, stream.bytes, [cut]))).toEqual(expected);
      }
    });

    it('frames the stream fed one octet at a time', () => {
      const cuts = Array.from({ length: stream.bytes.length - 1 }, (_, i) => i + 1);
      expect(norm(feedInPieces(role, encrypted, stream.bytes, cuts))).toEqual(expected);
    });

    it('frames the stream split at random places', () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
          const sorted = [...cuts].sort((a, b) => a - b);
          expect(norm(feedInPieces(role, encrypted, stream.bytes, sorted))).toEqual(expected);
        }),
        { numRuns: 300 },
      );
    });

    more?.(role, stream);
  });
}
