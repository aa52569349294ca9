// The sender's `--json` output, schema version 1: documented field by field in docs/json-schema.md and
// described by packages/cli/schema/twamp-result.schema.json (checked against real runs in tests).
// Delays are milliseconds as numbers with nanosecond resolution; what was not measured is null, never 0.
import { type ClockVerdictJson, clockVerdictJson, type DelaysJson, delaysJson, type JittersJson, jittersJson, type PacketCountsJson, type SessionSummary } from '@twamp/metrics';
import type { SenderReport } from '@twamp/test-session';
import { type StampReflectorJson, stampReflectorJson } from './stamp-reflector.js';

export type { DelaysJson, DistributionJson, JitterJson, JittersJson } from '@twamp/metrics';

export const SENDER_JSON_SCHEMA_VERSION = 1;

export interface SenderJsonSettings {
  readonly count: number | null;
  readonly intervalMs: number;
  readonly padding: number | string | null;
  readonly tos: number | null;
  readonly ttl: number | null;
  readonly dontFragment: boolean;
  readonly lossTimeoutMs: number;
  readonly ssid: number | null;
  /** How send times were spaced; `intervalMs` is the mean for poisson. */
  readonly schedule: 'periodic' | 'poisson';
  /** The Poisson schedule's seed (to repeat a run), null for periodic. */
  readonly scheduleSeed: number | null;
  /** --duration in seconds, null when the run was bounded by count or ran until stopped. */
  readonly durationS: number | null;
  /** --interval-report in seconds, null without it. */
  readonly intervalReportS: number | null;
  /** False with --stateless: per-direction loss is then unknown (null). */
  readonly reflectorStateful: boolean;
  /** Percentiles computed for every distribution (keys of each `percentiles` object). */
  readonly percentiles: readonly number[];
  /** STAMP TLVs sent with every request (--tlv), by name. */
  readonly tlvs: readonly string[];
  /** STAMP security mode (RFC 8762 §4.3): `open` or `authenticated`; null outside STAMP (TWAMP Light, the controller). */
  readonly stampSecurity: 'open' | 'authenticated' | null;
}

export interface SenderJson {
  readonly schemaVersion: typeof SENDER_JSON_SCHEMA_VERSION;
  /** `controller` adds a `control` object (the negotiated TWAMP-Control session). */
  readonly command: 'sender' | 'controller';
  readonly protocol: string;
  readonly target: { readonly address: string; readonly port: number };
  readonly local: { readonly address: string; readonly port: number };
  readonly startedAt: string;
  readonly durationMs: number;
  readonly aborted: boolean;
  readonly settings: SenderJsonSettings;
  /** The packet counts every record shares, plus what only the whole run knows. */
  readonly packets: PacketCountsJson & {
    readonly evicted: number;
    readonly unknownReplies: number;
    readonly reorderedRatio: number | null;
    readonly reorderMaxExtent: number | null;
    readonly malformedReplies: number;
    readonly sendErrors: number;
  };
  readonly delayMs: DelaysJson;
  readonly jitterMs: JittersJson;
  readonly hops: {
    readonly outbound: { readonly mode: number; readonly min: number; readonly max: number } | null;
    readonly inbound: { readonly mode: number; readonly min: number; readonly max: number } | null;
  };
  readonly tos: {
    readonly outboundDscpChanged: number | null;
    readonly outboundEcnChanged: number | null;
    readonly inboundDscpChanged: number | null;
    readonly inboundEcnChanged: number | null;
    readonly outboundLast: { readonly sent: number; readonly received: number } | null;
    readonly inboundLast: { readonly sent: number; readonly received: number } | null;
  };
  readonly timestamps: { readonly t1: string; readonly t4: string };
  readonly clock: ClockVerdictJson & {
    readonly senderSynchronized: boolean;
    readonly senderSource: string;
  };
  readonly socket: {
    readonly implementation: string;
    readonly missing: readonly string[];
  };
  /** STAMP: what the replies said about the reflector's RFC 8972 support (the text's warning); null otherwise. */
  readonly stampReflector: StampReflectorJson | null;
}

function orNull<T>(value: T | undefined): T | null {
  return value ?? null;
}

function packets(summary: SessionSummary, report: SenderReport): SenderJson['packets'] {
  const { loss, reorder } = summary;
  return {
    sent: loss.sent,
    received: loss.received,
    lost: loss.lost,
    lossRatio: orNull(loss.lossRatio),
    outboundLost: orNull(loss.forwardLost),
    inboundLost: orNull(loss.backwardLost),
    duplicates: loss.duplicates,
    late: loss.late,
    evicted: loss.evicted,
    unknownReplies: loss.unknown,
    reordered: reorder.reordered,
    reorderedRatio: orNull(reorder.ratio),
    reorderMaxExtent: orNull(reorder.maxExtent),
    malformedReplies: report.malformedReplies,
    sendErrors: report.sendErrors,
  };
}

/** The `--json` object for a sender run. */
export function senderJson(report: SenderReport, settings: SenderJsonSettings, missing: readonly string[]): SenderJson {
  const { summary } = report;
  const { clock, tos, hops } = summary;
  return {
    schemaVersion: SENDER_JSON_SCHEMA_VERSION,
    command: 'sender',
    protocol: report.protocol,
    target: { address: report.target.address, port: report.target.port },
    local: { address: report.local.address, port: report.local.port },
    startedAt: new Date(report.startedAtMs).toISOString(),
    durationMs: report.durationMs,
    aborted: report.aborted,
    settings,
    packets: packets(summary, report),
    delayMs: delaysJson(summary),
    jitterMs: jittersJson(summary),
    hops: { outbound: orNull(hops.forward), inbound: orNull(hops.backward) },
    tos: {
      outboundDscpChanged: orNull(tos.forwardDscpChanged),
      outboundEcnChanged: orNull(tos.forwardEcnChanged),
      inboundDscpChanged: orNull(tos.backwardDscpChanged),
      inboundEcnChanged: orNull(tos.backwardEcnChanged),
      outboundLast: orNull(tos.forwardLast),
      inboundLast: orNull(tos.backwardLast),
    },
    timestamps: { t1: report.timestamps.t1, t4: report.timestamps.t4 },
    clock: {
      senderSynchronized: report.clock.synchronized,
      senderSource: report.clock.source,
      ...clockVerdictJson(clock),
    },
    socket: { implementation: report.capabilities.implementation, missing },
    stampReflector: stampReflectorJson(report),
  };
}
