// Checks of UdpSocketOptions shared by openUdpSocket (before either implementation is chosen) and
// the fallback itself: every bad option is reported at once, as one ConfigError, before a socket
// exists.

import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError, type ConfigIssue } from '@twamp/errors';
import type { UdpSocketOptions } from '../types.js';

export const DEFAULT_MAX_PACKET_SIZE = 2048;
export const DEFAULT_BATCH_SIZE = 64;
/** The largest UDP payload of an IPv6 datagram without jumbograms (65535 - 8). */
export const MAX_UDP_PAYLOAD_V6 = 65_527;
/** The largest UDP payload of an IPv4 datagram (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD_V4 = 65_507;
const MAX_BATCH_SIZE = 1024;
const MAX_BUFFER_SIZE = 2_147_483_647;

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function checkInteger(issues: ConfigIssue[], path: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    issues.push({ path, expected: `an integer from ${min} to ${max}`, received: describe(value) });
  }
}

/** Throws one ConfigError listing every unusable option. */
export function checkSocketOptions(options: UdpSocketOptions): void {
  const issues: ConfigIssue[] = [];
  const family: unknown = options.family;
  if (family !== 4 && family !== 6) {
    issues.push({ path: 'family', expected: '4 or 6', received: describe(family) });
  }
  const address: unknown = options.address;
  if (address !== undefined) {
    const ok = typeof address === 'string' && (family === 6 ? isIPv6(address) : isIPv4(address));
    if (!ok) {
      issues.push({
        path: 'address',
        expected: family === 6 ? 'an IPv6 address (no host names)' : 'an IPv4 address (no host names)',
        received: describe(address),
      });
    }
  }
  checkInteger(issues, 'port', options.port, 0, 65_535);
  checkInteger(issues, 'ttl', options.ttl, 1, 255);
  checkInteger(issues, 'tos', options.tos, 0, 255);
  checkInteger(issues, 'receiveBufferSize', options.receiveBufferSize, 1, MAX_BUFFER_SIZE);
  checkInteger(issues, 'sendBufferSize', options.sendBufferSize, 1, MAX_BUFFER_SIZE);
  checkInteger(issues, 'maxPacketSize', options.maxPacketSize, 1, 65_535);
  checkInteger(issues, 'batchSize', options.batchSize, 1, MAX_BATCH_SIZE);
  for (const flag of ['reuseAddress', 'dontFragment', 'sharedReceive'] as const) {
    const value: unknown = options[flag];
    if (value !== undefined && typeof value !== 'boolean') {
      issues.push({ path: flag, expected: 'true or false', received: describe(value) });
    }
  }
  const implementation: unknown = options.implementation;
  if (implementation !== undefined && implementation !== 'auto' && implementation !== 'native' && implementation !== 'dgram') {
    issues.push({
      path: 'implementation',
      expected:
        implementation === 'memory'
          ? "'native', 'dgram' or 'auto' (a memory socket needs its network: new MemoryNetwork().open(options))"
          : "'native', 'dgram' or 'auto'",
      received: describe(implementation),
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

export function checkTtl(path: string, ttl: unknown): void {
  const issues: ConfigIssue[] = [];
  checkInteger(issues, path, ttl, 1, 255);
  if (issues.length > 0) throw new ConfigError(issues);
}
