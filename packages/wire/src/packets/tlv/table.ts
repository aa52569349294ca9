// The one table of STAMP TLV types. Everything type-specific is read from here: TlvType, the length
// rules, the typed codec (codec.ts), the reflector's understood set and fills, the sender's `--tlv`
// names and the docs table. Adding a type is one module plus its vectors (CONTRIBUTING.md).
import { malformed } from '../../bytes.js';
import { type AccessReportTlv, accessReportSpec } from './access-report.js';
import { TLV_MAX_VALUE_LENGTH, TlvFlag, TlvStep, TlvWalker } from './area.js';
import { type ClassOfServiceTlv, classOfServiceSpec } from './class-of-service.js';
import { type DestinationNodeAddressTlv, destinationNodeAddressSpec } from './destination-node-address.js';
import { type DirectMeasurementTlv, directMeasurementSpec } from './direct-measurement.js';
import { type ExtraPaddingTlv, extraPaddingSpec } from './extra-padding.js';
import { type FollowUpTelemetryTlv, followUpTelemetrySpec } from './follow-up-telemetry.js';
import { type HmacTlv, hmacSpec } from './hmac.js';
import { type LocationTlv, locationSpec } from './location.js';
import { type MicroSessionIdTlv, microSessionIdSpec } from './micro-session-id.js';
import { type ReturnPathTlv, returnPathSpec } from './return-path.js';
import { type ReflectorTlvContext, ReflectorSupport, type SenderTlvOptions, type TlvFill, TLV_WHAT, type TlvSpec } from './spec.js';
import { type TimestampInformationTlv, timestampInformationSpec } from './timestamp-information.js';

/** Every TLV type this toolkit knows, in type order. */
export const TLV_SPECS = [
  extraPaddingSpec,
  locationSpec,
  timestampInformationSpec,
  classOfServiceSpec,
  directMeasurementSpec,
  accessReportSpec,
  followUpTelemetrySpec,
  hmacSpec,
  destinationNodeAddressSpec,
  returnPathSpec,
  microSessionIdSpec,
] as const;

type Spec = (typeof TLV_SPECS)[number];

/** The table as its common interface (what generic code iterates). */
export const TLV_SPEC_LIST: readonly TlvSpec[] = TLV_SPECS;

/** A TLV type unknown to the table: kept raw, so it can be reflected unchanged. */
export interface UnknownTlv {
  readonly kind: 'unknown';
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

/** A typed RFC 8972 TLV; `flags` is the raw STAMP TLV Flags octet. */
export type StampTlv =
  | ExtraPaddingTlv
  | LocationTlv
  | TimestampInformationTlv
  | ClassOfServiceTlv
  | DirectMeasurementTlv
  | AccessReportTlv
  | FollowUpTelemetryTlv
  | HmacTlv
  | DestinationNodeAddressTlv
  | ReturnPathTlv
  | MicroSessionIdTlv
  | UnknownTlv;

export type StampTlvKind = StampTlv['kind'];

type TlvTypeTable = { readonly [S in Spec as S['key']]: S['type'] };

/** STAMP TLV Types (RFC 8972 §5.1, RFC 9503, RFC 9534), from the table. 0 and 255 are reserved. */
export const TlvType: TlvTypeTable = Object.freeze(Object.fromEntries(TLV_SPECS.map((spec) => [spec.key, spec.type])) as unknown as TlvTypeTable);

export type TlvType = TlvTypeTable[keyof TlvTypeTable];

// Per-type lookups built once: the per-packet paths index them by the Type octet. The length rules
// become two typed arrays (unknown types: 0 to 65535) so that checking one is two loads, not a call.
const BY_TYPE: (TlvSpec | undefined)[] = new Array<TlvSpec | undefined>(256).fill(undefined);
const FILL_BY_TYPE: (TlvFill | undefined)[] = new Array<TlvFill | undefined>(256).fill(undefined);
const LENGTH_MIN = new Uint16Array(256);
const LENGTH_MAX = new Uint16Array(256).fill(TLV_MAX_VALUE_LENGTH);
/** 1 where the rule lists the only valid lengths (`only`), checked after min/max. */
const LENGTH_LISTED = new Uint8Array(256);
const BY_KIND = new Map<string, TlvSpec>();
for (const spec of TLV_SPEC_LIST) {
  if (BY_TYPE[spec.type] !== undefined || BY_KIND.has(spec.kind)) throw new Error(`STAMP TLV table: type ${spec.type} or kind ${spec.kind} twice`);
  BY_TYPE[spec.type] = spec;
  FILL_BY_TYPE[spec.type] = spec.fill;
  LENGTH_MIN[spec.type] = spec.length.min;
  LENGTH_MAX[spec.type] = spec.length.max;
  LENGTH_LISTED[spec.type] = spec.length.only === undefined ? 0 : 1;
  BY_KIND.set(spec.kind, spec);
}

/** The spec of a Type octet, or undefined for a type the table does not know. */
export function tlvSpecOfType(type: number): TlvSpec | undefined {
  return BY_TYPE[type & 0xff];
}

/** The spec of a typed TLV's kind, or undefined ('unknown'). */
export function tlvSpecOfKind(kind: string): TlvSpec | undefined {
  return BY_KIND.get(kind);
}

/**
 * Whether `length` is a valid Value length for a type the table knows (each module's rule, from its
 * RFC). Types it does not know are always "valid": a reflector cannot judge them, it marks them U.
 */
export function isValidTlvLength(type: number, length: number): boolean {
  const t = type & 0xff;
  if (length < (LENGTH_MIN[t] ?? 0) || length > (LENGTH_MAX[t] ?? TLV_MAX_VALUE_LENGTH)) return false;
  return LENGTH_LISTED[t] !== 1 || (BY_TYPE[t]?.length.only?.includes(length) ?? true);
}

/** The valid lengths in words, for the docs. */
function lengthText(spec: TlvSpec): string {
  const { min, max, only } = spec.length;
  const rule = only !== undefined ? only.join(' or ') : min === max ? String(min) : max < TLV_MAX_VALUE_LENGTH ? `${min} to ${max}` : min === 0 ? 'any' : `≥ ${min}`;
  return spec.lengthNote === undefined ? rule : `${rule} (${spec.lengthNote})`;
}

// ---------------------------------------------------------------------------------------------
// The typed codec

/**
 * Decode one TLV. `offset` is where the TLV starts in its packet, used only for error positions.
 * Only MalformedInputError escapes.
 */
export function decodeStampTlvValue(flags: number, type: number, value: Uint8Array, offset = 0): StampTlv {
  const spec = BY_TYPE[type & 0xff];
  if (spec === undefined) {
    return { kind: 'unknown', flags, type, value };
  }
  if (!isValidTlvLength(type, value.length)) {
    throw malformed(`${TLV_WHAT} ${spec.title}`, 'Length', offset + 2, `Length ${value.length} is not valid for type ${type}`);
  }
  // The table pairs each kind with its module, so the module's value type is this StampTlv member.
  return spec.decode(value, flags, offset) as StampTlv;
}

/** The Type octet and the encoded Value of a typed TLV (RangeError for a field out of range). */
export function encodeStampTlvValue(tlv: StampTlv): { readonly type: number; readonly value: Uint8Array } {
  if (tlv.kind === 'unknown') {
    return { type: tlv.type, value: tlv.value };
  }
  const spec = BY_KIND.get(tlv.kind);
  if (spec === undefined) {
    throw new RangeError(`unknown STAMP TLV kind ${tlv.kind}`);
  }
  return { type: spec.type, value: spec.encode(tlv) };
}

// ---------------------------------------------------------------------------------------------
// The sender's `--tlv` names

type SenderSpec = Extract<Spec, { readonly sender: object }>;

/** A name `twamp sender --tlv` accepts (without aliases). */
export type SenderTlvName = SenderSpec['name'];

function hasSender(spec: TlvSpec): spec is TlvSpec & { readonly sender: NonNullable<TlvSpec['sender']> } {
  return spec.sender !== undefined;
}

const SENDER_SPECS = TLV_SPEC_LIST.filter(hasSender).sort((a, b) => a.sender.order - b.sender.order);

/** The TLVs a sender can ask for with `--tlv`, by name, in their `sender.order`. */
export const SENDER_TLV_NAMES: readonly SenderTlvName[] = Object.freeze(SENDER_SPECS.map((spec) => spec.name as SenderTlvName));

/** The `--tlv` name for a name or alias (any case), or undefined. */
export function senderTlvName(text: string): SenderTlvName | undefined {
  const wanted = text.trim().toLowerCase();
  const spec = SENDER_SPECS.find((s) => s.name === wanted || s.aliases.includes(wanted));
  return spec?.name as SenderTlvName | undefined;
}

/** What `name=<value>` carries for this TLV, or undefined when it takes no value. */
export function senderTlvValue(name: SenderTlvName): 'dscp' | undefined {
  return SENDER_SPECS.find((s) => s.name === name)?.sender.value;
}

/** The request TLV a sender sends for `--tlv name` (the reflector fills it in). */
export function senderTlvRequest(name: SenderTlvName, options: SenderTlvOptions): StampTlv {
  const spec = SENDER_SPECS.find((s) => s.name === name);
  if (spec === undefined) throw new RangeError(`not a sender TLV: ${name}`);
  return spec.sender.request(options) as StampTlv;
}

// ---------------------------------------------------------------------------------------------
// The reflector's side

/**
 * A 256-entry table (1 = understood) of the types this toolkit's reflector understands: those whose
 * spec says Understood, plus HMAC when it holds a key.
 */
export function reflectorUnderstoodTlvTypes(withKey: boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (const spec of TLV_SPEC_LIST) {
    if (spec.reflector === ReflectorSupport.Understood || (withKey && spec.reflector === ReflectorSupport.WithKey)) table[spec.type] = 1;
  }
  return table;
}

const fillWalker = new TlvWalker();

/**
 * Run the fills of the TLVs the reflector understood in the reply's TLV area [start, end): the flag
 * rules have been applied (applyReflectorTlvFlags), so a TLV with U = 0 and M = 0 is one it understood
 * with a valid Length. `end` should stop before a malformed TLV. Resets and then sets `context.dscp1`
 * and `context.hmacAt`. Allocation-free.
 */
export function fillReflectorTlvs(reply: Uint8Array, start: number, end: number, context: ReflectorTlvContext): void {
  context.dscp1 = -1;
  context.hmacAt = -1;
  const w = fillWalker.start(reply, start, end);
  while (w.step() === TlvStep.Tlv) {
    if ((w.flags & (TlvFlag.Unrecognized | TlvFlag.Malformed)) !== 0) continue;
    const fill = FILL_BY_TYPE[w.type];
    if (fill !== undefined) fill(reply, w.offset, w.value, w.end, context);
  }
}

// ---------------------------------------------------------------------------------------------
// Docs

/** The Markdown list of what `--tlv` accepts (docs/usage.md embeds it; a test keeps them equal). */
export function senderTlvListMarkdown(): string {
  return SENDER_SPECS.map((spec) => {
    const value = spec.sender.value === undefined ? '' : `[=<${spec.sender.value}>]`;
    const aliases = spec.aliases.length === 0 ? '' : ` (also ${spec.aliases.map((a) => `\`${a}\``).join(', ')})`;
    return `- \`${spec.name}${value}\`${aliases}, ${spec.title} (${spec.reference}): ${spec.sender.help}`;
  }).join('\n');
}

/** The Markdown table of every TLV type (the wire README and docs embed it; a test keeps them equal). */
export function tlvTableMarkdown(): string {
  const support = (spec: TlvSpec): string => {
    if (spec.reflector === ReflectorSupport.NotUnderstood) return `returned with U${spec.reflectorNote === undefined ? '' : ` (${spec.reflectorNote})`}`;
    const what = spec.reflector === ReflectorSupport.WithKey ? 'understood with a key' : 'understood';
    return spec.fill === undefined ? `${what}, returned as sent` : `${what}, filled`;
  };
  const rows = TLV_SPEC_LIST.map((spec) => {
    const cli = spec.sender === undefined ? '' : `\`${spec.name}${spec.sender.value === undefined ? '' : `[=<${spec.sender.value}>]`}\``;
    return `| ${spec.type} | ${spec.title} | ${spec.reference} | ${lengthText(spec)} | ${cli} | ${support(spec)} |`;
  });
  return ['| Type | TLV | Defined in | Value length | `--tlv` | Reflector |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
