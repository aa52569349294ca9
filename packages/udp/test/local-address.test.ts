import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isLocalAddress } from '../src/index.js';

describe('isLocalAddress', () => {
  it('is true for loopback, in every spelling', () => {
    for (const address of ['127.0.0.1', '127.3.2.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', ' 127.0.0.1 ']) {
      expect(isLocalAddress(address), address).toBe(true);
    }
  });

  it('is true for the unspecified addresses (a datagram to them reaches this host)', () => {
    expect(isLocalAddress('0.0.0.0')).toBe(true);
    expect(isLocalAddress('::')).toBe(true);
  });

  it('is true for every address of a local interface, zone index or not', () => {
    const own = Object.values(networkInterfaces()).flatMap((entries) => entries ?? []);
    expect(own.length).toBeGreaterThan(0);
    for (const entry of own) {
      expect(isLocalAddress(entry.address), entry.address).toBe(true);
      expect(isLocalAddress(entry.address.toUpperCase()), entry.address).toBe(true);
      if (entry.family === 'IPv6' && entry.scopeid !== 0) {
        expect(isLocalAddress(`${entry.address}%1`), entry.address).toBe(true);
      }
    }
  });

  it('is false for addresses that are not ours, names and junk', () => {
    const own = new Set(Object.values(networkInterfaces()).flatMap((entries) => (entries ?? []).map((e) => e.address)));
    for (const address of ['192.0.2.200', '198.51.100.7', '2001:db8::99', '::ffff:203.0.113.5', 'localhost', 'example.net', '', '127.0.0.1.5', '1:2:3']) {
      if (own.has(address)) continue;
      expect(isLocalAddress(address), address).toBe(false);
    }
  });
});
