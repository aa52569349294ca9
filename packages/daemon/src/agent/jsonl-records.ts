// The agent's JSON Lines records (schemaVersion 1): `window` per target and reporting window,
// `failure` when a target fails, `state` when it changes state, `dropped` when the sink had to drop
// lines. Delays and jitter in the shape the CLI prints (@twamp/metrics' delaysJson/jittersJson).
// Pure builders; docs/daemon.md (section agent) lists every field.
import { type ClockVerdictJson, clockVerdictJson, type DelaysJson, delaysJson, type JittersJson, jittersJson, type PacketCountsJson, packetCountsJson } from '@twamp/metrics';
import type { ClockStatus } from '@twamp/udp';
import type { AgentFailure, AgentTargetInfo, AgentWindow, TargetState } from '../types.js';

export const AGENT_RECORD_SCHEMA_VERSION = 1;

interface TargetFields {
  readonly target: string;
  readonly protocol: AgentTargetInfo['protocol'];
  readonly address: string;
  readonly port: number;
  readonly mode: AgentTargetInfo['mode'];
  readonly dscp: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface WindowRecord extends TargetFields {
  readonly schemaVersion: typeof AGENT_RECORD_SCHEMA_VERSION;
  readonly record: 'window';
  /** When the window closed (ISO 8601, UTC). */
  readonly time: string;
  readonly window: { readonly index: number; readonly start: string; readonly end: string; readonly durationMs: number };
  readonly packets: PacketCountsJson & {
    readonly malformedReplies: number | null;
    readonly sendErrors: number | null;
  };
  readonly delayMs: DelaysJson;
  readonly jitterMs: JittersJson;
  readonly clock: ClockVerdictJson & {
    readonly senderSynchronized: boolean | null;
    readonly senderSource: ClockStatus['source'] | null;
  };
  readonly timestamps: { readonly t1: string; readonly t4: string } | null;
}

export interface FailureRecord extends TargetFields {
  readonly schemaVersion: typeof AGENT_RECORD_SCHEMA_VERSION;
  readonly record: 'failure';
  readonly time: string;
  readonly message: string;
  readonly code: string | null;
  readonly accept: number | null;
  readonly attempt: number;
  readonly retryInMs: number;
}

export interface StateRecord extends TargetFields {
  readonly schemaVersion: typeof AGENT_RECORD_SCHEMA_VERSION;
  readonly record: 'state';
  readonly time: string;
  readonly state: TargetState;
}

export interface DroppedRecord {
  readonly schemaVersion: typeof AGENT_RECORD_SCHEMA_VERSION;
  readonly record: 'dropped';
  readonly time: string;
  /** Lines not written since the previous `dropped` record (the output could not keep up, or failed). */
  readonly lines: number;
}

function orNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function targetFields(target: AgentTargetInfo): TargetFields {
  return {
    target: target.name,
    protocol: target.protocol,
    address: target.address,
    port: target.port,
    mode: target.mode,
    dscp: target.dscp,
    labels: target.labels,
  };
}

/**
 * The window's packet counts and the sender's own. Field by field: a leading object spread
 * ({ ...counts, more }) takes V8's slow path and leaves ~250 octets per call in the old generation,
 * once per window for each of thousands of targets.
 */
function packetsJson(summary: AgentWindow['summary'], window: AgentWindow): WindowRecord['packets'] {
  const { sent, received, lost, lossRatio, outboundLost, inboundLost, duplicates, late, reordered } = packetCountsJson(summary);
  const malformedReplies = orNull(window.malformedReplies);
  const sendErrors = orNull(window.sendErrors);
  return { sent, received, lost, lossRatio, outboundLost, inboundLost, duplicates, late, reordered, malformedReplies, sendErrors };
}

/** `senderClock`: this host's clock when the window closed, or undefined when not known. */
export function windowRecord(window: AgentWindow, senderClock: ClockStatus | undefined): WindowRecord {
  const { summary } = window;
  const { clock } = summary;
  return {
    schemaVersion: AGENT_RECORD_SCHEMA_VERSION,
    record: 'window',
    time: iso(window.endMs),
    ...targetFields(window.target),
    window: { index: window.index, start: iso(window.startMs), end: iso(window.endMs), durationMs: window.endMs - window.startMs },
    packets: packetsJson(summary, window),
    delayMs: delaysJson(summary),
    jitterMs: jittersJson(summary),
    clock: {
      senderSynchronized: senderClock === undefined ? null : senderClock.synchronized,
      senderSource: senderClock === undefined ? null : senderClock.source,
      ...clockVerdictJson(clock),
    },
    timestamps: window.timestamps === undefined ? null : { t1: window.timestamps.t1, t4: window.timestamps.t4 },
  };
}

export function failureRecord(failure: AgentFailure, atMs: number): FailureRecord {
  return {
    schemaVersion: AGENT_RECORD_SCHEMA_VERSION,
    record: 'failure',
    time: iso(atMs),
    ...targetFields(failure.target),
    message: failure.message,
    code: failure.code ?? null,
    accept: failure.accept ?? null,
    attempt: failure.attempt,
    retryInMs: failure.retryInMs,
  };
}

export function stateRecord(target: AgentTargetInfo, state: TargetState, atMs: number): StateRecord {
  return { schemaVersion: AGENT_RECORD_SCHEMA_VERSION, record: 'state', time: iso(atMs), ...targetFields(target), state };
}

export function droppedRecord(lines: number, atMs: number): DroppedRecord {
  return { schemaVersion: AGENT_RECORD_SCHEMA_VERSION, record: 'dropped', time: iso(atMs), lines };
}
