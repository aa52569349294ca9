// What a STAMP run's replies said about the reflector (@twamp/test-session's stampReflector): a TWAMP
// Light or RFC 8762-only reflector answers STAMP packets, so the delays stand, but it returns SSID 0
// and leaves our TLVs unrecognised. One reading of those counts for the text and the JSON, so both
// state the same facts.
import type { SenderReport, StampReflectorReport } from '@twamp/test-session';

export interface StampReflectorJson {
  readonly ssidEchoed: number;
  readonly ssidZero: number;
  readonly tlvsUnderstood: number;
  readonly tlvsUnrecognized: number;
  /** false: some reply showed no RFC 8972 support; true: replies showed it and none contradicted; null: nothing to tell. */
  readonly rfc8972: boolean | null;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** The counts when the report has them (SessionSender's report does for STAMP; the contract does not promise them). */
export function stampReflectorOf(report: SenderReport): StampReflectorReport | undefined {
  const value = (report as Partial<Record<'stampReflector', Partial<Record<keyof StampReflectorReport, unknown>>>>).stampReflector;
  if (report.protocol !== 'stamp' || value === undefined) return undefined;
  const { ssidEchoed, ssidZero, tlvsUnderstood, tlvsUnrecognized } = value;
  if (!isCount(ssidEchoed) || !isCount(ssidZero) || !isCount(tlvsUnderstood) || !isCount(tlvsUnrecognized)) return undefined;
  return { ssidEchoed, ssidZero, tlvsUnderstood, tlvsUnrecognized };
}

function rfc8972(counts: StampReflectorReport): boolean | null {
  if (counts.ssidZero > 0 || counts.tlvsUnrecognized > 0) return false;
  return counts.ssidEchoed > 0 || counts.tlvsUnderstood > 0 ? true : null;
}

/** The `stampReflector` object of the --json result: null outside STAMP. */
export function stampReflectorJson(report: SenderReport): StampReflectorJson | null {
  const counts = stampReflectorOf(report);
  return counts === undefined ? null : { ...counts, rfc8972: rfc8972(counts) };
}

/** The warning when replies showed no RFC 8972 support, or undefined. */
export function stampReflectorWarning(report: SenderReport): string | undefined {
  const counts = stampReflectorOf(report);
  if (counts === undefined || rfc8972(counts) !== false) return undefined;
  const signs: string[] = [];
  if (counts.ssidZero > 0) signs.push(`SSID 0 on ${counts.ssidZero} of ${counts.ssidZero + counts.ssidEchoed} replies`);
  if (counts.tlvsUnrecognized > 0) signs.push(`TLVs not understood on ${counts.tlvsUnrecognized} of ${counts.tlvsUnrecognized + counts.tlvsUnderstood} replies`);
  const lost = counts.tlvsUnrecognized > 0 ? '; what the TLVs ask for is not measured' : '';
  return `warning: the reflector is not an RFC 8972 STAMP reflector (${signs.join(', ')}): a TWAMP Light or RFC 8762-only reflector; the delays stand${lost}.`;
}
