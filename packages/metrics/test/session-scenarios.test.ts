import { describe, expect, it } from 'vitest';
import { CLOCK_REASONS, Distribution, SessionStatistics } from '../src/index.js';
import { sample, SYNCED, UNSYNCED } from './helpers.js';

const MS = 1e6;
const US = 1e3;

function session(options: Partial<ConstructorParameters<typeof SessionStatistics>[0]> = {}): SessionStatistics {
  return new SessionStatistics({ lossTimeout: 100 * MS, ...options });
}

describe('delay distributions and jitter', () => {
  it('hand-computed RTT, one-way, processing, IPDV and RFC 3550 jitter for three packets', () => {
    const stats = session({ percentiles: [90] });
    // forward/backward ms: (10, 12), (14, 11), (11, 11); processing 1 ms each.
    const legs = [
      [10, 12],
      [14, 11],
      [11, 11],
    ] as const;
    legs.forEach(([fwd, bwd], i) => {
      stats.recordSent(i, i * 100 * MS);
      stats.recordReply(sample(i, i * 100 * MS, fwd * MS, bwd * MS, { processing: MS }));
    });
    const s = stats.summary();
    // RTT = 22, 25, 22 ms.
    expect(s.roundTrip).toMatchObject({ count: 3, min: 22 * MS, max: 25 * MS, median: 22 * MS, percentiles: { 90: 25 * MS } });
    expect(s.roundTrip.mean).toBeCloseTo(23 * MS, 3);
    expect(s.roundTrip.stddev).toBeCloseTo(Math.sqrt(2) * MS, 3);
    expect(s.processing).toMatchObject({ count: 3, min: MS, max: MS });
    // IPDV by sequence: RTT +3, −3; forward +4, −3; backward −1, 0 (ms).
    expect(s.jitter.roundTrip.ipdv).toMatchObject({ count: 2, min: -3 * MS, max: 3 * MS });
    expect(s.jitter.forward.ipdv).toMatchObject({ count: 2, min: -3 * MS, max: 4 * MS });
    expect(s.jitter.backward.ipdv).toMatchObject({ count: 2, min: -1 * MS, max: 0 });
    // RFC 3550 forward: transits 10, 14, 11 → J = 4/16 = 0.25, then 0.25 + (3 − 0.25)/16 = 0.421875 (ms).
    expect(s.jitter.forward.rfc3550).toBeCloseTo(0.421875 * MS, 3);
    // Round trip: transits 22, 25, 22 → 3/16 = 0.1875, then 0.1875 + (3 − 0.1875)/16 = 0.36328125.
    expect(s.jitter.roundTrip.rfc3550).toBeCloseTo(0.36328125 * MS, 3);
  });

  it('IPDV pairs sequence neighbours whichever arrives second, and skips pairs with a loss', () => {
    const stats = session();
    for (let i = 0; i < 5; i++) stats.recordSent(i, i * MS);
    // 1 arrives before 0; 3 never arrives: pairs (0,1) and (1,2) only.
    stats.recordReply(sample(1, 1 * MS, 7 * MS, MS));
    stats.recordReply(sample(0, 0, 5 * MS, MS));
    stats.recordReply(sample(2, 2 * MS, 4 * MS, MS));
    stats.recordReply(sample(4, 4 * MS, 9 * MS, MS));
    const ipdv = stats.summary().jitter.forward.ipdv;
    // D(1) − D(0) = 2 ms, D(2) − D(1) = −3 ms.
    expect(ipdv).toMatchObject({ count: 2, min: -3 * MS, max: 2 * MS });
  });

  it('jitter is undefined before two replies', () => {
    const stats = session();
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, MS, MS));
    expect(stats.summary().jitter.roundTrip).toMatchObject({ rfc3550: undefined, ipdv: { count: 0 } });
  });

  it('one-way delays are never clamped', () => {
    const stats = session();
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, -5 * MS, 9 * MS));
    const s = stats.summary();
    expect(s.forward.min).toBe(-5 * MS);
    expect(s.backward.min).toBe(9 * MS);
    expect(s.roundTrip.min).toBe(4 * MS);
    expect(s.forward.reliable).toBe(false);
  });
});

describe('per-direction loss', () => {
  it('hand-computed: request 3 lost forward, reply 6 lost backward', () => {
    const stats = session({ reflectorStateful: true });
    let reflector = 0;
    for (let i = 0; i < 10; i++) {
      stats.recordSent(i, i * MS);
      if (i === 3) continue; // never reached the reflector
      const r = reflector++;
      if (i === 6) continue; // the reflector counted it, the reply was lost
      stats.recordReply({ ...sample(i, i * MS, MS, MS), reflectorSequence: r });
    }
    stats.expire(Infinity);
    expect(stats.summary().loss).toMatchObject({ sent: 10, received: 8, lost: 2, forwardLost: 1, backwardLost: 1 });
  });

  it('requests lost after the last answered one are not attributable and land in backwardLost', () => {
    const stats = session({ reflectorStateful: true });
    for (let i = 0; i < 5; i++) stats.recordSent(i, i * MS);
    stats.recordReply({ ...sample(0, 0, MS, MS), reflectorSequence: 0 });
    stats.recordReply({ ...sample(1, MS, MS, MS), reflectorSequence: 1 });
    stats.expire(Infinity);
    expect(stats.summary().loss).toMatchObject({ lost: 3, forwardLost: 0, backwardLost: 3 });
  });

  it('is undefined with a stateless reflector, and before any reply', () => {
    const stateless = session();
    stateless.recordSent(0, 0);
    stateless.expire(Infinity);
    expect(stateless.summary().loss).toMatchObject({ forwardLost: undefined, backwardLost: undefined });
    const stateful = session({ reflectorStateful: true });
    stateful.recordSent(0, 0);
    stateful.expire(Infinity);
    expect(stateful.summary().loss).toMatchObject({ lost: 1, forwardLost: undefined, backwardLost: undefined });
  });

  it('a reflector restart (its sequence falls while T2 advances) keeps earlier forward losses', () => {
    const stats = session({ reflectorStateful: true });
    // 0..4: request 2 lost forward, reflector counts 0, 1, 2, 3. Then the reflector restarts:
    // 5 → 0, 6 lost forward, 7 → 1.
    const plan: [number, number | undefined][] = [
      [0, 0],
      [1, 1],
      [2, undefined],
      [3, 2],
      [4, 3],
      [5, 0],
      [6, undefined],
      [7, 1],
    ];
    for (const [i, r] of plan) {
      stats.recordSent(i, i * MS);
      if (r !== undefined) stats.recordReply({ ...sample(i, i * MS, MS, MS), reflectorSequence: r });
    }
    stats.expire(Infinity);
    expect(stats.summary().loss).toMatchObject({ lost: 2, forwardLost: 2, backwardLost: 0 });
  });

  it('unwraps the reflector sequence at 2^32', () => {
    const stats = session({ reflectorStateful: true });
    const first = 2 ** 32 - 3;
    let reflector = first; // a reflector whose counter wraps (counted since long before)
    let forward = 0;
    for (let i = 0; i < 8; i++) {
      const seq = (first + i) % 2 ** 32;
      stats.recordSent(seq, i * MS);
      if (i === 4) {
        forward++;
        continue;
      }
      stats.recordReply({ ...sample(seq, i * MS, MS, MS), reflectorSequence: reflector++ % 2 ** 32 });
    }
    stats.expire(Infinity);
    const loss = stats.summary().loss;
    expect(forward).toBe(1);
    expect(loss.lost).toBe(1);
    // The counter did not start at 0 for this session, so the first reply looks like 2^32 − 3 requests
    // were counted: the forward figure is bounded by `lost`.
    expect(loss.forwardLost! + loss.backwardLost!).toBe(1);
  });
});

describe('hops and TOS', () => {
  it('hops per direction from TTLs (mode, min, max), only when both ends are known', () => {
    const stats = session();
    const ttls = [
      { sentTtl: 64, reflectorReceivedTtl: 60, replyTtl: 250 },
      { sentTtl: 64, reflectorReceivedTtl: 60, replyTtl: 251 },
      { sentTtl: 64, reflectorReceivedTtl: 58, replyTtl: 250, reflectorSentTtl: 254 },
      { sentTtl: 64 },
    ];
    ttls.forEach((extra, i) => {
      stats.recordSent(i, i);
      stats.recordReply(sample(i, i, 1, 1, extra));
    });
    // Forward 4, 4, 6; backward 5, 4, 4.
    expect(stats.summary().hops).toEqual({ forward: { mode: 4, min: 4, max: 6 }, backward: { mode: 4, min: 4, max: 5 } });
  });

  it('no TTLs, no hops', () => {
    const stats = session();
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, 1, 1));
    expect(stats.summary().hops).toEqual({ forward: undefined, backward: undefined });
    expect(stats.summary().tos).toEqual({
      forwardDscpChanged: undefined,
      forwardEcnChanged: undefined,
      backwardDscpChanged: undefined,
      backwardEcnChanged: undefined,
      forwardLast: undefined,
      backwardLast: undefined,
    });
  });

  it('counts DSCP (tos >> 2) and ECN (tos & 3) changes per direction', () => {
    const stats = session();
    const EF = 46 << 2;
    const tos = [
      { sentTos: EF, reflectorReceivedTos: EF, reflectorSentTos: EF, replyTos: EF },
      { sentTos: EF | 2, reflectorReceivedTos: EF | 3, reflectorSentTos: EF, replyTos: 0 },
      { sentTos: EF, reflectorReceivedTos: 0, reflectorSentTos: EF | 1, replyTos: EF | 1 },
    ];
    tos.forEach((extra, i) => {
      stats.recordSent(i, i);
      stats.recordReply(sample(i, i, 1, 1, extra));
    });
    expect(stats.summary().tos).toEqual({
      forwardDscpChanged: 1,
      forwardEcnChanged: 1,
      backwardDscpChanged: 1,
      backwardEcnChanged: 0,
      forwardLast: { sent: EF, received: 0 },
      backwardLast: { sent: EF | 1, received: EF | 1 },
    });
  });
});

describe('clock verdict', () => {
  function oneReply(extra: Parameters<typeof sample>[4], forward = 5 * MS, backward = 5 * MS): SessionStatistics {
    const stats = session();
    stats.recordSent(0, 0);
    stats.recordReply(sample(0, 0, forward, backward, extra));
    return stats;
  }

  it('reliable with synchronised clocks, small claims and consistent data', () => {
    const clock = oneReply({}).summary().clock;
    expect(clock).toEqual({ bothSynchronized: true, claimedErrorSeconds: 2e-6, sharedClock: false, offsetEstimate: 0, offsetBound: 5 * MS, oneWayReliable: true, reasons: [] });
    expect(oneReply({}).summary().forward.reliable).toBe(true);
  });

  it('no replies: not reliable', () => {
    expect(session().summary().clock).toMatchObject({ oneWayReliable: false, reasons: [CLOCK_REASONS.noSamples], offsetEstimate: undefined });
  });

  it('S bit 0 on either side', () => {
    const clock = oneReply({ senderClock: { synchronized: false, errorSeconds: 1e-6 }, reflectorClock: { synchronized: false, errorSeconds: 1e-6 } }).summary().clock;
    expect(clock.bothSynchronized).toBe(false);
    expect(clock.reasons).toEqual([CLOCK_REASONS.senderUnsynchronized, CLOCK_REASONS.reflectorUnsynchronized]);
  });

  it('claimed error above 10 % of the minimum RTT', () => {
    // RTT 10 ms; claims 0.6 + 0.6 ms = 1.2 ms > 1 ms.
    const claim = { synchronized: true, errorSeconds: 0.6e-3 };
    const clock = oneReply({ senderClock: claim, reflectorClock: claim }).summary().clock;
    expect(clock.claimedErrorSeconds).toBeCloseTo(1.2e-3, 12);
    expect(clock.reasons).toEqual([CLOCK_REASONS.claimedErrorTooLarge]);
    // 0.4 + 0.4 ms = 0.8 ms ≤ 1 ms is fine.
    const small = { synchronized: true, errorSeconds: 0.4e-3 };
    expect(oneReply({ senderClock: small, reflectorClock: small }).summary().clock.reasons).toEqual([]);
  });

  it('negative one-way delays and an offset beyond the claim contradict the clocks', () => {
    const clock = oneReply({}, -2 * MS, 12 * MS).summary().clock;
    // offset = ((T2 − T1) − (T4 − T3)) / 2 = (−2 − 12) / 2 = −7 ms; bound 5 ms.
    expect(clock.offsetEstimate).toBe(-7 * MS);
    expect(clock.offsetBound).toBe(5 * MS);
    expect(clock.reasons).toEqual([CLOCK_REASONS.negativeOneWay, CLOCK_REASONS.offsetBeyondClaim]);
  });

  it('an asymmetry beyond the claimed error is flagged even with positive one-way delays', () => {
    const clock = oneReply({}, 3 * MS, 7 * MS).summary().clock;
    expect(clock.offsetEstimate).toBe(-2 * MS);
    expect(clock.reasons).toEqual([CLOCK_REASONS.offsetBeyondClaim]);
  });

  it('the offset estimate averages the samples with the minimum RTT only', () => {
    const stats = session();
    const legs = [
      [3, 5], // RTT 8, offset −1
      [9, 9], // RTT 18: ignored
      [6, 2], // RTT 8, offset 2
    ] as const;
    legs.forEach(([fwd, bwd], i) => {
      stats.recordSent(i, i * 50 * MS);
      stats.recordReply(sample(i, i * 50 * MS, fwd * US, bwd * US, { senderClock: UNSYNCED, reflectorClock: SYNCED }));
    });
    const clock = stats.summary().clock;
    expect(clock.offsetEstimate).toBe(0.5 * US);
    expect(clock.offsetBound).toBe(4 * US);
    expect(clock.claimedErrorSeconds).toBeCloseTo(1.001e-3, 12);
    expect(clock.reasons).toEqual([CLOCK_REASONS.senderUnsynchronized, CLOCK_REASONS.claimedErrorTooLarge]);
  });
});

describe('windows', () => {
  it('a packet counts in the window in which it was decided', () => {
    const stats = session({ lossTimeout: 10 * MS });
    stats.recordSent(0, 0);
    stats.recordSent(1, MS);
    const w1 = stats.takeWindow();
    expect(w1.loss).toMatchObject({ sent: 2, received: 0, lost: 0, lossRatio: undefined });
    stats.recordReply(sample(0, 0, MS, MS));
    stats.expire(11 * MS);
    const w2 = stats.takeWindow();
    expect(w2.loss).toMatchObject({ sent: 0, received: 1, lost: 1, lossRatio: 0.5 });
    expect(w2.roundTrip.count).toBe(1);
    stats.recordReply(sample(1, MS, 20 * MS, MS));
    const w3 = stats.takeWindow();
    expect(w3.loss).toMatchObject({ sent: 0, received: 0, lost: 0, late: 1 });
    expect(stats.summary().loss).toMatchObject({ sent: 2, received: 1, lost: 1, late: 1 });
  });

  it('summary() changes nothing; takeWindow() only restarts the window', () => {
    const stats = session({ exactSampleLimit: 4, percentiles: [50, 99] });
    for (let i = 0; i < 20; i++) {
      stats.recordSent(i, i * MS);
      if (i % 5 !== 0) stats.recordReply(sample(i, i * MS, (i % 7) * MS, MS));
      if (i === 9) stats.takeWindow();
    }
    const a = stats.summary();
    const b = stats.summary();
    expect(b).toEqual(a);
    const window = stats.takeWindow();
    expect(stats.summary()).toEqual(a);
    expect(window.loss.sent).toBe(10);
    expect(a.roundTrip.exact).toBe(false);
  });

  it('the window reports RFC 3550 jitter only if it moved during the window', () => {
    const stats = session();
    for (let i = 0; i < 2; i++) {
      stats.recordSent(i, i * MS);
      stats.recordReply(sample(i, i * MS, (i + 1) * MS, MS));
    }
    expect(stats.takeWindow().jitter.forward.rfc3550).toBeCloseTo(MS / 16, 6);
    expect(stats.takeWindow().jitter.forward.rfc3550).toBeUndefined();
    expect(stats.summary().jitter.forward.rfc3550).toBeCloseTo(MS / 16, 6);
  });
});

describe('memory', () => {
  it('stays within its bound for 10^6 packets', () => {
    const stats = new SessionStatistics({ lossTimeout: 10 * MS, exactSampleLimit: 1000, inFlightCapacity: 256, reflectorStateful: true });
    const sampleObject = { ...sample(0, 0, MS, MS), sentTtl: 64, reflectorReceivedTtl: 60 };
    const mutable = sampleObject as { -readonly [K in keyof typeof sampleObject]: (typeof sampleObject)[K] };
    let largest = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const t1 = i * 10 * US;
      stats.recordSent(i, t1);
      if (i % 97 !== 0) {
        mutable.sequence = i;
        mutable.reflectorSequence = i;
        mutable.t1 = t1;
        mutable.t2 = t1 + MS + (i % 13) * US;
        mutable.t3 = mutable.t2 + US;
        mutable.t4 = mutable.t3 + MS - (i % 11) * US;
        stats.recordReply(sampleObject);
      }
      if ((i & 1023) === 0) {
        stats.expire(t1);
        largest = Math.max(largest, stats.byteLength);
      }
      if (i % 100_000 === 0) stats.takeWindow();
    }
    stats.expire(Infinity);
    expect(stats.summary().loss.received + stats.summary().loss.lost).toBe(1_000_000);
    expect(largest).toBeLessThanOrEqual(stats.maxByteLength);
    // Bound: the in-flight table at capacity and reorder history (two arrivals per slot, at most 1024),
    // plus per period 7 distributions at their limit and two hop counters of 256 float64.
    expect(stats.maxByteLength).toBe(256 * 49 + 512 * 8 + 2 * (7 * Distribution.maxByteLength(1000) + 2 * 4096));
    // 100 kpps with a 10 ms loss timeout keeps ~2000 requests within the 20 ms retention: the table reached its capacity.
    expect(largest).toBeGreaterThanOrEqual(256 * 49);
  });

  it('a slow session holds a few KiB: 100 packets at 1 pps stay under 8 KiB of typed arrays', () => {
    const stats = new SessionStatistics({ lossTimeout: 2000 * MS });
    // Fresh: the 8-slot in-flight table (392 bytes) and 16 arrivals of reorder history, nothing else.
    expect(stats.byteLength).toBe(8 * 49 + 16 * 8);
    const mutable = { ...sample(0, 0, MS, MS), sentTtl: 64, reflectorReceivedTtl: 60, replyTtl: 250 };
    for (let i = 0; i < 100; i++) {
      const t1 = i * 1000 * MS;
      stats.recordSent(i, t1);
      const jitter = ((i * 7919) % 500) * US;
      mutable.sequence = i;
      mutable.reflectorSequence = i;
      mutable.t1 = t1;
      mutable.t2 = t1 + 10 * MS + jitter;
      mutable.t3 = mutable.t2 + 20 * US;
      mutable.t4 = mutable.t3 + 10 * MS + jitter / 2;
      stats.recordReply(mutable);
      stats.expire(t1);
    }
    // 7 × 128 kept values in one buffer (7 168 bytes), the table, the reorder history and one (hops, count) pair per direction.
    expect(stats.byteLength).toBe(7 * 128 * 8 + 8 * 49 + 16 * 8 + 2 * 2 * 8);
    expect(stats.byteLength).toBeLessThanOrEqual(8 * 1024);
    const before = stats.byteLength;
    stats.summary();
    expect(stats.byteLength).toBe(before);
  });
});
