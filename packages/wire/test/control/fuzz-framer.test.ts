// Fuzz the framer: random octets in random pieces, in every role and mode. Whatever arrives, the
// only errors out of `feed` are the typed, fatal ones, and the framer never holds more than one
// largest message.
import { AuthenticationError, MalformedInputError, ResourceLimitError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControlFramer } from '../../src/control/index.js';
import { CLIENT_IV, clientStream, KEYS, serverStream } from './streams.js';

const TYPED = [AuthenticationError, MalformedInputError, ResourceLimitError];

function run(role: 'server' | 'client', encrypted: boolean, prefix: Buffer, chunks: readonly Uint8Array[]): void {
  const framer = new ControlFramer({ role, maxSessionsPerMessage: 64 });
  if (role === 'client') for (const reply of ['accept-session', 'start-n-ack', 'start-ack', 'stop-n-ack'] as const) framer.expect(reply);
  try {
    for (const chunk of [prefix, ...chunks]) {
      framer.feed(chunk);
      if (framer.state === 'awaiting-security') {
        if (!encrypted) framer.useUnauthenticated();
        else if (role === 'server') framer.useKeys(KEYS, CLIENT_IV);
        else framer.useKeys(KEYS);
      }
      expect(framer.buffered).toBeLessThanOrEqual(framer.maxBuffered);
    }
  } catch (error) {
    expect(TYPED.some((type) => error instanceof type)).toBe(true);
    expect(framer.state).toBe('failed');
  }
}

const chunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 });

describe.each([
  ['server', false],
  ['server', true],
  ['client', false],
  ['client', true],
] as const)('%s framer fuzz (encrypted: %s)', (role, encrypted) => {
  // A valid setup first, so the random octets reach the command and reply framing.
  const setup = role === 'server' ? clientStream(encrypted).bytes.subarray(0, 164) : serverStream(encrypted).bytes.subarray(0, 112);

  it('random octets after a valid setup: typed errors only, bounded buffer', () => {
    fc.assert(
      fc.property(chunks, (pieces) => {
        run(role, encrypted, setup, pieces);
      }),
      { numRuns: 1500 },
    );
  });

  it('random octets from the first one', () => {
    fc.assert(
      fc.property(chunks, (pieces) => {
        run(role, encrypted, Buffer.alloc(0), pieces);
      }),
      { numRuns: 500 },
    );
  });

  it('a valid stream with random octets spliced in', () => {
    const stream = role === 'server' ? clientStream(encrypted).bytes : serverStream(encrypted).bytes;
    fc.assert(
      fc.property(fc.nat(stream.length), fc.uint8Array({ minLength: 1, maxLength: 40 }), (at, noise) => {
        run(role, encrypted, Buffer.alloc(0), [stream.subarray(0, at), noise, stream.subarray(at)]);
      }),
      { numRuns: 1000 },
    );
  });
});
