// The `--jsonl` stream: one JSON object per line, each with `schemaVersion` and `record` naming its
// kind: `packet` for every reply, `lost` for every request that timed out, `interval` every
// --interval-report seconds, and finally `summary` (the --json object). Schema: docs/json-schema.md
// and packages/cli/schema/twamp-record.schema.json. Pure builders; the command writes the lines.
import { type DelaysJson, delaysJson, type JittersJson, jittersJson, msForJson, type PacketCountsJson, packetCountsJson, type SessionSummary } from '@twamp/metrics';
import type { PacketResult } from '@twamp/test-session';
import { SENDER_JSON_SCHEMA_VERSION, type SenderJson } from './sender-json.js';

export interface PacketRecord {
  readonly schemaVersion: typeof SENDER_JSON_SCHEMA_VERSION;
  readonly record: 'packet';
  readonly sequence: number;
  readonly reflectorSequence: number;
  /** counted (in every statistic), duplicate, late (after its loss timeout) or unknown (never sent / forgotten). */
  readonly disposition: PacketResult['disposition'];
  /** T1..T4 as Unix seconds (fractional; about 0.25 µs resolution), null when the run's epoch is unknown. */
  readonly t1: number | null;
  readonly t2: number | null;
  readonly t3: number | null;
  readonly t4: number | null;
  readonly rttMs: number | null;
  readonly outboundMs: number | null;
  readonly inboundMs: number | null;
  readonly processingMs: number | null;
  readonly sentTtl: number | null;
  readonly reflectorReceivedTtl: number | null;
  readonly replyTtl: number | null;
  readonly sentTos: number | null;
  readonly reflectorReceivedTos: number | null;
  readonly replyTos: number | null;
  readonly requestOctets: number | null;
  readonly replyOctets: number | null;
}

export interface LostRecord {
  readonly schemaVersion: typeof SENDER_JSON_SCHEMA_VERSION;
  readonly record: 'lost';
  readonly sequence: number;
  /** When the loss was declared (T1 + the loss timeout, give or take a timer tick). */
  readonly at: string;
}

export interface IntervalRecord {
  readonly schemaVersion: typeof SENDER_JSON_SCHEMA_VERSION;
  readonly record: 'interval';
  /** 0, 1, 2, ...; the last window of a run is usually shorter than the others. */
  readonly index: number;
  /** When the window closed. */
  readonly at: string;
  readonly packets: PacketCountsJson;
  readonly delayMs: DelaysJson;
  readonly jitterMs: JittersJson;
}

export type SummaryRecord = SenderJson & { readonly record: 'summary' };

function orNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

/** Relative ns → Unix seconds, or null without an epoch. */
function unixSeconds(epochUnixSeconds: number | undefined, ns: number): number | null {
  if (epochUnixSeconds === undefined || !Number.isFinite(ns)) return null;
  return epochUnixSeconds + ns / 1e9;
}

export function packetRecord(result: PacketResult, epochUnixSeconds: number | undefined): PacketRecord {
  return {
    schemaVersion: SENDER_JSON_SCHEMA_VERSION,
    record: 'packet',
    sequence: result.sequence,
    reflectorSequence: result.reflectorSequence,
    disposition: result.disposition,
    t1: unixSeconds(epochUnixSeconds, result.t1),
    t2: unixSeconds(epochUnixSeconds, result.t2),
    t3: unixSeconds(epochUnixSeconds, result.t3),
    t4: unixSeconds(epochUnixSeconds, result.t4),
    rttMs: msForJson(result.rtt),
    outboundMs: msForJson(result.forward),
    inboundMs: msForJson(result.backward),
    processingMs: msForJson(result.processing),
    sentTtl: orNull(result.sentTtl),
    reflectorReceivedTtl: orNull(result.reflectorReceivedTtl),
    replyTtl: orNull(result.replyTtl),
    sentTos: orNull(result.sentTos),
    reflectorReceivedTos: orNull(result.reflectorReceivedTos),
    replyTos: orNull(result.replyTos),
    requestOctets: orNull(result.requestLength),
    replyOctets: orNull(result.replyLength),
  };
}

export function lostRecord(sequence: number, atMs: number): LostRecord {
  return { schemaVersion: SENDER_JSON_SCHEMA_VERSION, record: 'lost', sequence, at: new Date(atMs).toISOString() };
}

export function intervalRecord(index: number, summary: SessionSummary, atMs: number): IntervalRecord {
  return {
    schemaVersion: SENDER_JSON_SCHEMA_VERSION,
    record: 'interval',
    index,
    at: new Date(atMs).toISOString(),
    packets: packetCountsJson(summary),
    delayMs: delaysJson(summary),
    jitterMs: jittersJson(summary),
  };
}

/** The last line of a JSON Lines stream: the --json object, marked as the summary. */
export function summaryRecord(json: SenderJson): SummaryRecord {
  const { schemaVersion, ...rest } = json;
  return { schemaVersion, record: 'summary', ...rest };
}
