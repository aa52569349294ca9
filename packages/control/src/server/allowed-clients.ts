// Which client addresses may use the server: CIDR prefixes ("192.0.2.0/24", "2001:db8::/32") or
// single addresses. An IPv4 client is matched against IPv4 prefixes only; the adapter unwraps
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) first, so a dual-stack listener behaves the same.
import { ConfigError } from '@twamp/errors';
import { tryParseIpAddress } from '@twamp/wire';

interface Prefix {
  readonly family: 4 | 6;
  readonly octets: Uint8Array;
  readonly bits: number;
}

export type ClientFilter = (address: string) => boolean;

function parsePrefix(text: string, path: string): Prefix {
  const [address = '', length, extra] = text.trim().split('/');
  const parsed = tryParseIpAddress(address);
  const max = parsed?.family === 4 ? 32 : 128;
  const bits = length === undefined ? max : Number(length);
  if (parsed === undefined || extra !== undefined || !/^\d+$/.test(length ?? String(max)) || bits > max) {
    throw new ConfigError([{ path, expected: 'an IP address or CIDR prefix such as 192.0.2.0/24 or 2001:db8::/32', received: JSON.stringify(text) }]);
  }
  return { family: parsed.family, octets: parsed.octets, bits };
}

function matches(prefix: Prefix, octets: Uint8Array): boolean {
  let remaining = prefix.bits;
  for (let i = 0; remaining > 0; i++, remaining -= 8) {
    const mask = remaining >= 8 ? 0xff : (0xff << (8 - remaining)) & 0xff;
    if (((octets[i] ?? 0) & mask) !== ((prefix.octets[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** A filter for the given list; undefined (no list) allows everyone. Invalid entries are a ConfigError. */
export function clientFilter(allowed: readonly string[] | undefined, path = 'allowedClients'): ClientFilter {
  if (allowed === undefined) return () => true;
  const prefixes = allowed.map((entry, index) => parsePrefix(entry, `${path}[${index}]`));
  return (address: string): boolean => {
    const parsed = tryParseIpAddress(address);
    if (parsed === undefined) return false;
    return prefixes.some((prefix) => prefix.family === parsed.family && matches(prefix, parsed.octets));
  };
}

/** '::ffff:192.0.2.1' → '192.0.2.1'; any other address unchanged. */
export function unwrapMappedAddress(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address;
}
