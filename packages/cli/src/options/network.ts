// Options about the IP header and the address family: TOS / DSCP, TTL, CIDRs, -4 / -6.
import type { IpFamily } from '@twamp/udp';
import { parseDscp, tosFrom, tryParseIpAddress } from '@twamp/wire';
import { parseIntegerOption } from './numbers.js';
import type { EndpointArgument } from './address.js';
import { usageError } from './usage-error.js';

/**
 * The TOS / Traffic Class octet from `--tos` (0-255, decimal or 0x hex) or `--dscp` (a name such as
 * ef, af41, cs1, or 0-63, through @twamp/wire's parseDscp; ECN bits 0). Both at once is refused:
 * which one would win is a guess.
 */
export function parseTosOptions(tos: string | undefined, dscp: string | undefined): number | undefined {
  if (tos !== undefined && dscp !== undefined) {
    throw usageError('--dscp', 'either --tos or --dscp, not both (--tos sets the whole octet, --dscp its upper six bits)', dscp);
  }
  if (tos !== undefined) return parseIntegerOption(tos, { path: '--tos', min: 0, max: 255 }, { hex: true });
  if (dscp !== undefined) return tosFrom(parseDscp(dscp, '--dscp'));
  return undefined;
}

export function parseTtlOption(text: string): number {
  return parseIntegerOption(text, { path: '--ttl', min: 1, max: 255 });
}

/** A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address (a /32 or /128). Returned as written, trimmed. */
export function parseCidrOption(text: string, path = '--allow'): string {
  const value = text.trim();
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const family = tryParseIpAddress(address)?.family;
  const expected = 'an IPv4 or IPv6 address with an optional /prefix (0-32 for IPv4, 0-128 for IPv6), e.g. 192.0.2.0/24';
  if (family === undefined) throw usageError(path, expected, text);
  if (slash >= 0) {
    const prefix = value.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) throw usageError(path, expected, text);
  }
  return value;
}

/**
 * The address family of a run: -4 / -6 when given, else the family an IP literal fixes, else IPv4
 * (twampy's default). Contradictions are usage errors that name the argument.
 */
export function chooseFamily(
  flags: { readonly ipv4?: boolean | undefined; readonly ipv6?: boolean | undefined },
  endpoints: readonly (readonly [string, EndpointArgument | undefined])[],
): IpFamily {
  if (flags.ipv4 === true && flags.ipv6 === true) throw usageError('-6', 'either -4 or -6, not both');
  let family: IpFamily | undefined = flags.ipv4 === true ? 4 : flags.ipv6 === true ? 6 : undefined;
  let fixedBy = family === undefined ? undefined : family === 4 ? '-4' : '-6';
  for (const [name, endpoint] of endpoints) {
    const own = endpoint?.family;
    if (own === undefined) continue;
    if (family !== undefined && own !== family) {
      throw usageError(name, `an IPv${family} address, as ${fixedBy ?? 'the other address'} asks`, endpoint?.address ?? '');
    }
    family = own;
    fixedBy ??= name;
  }
  return family ?? 4;
}
