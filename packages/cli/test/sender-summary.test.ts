import { describe, expect, it } from 'vitest';
import { formatSenderSummary } from '../src/output/sender-summary.js';
import { DGRAM, EMPTY_DISTRIBUTION, fixedReport, fixedSummary } from './report-fixture.js';

describe('formatSenderSummary', () => {
  it('prints the per-direction table and the lines that qualify it', () => {
    expect(formatSenderSummary(fixedReport(), { percentiles: [90, 99] })).toBe(
      [
        'TWAMP Light 127.0.0.1:40000 -> 127.0.0.1:862: 10 sent, 9 received in 3.0 s',
        '',
        '              min  median   mean    max  stddev    p90    p99  jitter           loss',
        'outbound*   0.021   0.034  0.036  0.081   0.009  0.080  0.081   0.004   0/10 (0.00%)',
        'inbound*    0.012   0.018  0.019  0.044   0.005  0.043  0.044   0.003  1/10 (10.00%)',
        'round trip  0.041   0.055  0.057  0.122   0.013  0.121  0.122   0.006  1/10 (10.00%)',
        'delays in ms; jitter: RFC 3550 interarrival jitter (running mean of |D(i-1,i)| with gain 1/16)',
        '',
        'packets:    2 duplicates, 0 late, 1 reordered (11.11%, max extent 1)',
        'hops:       outbound 0 hops, inbound 0 hops',
        'DSCP/ECN:   outbound unchanged (AF41 (34) Not-ECT -> AF41 (34) Not-ECT); inbound unchanged (AF41 (34) Not-ECT -> AF41 (34) Not-ECT)',
        'reflector:  processing time (T3 - T2) min 0.005 / median 0.007 / mean 0.008 / max 0.020 ms',
        'timestamps: T1 written just before sendmsg(), T4 kernel (SO_TIMESTAMPNS); native socket',
        'clock:      sender not synchronised (adjtimex); both ends synchronised: no; offset estimate (reflector - sender) 0.002 ms +/- 0.021 ms',
        'warning: outbound* and inbound* delays are unreliable: they include the unknown offset between the two clocks; trust the round trip.',
        '  - the sender clock is not synchronised',
      ].join('\n'),
    );
  });

  it('shows one-way rows without a mark or warning when the clocks support them', () => {
    const summary = fixedSummary({
      clock: { bothSynchronized: true, claimedErrorSeconds: 0.000_02, sharedClock: false, offsetEstimate: 100, offsetBound: 20_000, oneWayReliable: true, reasons: [] },
    });
    const text = formatSenderSummary(
      fixedReport({ summary: { ...summary, forward: { ...summary.forward, reliable: true }, backward: { ...summary.backward, reliable: true } } }),
    );
    expect(text).toMatch(/^outbound +0\.021/m);
    expect(text).not.toMatch(/warning|\*/);
    expect(text).toContain('both ends synchronised: yes; claimed error 0.020 ms');
    const unsynchronised = fixedSummary({ clock: { ...summary.clock, claimedErrorSeconds: Infinity } });
    expect(formatSenderSummary(fixedReport({ summary: unsynchronised }))).toContain('claimed error unbounded;');
    const seconds = fixedSummary({ clock: { ...summary.clock, claimedErrorSeconds: 2.5 } });
    expect(formatSenderSummary(fixedReport({ summary: seconds }))).toContain('claimed error 2.5 s;');
  });

  it('says what is unknown instead of printing zeros', () => {
    const summary = fixedSummary({
      loss: { sent: 5, received: 0, lost: 5, lossRatio: 1, forwardLost: undefined, backwardLost: undefined, duplicates: 0, late: 0, evicted: 0, unknown: 0 },
      roundTrip: EMPTY_DISTRIBUTION,
      forward: { ...EMPTY_DISTRIBUTION, reliable: false },
      backward: { ...EMPTY_DISTRIBUTION, reliable: false },
      processing: EMPTY_DISTRIBUTION,
      jitter: {
        roundTrip: { rfc3550: undefined, ipdv: EMPTY_DISTRIBUTION },
        forward: { rfc3550: undefined, ipdv: EMPTY_DISTRIBUTION },
        backward: { rfc3550: undefined, ipdv: EMPTY_DISTRIBUTION },
      },
      reorder: { reordered: 0, ratio: undefined, maxExtent: undefined },
      hops: { forward: undefined, backward: undefined },
      tos: {
        forwardDscpChanged: undefined,
        forwardEcnChanged: undefined,
        backwardDscpChanged: undefined,
        backwardEcnChanged: undefined,
        forwardLast: undefined,
        backwardLast: undefined,
      },
      clock: { bothSynchronized: false, claimedErrorSeconds: undefined, sharedClock: false, offsetEstimate: undefined, offsetBound: undefined, oneWayReliable: false, reasons: [] },
    });
    const text = formatSenderSummary(fixedReport({ summary, capabilities: DGRAM, timestamps: { t1: 'userspace', t4: 'userspace' }, aborted: true }));
    expect(text).toContain('10 sent'.replace('10', '5'));
    expect(text).toContain('(interrupted: partial summary)');
    expect(text).toMatch(/^outbound +- +- +- +- +- +- +unknown$/m);
    expect(text).toMatch(/^round trip +- +- +- +- +- +- +5\/5 \(100\.00%\)$/m);
    expect(text).toContain('hops:       outbound unknown, inbound unknown');
    expect(text).toContain('DSCP/ECN:   outbound unknown; inbound unknown');
    expect(text).toContain('T1 userspace (read by the program, not at the system call), T4 userspace (read by the program, not at the system call); node:dgram fallback (missing: kernel receive timestamps');
    // Nothing shown, nothing to warn about.
    expect(text).not.toContain('warning');
  });

  it('mentions evicted and unknown replies only when there are some', () => {
    const base = fixedSummary();
    const summary = fixedSummary({ loss: { ...base.loss, evicted: 3, unknown: 2 } });
    expect(formatSenderSummary(fixedReport({ summary }))).toContain(
      'packets:    2 duplicates, 0 late, 1 reordered (11.11%, max extent 1), 3 lost for want of in-flight slots, 2 replies to unknown sequence numbers',
    );
  });

  it('counts DSCP and ECN changes per direction', () => {
    const summary = fixedSummary({
      tos: {
        forwardDscpChanged: 9,
        forwardEcnChanged: 1,
        backwardDscpChanged: 0,
        backwardEcnChanged: 0,
        forwardLast: { sent: 0xb8, received: 0x03 },
        backwardLast: { sent: 0, received: 0 },
      },
    });
    expect(formatSenderSummary(fixedReport({ summary }))).toContain(
      'DSCP/ECN:   outbound DSCP changed on 9, ECN on 1 packets (EF (46) Not-ECT -> CS0 (0) CE); inbound unchanged (CS0 (0) Not-ECT -> CS0 (0) Not-ECT)',
    );
  });
});
