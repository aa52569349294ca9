import { MalformedInputError } from '@twamp/errors';
import { checkTarget, need } from '../bytes.js';
import { argumentError } from './argument-error.js';

/*
 * The 16-octet Sender Address and Receiver Address of Request-TW-Session (RFC 4656 §3.5, RFC 5357 §3.5):
 * IPVN 6 fills all 16 octets, IPVN 4 uses the first 4 and leaves 12 MBZ octets, and all zeros means
 * "use the address of the control connection". Parsing and formatting are written here rather than
 * borrowed from node:net, which offers validation but no canonical (RFC 5952) formatter and no way to
 * turn text into octets without a socket API.
 */

/** The IP version, as IPVN carries it. */
export type IpFamily = 4 | 6;

/** Octets an address occupies in Request-TW-Session, whatever its family. */
export const ADDRESS_FIELD_LENGTH = 16;

export interface ParsedIpAddress {
  readonly family: IpFamily;
  /** 4 octets for IPv4, 16 for IPv6, in network order. */
  readonly octets: Uint8Array;
}

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-f]{1,4}$/i;

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return undefined;
  }
  const octets = new Uint8Array(4);
  for (const [index, part] of parts.entries()) {
    // Leading zeros are refused: some stacks read them as octal, so their meaning is ambiguous.
    if (!IPV4_PART.test(part)) {
      return undefined;
    }
    const value = Number(part);
    if (value > 255) {
      return undefined;
    }
    octets[index] = value;
  }
  return octets;
}

/** Groups of a colon-separated run ("" gives none); undefined when one is not 1-4 hex digits. */
function parseGroups(text: string): number[] | undefined {
  if (text === '') {
    return [];
  }
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!IPV6_GROUP.test(group)) {
      return undefined;
    }
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | undefined {
  let body = text;
  // An embedded IPv4 address may only stand for the last two groups: rewrite it as those two groups.
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    const ipv4 = parseIpv4(body.slice(lastColon + 1));
    if (ipv4 === undefined) {
      return undefined;
    }
    const high = (((ipv4[0] ?? 0) << 8) | (ipv4[1] ?? 0)).toString(16);
    const low = (((ipv4[2] ?? 0) << 8) | (ipv4[3] ?? 0)).toString(16);
    body = `${body.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const halves = body.split('::');
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(body);
    if (all?.length !== 8) {
      return undefined;
    }
    groups = all;
  } else if (halves.length === 2) {
    const head = parseGroups(halves[0] ?? '');
    const rest = parseGroups(halves[1] ?? '');
    if (head === undefined || rest === undefined) {
      return undefined;
    }
    const explicit = head.length + rest.length;
    // "::" stands for at least one group of zeros.
    if (explicit > 7) {
      return undefined;
    }
    groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
  } else {
    return undefined;
  }
  const octets = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    octets[index * 2] = group >>> 8;
    octets[index * 2 + 1] = group & 0xff;
  }
  return octets;
}

/** Family and octets of an IPv4 or IPv6 address in text form, or undefined when it is neither. */
export function tryParseIpAddress(address: string): ParsedIpAddress | undefined {
  if (address.includes(':')) {
    const octets = parseIpv6(address);
    return octets === undefined ? undefined : { family: 6, octets };
  }
  const octets = parseIpv4(address);
  return octets === undefined ? undefined : { family: 4, octets };
}

/**
 * Family and octets of an IPv4 (dotted quad) or IPv6 address. Host names, zone identifiers (`%eth0`),
 * brackets and prefixes are refused with a ConfigError: none of them can travel in the address field.
 */
export function parseIpAddress(address: string, path = 'address'): ParsedIpAddress {
  const parsed = tryParseIpAddress(address);
  if (parsed === undefined) {
    throw argumentError(path, 'an IPv4 address (dotted quad) or an IPv6 address', address);
  }
  return parsed;
}

/** 4 or 6 for an IP address literal, undefined for anything else (such as a host name to resolve). */
export function addressFamilyOf(address: string): IpFamily | undefined {
  return tryParseIpAddress(address)?.family;
}

/** True for 0.0.0.0 and for every spelling of ::, the values that mean "use the control connection's address". */
export function isUnspecifiedAddress(address: string): boolean {
  return tryParseIpAddress(address)?.octets.every((octet) => octet === 0) ?? false;
}

/** The IPv4 octets inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else undefined. */
export function mappedIpv4(octets: Uint8Array): Uint8Array | undefined {
  if (octets.length !== 16) return undefined;
  for (let i = 0; i < 10; i++) {
    if (octets[i] !== 0) return undefined;
  }
  if (octets[10] !== 0xff || octets[11] !== 0xff) return undefined;
  return octets.subarray(12, 16);
}

/** The octets that identify the host: an IPv4-mapped IPv6 address as its 4 IPv4 octets. */
function hostOctets(octets: Uint8Array): Uint8Array {
  return mappedIpv4(octets) ?? octets;
}

/** Whether two address literals name the same host, whatever their spelling (::ffff:192.0.2.1 is 192.0.2.1). */
export function sameIpAddress(a: string, b: string): boolean {
  const pa = tryParseIpAddress(a);
  const pb = tryParseIpAddress(b);
  if (pa === undefined || pb === undefined) return false;
  const oa = hostOctets(pa.octets);
  const ob = hostOctets(pb.octets);
  return oa.length === ob.length && oa.every((octet, index) => octet === ob[index]);
}

/**
 * True for a group address, which no test session may use as an endpoint and no reflector may
 * answer: IPv4 multicast 224.0.0.0/4 and the limited broadcast 255.255.255.255, IPv6 multicast
 * ff00::/8, and the IPv4-mapped forms of the IPv4 ones. False for anything that is not an address.
 */
export function isGroupAddress(address: string): boolean {
  const parsed = tryParseIpAddress(address);
  if (parsed === undefined) return false;
  const octets = hostOctets(parsed.octets);
  if (octets.length === 4) return ((octets[0] ?? 0) & 0xf0) === 0xe0 || octets.every((octet) => octet === 0xff);
  return octets[0] === 0xff;
}

function formatIpv4(octets: Uint8Array, offset: number): string {
  return `${octets[offset] ?? 0}.${octets[offset + 1] ?? 0}.${octets[offset + 2] ?? 0}.${octets[offset + 3] ?? 0}`;
}

/**
 * RFC 5952 text for 16 octets at `offset`: lower-case hex without leading zeros, the longest run of two
 * or more zero groups (the first, on a tie) shortened to "::", and dotted-quad notation for the last 32
 * bits of IPv4-mapped (::ffff:0:0/96) and IPv4-translated (::ffff:0:0:0/96) addresses, the
 * well-known-prefix cases for which RFC 5952 §5 recommends it.
 */
export function formatIpv6(octets: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let index = 0; index < 8; index += 1) {
    groups.push(((octets[offset + index * 2] ?? 0) << 8) | (octets[offset + index * 2 + 1] ?? 0));
  }
  const zeroUpTo = (count: number): boolean => groups.slice(0, count).every((group) => group === 0);
  const mapped = zeroUpTo(5) && groups[5] === 0xffff;
  const translated = zeroUpTo(4) && groups[4] === 0xffff && groups[5] === 0;
  const hexGroups = mapped || translated ? 6 : 8;
  const suffix = hexGroups === 6 ? formatIpv4(octets, offset + 12) : '';

  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < hexGroups; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < hexGroups && groups[end] === 0) {
      end += 1;
    }
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }

  const hex = (from: number, to: number): string[] => groups.slice(from, to).map((group) => group.toString(16));
  const tail = suffix === '' ? [] : [suffix];
  if (bestStart < 0) {
    return [...hex(0, hexGroups), ...tail].join(':');
  }
  const before = hex(0, bestStart).join(':');
  const after = [...hex(bestStart + bestLength, hexGroups), ...tail].join(':');
  return `${before}::${after}`;
}

/** Text for 4 (IPv4) or 16 (IPv6) octets. */
export function formatIpAddress(octets: Uint8Array): string {
  if (octets.length === 4) {
    return formatIpv4(octets, 0);
  }
  if (octets.length === 16) {
    return formatIpv6(octets, 0);
  }
  throw argumentError('octets', '4 or 16 octets', `${octets.length} octets`);
}

/**
 * The address in a 16-octet field: IPVN 4 gives the dotted quad of the first 4 octets (the 12 MBZ octets
 * are ignored, as MBZ fields must be), IPVN 6 the RFC 5952 text of all 16. Any other IPVN, or fewer than
 * 16 octets, is a MalformedInputError.
 */
export function readAddress(input: Buffer, offset: number, ipvn: number, what: string, field: string): string {
  if (ipvn !== 4 && ipvn !== 6) {
    throw new MalformedInputError({ what, field: 'IPVN', offset, reason: `${ipvn} is neither 4 nor 6, so ${field} cannot be read` });
  }
  need(input, offset, ADDRESS_FIELD_LENGTH, what, field);
  return ipvn === 4 ? formatIpv4(input, offset) : formatIpv6(input, offset);
}

/**
 * Writes `address` as a 16-octet field, zero-filled. With IPVN 4 an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4 peer) is written as its IPv4 address.
 * An address of the other family is a ConfigError; a target too short for 16 octets is a RangeError,
 * since that is a bug in the caller rather than bad input.
 */
export function writeAddress(target: Buffer, offset: number, ipvn: number, address: string): void {
  checkTarget(target, offset, ADDRESS_FIELD_LENGTH, 'address field');
  if (ipvn !== 4 && ipvn !== 6) {
    throw argumentError('ipvn', '4 or 6', ipvn);
  }
  const parsed = parseIpAddress(address);
  let octets = parsed.octets;
  if (ipvn === 4 && parsed.family === 6 && isIpv4Mapped(parsed.octets)) {
    octets = parsed.octets.subarray(12);
  } else if (parsed.family !== ipvn) {
    throw argumentError('address', `an IPv${ipvn} address (IPVN is ${ipvn})`, address);
  }
  target.fill(0, offset, offset + ADDRESS_FIELD_LENGTH);
  target.set(octets, offset);
}

function isIpv4Mapped(octets: Uint8Array): boolean {
  for (let index = 0; index < 10; index += 1) {
    if (octets[index] !== 0) {
      return false;
    }
  }
  return octets[10] === 0xff && octets[11] === 0xff;
}
