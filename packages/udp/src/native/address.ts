// Address text from the raw octets the addon leaves in the metadata array, made only when an
// accessor asks for it and cached: a reflector sees the same few peers again and again, so
// after the first packet of a peer, address(i) costs a hash and four comparisons.

/** a.b.c.d from 4 octets at `offset`. */
export function formatIPv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset] ?? 0}.${bytes[offset + 1] ?? 0}.${bytes[offset + 2] ?? 0}.${bytes[offset + 3] ?? 0}`;
}

/** RFC 5952 text of 16 octets at `offset`: lower case, no leading zeros, the longest run of two or more zero groups (the first of equal runs) as "::". */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[offset + 2 * i] ?? 0) << 8) | (bytes[offset + 2 * i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

const CACHE_SLOTS = 256;
const WORDS = 4;

/** A direct-mapped cache from raw address words to their text. Bounded: 256 strings. */
export class AddressCache {
  private readonly keys = new Int32Array(CACHE_SLOTS * (WORDS + 1));
  private readonly values: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);

  /**
   * Text of the address in `words[at .. at + 4)` (IPv4: the first word only), whose octets
   * `bytes` views (the same memory).
   */
  lookup(words: Int32Array, bytes: Uint8Array, at: number, v6: boolean): string {
    const w0 = words[at] ?? 0;
    const w1 = v6 ? (words[at + 1] ?? 0) : 0;
    const w2 = v6 ? (words[at + 2] ?? 0) : 0;
    const w3 = v6 ? (words[at + 3] ?? 0) : 0;
    const tag = v6 ? 2 : 1; // 0 marks an empty slot
    let h = w0 ^ Math.imul(w1, 0x9e3779b1) ^ Math.imul(w2, 0x85ebca6b) ^ Math.imul(w3, 0xc2b2ae35) ^ tag;
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    const slot = (h >>> 24) & (CACHE_SLOTS - 1);
    const k = slot * (WORDS + 1);
    const keys = this.keys;
    if (keys[k] === tag && keys[k + 1] === w0 && keys[k + 2] === w1 && keys[k + 3] === w2 && keys[k + 4] === w3) {
      const hit = this.values[slot];
      if (hit !== undefined) return hit;
    }
    const text = v6 ? formatIPv6(bytes, at * 4) : formatIPv4(bytes, at * 4);
    keys[k] = tag;
    keys[k + 1] = w0;
    keys[k + 2] = w1;
    keys[k + 3] = w2;
    keys[k + 4] = w3;
    this.values[slot] = text;
    return text;
  }
}

