import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCEPT_CODES, AcceptCode, describeAcceptCode, isKnownAcceptCode, normalizeAcceptCode } from '../src/index.js';

describe('Accept code table', () => {
  it('lists values 0 to 6 in order, each at its own index', () => {
    expect(ACCEPT_CODES.map((info) => info.code)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(ACCEPT_CODES.map((info) => info.id)).toEqual([
      'ok',
      'failure',
      'internal-error',
      'not-supported',
      'permanent-resource-limitation',
      'temporary-resource-limitation',
      'ike-sa-not-found',
    ]);
  });

  it('gives every refusal a meaning, likely causes and steps to take', () => {
    for (const info of ACCEPT_CODES.filter((entry) => entry.code !== AcceptCode.Ok)) {
      expect(info.meaning.length, info.id).toBeGreaterThan(10);
      expect(info.likelyCauses.length, info.id).toBeGreaterThan(0);
      expect(info.whatToDo.length, info.id).toBeGreaterThan(0);
    }
  });

  it('marks only the temporary resource limitation (5) as worth retrying, with a delay', () => {
    expect(ACCEPT_CODES.filter((info) => info.retryable).map((info) => info.code)).toEqual([5]);
    expect(describeAcceptCode(5).retryAfterMs).toBeGreaterThan(0);
  });

  it('cites RFC 4656 for 0-5 and RFC 7717 for 6', () => {
    expect(ACCEPT_CODES.slice(0, 6).every((info) => info.reference.startsWith('RFC 4656'))).toBe(true);
    expect(describeAcceptCode(6).reference).toBe('RFC 7717 §5.3');
  });
});

describe('unknown Accept values (RFC 4656 §3.3: treat as 1)', () => {
  it.each([7, 8, 255, -1, 1.5, Number.NaN])('normalises %s to Failure', (value) => {
    expect(isKnownAcceptCode(value)).toBe(false);
    expect(normalizeAcceptCode(value)).toBe(AcceptCode.Failure);
    expect(describeAcceptCode(value).id).toBe('failure');
  });

  it('keeps every known value as it is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (value) => {
        const normalised = normalizeAcceptCode(value);
        expect(normalised).toBe(value <= 6 ? value : 1);
        expect(describeAcceptCode(value).code).toBe(normalised);
      }),
    );
  });
});
