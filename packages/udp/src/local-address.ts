// Whether an address is this host's own: a packet sent to it never leaves the machine, so whoever
// answers there reads the same CLOCK_REALTIME as we do (even from another network namespace: the
// clock is not namespaced). The CLI and twampd use it to say that one-way delays need no
// synchronised clocks when the reflector is local.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** IPv4 127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address. */
function isLoopback(address: string): boolean {
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** IPv6 text in one form (lower case, no zone index) for comparing with os.networkInterfaces(). */
function canonical(address: string): string {
  const zone = address.indexOf('%');
  return (zone < 0 ? address : address.slice(0, zone)).toLowerCase();
}

/** IPv6 text with every group written out, so `fe80::1` and `fe80:0:0::1` compare equal. */
function expandIpv6(address: string): string {
  const [head = '', tail] = address.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.padStart(4, '0')).join(':');
}

/**
 * True when `address` (an IP address, not a name) is this host's: loopback, the unspecified address
 * (0.0.0.0 and :: reach this host), or an address of a local interface (os.networkInterfaces(), read
 * on each call: interfaces come and go). False for anything else, names and malformed text included.
 */
export function isLocalAddress(address: string): boolean {
  const text = canonical(address.trim());
  const family = isIP(text);
  if (family === 0) return false;
  if (isLoopback(text)) return true;
  if (text === '0.0.0.0' || (family === 6 && expandIpv6(text) === expandIpv6('::'))) return true;
  const mapped = family === 6 && text.startsWith('::ffff:') && isIP(text.slice(7)) === 4 ? text.slice(7) : undefined;
  const wanted = mapped ?? (family === 6 ? expandIpv6(text) : text);
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      const own = canonical(entry.address);
      if ((entry.family === 'IPv6' ? expandIpv6(own) : own) === wanted) return true;
    }
  }
  return false;
}
