import type { WireTimestamp } from '../../values/timestamp.js';
import { get32, put32 } from '../../octets.js';
import { ReflectorSupport, type TlvSpec, uint } from './spec.js';

/** Type 7 (RFC 8972 §4.7): the reflector's previous Sequence Number and its precise send time. */
export interface FollowUpTelemetryTlv {
  readonly kind: 'follow-up-telemetry';
  readonly flags: number;
  readonly sequence: number;
  readonly timestamp: WireTimestamp;
  /** "Timestamp M": a Timestamping Method value. */
  readonly timestampMethod: number;
}

/**
 * Follow-Up Telemetry (§4.7): the previous reflected Sequence Number and its send time. A stateless
 * reflector passes zeros (it MUST zero both fields).
 */
export function fillFollowUpTelemetry(
  reply: Uint8Array,
  valueOffset: number,
  sequence: number,
  seconds: number,
  fraction: number,
  timestampMethod: number,
): void {
  put32(reply, valueOffset, sequence >>> 0);
  put32(reply, valueOffset + 4, seconds >>> 0);
  put32(reply, valueOffset + 8, fraction >>> 0);
  reply[valueOffset + 12] = timestampMethod;
  reply[valueOffset + 13] = 0;
  reply[valueOffset + 14] = 0;
  reply[valueOffset + 15] = 0;
}

export const followUpTelemetrySpec = {
  type: 7,
  key: 'FollowUpTelemetry',
  kind: 'follow-up-telemetry',
  name: 'follow-up-telemetry',
  aliases: [],
  title: 'Follow-Up Telemetry',
  reference: 'RFC 8972 §4.7',
  length: { min: 16, max: 16 },
  decode: (value, flags) => ({
    kind: 'follow-up-telemetry',
    flags,
    sequence: get32(value, 0),
    timestamp: { seconds: get32(value, 4), fraction: get32(value, 8) },
    timestampMethod: value[12] ?? 0,
  }),
  encode: (tlv) => {
    const value = new Uint8Array(16);
    put32(value, 0, uint(tlv.sequence, 32, 'sequence'));
    put32(value, 4, uint(tlv.timestamp.seconds, 32, 'timestamp.seconds'));
    put32(value, 8, uint(tlv.timestamp.fraction, 32, 'timestamp.fraction'));
    value[12] = uint(tlv.timestampMethod, 8, 'timestampMethod');
    return value;
  },
  reflector: ReflectorSupport.NotUnderstood,
  reflectorNote:
    'T3 is written by the socket after the reply is queued, so the previous T3 is not known exactly; fillFollowUpTelemetry is there for a reflector that knows it',
} as const satisfies TlvSpec<FollowUpTelemetryTlv>;
