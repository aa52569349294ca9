// The addon loads (CI builds it: a missing addon fails here, it is never skipped), reports
// everything as supported, reads the clock status, and refuses bad options before opening.

import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { nativeClockStatus, nativeStatus, openNativeSocket } from '../../src/native/index.js';
import { loadNative } from '../../src/native/loader.js';
import type { UdpSocketOptions } from '../../src/types.js';
import { requireNative, socket } from './helpers.js';

describe('native addon', () => {
  it('loads', () => {
    const status = nativeStatus();
    expect(status, status.available ? '' : `reason: ${status.reason}`).toEqual({ available: true });
    const loaded = loadNative();
    expect(loaded.ok && loaded.path).toMatch(/twamp_udp\.node$/);
  });

  it('reports every capability, implementation native', () => {
    const s = socket({ family: 4, address: '127.0.0.1' });
    expect(s.capabilities).toEqual({
      implementation: 'native',
      setTtl: true,
      setTos: true,
      dontFragment: true,
      receiveTtl: true,
      receiveTos: true,
      localAddress: true,
      kernelTimestamps: true,
      stampOnSend: true,
      batching: true,
    });
    expect(s.family).toBe(4);
    expect(s.closed).toBe(false);
    expect(s.stamp).toBeInstanceOf(Uint32Array);
    expect(s.stamp).toHaveLength(2);
    expect(s.stats).toMatchObject({ packetsReceived: 0, packetsSent: 0, receiveBatches: 0, sendDropped: 0 });
  });

  it('reads the clock status from adjtimex, in the documented shape', () => {
    requireNative();
    const clock = nativeClockStatus();
    expect(clock).toBeDefined();
    expect(clock?.source).toBe('adjtimex');
    expect(typeof clock?.synchronized).toBe('boolean');
    for (const value of [clock?.estimatedErrorSeconds, clock?.maximumErrorSeconds]) {
      expect(typeof value).toBe('number');
      expect(value).toBeGreaterThanOrEqual(0);
      // The kernel caps maxerror at NTP_PHASE_LIMIT-ish 16 s; estimates are in microseconds → seconds.
      expect(value).toBeLessThan(1000);
    }
  });

  it.each<[string, Partial<UdpSocketOptions>]>([
    ['port', { port: 65536 }],
    ['port', { port: -1 }],
    ['port', { port: 1.5 }],
    ['ttl', { ttl: 0 }],
    ['ttl', { ttl: 256 }],
    ['tos', { tos: -1 }],
    ['tos', { tos: 256 }],
    ['batchSize', { batchSize: 0 }],
    ['batchSize', { batchSize: 1025 }],
    ['maxPacketSize', { maxPacketSize: 63 }],
    ['maxPacketSize', { maxPacketSize: 65536 }],
    ['address', { address: 'localhost' }],
    ['address', { address: '::1' }],
    ['receiveBufferSize', { receiveBufferSize: 0 }],
    ['reuseAddress', { reuseAddress: 'yes' as unknown as boolean }],
  ])('refuses a bad %s with a ConfigError naming it (%o)', (path, bad) => {
    requireNative();
    let caught: unknown;
    try {
      openNativeSocket({ family: 4, ...bad });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((issue) => issue.path)).toEqual([path]);
  });

  it('names every bad option at once, and the family', () => {
    requireNative();
    expect(() => openNativeSocket({ family: 5 as 4, ttl: 0, batchSize: 0 })).toThrow(ConfigError);
    try {
      openNativeSocket({ family: 5 as 4, ttl: 0, batchSize: 0 });
    } catch (error) {
      expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['family', 'ttl', 'batchSize']);
    }
  });

  it('accepts the limits themselves', () => {
    const s = socket({ family: 6, address: '::1', port: 0, ttl: 255, tos: 255, batchSize: 1024, maxPacketSize: 65535 });
    expect(s.localPort).toBeGreaterThan(0);
    const t = socket({ family: 4, ttl: 1, tos: 0, batchSize: 1, maxPacketSize: 64, reuseAddress: true, dontFragment: false });
    expect(t.localAddress).toBe('0.0.0.0');
  });
});
