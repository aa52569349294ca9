import fc from 'fast-check';
import { ConfigError, formatEndpoint } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { type EndpointArgument, parseEndpoint } from '../src/options/address.js';

const remote = { path: 'remote', defaultPort: 862, allowPortZero: false };
const local = { path: 'local', defaultPort: 862, allowPortZero: true };

type Row = readonly [string, Partial<EndpointArgument>];

// Every form nokia/twampy's parse_addr accepts, read the same way (address, port, family).
const TWAMPY_FORMS: readonly Row[] = [
  ['', { address: undefined, port: 862, family: undefined }],
  ['192.0.2.1', { address: '192.0.2.1', port: 862, family: 4 }],
  ['192.0.2.1:20001', { address: '192.0.2.1', port: 20001, family: 4 }],
  ['[2001:db8::1]:20001', { address: '2001:db8::1', port: 20001, family: 6 }],
  ['[2001:db8::1]', { address: '2001:db8::1', port: 862, family: 6 }],
  ['::1', { address: '::1', port: 862, family: 6 }],
  ['2001:db8::1', { address: '2001:db8::1', port: 862, family: 6 }],
  // Without brackets the last group belongs to the address, never a port (as in twampy).
  ['::1:862', { address: '::1:862', port: 862, family: 6 }],
  [':20001', { address: undefined, port: 20001, family: undefined }],
  ['[::]:862', { address: '::', port: 862, family: 6 }],
  ['0.0.0.0:862', { address: '0.0.0.0', port: 862, family: 4 }],
];

const BEYOND_TWAMPY: readonly Row[] = [
  ['localhost', { address: 'localhost', isHostName: true, port: 862, family: undefined }],
  ['reflector.example.net:9000', { address: 'reflector.example.net', isHostName: true, port: 9000 }],
  ['fe80::1%eth0', { address: 'fe80::1%eth0', port: 862, family: 6 }],
  ['[fe80::1%eth0]:5000', { address: 'fe80::1%eth0', port: 5000, family: 6 }],
  [' 192.0.2.1 ', { address: '192.0.2.1', port: 862 }],
  ['::ffff:192.0.2.1', { address: '::ffff:192.0.2.1', family: 6 }],
];

describe('parseEndpoint', () => {
  it.each(TWAMPY_FORMS)('reads twampy form %j', (text, expected) => {
    expect(parseEndpoint(text, remote)).toMatchObject({ isHostName: false, ...expected });
  });

  it.each(BEYOND_TWAMPY)('reads %j', (text, expected) => {
    expect(parseEndpoint(text, remote)).toMatchObject(expected);
  });

  it('takes port 0 only where an ephemeral port makes sense', () => {
    expect(parseEndpoint(':0', local).port).toBe(0);
    expect(() => parseEndpoint('127.0.0.1:0', remote)).toThrow(/remote: expected a port from 1 to 65535/);
  });

  const BAD: readonly (readonly [string, RegExp])[] = [
    ['192.0.2.1:', /port from 1 to 65535/],
    ['192.0.2.1:65536', /port from 1 to 65535/],
    ['192.0.2.1:http', /port from 1 to 65535/],
    ['192.0.2.1:-1', /port from 1 to 65535/],
    ['[2001:db8::1]:', /port from 1 to 65535/],
    ['[2001:db8::1', /closing '\]'/],
    ['[2001:db8::1]862', /':port' or nothing after '\]'/],
    ['[192.0.2.1]:862', /IPv6 address inside \[ \]/],
    ['192.0.2.256', /IPv4 or IPv6 address or a host name/],
    ['192.0.2', /IPv4 or IPv6 address or a host name/],
    ['01.2.3.4', /IPv4 or IPv6 address or a host name/],
    ['2001:db8:::1', /IPv4 or IPv6 address or a host name/],
    ['1:2:3:4:5:6:7:8:9', /IPv4 or IPv6 address or a host name/],
    ['fe80::1%', /IPv4 or IPv6 address or a host name/],
    ['under_score.example', /IPv4 or IPv6 address or a host name/],
    ['-bad.example', /IPv4 or IPv6 address or a host name/],
  ];

  it.each(BAD)('refuses %j with a ConfigError naming the argument', (text, message) => {
    let caught: unknown;
    try {
      parseEndpoint(text, remote);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const issue = (caught as ConfigError).issues[0];
    expect(issue?.path).toBe('remote');
    expect(issue?.received).toBe(JSON.stringify(text));
    expect((caught as ConfigError).message).toMatch(message);
  });
});

describe('formatEndpoint', () => {
  it('brackets IPv6 addresses only', () => {
    expect(formatEndpoint('192.0.2.1', 862)).toBe('192.0.2.1:862');
    expect(formatEndpoint('::1', 862)).toBe('[::1]:862');
  });
});

describe('parseEndpoint properties', () => {
  it('throws nothing but ConfigError, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.[]%-_ xyz'.split('')), maxLength: 24 }), (text) => {
        try {
          parseEndpoint(text, remote);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
    );
  });

  it('reads back what formatEndpoint writes', () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
    const ipv6 = fc.ipV6();
    fc.assert(
      fc.property(fc.oneof(ipv4, ipv6), fc.integer({ min: 1, max: 65535 }), (address, port) => {
        const parsed = parseEndpoint(formatEndpoint(address, port), remote);
        expect(parsed).toMatchObject({ address, port, family: address.includes(':') ? 6 : 4 });
      }),
    );
  });
});
