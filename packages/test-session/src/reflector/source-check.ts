// Sources a reflector must never answer, checked once per new session (a known session's source
// passed when it was made), so the per-packet path never sees this: port 0 (no reply can reach it),
// multicast, broadcast, unspecified and reserved addresses (a reply would go to many hosts or to
// none), and the reflector itself (one forged packet from its own address and port would make it
// answer itself forever: the "Loop DoS" pattern).
import { networkInterfaces } from 'node:os';
import { formatIpAddress, mappedIpv4, tryParseIpAddress } from '@twamp/wire';

/** The host's interface addresses are re-read at most this often (they rarely change). */
const LOCAL_REFRESH_MS = 10_000;

/** Canonical text of every local interface address, and the IPv4 directed-broadcast addresses of their subnets. */
let localAddresses = new Set<string>();
let broadcastAddresses = new Set<string>();
let localReadAtMs = Number.NEGATIVE_INFINITY;
/** Verdicts of isUnanswerableSource by address text; bounded, a flood of distinct sources just restarts it. */
const verdicts = new Map<string, boolean>();
const VERDICT_LIMIT = 4096;

function canonical(address: string): string | undefined {
  const zone = address.indexOf('%');
  const parsed = tryParseIpAddress(zone < 0 ? address : address.slice(0, zone));
  return parsed === undefined ? undefined : formatIpAddress(parsed.octets);
}

function ipv4Broadcast(address: string, netmask: string): string | undefined {
  const a = tryParseIpAddress(address);
  const m = tryParseIpAddress(netmask);
  if (a?.family !== 4 || m?.family !== 4) return undefined;
  // A /31 or /32 has no broadcast address (RFC 3021).
  if ((m.octets[3] ?? 0) >= 0xfe) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[i] = (a.octets[i] ?? 0) | (~(m.octets[i] ?? 0) & 0xff);
  return formatIpAddress(out);
}

/**
 * Re-read the host's interface addresses when the cached set is older than 10 s (called from the
 * reflectors' sweep timers, never per packet). Failure keeps the previous set.
 */
export function refreshLocalAddresses(nowMs = Date.now()): void {
  if (nowMs - localReadAtMs < LOCAL_REFRESH_MS && nowMs >= localReadAtMs) return;
  localReadAtMs = nowMs;
  try {
    const local = new Set<string>();
    const broadcast = new Set<string>();
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        const text = canonical(info.address);
        if (text !== undefined) local.add(text);
        if (info.family === 'IPv4') {
          const b = ipv4Broadcast(info.address, info.netmask);
          if (b !== undefined) broadcast.add(b);
        }
      }
    }
    localAddresses = local;
    broadcastAddresses = broadcast;
    verdicts.clear();
  } catch {
    // No interface list (a sandbox): loopback is still recognised below.
  }
}

/** IPv4 octets that can never be a unicast source: 0/8 (this network), 224/4 multicast, 240/4 reserved and 255.255.255.255. */
function badIpv4(octets: Uint8Array): boolean {
  const first = octets[0] ?? 0;
  return first === 0 || first >= 224;
}

function isLoopback(octets: Uint8Array): boolean {
  if (octets.length === 4) return octets[0] === 127;
  const v4 = mappedIpv4(octets);
  if (v4 !== undefined) return v4[0] === 127;
  for (let i = 0; i < 15; i++) {
    if (octets[i] !== 0) return false;
  }
  return octets[15] === 1;
}

/**
 * True when no reply may go to `address`: not an IP literal, unspecified, multicast (IPv4 224/4,
 * IPv6 ff00::/8), limited or (for a local subnet) directed broadcast, IPv4 0/8 or 240/4, or an
 * IPv4-mapped IPv6 form of any of these.
 */
export function isUnanswerableSource(address: string): boolean {
  const known = verdicts.get(address);
  if (known !== undefined) return known;
  const verdict = classify(address);
  if (verdicts.size >= VERDICT_LIMIT) verdicts.clear();
  verdicts.set(address, verdict);
  return verdict;
}

function classify(address: string): boolean {
  const zone = address.indexOf('%');
  const parsed = tryParseIpAddress(zone < 0 ? address : address.slice(0, zone));
  if (parsed === undefined) return true;
  const octets = parsed.octets;
  if (parsed.family === 4) return badIpv4(octets) || broadcastAddresses.has(address);
  const v4 = mappedIpv4(octets);
  if (v4 !== undefined) return badIpv4(v4) || broadcastAddresses.has(formatIpAddress(v4));
  if (octets[0] === 0xff) return true;
  return octets.every((octet) => octet === 0);
}

/**
 * True when `address`:`port` is the reflector itself: its bound address and port, or, bound to the
 * wildcard, any local address (loopback included) with its port. `arrivedOn` is the local address
 * the packet was sent to.
 */
export function isOwnEndpoint(address: string, port: number, localPort: number, bound: string, wildcard: boolean, arrivedOn: string): boolean {
  if (port !== localPort) return false;
  if (address === arrivedOn || address === bound) return true;
  const text = canonical(address);
  if (text === undefined) return false;
  if (!wildcard) return text === canonical(bound);
  const parsed = tryParseIpAddress(text);
  if (parsed !== undefined && isLoopback(parsed.octets)) return true;
  if (localAddresses.has(text)) return true;
  const v4 = parsed === undefined ? undefined : mappedIpv4(parsed.octets);
  return v4 !== undefined && localAddresses.has(formatIpAddress(v4));
}
