// `--csv`: a header row, then one row per reply and one per request that timed out, in the order they
// were decided (RFC 4180: comma-separated, CRLF-free, no quoting needed: every field is a number or
// a fixed word). Empty fields are values not known. Columns are documented in docs/json-schema.md.
import type { PacketResult } from '@twamp/test-session';
import { packetRecord } from './records.js';

export const CSV_COLUMNS = [
  'sequence',
  'reflector_sequence',
  'disposition',
  't1_unix',
  'rtt_ms',
  'outbound_ms',
  'inbound_ms',
  'processing_ms',
  'sent_ttl',
  'reflector_received_ttl',
  'reply_ttl',
  'sent_tos',
  'reflector_received_tos',
  'reply_tos',
  'request_octets',
  'reply_octets',
] as const;

export function csvHeader(): string {
  return CSV_COLUMNS.join(',');
}

function cell(value: number | null): string {
  return value === null ? '' : String(value);
}

/** The row of a reply. `disposition` is counted, duplicate, late or unknown. */
export function csvPacketRow(result: PacketResult, epochUnixSeconds: number | undefined): string {
  const r = packetRecord(result, epochUnixSeconds);
  return [
    String(r.sequence),
    String(r.reflectorSequence),
    r.disposition,
    r.t1 === null ? '' : r.t1.toFixed(9),
    cell(r.rttMs),
    cell(r.outboundMs),
    cell(r.inboundMs),
    cell(r.processingMs),
    cell(r.sentTtl),
    cell(r.reflectorReceivedTtl),
    cell(r.replyTtl),
    cell(r.sentTos),
    cell(r.reflectorReceivedTos),
    cell(r.replyTos),
    cell(r.requestOctets),
    cell(r.replyOctets),
  ].join(',');
}

/** The row of a request that got no reply in time: its sequence number and `lost`, nothing else. */
export function csvLostRow(sequence: number): string {
  return [String(sequence), '', 'lost', ...new Array<string>(CSV_COLUMNS.length - 3).fill('')].join(',');
}
