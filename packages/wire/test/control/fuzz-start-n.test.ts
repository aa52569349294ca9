// Fuzz the RFC 5938 start decoders (see fuzz-suite.ts), and check that a hostile Number of Sessions
// never costs an allocation.
import { MalformedInputError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { decodeStartNSessions } from '../../src/control/index.js';
import { thrown } from '../support/thrown.js';
import { fuzzDecoders } from './fuzz-suite.js';
import { hex } from './support.js';

fuzzDecoders(['start-n-sessions', 'start-n-ack']);

describe('hostile Number of Sessions', () => {
  it('N = 0xFFFFFFFF in a 32-octet message is a MalformedInputError without allocating', () => {
    const input = hex('07', '0000000000000000000000', 'ffffffff', '00'.repeat(16));
    const before = process.memoryUsage().arrayBuffers;
    let caught: unknown;
    for (let i = 0; i < 1000; i++) {
      try {
        decodeStartNSessions(input);
      } catch (error) {
        caught = error;
      }
    }
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(caught).toBeInstanceOf(MalformedInputError);
    expect((caught as MalformedInputError).field).toBe('SID');
    expect((caught as MalformedInputError).offset).toBe(16);
    expect((caught as MalformedInputError).reason).toBe('needs 68719476736 octets, only 16 left');
    expect(grown).toBeLessThan(1 << 20);
  });

  it('a short header names the field it stops in', () => {
    const error = thrown(() => decodeStartNSessions(hex('07', '00000000000000000000000000')), MalformedInputError);
    expect(error.field).toBe('Number of Sessions');
    expect(error.offset).toBe(12);
  });
});
