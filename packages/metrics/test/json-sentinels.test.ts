import { describe, expect, it } from 'vitest';
import { clockVerdictJson, findJsonSentinels, SessionStatistics } from '../src/index.js';
import { sample } from './helpers.js';

describe('findJsonSentinels', () => {
  it('finds every kind of stand-in, with its path', () => {
    const found = findJsonSentinels({
      clock: { claimedErrorMs: 1095216660480000 },
      a: -1,
      b: 4294967295,
      target: { port: 0 },
      replyTtl: 0,
      packets: [{ t2: -2208988800 }],
      startedAt: '1900-01-01T00:00:00.000Z',
      at: '',
      x: 'NaN',
      y: Number.NaN,
      z: undefined,
      percentiles: { '99.9': Infinity },
    });
    expect(found.map((f) => f.path)).toEqual([
      '$.clock.claimedErrorMs',
      '$.a',
      '$.b',
      '$.target.port',
      '$.replyTtl',
      '$.packets[0].t2',
      '$.startedAt',
      '$.at',
      '$.x',
      '$.y',
      '$.z',
      '$.percentiles["99.9"]',
    ]);
  });

  it('passes honest values: nulls, zeros that are counts, negative delays, real times', () => {
    expect(
      findJsonSentinels({
        lost: 0,
        outboundMs: -0.25,
        sentTtl: 255,
        requestedReceiverPort: 0,
        t1: 1796691840.55,
        startedAt: '2026-12-08T01:04:00.554Z',
        claimedErrorMs: null,
        reasons: ['The sender clock is not synchronized.'],
      }),
    ).toEqual([]);
  });

  it('finds nothing in the clock JSON of an unsynchronised pair (it did: 1095216660480000 ms)', () => {
    const stats = new SessionStatistics({ lossTimeout: 1e9 });
    const unbounded = { synchronized: false, errorSeconds: Infinity };
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, 1e6, 1e6, { senderClock: unbounded, reflectorClock: unbounded }));
    expect(findJsonSentinels(clockVerdictJson(stats.summary().clock))).toEqual([]);
    // The old sum of two largest Error Estimates, as it was printed: found.
    expect(findJsonSentinels({ claimedErrorMs: 2 * 255 * 2 ** 31 * 1000 })).toHaveLength(1);
  });
});
