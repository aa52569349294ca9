// TEMPORARY: a private stand-in for src/values/address.ts, which another change is adding with the
// same signatures. Replace the imports of './address.js' with '../values/address.js' once it lands.
import { isIPv4, isIPv6 } from 'node:net';
import { need } from '../bytes.js';

const ADDRESS_FIELD_LENGTH = 16;

/** Text form of the 16-octet Sender/Receiver Address field: IPv4 uses the first 4 octets. */
export function readAddress(input: Buffer, offset: number, ipvn: number, what: string, field: string): string {
  if (ipvn === 4) {
    need(input, offset, 4, what, field);
    return `${input[offset]}.${input[offset + 1]}.${input[offset + 2]}.${input[offset + 3]}`;
  }
  need(input, offset, ADDRESS_FIELD_LENGTH, what, field);
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(input.readUInt16BE(offset + 2 * i));
  return formatIpv6(groups);
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
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
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Write the 16-octet address field; IPv4 fills the first 4 octets and zeros the rest. */
export function writeAddress(target: Buffer, offset: number, ipvn: number, address: string): void {
  target.fill(0, offset, offset + ADDRESS_FIELD_LENGTH);
  if (ipvn === 4) {
    if (!isIPv4(address)) throw new RangeError(`not an IPv4 address: ${address}`);
    address.split('.').forEach((part, i) => {
      target[offset + i] = Number(part);
    });
    return;
  }
  if (!isIPv6(address)) throw new RangeError(`not an IPv6 address: ${address}`);
  parseIpv6(address).forEach((group, i) => {
    target.writeUInt16BE(group, offset + 2 * i);
  });
}

function parseIpv6(address: string): number[] {
  const toGroups = (text: string): number[] => {
    if (text === '') return [];
    const out: number[] = [];
    for (const part of text.split(':')) {
      if (part.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = part.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(Number.parseInt(part, 16));
      }
    }
    return out;
  };
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  const gap = bare.indexOf('::');
  if (gap < 0) return toGroups(bare);
  const head = toGroups(bare.slice(0, gap));
  const tail = toGroups(bare.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
