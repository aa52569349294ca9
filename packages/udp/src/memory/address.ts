// Addresses of the memory network: IP literals in one canonical text per address, so '::1' and
// '0:0:0:0:0:0:0:1' are one address (bindings and deliveries compare strings), and link
// selectors ('addr[:port]') for impairments.

import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '@twamp/errors';
import type { IpFamily } from '../types.js';

export const WILDCARD: Readonly<Record<IpFamily, string>> = { 4: '0.0.0.0', 6: '::' };
export const LOOPBACK: Readonly<Record<IpFamily, string>> = { 4: '127.0.0.1', 6: '::1' };

function canonicalIpv4(text: string): string {
  return text
    .split('.')
    .map((part) => String(Number.parseInt(part, 10)))
    .join('.');
}

/** The 8 groups of an IPv6 address (validated by isIPv6 before), an embedded IPv4 tail included. */
function ipv6Groups(text: string): number[] {
  let address = text;
  const lastColon = address.lastIndexOf(':');
  if (address.includes('.', lastColon)) {
    // a.b.c.d at the end is two groups: rewrite it as such and parse one notation.
    const [a = 0, b = 0, c = 0, d = 0] = address.slice(lastColon + 1).split('.').map((part) => Number.parseInt(part, 10));
    address = `${address.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const [head = '', rest] = address.split('::');
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as '::'. */
function canonicalIpv6(text: string): string {
  const zoneAt = text.indexOf('%');
  const zone = zoneAt < 0 ? '' : text.slice(zoneAt);
  const groups = ipv6Groups(zoneAt < 0 ? text : text.slice(0, zoneAt));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return `::ffff:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}${zone}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return `${hex.join(':')}${zone}`;
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}${zone}`;
}

/** The canonical text of an IP literal of `family`, or undefined when `text` is not one. */
export function canonicalAddress(family: IpFamily, text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  if (family === 4) return isIPv4(text) ? canonicalIpv4(text) : undefined;
  return isIPv6(text) ? canonicalIpv6(text) : undefined;
}

export function addressExpectation(family: IpFamily): string {
  return family === 4 ? 'an IPv4 address (the socket is IPv4; no host names)' : 'an IPv6 address (the socket is IPv6-only; no host names)';
}

export function badAddress(family: IpFamily, text: unknown): ConfigError {
  return new ConfigError([{ path: 'address', expected: addressExpectation(family), received: typeof text === 'string' ? JSON.stringify(text) : String(text) }]);
}

/** A link end for impairments: an address (or any, with '*') and a port (or any). */
export interface Selector {
  /** Canonical address, or undefined for any address. */
  readonly address: string | undefined;
  /** The address family, or undefined when the address is any. */
  readonly family: IpFamily | undefined;
  /** The port, or undefined for any port. */
  readonly port: number | undefined;
}

const ANY: Selector = Object.freeze({ address: undefined, family: undefined, port: undefined });

/**
 * Parse 'addr', 'addr:port', '[v6]', '[v6]:port', '*' or '*:port' (a bare IPv6 address has no
 * port: write '[::1]:862'). undefined is any address and port.
 */
export function parseSelector(path: string, text: string | undefined): Selector {
  if (text === undefined) return ANY;
  const fail = (): ConfigError =>
    new ConfigError([{ path, expected: "'addr', 'addr:port', '[v6addr]:port', '*' or '*:port' (IP literals)", received: JSON.stringify(text) }]);
  if (typeof text !== 'string') throw fail();
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw fail();
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw fail();
      portText = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0 && colon === text.lastIndexOf(':')) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) throw fail();
  }
  if (host === '*') return { address: undefined, family: undefined, port };
  const family: IpFamily = host.includes(':') ? 6 : 4;
  const address = canonicalAddress(family, host);
  if (address === undefined) throw fail();
  return { address, family, port };
}

/** Whether address:port (canonical) is what `selector` names. */
export function selects(selector: Selector, address: string, port: number): boolean {
  return (selector.address === undefined || selector.address === address) && (selector.port === undefined || selector.port === port);
}
