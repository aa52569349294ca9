// A fixed SenderReport for formatter tests: 10 packets to a stateful reflector on loopback, 1 lost on
// the way back, one-way delays unreliable (unsynchronised clocks).
import type { DistributionSummary, JitterSummary, OneWaySummary, SessionSummary } from '@twamp/metrics';
import type { SenderReport } from '@twamp/test-session';
import type { UdpCapabilities } from '@twamp/udp';

export function distribution(ns: { min: number; median: number; mean: number; max: number; stddev: number }, count = 9): DistributionSummary {
  return { count, ...ns, percentiles: { 50: ns.median, 90: ns.max - 1000, 99: ns.max }, exact: true };
}

const EMPTY: DistributionSummary = {
  count: 0,
  min: undefined,
  max: undefined,
  mean: undefined,
  stddev: undefined,
  median: undefined,
  percentiles: {},
  exact: true,
};

function oneWay(d: DistributionSummary, reliable: boolean): OneWaySummary {
  return { ...d, reliable };
}

function jitter(rfc3550: number): JitterSummary {
  return { rfc3550, ipdv: distribution({ min: -2000, median: 0, mean: 10, max: 3000, stddev: 900 }, 8) };
}

export function fixedSummary(overrides: Partial<SessionSummary> = {}): SessionSummary {
  return {
    loss: { sent: 10, received: 9, lost: 1, lossRatio: 0.1, forwardLost: 0, backwardLost: 1, duplicates: 2, late: 0, evicted: 0, unknown: 0 },
    roundTrip: distribution({ min: 41_000, median: 55_250, mean: 57_125, max: 122_000, stddev: 13_004 }),
    forward: oneWay(distribution({ min: 21_000, median: 34_000, mean: 36_000, max: 81_000, stddev: 9_000 }), false),
    backward: oneWay(distribution({ min: 12_000, median: 18_000, mean: 19_000, max: 44_000, stddev: 5_000 }), false),
    processing: distribution({ min: 5_000, median: 7_000, mean: 8_000, max: 20_000, stddev: 2_000 }),
    jitter: { roundTrip: jitter(6_000), forward: jitter(4_000), backward: jitter(3_000) },
    reorder: { reordered: 1, ratio: 1 / 9, maxExtent: 1 },
    hops: { forward: { mode: 0, min: 0, max: 0 }, backward: { mode: 0, min: 0, max: 0 } },
    tos: {
      forwardDscpChanged: 0,
      forwardEcnChanged: 0,
      backwardDscpChanged: 0,
      backwardEcnChanged: 0,
      forwardLast: { sent: 0x88, received: 0x88 },
      backwardLast: { sent: 0x88, received: 0x88 },
    },
    clock: {
      bothSynchronized: false,
      claimedErrorSeconds: undefined,
      sharedClock: false,
      offsetEstimate: 1_500,
      offsetBound: 20_500,
      oneWayReliable: false,
      reasons: ['the sender clock is not synchronised'],
    },
    ...overrides,
  };
}

export const EMPTY_DISTRIBUTION = EMPTY;

export const NATIVE: UdpCapabilities = {
  implementation: 'native',
  setTtl: true,
  setTos: true,
  dontFragment: true,
  receiveTtl: true,
  receiveTos: true,
  localAddress: true,
  kernelTimestamps: true,
  stampOnSend: true,
  batching: true,
};

export const DGRAM: UdpCapabilities = {
  implementation: 'dgram',
  setTtl: true,
  setTos: false,
  dontFragment: false,
  receiveTtl: false,
  receiveTos: false,
  localAddress: false,
  kernelTimestamps: false,
  stampOnSend: false,
  batching: false,
};

export function fixedReport(overrides: Partial<SenderReport> = {}): SenderReport {
  return {
    protocol: 'twamp-light',
    target: { address: '127.0.0.1', port: 862 },
    local: { address: '127.0.0.1', port: 40000 },
    epochUnixSeconds: 1_790_000_000,
    startedAtMs: Date.UTC(2026, 10, 26, 3, 0, 0),
    durationMs: 3_000,
    summary: fixedSummary(),
    timestamps: { t1: 'stamp-on-send', t4: 'kernel' },
    clock: { synchronized: false, estimatedErrorSeconds: undefined, maximumErrorSeconds: undefined, source: 'adjtimex' },
    capabilities: NATIVE,
    malformedReplies: 0,
    sendErrors: 0,
    eventsDropped: 0,
    aborted: false,
    ...overrides,
  };
}
