// Endpoint arguments in the forms nokia/twampy accepts, so that command lines carry over:
//   ip          1.2.3.4          IPv4, default port
//   ip:port     1.2.3.4:862      IPv4 with port
//   [v6]:port   [2001:db8::1]:862
//   [v6]        [2001:db8::1]    IPv6, default port
//   v6          ::1, 2001:db8::1 IPv6 without brackets: never a port (the last group is part of the address)
//   :port       :862             no address (the wildcard for a local endpoint, loopback for a remote one)
//   (empty)                      no address, default port
// Beyond twampy: host names (`localhost`, `host:862`) are accepted and resolved with dns.lookup when the
// command starts, and an IPv6 zone (`fe80::1%eth0`) is kept for the socket.
import type { IpFamily } from '@twamp/udp';
import { tryParseIpAddress } from '@twamp/wire';
import { usageError } from './usage-error.js';

export interface EndpointArgument {
  /** The address as written (brackets removed), or undefined when none was given. */
  readonly address: string | undefined;
  /** True when `address` is a host name to resolve rather than an IP literal. */
  readonly isHostName: boolean;
  readonly port: number;
  /** The family the address fixes (an IP literal), or undefined (no address, or a host name). */
  readonly family: IpFamily | undefined;
}

export interface EndpointRules {
  /** The argument's name in messages, e.g. `remote` or `local`. */
  readonly path: string;
  readonly defaultPort: number;
  /** Whether port 0 (an ephemeral port chosen by the system) makes sense here. */
  readonly allowPortZero: boolean;
}

const FORMS = 'ip, ip:port, [ipv6]:port, [ipv6], ipv6, :port or a host name (with :port)';
const PORT = /^[0-9]{1,5}$/;
// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function portRange(rules: EndpointRules): string {
  return rules.allowPortZero ? 'a port from 0 (any free port) to 65535' : 'a port from 1 to 65535';
}

function parsePort(text: string, rules: EndpointRules, whole: string): number {
  const value = PORT.test(text) ? Number(text) : Number.NaN;
  const min = rules.allowPortZero ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > 65535) {
    throw usageError(rules.path, `${portRange(rules)} after the last ':' (${FORMS})`, whole);
  }
  return value;
}

/** An IP literal's family, with an IPv6 zone (`%eth0`) allowed and ignored for the check. */
function literalFamily(address: string): IpFamily | undefined {
  const percent = address.indexOf('%');
  if (percent >= 0) {
    const zone = address.slice(percent + 1);
    const base = address.slice(0, percent);
    if (!/^[a-z0-9_.-]{1,15}$/i.test(zone) || tryParseIpAddress(base)?.family !== 6) return undefined;
    return 6;
  }
  return tryParseIpAddress(address)?.family;
}

function checkedAddress(address: string, rules: EndpointRules, whole: string, mustBe?: IpFamily): Omit<EndpointArgument, 'port'> {
  const family = literalFamily(address);
  if (family !== undefined) {
    if (mustBe !== undefined && family !== mustBe) {
      throw usageError(rules.path, `an IPv6 address inside [ ] (${FORMS})`, whole);
    }
    return { address, isHostName: false, family };
  }
  if (mustBe === undefined && !address.includes(':') && HOST_NAME.test(address) && !/^[0-9.]+$/.test(address)) {
    return { address, isHostName: true, family: undefined };
  }
  throw usageError(rules.path, `an IPv4 or IPv6 address or a host name (${FORMS})`, whole);
}

/**
 * Parses one endpoint argument. Pure: host names are only checked for syntax here; resolving them is
 * the command's job (see `resolveEndpoint`). Throws a ConfigError naming `rules.path`.
 */
export function parseEndpoint(text: string, rules: EndpointRules): EndpointArgument {
  const whole = text;
  const value = text.trim();
  if (value === '') {
    return { address: undefined, isHostName: false, port: rules.defaultPort, family: undefined };
  }
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) throw usageError(rules.path, `a closing ']' after the IPv6 address (${FORMS})`, whole);
    const inside = value.slice(1, close);
    const rest = value.slice(close + 1);
    const parsed = checkedAddress(inside, rules, whole, 6);
    if (rest === '') return { ...parsed, port: rules.defaultPort };
    if (!rest.startsWith(':')) throw usageError(rules.path, `':port' or nothing after ']' (${FORMS})`, whole);
    return { ...parsed, port: parsePort(rest.slice(1), rules, whole) };
  }
  const colons = value.split(':').length - 1;
  if (colons > 1) {
    // Two or more colons: an IPv6 address, never with a port (twampy reads it the same way).
    return { ...checkedAddress(value, rules, whole, 6), port: rules.defaultPort };
  }
  if (colons === 1) {
    const [host = '', port = ''] = value.split(':');
    const portValue = parsePort(port, rules, whole);
    if (host === '') return { address: undefined, isHostName: false, port: portValue, family: undefined };
    return { ...checkedAddress(host, rules, whole), port: portValue };
  }
  return { ...checkedAddress(value, rules, whole), port: rules.defaultPort };
}

