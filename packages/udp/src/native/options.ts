// Option checks for the native socket. Every bad value is named in one ConfigError (all issues
// at once), before any descriptor is opened.

import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError, type ConfigIssue } from '@twamp/errors';
import type { IpFamily, UdpSocketOptions } from '../types.js';

export const DEFAULT_BATCH_SIZE = 64;
export const DEFAULT_MAX_PACKET_SIZE = 2048;
export const MIN_BATCH_SIZE = 1;
export const MAX_BATCH_SIZE = 1024;
export const MIN_PACKET_SIZE = 64;
export const MAX_PACKET_SIZE = 65535;
/** SO_RCVBUF / SO_SNDBUF take an int. */
const MAX_BUFFER_SIZE = 0x7fffffff;

export interface ResolvedOptions {
  readonly family: IpFamily;
  readonly address: string;
  readonly port: number;
  readonly reuseAddress: boolean;
  readonly ttl: number | undefined;
  readonly tos: number | undefined;
  readonly dontFragment: boolean | undefined;
  readonly receiveBufferSize: number | undefined;
  readonly sendBufferSize: number | undefined;
  readonly maxPacketSize: number;
  readonly batchSize: number;
  readonly sharedReceive: boolean;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** True when `address` is an IP literal of `family` (IPv6 may carry a zone, as in fe80::1%eth0). */
export function isAddressOf(family: IpFamily, address: unknown): address is string {
  return typeof address === 'string' && (family === 4 ? isIPv4(address) : isIPv6(address));
}

export function addressExpectation(family: IpFamily): string {
  return family === 4 ? 'an IPv4 address literal (no host names)' : 'an IPv6 address literal (no host names)';
}

function checkInteger(issues: ConfigIssue[], path: string, value: unknown, min: number, max: number): void {
  if (value !== undefined && !isInteger(value, min, max)) {
    issues.push({ path, expected: `an integer from ${min} to ${max}`, received: show(value) });
  }
}

function checkBoolean(issues: ConfigIssue[], path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') issues.push({ path, expected: 'true or false', received: show(value) });
}

export function resolveOptions(options: UdpSocketOptions): ResolvedOptions {
  if (typeof options !== 'object' || (options as unknown) === null) {
    throw new ConfigError([{ path: 'options', expected: 'an object', received: show(options) }]);
  }
  const issues: ConfigIssue[] = [];
  const family = options.family as unknown;
  if (family !== 4 && family !== 6) issues.push({ path: 'family', expected: '4 or 6', received: show(family) });
  const fam: IpFamily = family === 6 ? 6 : 4;
  if (options.address !== undefined && !isAddressOf(fam, options.address)) {
    issues.push({ path: 'address', expected: addressExpectation(fam), received: show(options.address) });
  }
  checkInteger(issues, 'port', options.port, 0, 65535);
  checkBoolean(issues, 'reuseAddress', options.reuseAddress);
  checkInteger(issues, 'ttl', options.ttl, 1, 255);
  checkInteger(issues, 'tos', options.tos, 0, 255);
  checkBoolean(issues, 'dontFragment', options.dontFragment);
  checkInteger(issues, 'receiveBufferSize', options.receiveBufferSize, 1, MAX_BUFFER_SIZE);
  checkInteger(issues, 'sendBufferSize', options.sendBufferSize, 1, MAX_BUFFER_SIZE);
  checkInteger(issues, 'maxPacketSize', options.maxPacketSize, MIN_PACKET_SIZE, MAX_PACKET_SIZE);
  checkInteger(issues, 'batchSize', options.batchSize, MIN_BATCH_SIZE, MAX_BATCH_SIZE);
  checkBoolean(issues, 'sharedReceive', options.sharedReceive);
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    family: fam,
    address: options.address ?? (fam === 4 ? '0.0.0.0' : '::'),
    port: options.port ?? 0,
    reuseAddress: options.reuseAddress ?? false,
    ttl: options.ttl,
    tos: options.tos,
    dontFragment: options.dontFragment,
    receiveBufferSize: options.receiveBufferSize,
    sendBufferSize: options.sendBufferSize,
    maxPacketSize: options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    sharedReceive: options.sharedReceive ?? false,
  };
}
