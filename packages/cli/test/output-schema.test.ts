// The JSON Schema files (packages/cli/schema) against what the formatters produce: the --json result
// of sender and controller, every --jsonl record kind, and the cases the schema must refuse.
import { describe, expect, it } from 'vitest';
import { controlJson } from '../src/control/output.js';
import { intervalRecord, lostRecord, packetRecord, summaryRecord } from '../src/output/records.js';
import { senderJson } from '../src/output/sender-json.js';
import { outputValidators, schemaErrors } from './output-schema-validator.js';
import { JSON_SETTINGS, packetResult } from './output-support.js';
import { EMPTY_DISTRIBUTION, fixedReport, fixedSummary } from './report-fixture.js';

const { result, record } = outputValidators();

function controllerJson(): Record<string, unknown> {
  const json = senderJson(fixedReport({ protocol: 'twamp' }), { ...JSON_SETTINGS, padding: 27 }, []);
  const control = controlJson({
    server: { address: '127.0.0.1', port: 862 },
    mode: 1,
    serverModes: 0b1111,
    sid: new Uint8Array(16).fill(0xab),
    sender: { address: '127.0.0.1', port: 40000 },
    receiver: { address: '127.0.0.1', port: 8760 },
    requestedReceiverPort: 0,
    paddingLength: 27,
    timeoutSeconds: 2,
    dscp: undefined,
  });
  return { ...json, command: 'controller', control };
}

describe('twamp-result.schema.json', () => {
  it('accepts the sender result, measured or empty', () => {
    expect(schemaErrors(result, JSON.parse(JSON.stringify(senderJson(fixedReport(), JSON_SETTINGS, ['received TTL']))))).toBe('');
    const empty = fixedSummary({
      loss: { sent: 3, received: 0, lost: 3, lossRatio: 1, forwardLost: undefined, backwardLost: undefined, duplicates: 0, late: 0, evicted: 0, unknown: 0 },
      roundTrip: EMPTY_DISTRIBUTION,
      forward: { ...EMPTY_DISTRIBUTION, reliable: false },
      backward: { ...EMPTY_DISTRIBUTION, reliable: false },
      processing: EMPTY_DISTRIBUTION,
      reorder: { reordered: 0, ratio: undefined, maxExtent: undefined },
      hops: { forward: undefined, backward: undefined },
    });
    const settings = { ...JSON_SETTINGS, count: null, padding: 'imix', schedule: 'poisson' as const, scheduleSeed: 42, durationS: 3.5, intervalReportS: 1, tlvs: ['location'] };
    expect(schemaErrors(result, JSON.parse(JSON.stringify(senderJson(fixedReport({ summary: empty, aborted: true }), settings, []))))).toBe('');
  });

  it('accepts the controller result, which must carry `control`', () => {
    const json = JSON.parse(JSON.stringify(controllerJson())) as Record<string, unknown>;
    expect(schemaErrors(result, json)).toBe('');
    const withoutControl = { ...json };
    delete withoutControl['control'];
    expect(result(withoutControl)).toBe(false);
    expect(result({ ...JSON.parse(JSON.stringify(senderJson(fixedReport(), JSON_SETTINGS, []))), control: json['control'] })).toBe(false);
  });

  it('refuses undocumented fields, wrong units and other versions', () => {
    const json = JSON.parse(JSON.stringify(senderJson(fixedReport(), JSON_SETTINGS, []))) as Record<string, unknown>;
    expect(result({ ...json, surprise: 1 })).toBe(false);
    expect(result({ ...json, schemaVersion: 2 })).toBe(false);
    expect(result({ ...json, durationMs: '3 s' })).toBe(false);
    expect(result({ ...json, startedAt: 'yesterday' })).toBe(false);
    const delays = json['delayMs'] as Record<string, Record<string, unknown>>;
    expect(result({ ...json, delayMs: { ...delays, roundTrip: { ...delays['roundTrip'], reliable: true } } })).toBe(false);
  });
});

describe('twamp-record.schema.json', () => {
  it('accepts every record kind', () => {
    const records: unknown[] = [
      packetRecord(packetResult(), 1_790_000_000),
      packetRecord(packetResult({ disposition: 'late', replyTtl: undefined }), undefined),
      lostRecord(4, Date.UTC(2026, 10, 26, 3, 0, 1)),
      intervalRecord(0, fixedSummary(), Date.UTC(2026, 10, 26, 3, 0, 2)),
      summaryRecord(senderJson(fixedReport(), JSON_SETTINGS, [])),
      { record: 'summary', ...controllerJson() },
    ];
    for (const value of records) expect(schemaErrors(record, JSON.parse(JSON.stringify(value)))).toBe('');
  });

  it('refuses unknown kinds, a summary without its marker and misspelt fields', () => {
    expect(record({ schemaVersion: 1, record: 'hello' })).toBe(false);
    expect(record(JSON.parse(JSON.stringify(senderJson(fixedReport(), JSON_SETTINGS, []))))).toBe(false);
    expect(record({ ...lostRecord(4, 0), seq: 4 })).toBe(false);
    expect(record({ ...packetRecord(packetResult(), undefined), disposition: 'maybe' })).toBe(false);
  });
});
