// Property round trips for every codec: encode → decode gives the value back; decode → encode
// gives the input back with its MBZ octets zeroed (the only thing a codec may drop).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ControlMessageType, encodeControlMessage, sessionListLength } from '../../src/control/index.js';
import { ARBITRARIES, MESSAGE_TYPES, octets, u32 } from './arbitraries.js';
import { DECODERS, norm, writeMessage } from './support.js';

const RUNS = { numRuns: 300 };

const FIXED_LENGTH: Partial<Record<ControlMessageType, number>> = {
  'server-greeting': 64,
  'set-up-response': 164,
  'server-start': 48,
  'request-tw-session': 112,
  'accept-session': 48,
  'start-sessions': 32,
  'start-ack': 32,
  'stop-sessions': 32,
};

/** What an encoder writes back for arbitrary input: MBZ octets (and the command octet) canonical. */
function canonical(type: ControlMessageType, input: Buffer): Buffer {
  const out = Buffer.from(input);
  const zero = (from: number, to: number): void => {
    out.fill(0, from, to);
  };
  switch (type) {
    case 'server-greeting':
      zero(0, 12);
      zero(52, 64);
      break;
    case 'set-up-response':
      break;
    case 'server-start':
      zero(0, 15);
      zero(40, 48);
      break;
    case 'request-tw-session': {
      out[0] = 5;
      const ipvn = (out[1] ?? 0) & 0x0f;
      out[1] = ipvn;
      if (ipvn === 4) {
        zero(20, 32);
        zero(36, 48);
      } else if (ipvn !== 6) {
        zero(16, 48);
      }
      zero(92, 96);
      break;
    }
    case 'accept-session':
      zero(1, 2);
      zero(24, 32);
      break;
    case 'start-sessions':
      out[0] = 2;
      zero(1, 16);
      break;
    case 'start-ack':
      zero(1, 16);
      break;
    case 'stop-sessions':
      out[0] = 3;
      zero(2, 4);
      zero(8, 16);
      break;
    case 'start-n-sessions':
    case 'stop-n-sessions':
      out[0] = type === 'start-n-sessions' ? 7 : 9;
      zero(1, 12);
      break;
    case 'start-n-ack':
    case 'stop-n-ack':
      out[0] = type === 'start-n-ack' ? 8 : 10;
      zero(2, 12);
      break;
  }
  return out;
}

/** Random bytes of a decodable length for `type`; RFC 5938 messages get a consistent N. */
function wireBytes(type: ControlMessageType): fc.Arbitrary<Buffer> {
  const fixed = FIXED_LENGTH[type];
  if (fixed !== undefined) return octets(fixed).map((raw) => Buffer.from(raw));
  return fc.integer({ min: 0, max: 6 }).chain((count) =>
    octets(sessionListLength(count)).map((raw) => {
      const out = Buffer.from(raw);
      out.writeUInt32BE(count, 12);
      return out;
    }),
  );
}

describe.each(MESSAGE_TYPES)('%s properties', (type) => {
  const decode = DECODERS[type];
  const arbitrary = ARBITRARIES[type];

  it('encode then decode returns the value', () => {
    fc.assert(
      fc.property(arbitrary, (value) => {
        expect(norm(decode(encodeControlMessage(value)))).toEqual(norm(value));
      }),
      RUNS,
    );
  });

  it('decode then encode returns the input with MBZ octets zeroed', () => {
    fc.assert(
      fc.property(wireBytes(type), (input) => {
        expect(encodeControlMessage(decode(input)).toString('hex')).toBe(canonical(type, input).toString('hex'));
      }),
      RUNS,
    );
  });

  it('write at any offset and decode from that offset agree with the plain encoding', () => {
    fc.assert(
      fc.property(arbitrary, fc.integer({ min: 0, max: 40 }), (value, offset) => {
        const plain = encodeControlMessage(value);
        const target = Buffer.alloc(offset + plain.length + 3, 0xcc);
        expect(writeMessage(target, offset, value)).toBe(offset + plain.length);
        expect(target.subarray(offset, offset + plain.length).equals(plain)).toBe(true);
        expect(norm(decode(target, offset))).toEqual(norm(value));
      }),
      RUNS,
    );
  });
});

describe('RFC 5938 length rule', () => {
  it('is 32 + 16·N for every N', () => {
    fc.assert(
      fc.property(u32, (n) => {
        expect(sessionListLength(n)).toBe(32 + 16 * n);
      }),
    );
  });
});
