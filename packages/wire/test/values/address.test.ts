import { isIP } from 'node:net';
import { ConfigError, MalformedInputError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADDRESS_FIELD_LENGTH,
  addressFamilyOf,
  formatIpAddress,
  formatIpv6,
  isGroupAddress,
  isUnspecifiedAddress,
  mappedIpv4,
  parseIpAddress,
  readAddress,
  sameIpAddress,
  tryParseIpAddress,
  writeAddress,
} from '../../src/values/index.js';
import { thrown } from '../support/thrown.js';
import { bytes, fuzzDecoder, toHex, truncated } from './helpers.js';

/*
 * Each row: IPVN and the canonical text, and the 16-octet Sender/Receiver Address field of
 * Request-TW-Session (RFC 4656 §3.5): IPVN 4 = octets 0-3 the address, octets 4-15 MBZ;
 * IPVN 6 = octets 0-15 the address in network order.
 */
const VECTORS: readonly { name: string; value: { ipvn: 4 | 6; address: string }; bytes: string }[] = [
  { name: 'IPv4 documentation address', value: { ipvn: 4, address: '192.0.2.1' }, bytes: 'c0000201 00000000 00000000 00000000' },
  { name: 'IPv4 unspecified (use the control connection\'s address)', value: { ipvn: 4, address: '0.0.0.0' }, bytes: '00000000 00000000 00000000 00000000' },
  { name: 'IPv4 broadcast', value: { ipvn: 4, address: '255.255.255.255' }, bytes: 'ffffffff 00000000 00000000 00000000' },
  { name: 'IPv6 unspecified', value: { ipvn: 6, address: '::' }, bytes: '00000000 00000000 00000000 00000000' },
  { name: 'IPv6 loopback', value: { ipvn: 6, address: '::1' }, bytes: '00000000 00000000 00000000 00000001' },
  { name: 'IPv6 documentation address', value: { ipvn: 6, address: '2001:db8::1' }, bytes: '20010db8 00000000 00000000 00000001' },
  { name: 'a single zero group is not shortened (RFC 5952 §4.2.2)', value: { ipvn: 6, address: '2001:db8:0:1:1:1:1:1' }, bytes: '20010db8 00000001 00010001 00010001' },
  { name: 'the first of two equal zero runs is shortened (§4.2.3)', value: { ipvn: 6, address: '2001:db8::1:0:0:1' }, bytes: '20010db8 00000000 00010000 00000001' },
  { name: 'the longest zero run is shortened (§4.2.3)', value: { ipvn: 6, address: '2001:0:0:1::1' }, bytes: '20010000 00000001 00000000 00000001' },
  { name: 'trailing zero run', value: { ipvn: 6, address: 'fe80::' }, bytes: 'fe800000 00000000 00000000 00000000' },
  { name: 'no zero groups, lower-case hex without leading zeros', value: { ipvn: 6, address: 'abcd:ef01:2345:6789:a:bc:def:1' }, bytes: 'abcdef01 23456789 000a00bc 0def0001' },
  { name: 'IPv4-mapped, mixed notation (§5)', value: { ipvn: 6, address: '::ffff:192.0.2.1' }, bytes: '00000000 00000000 0000ffff c0000201' },
  { name: 'IPv4-translated, mixed notation (§5)', value: { ipvn: 6, address: '::ffff:0:192.0.2.1' }, bytes: '00000000 00000000 ffff0000 c0000201' },
  { name: 'NAT64 well-known prefix stays hexadecimal', value: { ipvn: 6, address: '64:ff9b::c000:201' }, bytes: '0064ff9b 00000000 00000000 c0000201' },
  { name: 'all ones', value: { ipvn: 6, address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' }, bytes: 'ffffffff ffffffff ffffffff ffffffff' },
];

describe('address field vectors', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const wire = bytes(vector.bytes);
      expect(readAddress(wire, 0, vector.value.ipvn, 'Request-TW-Session', 'Sender Address')).toBe(vector.value.address);
      const encoded = Buffer.alloc(ADDRESS_FIELD_LENGTH, 0xee);
      writeAddress(encoded, 0, vector.value.ipvn, vector.value.address);
      expect(toHex(encoded)).toBe(toHex(wire));
      expect(readAddress(encoded, 0, vector.value.ipvn, 'Request-TW-Session', 'Sender Address')).toBe(vector.value.address);
    });
  }

  it('writes the same octets for every spelling of an address', () => {
    const spellings: readonly [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:0db8::0:1', '2001:db8::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::FFFF:C000:0201', '::ffff:192.0.2.1'],
      ['0::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
      ['::1.2.3.4', '::102:304'],
    ];
    for (const [spelling, canonical] of spellings) {
      const field = Buffer.alloc(16);
      writeAddress(field, 0, 6, spelling);
      expect(readAddress(field, 0, 6, 'test', spelling)).toBe(canonical);
    }
  });

  it('ignores the 12 MBZ octets after an IPv4 address', () => {
    expect(readAddress(bytes('c0000201 deadbeef deadbeef deadbeef'), 0, 4, 'test', 'Receiver Address')).toBe('192.0.2.1');
  });

  it('reads at an offset', () => {
    const message = Buffer.concat([bytes('ffff'), bytes(VECTORS[5]!.bytes), bytes('ff')]);
    expect(readAddress(message, 2, 6, 'test', 'Receiver Address')).toBe('2001:db8::1');
  });

  it('writes an IPv4-mapped address as IPv4 when IPVN is 4 (dual-stack sockets report IPv4 peers that way)', () => {
    const field = Buffer.alloc(16, 0xee);
    writeAddress(field, 0, 4, '::ffff:192.0.2.1');
    expect(toHex(field)).toBe(toHex(bytes('c0000201 00000000 00000000 00000000')));
  });
});

describe('address errors', () => {
  it('refuses an IPVN other than 4 or 6 on read, naming IPVN', () => {
    const error = thrown(() => readAddress(Buffer.alloc(16), 16, 5, 'Request-TW-Session', 'Sender Address'), MalformedInputError);
    expect(error).toMatchObject({ what: 'Request-TW-Session', field: 'IPVN', offset: 16 });
  });

  it('refuses a truncated field on read', () => {
    expect(() => readAddress(Buffer.alloc(15), 0, 4, 'test', 'Sender Address')).toThrow(MalformedInputError);
    expect(() => readAddress(Buffer.alloc(20), 5, 6, 'test', 'Sender Address')).toThrow(MalformedInputError);
  });

  it('refuses text that is not an address of the IPVN family, leaving the target untouched', () => {
    const bad: readonly [number, string][] = [
      [4, ''],
      [4, 'example.com'],
      [4, '1.2.3'],
      [4, '1.2.3.4.5'],
      [4, '1.2.3.256'],
      [4, '01.2.3.4'],
      [4, ' 1.2.3.4'],
      [4, '2001:db8::1'],
      [6, '192.0.2.1'],
      [6, 'fe80::1%eth0'],
      [6, '[::1]'],
      [6, '::1/128'],
      [6, '1:2:3:4:5:6:7:8:9'],
      [6, '1:2:3:4:5:6:7'],
      [6, '1::2::3'],
      [6, ':::'],
      [6, ':1::'],
      [6, '12345::'],
      [6, '::1.2.3'],
      [6, '::1.2.3.4:5'],
      [6, '1:2:3:4:5:6:7:1.2.3.4'],
      [5, '192.0.2.1'],
    ];
    for (const [ipvn, address] of bad) {
      const field = Buffer.alloc(16, 0xee);
      expect(() => { writeAddress(field, 0, ipvn, address); }, `${ipvn} ${address}`).toThrow(ConfigError);
      expect(field.every((octet) => octet === 0xee)).toBe(true);
    }
  });

  it('treats a target too short for the field as a bug (RangeError)', () => {
    expect(() => { writeAddress(Buffer.alloc(20), 5, 4, '192.0.2.1'); }).toThrow(RangeError);
  });

  it('parseIpAddress names the setting in its ConfigError', () => {
    const error = thrown(() => parseIpAddress('nope', 'receiverAddress'), ConfigError);
    expect(error.issues).toEqual([
      { path: 'receiverAddress', expected: 'an IPv4 address (dotted quad) or an IPv6 address', received: '"nope"' },
    ]);
  });
});

describe('address helpers', () => {
  it('addressFamilyOf tells literals from host names', () => {
    expect(addressFamilyOf('192.0.2.1')).toBe(4);
    expect(addressFamilyOf('2001:db8::1')).toBe(6);
    expect(addressFamilyOf('::ffff:192.0.2.1')).toBe(6);
    expect(addressFamilyOf('twamp.example.net')).toBeUndefined();
    expect(addressFamilyOf('')).toBeUndefined();
  });

  it('isUnspecifiedAddress accepts every spelling of the all-zero address and nothing else', () => {
    for (const address of ['0.0.0.0', '::', '0:0:0:0:0:0:0:0', '::0', '::0.0.0.0']) {
      expect(isUnspecifiedAddress(address), address).toBe(true);
    }
    for (const address of ['::1', '0.0.0.1', '::ffff:0.0.0.0', '', 'localhost']) {
      expect(isUnspecifiedAddress(address), address).toBe(false);
    }
  });

  it('formatIpAddress formats 4 or 16 octets and refuses other lengths', () => {
    expect(formatIpAddress(Uint8Array.of(198, 51, 100, 7))).toBe('198.51.100.7');
    expect(formatIpAddress(bytes('20010db8 00000000 00000000 00000001'))).toBe('2001:db8::1');
    expect(() => formatIpAddress(new Uint8Array(5))).toThrow(ConfigError);
  });
});

describe('address properties', () => {
  // Zero and 0xffff groups are over-represented so that runs of zeros and the mapped prefixes turn up.
  const group = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
  const ipv6Octets = fc.array(group, { minLength: 8, maxLength: 8 }).map((groups) => {
    const octets = Buffer.alloc(16);
    groups.forEach((value, index) => octets.writeUInt16BE(value, index * 2));
    return octets;
  });

  it('formats like the WHATWG URL serializer (same compression rule), except for RFC 5952 mixed notation', () => {
    fc.assert(
      fc.property(ipv6Octets, (octets) => {
        const ours = formatIpv6(octets);
        const url = new URL(`http://[${ours}]/`).hostname.slice(1, -1);
        const zeros = (from: number, to: number): boolean => octets.subarray(from, to).every((octet) => octet === 0);
        const mixed = (zeros(0, 10) && octets.readUInt16BE(10) === 0xffff) || (zeros(0, 8) && octets.readUInt16BE(8) === 0xffff && zeros(10, 12));
        if (mixed) {
          // URL keeps hex for these; the address it parsed from our text must still be the same one.
          return /^::ffff:(0:)?\d+\.\d+\.\d+\.\d+$/.test(ours) && Buffer.from(parseIpAddress(url).octets).equals(octets);
        }
        return ours === url;
      }),
      { numRuns: 20_000 },
    );
  });

  it('parses what it formats back to the same octets, and formatting is idempotent', () => {
    fc.assert(
      fc.property(ipv6Octets, (octets) => {
        const text = formatIpv6(octets);
        const parsed = parseIpAddress(text);
        return parsed.family === 6 && Buffer.from(parsed.octets).equals(octets) && formatIpv6(parsed.octets) === text;
      }),
      { numRuns: 20_000 },
    );
  });

  it('accepts exactly the literals node:net accepts (generated addresses, then random text)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (address) => {
        const expected = isIP(address);
        const parsed = tryParseIpAddress(address);
        return expected === 0 ? parsed === undefined : parsed?.family === expected;
      }),
      { numRuns: 20_000 },
    );
    const text = fc.string({ unit: fc.constantFrom(...Array.from('0123456789abcdefABCDEF:.')), maxLength: 45 });
    fc.assert(
      fc.property(text, (address) => (tryParseIpAddress(address)?.family ?? 0) === isIP(address)),
      { numRuns: 50_000 },
    );
  });

  it('writes and reads back any IPv4 and IPv6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
        const family = isIP(address) as 4 | 6;
        const field = Buffer.alloc(16);
        writeAddress(field, 0, family, address);
        const read = readAddress(field, 0, family, 'test', 'Sender Address');
        return Buffer.from(parseIpAddress(read).octets).equals(Buffer.from(parseIpAddress(address).octets));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('random and truncated input', () => {
  it('readAddress throws only MalformedInputError: for an unknown IPVN or fewer than 16 octets', () => {
    // IPVN is a nibble of the message itself, so it is taken from the random input too: a third of the
    // time any nibble, otherwise 4 or 6 so that most runs get as far as the address.
    const ipvnOf = (input: Buffer): number => {
      const first = input[0] ?? 0;
      return [first & 0x0f, 4, 6][first % 3] ?? 0;
    };
    fuzzDecoder({
      maxLength: 40,
      decode: (input, offset) => readAddress(input, offset, ipvnOf(input), 'fuzz', 'Sender Address'),
      failsWhen: (input, offset) => ![4, 6].includes(ipvnOf(input)) || truncated(input, offset, 16),
      check: (text, input, offset) => {
        const ipvn = ipvnOf(input);
        if (formatIpAddress(parseIpAddress(text).octets) !== text) {
          throw new Error(`not canonical: ${text}`);
        }
        const expected = ipvn === 4 ? input.subarray(offset, offset + 4) : input.subarray(offset, offset + 16);
        if (!Buffer.from(parseIpAddress(text).octets).equals(expected)) {
          throw new Error(`wrong octets for ${text}`);
        }
      },
    });
  });
});

describe('group addresses and address identity', () => {
  it.each(['224.0.0.1', '239.255.255.250', '255.255.255.255', 'ff02::1', 'ff05::1:3', '::ffff:224.0.0.5', '::ffff:255.255.255.255'])('%s is a group address', (address) => {
    expect(isGroupAddress(address)).toBe(true);
  });

  it.each(['192.0.2.1', '223.255.255.255', '255.255.255.254', '::1', 'fe80::1', '2001:db8::ff', '::ffff:192.0.2.1', 'not-an-address', ''])('%s is not', (address) => {
    expect(isGroupAddress(address)).toBe(false);
  });

  it('sees an IPv4-mapped address as its IPv4 address', () => {
    expect(sameIpAddress('::ffff:192.0.2.1', '192.0.2.1')).toBe(true);
    expect(sameIpAddress('2001:db8::1', '2001:DB8:0::1')).toBe(true);
    expect(sameIpAddress('192.0.2.1', '192.0.2.2')).toBe(false);
    expect(sameIpAddress('::1', '127.0.0.1')).toBe(false);
    expect(sameIpAddress('x', 'x')).toBe(false);
    expect(mappedIpv4(parseIpAddress('::ffff:10.1.2.3').octets)).toEqual(Uint8Array.of(10, 1, 2, 3));
    expect(mappedIpv4(parseIpAddress('::10.1.2.3').octets)).toBeUndefined();
    expect(mappedIpv4(Uint8Array.of(10, 1, 2, 3))).toBeUndefined();
  });
});
