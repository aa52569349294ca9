// Every SenderOptions check, made before a socket opens, and the resolved form the sender runs on.
// All unusable options are listed in one ConfigError naming the option and the accepted range.
import { ConfigError, type ConfigIssue } from '@twamp/errors';
import type { IpFamily, UdpImplementation } from '@twamp/udp';
import {
  encodeStampTlvs,
  formatIpAddress,
  SENDER_TLV_FLAGS,
  STAMP_HMAC_LENGTH,
  StampSecurity,
  stampBase,
  TestPacketCrypto,
  TestSecurity,
  type TwampLayout,
  TLV_HEADER_LENGTH,
  TlvStep,
  TlvType,
  TlvWalker,
  tryParseIpAddress,
  twampLayout,
  MAX_UDP_PAYLOAD,
} from '@twamp/wire';
import type { Endpoint, SenderOptions, SenderPadding, SenderSchedule, TestProtocol } from '../types.js';
import { randomSeed } from './schedule.js';

/** Options beyond the contract's SenderOptions (see the README: "Schedule accuracy"). */
export interface SessionSenderOptions extends SenderOptions {
  /**
   * Called after every send with the planned and the actual send time of that packet, both ns
   * relative to the run's epoch and read from the same (monotonic, wall-anchored) clock, so that a
   * benchmark can compute the schedule accuracy. Called synchronously on the send path: keep it cheap.
   */
  readonly onSendTiming?: (plannedNs: number, actualNs: number) => void;
  /**
   * Poll the event loop for the last 1.5 ms before each send (sub-millisecond schedule accuracy, at
   * the price of a busy core at high rates), or wait with a timer alone (up to ~1 ms late; T1 is still
   * the real send time, so only the schedule moves, never the measurement). Default: precise when the
   * mean gap between sends is under 100 ms, timer-only above, so that thousands of slow sessions in
   * one process (an agent) leave the CPU idle between packets.
   */
  readonly precise?: boolean;
}

/** Mean gaps at or above this default to timer-only waits (see `precise`). */
export const PRECISE_BELOW_MS = 100;

/** IMIX: 7 × 64, 4 × 576, 1 × 1500 octets of UDP payload, interleaved so that bursts mix sizes. */
export const IMIX_CYCLE: readonly number[] = Object.freeze([64, 576, 64, 64, 576, 64, 1500, 64, 576, 64, 64, 576]);

const DEFAULT_LOSS_TIMEOUT_MS = 2000;
const DEFAULT_EVENT_QUEUE_LIMIT = 65_536;
const MAX_EVENT_QUEUE_LIMIT = 16_777_216;
const MIN_INTERVAL_MS = 0.001;
const MAX_INTERVAL_MS = 86_400_000;
const MAX_BURST = 1024;
const MAX_COUNT = 4_294_967_296;
const MAX_DURATION_MS = 31_536_000_000;
const MAX_LOSS_TIMEOUT_MS = 3_600_000;
const MIN_INTERVAL_REPORT_MS = 10;

/** How the packets of this run are laid out and protected. */
export type PacketFormat =
  | {
      readonly kind: 'twamp';
      readonly layout: TwampLayout;
      readonly crypto: TestPacketCrypto | undefined;
    }
  | {
      readonly kind: 'stamp';
      readonly security: StampSecurity;
      readonly key: Uint8Array | undefined;
      readonly ssid: number;
      /** The encoded TLVs (an HMAC TLV appended when authenticated mode needs one). */
      readonly tlvArea: Buffer;
      /** Offset in the TLV area of the HMAC TLV's value, or -1. */
      readonly hmacTlvValueAt: number;
      /** Offset in the TLV area of the Class of Service TLV's value, or -1. */
      readonly cosTlvValueAt: number;
    };

export interface ResolvedSenderOptions {
  readonly target: Endpoint;
  readonly family: IpFamily;
  readonly localAddress: string | undefined;
  readonly localPort: number;
  readonly protocol: TestProtocol;
  readonly format: PacketFormat;
  readonly schedule: SenderSchedule;
  readonly burst: number;
  /** Infinity when not bounded by a count. */
  readonly count: number;
  readonly durationMs: number | undefined;
  /** UDP payload sizes, cycled per packet (one entry unless IMIX). */
  readonly sizes: readonly number[];
  readonly paddingFill: 'zero' | 'random';
  readonly tos: number | undefined;
  readonly ttl: number;
  readonly dontFragment: boolean | undefined;
  readonly lossTimeoutMs: number;
  readonly percentiles: readonly number[] | undefined;
  readonly intervalReportMs: number | undefined;
  readonly reflectorStateful: boolean;
  readonly sharedClock: boolean;
  readonly sessionDistributions: boolean;
  readonly signal: AbortSignal | undefined;
  readonly implementation: UdpImplementation | 'auto';
  readonly eventQueueLimit: number;
  readonly onSendTiming: ((plannedNs: number, actualNs: number) => void) | undefined;
  readonly precise: boolean;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `${value.length} octets`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

class Issues {
  readonly list: ConfigIssue[] = [];

  add(path: string, expected: string, received: unknown): void {
    this.list.push({ path, expected, received: describe(received) });
  }

  integer(path: string, value: unknown, min: number, max: number): value is number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return true;
    this.add(path, `an integer from ${min} to ${max}`, value);
    return false;
  }

  number(path: string, value: unknown, min: number, max: number, minExclusive = false): value is number {
    const ok = typeof value === 'number' && Number.isFinite(value) && (minExclusive ? value > min : value >= min) && value <= max;
    if (ok) return true;
    this.add(path, `a number ${minExclusive ? 'above' : 'from'} ${min} ${minExclusive ? 'up to' : 'to'} ${max}`, value);
    return false;
  }
}

function canonicalAddress(address: string): string {
  const parsed = tryParseIpAddress(address);
  return parsed === undefined ? address : formatIpAddress(parsed.octets);
}

function checkSchedule(issues: Issues, schedule: unknown): SenderSchedule {
  const fallback: SenderSchedule = { kind: 'periodic', intervalMs: 1000 };
  if (schedule === undefined) return fallback;
  if (typeof schedule !== 'object' || schedule === null) {
    issues.add('schedule', "{ kind: 'periodic', intervalMs } or { kind: 'poisson', meanIntervalMs, seed? }", schedule);
    return fallback;
  }
  const s = schedule as Record<string, unknown>;
  const range = `${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} ms`;
  if (s['kind'] === 'periodic') {
    const interval = s['intervalMs'];
    if (!issues.number('schedule.intervalMs', interval, MIN_INTERVAL_MS, MAX_INTERVAL_MS)) return fallback;
    return { kind: 'periodic', intervalMs: interval };
  }
  if (s['kind'] === 'poisson') {
    const mean = s['meanIntervalMs'];
    const seed = s['seed'];
    const okMean = issues.number('schedule.meanIntervalMs', mean, MIN_INTERVAL_MS, MAX_INTERVAL_MS);
    const okSeed = seed === undefined || issues.integer('schedule.seed', seed, 0, 4_294_967_295);
    if (!okMean || !okSeed) return fallback;
    // A seed is always chosen here so that the report can say which one a run used.
    return { kind: 'poisson', meanIntervalMs: mean, seed: seed ?? randomSeed() };
  }
  issues.add('schedule.kind', `'periodic' or 'poisson' (intervals ${range})`, s['kind']);
  return fallback;
}

/** TWAMP Light's format, the same for every sender: made once (an agent opens thousands of senders). */
const LIGHT_FORMAT: PacketFormat = Object.freeze({ kind: 'twamp', layout: twampLayout({ security: TestSecurity.Open }), crypto: undefined });

function checkTwampFormat(issues: Issues, options: SenderOptions): PacketFormat | undefined {
  for (const stampOnly of ['ssid', 'stampSecurity', 'stampKey', 'tlvs'] as const) {
    if (options[stampOnly] !== undefined) issues.add(stampOnly, `nothing for protocol '${options.protocol}' (STAMP only)`, options[stampOnly]);
  }
  if (options.layout === undefined && options.protocol === 'twamp-light') {
    if (options.crypto !== undefined) issues.add('crypto', 'nothing with an open (unauthenticated or mixed) layout', 'a TestPacketCrypto');
    return LIGHT_FORMAT;
  }
  const layout = options.layout;
  if (layout === undefined) {
    issues.add('layout', "the TwampLayout negotiated by TWAMP-Control (required for protocol 'twamp')", undefined);
    return undefined;
  }
  const crypto = options.crypto;
  if (layout.security === TestSecurity.Open) {
    if (crypto !== undefined) issues.add('crypto', 'nothing with an open (unauthenticated or mixed) layout', 'a TestPacketCrypto');
    return { kind: 'twamp', layout, crypto: undefined };
  }
  if (!(crypto instanceof TestPacketCrypto)) {
    issues.add('crypto', `a TestPacketCrypto for the ${layout.security} layout`, crypto);
    return undefined;
  }
  if (crypto.protection !== layout.security) {
    issues.add('crypto', `a TestPacketCrypto with protection '${layout.security}' (the layout's)`, crypto.protection);
    return undefined;
  }
  return { kind: 'twamp', layout, crypto };
}

function checkStampFormat(issues: Issues, options: SenderOptions): PacketFormat | undefined {
  for (const twampOnly of ['layout', 'crypto'] as const) {
    if (options[twampOnly] !== undefined) issues.add(twampOnly, "nothing for protocol 'stamp' (TWAMP only)", 'given');
  }
  let ok = true;
  const ssid = options.ssid ?? randomSsid();
  ok = issues.integer('ssid', ssid, 0, 65_535) && ok;
  const key = options.stampKey;
  const given: unknown = options.stampSecurity;
  if (given !== undefined && given !== StampSecurity.Open && given !== StampSecurity.Authenticated) {
    issues.add('stampSecurity', "'open' or 'authenticated'", given);
    return undefined;
  }
  const security = options.stampSecurity ?? (key === undefined ? StampSecurity.Open : StampSecurity.Authenticated);
  if (security === StampSecurity.Authenticated && (!(key instanceof Uint8Array) || key.length === 0)) {
    issues.add('stampKey', 'a non-empty HMAC-SHA-256 key (Uint8Array) for authenticated STAMP', key);
    ok = false;
  }
  if (security === StampSecurity.Open && key !== undefined) {
    issues.add('stampKey', "nothing with stampSecurity 'open'", key);
    ok = false;
  }
  const tlvs = [...(options.tlvs ?? [])];
  // RFC 8972 §4.8: in authenticated mode an HMAC TLV must follow the TLVs unless Extra Padding is
  // the only kind; it goes last, and the sender computes it per packet.
  const needsHmac = security === StampSecurity.Authenticated && tlvs.some((tlv) => tlv.kind !== 'extra-padding');
  if (needsHmac && !tlvs.some((tlv) => tlv.kind === 'hmac')) {
    tlvs.push({ kind: 'hmac', flags: SENDER_TLV_FLAGS, hmac: new Uint8Array(STAMP_HMAC_LENGTH) });
  }
  let area: Buffer;
  try {
    area = encodeStampTlvs(tlvs);
  } catch (error) {
    issues.add('tlvs', `TLVs that encode (${error instanceof Error ? error.message : 'invalid'})`, `${tlvs.length} TLVs`);
    return undefined;
  }
  if (!ok) return undefined;
  let hmacTlvValueAt = -1;
  let cosTlvValueAt = -1;
  // The area was just encoded from `tlvs`, one TLV each, in order.
  const w = new TlvWalker().start(area, 0, area.length);
  for (let index = 0; w.step() === TlvStep.Tlv; index++) {
    if (w.type === TlvType.Hmac) {
      if (security !== StampSecurity.Authenticated) {
        issues.add(`tlvs[${index}]`, 'an HMAC TLV only with authenticated STAMP (stampKey)', 'hmac');
        return undefined;
      }
      hmacTlvValueAt = w.value;
    }
    if (w.type === TlvType.ClassOfService && cosTlvValueAt < 0) cosTlvValueAt = w.value;
  }
  return {
    kind: 'stamp',
    security,
    key: security === StampSecurity.Authenticated ? key : undefined,
    ssid,
    tlvArea: area,
    hmacTlvValueAt,
    cosTlvValueAt,
  };
}

/** RFC 8972 §3: the SSID is chosen by the sender and non-zero (0 means "not used"). */
function randomSsid(): number {
  return 1 + Math.floor(Math.random() * 65_535);
}

/** The shortest request of this format, and the one 'symmetric' asks for. */
export function baseLengths(format: PacketFormat): { readonly minimum: number; readonly symmetric: number } {
  if (format.kind === 'twamp') {
    const { layout } = format;
    // RFC 6038: the padding must hold the octets to reflect; the reply is the reflector base plus them.
    return { minimum: layout.sender.padding + layout.reflectOctets, symmetric: layout.reflector.padding + layout.reflectOctets };
  }
  const base = stampBase(format.security) + format.tlvArea.length;
  return { minimum: base, symmetric: base };
}

/** STAMP grows by an Extra Padding TLV (4-octet header), so 1-3 octets of growth become 4. */
function stampGrowth(growth: number): number {
  return growth > 0 && growth < TLV_HEADER_LENGTH ? TLV_HEADER_LENGTH : growth;
}

function checkSizes(issues: Issues, padding: unknown, format: PacketFormat | undefined): number[] {
  if (format === undefined) return [0];
  const { minimum, symmetric } = baseLengths(format);
  const stamp = format.kind === 'stamp';
  const paddingSpec: SenderPadding = (padding ?? 'symmetric') as SenderPadding;
  if (paddingSpec === 'symmetric') return [symmetric];
  if (paddingSpec === 'imix') {
    return IMIX_CYCLE.map((size) => (size <= minimum ? minimum : minimum + (stamp ? stampGrowth(size - minimum) : size - minimum)));
  }
  const free = MAX_UDP_PAYLOAD - minimum;
  if (typeof paddingSpec === 'number' && stamp && paddingSpec > 0 && paddingSpec < TLV_HEADER_LENGTH) {
    issues.add('padding', `0, or 4 to ${free} octets (STAMP pads with an Extra Padding TLV, 4-octet header), 'symmetric' or 'imix'`, paddingSpec);
    return [minimum];
  }
  if (!(typeof paddingSpec === 'number' && Number.isInteger(paddingSpec) && paddingSpec >= 0 && paddingSpec <= free)) {
    issues.add('padding', `an integer from 0 to ${free} (octets after the ${minimum}-octet base; UDP payload ≤ ${MAX_UDP_PAYLOAD}), 'symmetric' or 'imix'`, paddingSpec);
    return [minimum];
  }
  return [minimum + paddingSpec];
}

/** Check everything, or throw one ConfigError listing every problem. */
export function resolveSenderOptions(options: SessionSenderOptions): ResolvedSenderOptions {
  const issues = new Issues();
  const untyped: unknown = options;
  if (typeof untyped !== 'object' || untyped === null) {
    throw new ConfigError([{ path: 'options', expected: 'a SenderOptions object', received: describe(options) }]);
  }

  // Where to: an IP literal of the socket's family, and a real port.
  const target: unknown = options.target;
  let targetAddress = '';
  let targetPort = 0;
  let family: IpFamily = options.family ?? 4;
  if (typeof target !== 'object' || target === null) {
    issues.add('target', '{ address, port } of the reflector', target);
  } else {
    const t = target as Record<string, unknown>;
    const address = t['address'];
    const parsed = typeof address === 'string' ? tryParseIpAddress(address) : undefined;
    if (parsed === undefined) {
      issues.add('target.address', 'an IPv4 or IPv6 address literal (no host names)', address);
    } else {
      targetAddress = canonicalAddress(address as string);
      if (options.family !== undefined && options.family !== parsed.family) {
        issues.add('family', `${parsed.family} (the family of target.address)`, options.family);
      }
      family = parsed.family;
    }
    if (issues.integer('target.port', t['port'], 1, 65_535)) targetPort = t['port'];
  }
  const givenFamily: unknown = options.family;
  if (givenFamily !== undefined && givenFamily !== 4 && givenFamily !== 6) issues.add('family', '4 or 6', givenFamily);

  let localAddress: string | undefined;
  let localPort = 0;
  if (options.local !== undefined) {
    if (options.local.address !== undefined) {
      const parsed = tryParseIpAddress(options.local.address);
      if (parsed?.family !== family) {
        issues.add('local.address', `an IPv${family} address literal (the target's family)`, options.local.address);
      } else {
        localAddress = canonicalAddress(options.local.address);
      }
    }
    if (options.local.port !== undefined && issues.integer('local.port', options.local.port, 0, 65_535)) localPort = options.local.port;
  }

  let format: PacketFormat | undefined;
  const protocol: unknown = options.protocol;
  if (protocol === 'twamp' || protocol === 'twamp-light') {
    format = checkTwampFormat(issues, options);
  } else if (protocol === 'stamp') {
    format = checkStampFormat(issues, options);
  } else {
    issues.add('protocol', "'twamp-light', 'stamp' or 'twamp'", protocol);
  }

  const schedule = checkSchedule(issues, options.schedule);
  const burst = options.burst ?? 1;
  issues.integer('burst', burst, 1, MAX_BURST);
  let count = Number.POSITIVE_INFINITY;
  if (options.count !== undefined && issues.integer('count', options.count, 1, MAX_COUNT)) count = options.count;
  if (options.durationMs !== undefined) issues.number('durationMs', options.durationMs, 0, MAX_DURATION_MS, true);
  const sizes = checkSizes(issues, options.padding, format);
  const paddingFill = options.paddingFill ?? 'zero';
  const fill: unknown = paddingFill;
  if (fill !== 'zero' && fill !== 'random') issues.add('paddingFill', "'zero' or 'random'", paddingFill);
  if (options.tos !== undefined) issues.integer('tos', options.tos, 0, 255);
  const ttl = options.ttl ?? 255;
  issues.integer('ttl', ttl, 1, 255);
  if (options.dontFragment !== undefined && typeof options.dontFragment !== 'boolean') issues.add('dontFragment', 'true or false', options.dontFragment);
  const lossTimeoutMs = options.lossTimeoutMs ?? DEFAULT_LOSS_TIMEOUT_MS;
  issues.number('lossTimeoutMs', lossTimeoutMs, 0, MAX_LOSS_TIMEOUT_MS, true);
  if (options.percentiles !== undefined) {
    if (!Array.isArray(options.percentiles)) {
      issues.add('percentiles', 'an array of numbers above 0 and below 100', options.percentiles);
    } else {
      options.percentiles.forEach((p: unknown, index) => {
        if (!(typeof p === 'number' && p > 0 && p < 100)) issues.add(`percentiles[${index}]`, 'a number above 0 and below 100', p);
      });
    }
  }
  if (options.intervalReportMs !== undefined) issues.number('intervalReportMs', options.intervalReportMs, MIN_INTERVAL_REPORT_MS, MAX_INTERVAL_MS);
  const reflectorStateful = options.reflectorStateful ?? true;
  if (typeof reflectorStateful !== 'boolean') issues.add('reflectorStateful', 'true or false', reflectorStateful);
  const sharedClock = options.sharedClock ?? false;
  if (typeof sharedClock !== 'boolean') issues.add('sharedClock', 'true or false', sharedClock);
  const sessionDistributions = options.sessionDistributions ?? true;
  if (typeof sessionDistributions !== 'boolean') issues.add('sessionDistributions', 'true or false', sessionDistributions);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) issues.add('signal', 'an AbortSignal', options.signal);
  const implementation = options.implementation ?? 'auto';
  const chosen: unknown = implementation;
  if (chosen !== 'auto' && chosen !== 'native' && chosen !== 'dgram') {
    issues.add('implementation', "'native', 'dgram' or 'auto'", chosen);
  }
  const eventQueueLimit = options.eventQueueLimit ?? DEFAULT_EVENT_QUEUE_LIMIT;
  issues.integer('eventQueueLimit', eventQueueLimit, 1, MAX_EVENT_QUEUE_LIMIT);
  if (options.onSendTiming !== undefined && typeof options.onSendTiming !== 'function') issues.add('onSendTiming', 'a function', options.onSendTiming);
  const meanGapMs = schedule.kind === 'periodic' ? schedule.intervalMs : schedule.meanIntervalMs;
  const precise = options.precise ?? meanGapMs < PRECISE_BELOW_MS;
  if (typeof precise !== 'boolean') issues.add('precise', 'true or false', precise);

  if (issues.list.length > 0 || format === undefined) {
    throw new ConfigError(issues.list.length > 0 ? issues.list : [{ path: 'protocol', expected: 'a usable packet format', received: describe(options.protocol) }]);
  }
  return {
    target: { address: targetAddress, port: targetPort },
    family,
    localAddress,
    localPort,
    protocol: options.protocol,
    format,
    schedule,
    burst,
    count,
    durationMs: options.durationMs,
    sizes,
    paddingFill,
    tos: options.tos,
    ttl,
    dontFragment: options.dontFragment,
    lossTimeoutMs,
    percentiles: options.percentiles,
    intervalReportMs: options.intervalReportMs,
    reflectorStateful,
    sharedClock,
    sessionDistributions,
    signal: options.signal,
    implementation,
    eventQueueLimit,
    onSendTiming: options.onSendTiming,
    precise,
  };
}
