// Allowed-source matching for the reflector: a list of IPv4 and IPv6 CIDR blocks, parsed once at open
// and checked only when a packet does not belong to a known session (a session's source was checked
// when the session was made), so the per-packet path never sees it.
import { ConfigError } from '@twamp/errors';
import { mappedIpv4, tryParseIpAddress } from '@twamp/wire';

interface CidrBlock {
  readonly family: 4 | 6;
  readonly octets: Uint8Array;
  readonly prefix: number;
}

/** True when the first `prefix` bits of `address` equal those of `network` (same length). */
function prefixMatches(address: Uint8Array, network: Uint8Array, prefix: number): boolean {
  const whole = prefix >>> 3;
  for (let i = 0; i < whole; i++) {
    if (address[i] !== network[i]) return false;
  }
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] ?? 0) & mask) === ((network[whole] ?? 0) & mask);
}

/**
 * Parse one block: `address/prefix`, or a bare address (a /32 or /128). Host bits set beyond the
 * prefix are accepted and ignored (`10.1.2.3/8` means 10/8), as most routers do.
 */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const parsed = tryParseIpAddress(addressText.trim());
  if (parsed === undefined) return undefined;
  const max = parsed.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > max) return undefined;
  }
  return { family: parsed.family, octets: parsed.octets, prefix };
}

/** Upper bound on remembered verdicts; a flood of distinct sources just restarts the memo. */
const MEMO_LIMIT = 4096;

/** A set of CIDR blocks with a bounded memo of verdicts per source-address text. */
export class CidrMatcher {
  readonly #v4: CidrBlock[] = [];
  readonly #v6: CidrBlock[] = [];
  readonly #memo = new Map<string, boolean>();

  /** @throws ConfigError listing every block that does not parse. */
  constructor(blocks: readonly string[], path = 'allowedSources') {
    const issues: { path: string; expected: string; received: string }[] = [];
    blocks.forEach((text, index) => {
      const block = typeof text === 'string' ? parseCidr(text) : undefined;
      if (block === undefined) {
        issues.push({ path: `${path}[${index}]`, expected: 'an IPv4 or IPv6 address with an optional /prefix', received: JSON.stringify(text) });
      } else if (block.family === 4) {
        this.#v4.push(block);
      } else {
        this.#v6.push(block);
      }
    });
    if (issues.length > 0) throw new ConfigError(issues);
  }

  /** Whether `address` (an IP literal) lies in one of the blocks. Anything unparsable does not. */
  matches(address: string): boolean {
    const known = this.#memo.get(address);
    if (known !== undefined) return known;
    const verdict = this.#evaluate(address);
    if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
    this.#memo.set(address, verdict);
    return verdict;
  }

  #evaluate(address: string): boolean {
    const parsed = tryParseIpAddress(address);
    if (parsed === undefined) return false;
    let v4 = parsed.family === 4 ? parsed.octets : undefined;
    if (parsed.family === 6) {
      for (const block of this.#v6) {
        if (prefixMatches(parsed.octets, block.octets, block.prefix)) return true;
      }
      v4 = mappedIpv4(parsed.octets);
    }
    if (v4 === undefined) return false;
    for (const block of this.#v4) {
      if (prefixMatches(v4, block.octets, block.prefix)) return true;
    }
    return false;
  }
}
