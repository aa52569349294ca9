// One text per address (RFC 5952 for IPv6), so bindings and deliveries can compare strings, and the
// link selectors of impairments.

import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, parseSelector } from '../../src/memory/address.js';

describe('memory network addresses', () => {
  it.each([
    [6, '0:0:0:0:0:0:0:1', '::1'],
    [6, '::', '::'],
    [6, '2001:0DB8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    [6, '1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    [6, '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    [6, '::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    [6, '64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    [4, '198.18.0.1', '198.18.0.1'],
  ] as const)('IPv%i %s is %s', (family, text, canonical) => {
    expect(canonicalAddress(family, text)).toBe(canonical);
  });

  it('is undefined for names, the other family and non-strings', () => {
    expect(canonicalAddress(4, 'localhost')).toBeUndefined();
    expect(canonicalAddress(4, '::1')).toBeUndefined();
    expect(canonicalAddress(6, '127.0.0.1')).toBeUndefined();
    expect(canonicalAddress(6, 42)).toBeUndefined();
  });

  it('parses link selectors', () => {
    expect(parseSelector('to', undefined)).toEqual({ address: undefined, family: undefined, port: undefined });
    expect(parseSelector('to', '10.0.0.1')).toEqual({ address: '10.0.0.1', family: 4, port: undefined });
    expect(parseSelector('to', '10.0.0.1:862')).toEqual({ address: '10.0.0.1', family: 4, port: 862 });
    expect(parseSelector('to', '[0::1]:862')).toEqual({ address: '::1', family: 6, port: 862 });
    // A bare IPv6 address has no port: its last group is part of the address.
    expect(parseSelector('to', '::1:862')).toEqual({ address: '::1:862', family: 6, port: undefined });
    expect(parseSelector('to', '*:862')).toEqual({ address: undefined, family: undefined, port: 862 });
    for (const bad of ['', 'host:1', '10.0.0.1:0', '[::1]x', '[::1]:', '10.0.0.1:86a']) {
      expect(() => parseSelector('to', bad)).toThrow(ConfigError);
    }
  });
});
