import { describe, expect, it } from 'vitest';
import { senderJson } from '../src/output/sender-json.js';
import { fixedReport } from './report-fixture.js';

const SETTINGS = {
  count: 10,
  intervalMs: 100,
  padding: 'symmetric',
  tos: 0x88,
  ttl: null,
  dontFragment: false,
  lossTimeoutMs: 2000,
  ssid: null,
  schedule: 'periodic' as const,
  scheduleSeed: null,
  durationS: null,
  intervalReportS: null,
  reflectorStateful: true,
  percentiles: [50, 90, 99],
  tlvs: [],
  stampSecurity: null,
};

describe('senderJson (schema version 1)', () => {
  it('has the documented shape, delays in ms and null for what was not measured', () => {
    const json = JSON.parse(JSON.stringify(senderJson(fixedReport(), SETTINGS, []))) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'schemaVersion',
      'command',
      'protocol',
      'target',
      'local',
      'startedAt',
      'durationMs',
      'aborted',
      'settings',
      'packets',
      'delayMs',
      'jitterMs',
      'hops',
      'tos',
      'timestamps',
      'clock',
      'socket',
      'stampReflector',
    ]);
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'sender',
      protocol: 'twamp-light',
      target: { address: '127.0.0.1', port: 862 },
      local: { address: '127.0.0.1', port: 40000 },
      startedAt: '2026-11-26T03:00:00.000Z',
      durationMs: 3000,
      aborted: false,
      settings: SETTINGS,
      packets: {
        sent: 10,
        received: 9,
        lost: 1,
        lossRatio: 0.1,
        outboundLost: 0,
        inboundLost: 1,
        duplicates: 2,
        late: 0,
        evicted: 0,
        unknownReplies: 0,
        reordered: 1,
        reorderMaxExtent: 1,
        malformedReplies: 0,
        sendErrors: 0,
      },
      delayMs: {
        outbound: { count: 9, min: 0.021, median: 0.034, mean: 0.036, max: 0.081, stddev: 0.009, reliable: false, exact: true },
        inbound: { min: 0.012, reliable: false },
        roundTrip: { min: 0.041, median: 0.05525, mean: 0.057125, max: 0.122, stddev: 0.013004, percentiles: { '50': 0.05525, '90': 0.121, '99': 0.122 } },
        processing: { min: 0.005 },
      },
      jitterMs: { definition: 'rfc3550', outbound: { rfc3550: 0.004, ipdv: { count: 8, min: -0.002 } }, roundTrip: { rfc3550: 0.006 } },
      hops: { outbound: { mode: 0, min: 0, max: 0 }, inbound: { mode: 0, min: 0, max: 0 } },
      tos: { outboundDscpChanged: 0, outboundLast: { sent: 0x88, received: 0x88 } },
      timestamps: { t1: 'stamp-on-send', t4: 'kernel' },
      clock: {
        senderSynchronized: false,
        senderSource: 'adjtimex',
        bothSynchronized: false,
        claimedErrorMs: null,
        claimedErrorUnbounded: false,
        sharedClock: false,
        offsetEstimateMs: 0.0015,
        offsetBoundMs: 0.0205,
        oneWayReliable: false,
        reasons: ['the sender clock is not synchronised'],
      },
      socket: { implementation: 'native', missing: [] },
      stampReflector: null,
    });
    expect((json['packets'] as { reorderedRatio: number }).reorderedRatio).toBeCloseTo(1 / 9);
  });

  it('writes null, not 0, for unknown per-direction loss and hops', () => {
    const base = fixedReport();
    const report = fixedReport({
      summary: {
        ...base.summary,
        loss: { ...base.summary.loss, forwardLost: undefined, backwardLost: undefined },
        hops: { forward: undefined, backward: undefined },
      },
    });
    const json = senderJson(report, SETTINGS, ['received TTL']);
    expect(json.packets.outboundLost).toBeNull();
    expect(json.packets.inboundLost).toBeNull();
    expect(json.hops).toEqual({ outbound: null, inbound: null });
    expect(json.socket.missing).toEqual(['received TTL']);
  });
});
