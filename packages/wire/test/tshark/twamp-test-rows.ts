/**
 * What tshark's TWAMP-Test dissector shows for the open reflector layout (RFC 5357 §4.2.1), which
 * both test-packets.ts (TWAMP) and stamp.ts (STAMP, RFC 8762 §4.6 keeps the layout up to Sender TTL)
 * check their packets against.
 */
import type { WireTimestamp } from '../../src/index.js';
import { errorEstimateRows, type LayoutRow } from './harness.js';
import { wiresharkByZ, wiresharkSenderTimestamp } from './wireshark-time.js';

/** 2024-01-01T00:00:00Z in NTP seconds: era 0, top bit set, so tshark reads it in era 0. */
export const NTP_2024 = 3_913_056_000;

/** The reflector fields at octets 0-40 of both protocols' open packets. */
export interface OpenReflectorFields {
  readonly sequence: number;
  readonly timestamp: WireTimestamp;
  readonly errorEstimate: number;
  readonly receiveTimestamp: WireTimestamp;
  readonly senderSequence: number;
  readonly senderTimestamp: WireTimestamp;
  readonly senderErrorEstimate: number;
  readonly senderTtl: number | null;
}

/**
 * The rows for octets 0-40, from the values we encoded. `mbz1` is octets 14-15: MBZ (0) in TWAMP,
 * the SSID in STAMP (RFC 8972 §3), which tshark shows under the MBZ name.
 */
export function openReflectorRows(p: OpenReflectorFields, mbz1: number): LayoutRow[] {
  return [
    ['twamp.test.seq_number', 0, 4, String(p.sequence)],
    ['twamp.test.timestamp', 4, 8, wiresharkByZ(p.errorEstimate, p.timestamp.seconds, p.timestamp.fraction)],
    ...errorEstimateRows('twamp.test.error_estimate', 12, p.errorEstimate),
    ['twamp.test.mbz1', 14, 2, String(mbz1)],
    // RFC 5357: the Error Estimate at 12 also describes the Receive Timestamp; tshark agrees.
    ['twamp.test.receive_timestamp', 16, 8, wiresharkByZ(p.errorEstimate, p.receiveTimestamp.seconds, p.receiveTimestamp.fraction)],
    ['twamp.test.sender_seq_number', 24, 4, String(p.senderSequence)],
    ['twamp.test.sender_timestamp', 28, 8, wiresharkSenderTimestamp(p.senderTimestamp.seconds, p.senderTimestamp.fraction)],
    ...errorEstimateRows('twamp.test.sender_error_estimate', 36, p.senderErrorEstimate),
    ['twamp.test.mbz2', 38, 2, '0'],
    ['twamp.test.sender_ttl', 40, 1, String(p.senderTtl)],
  ];
}

/**
 * Quirk rows: how tshark shows octets 16-40 when they are all zero, as in a sender packet of 41
 * octets or more (STAMP's 44-octet sender, RFC 6038's Symmetrical Size sender), which it dissects with
 * the reflector layout. A zero NTP timestamp is tshark's "NULL" time, shown as the Unix epoch; a zero
 * Sender Timestamp has bit 30 clear, so it is read as PTP, which shows the same epoch.
 */
export const ALL_ZERO_REFLECTOR_ROWS_16_TO_40: readonly LayoutRow[] = [
  ['twamp.test.receive_timestamp', 16, 8, 'Jan  1, 1970 00:00:00.000000000 UTC'],
  ['twamp.test.sender_seq_number', 24, 4, '0'],
  ['twamp.test.sender_timestamp', 28, 8, 'Jan  1, 1970 00:00:00.000000000 UTC'],
  ...errorEstimateRows('twamp.test.sender_error_estimate', 36, 0),
  ['twamp.test.mbz2', 38, 2, '0'],
  ['twamp.test.sender_ttl', 40, 1, '0'],
];
