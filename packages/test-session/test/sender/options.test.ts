// Option checks: every unusable option is a ConfigError naming it and the accepted range, before a
// socket opens.
import { ConfigError } from '@twamp/errors';
import { StampSecurity, TestSecurity, twampLayout } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { resolveSenderOptions, type SessionSenderOptions } from '../../src/sender/options.js';
import { SessionSender } from '../../src/sender/index.js';
import { cryptoPair } from './fixture.js';

const base: SessionSenderOptions = { target: { address: '127.0.0.1', port: 862 }, protocol: 'twamp-light' };

function issues(options: unknown): { path: string; expected: string }[] {
  try {
    resolveSenderOptions(options as SessionSenderOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

const bad: [string, Record<string, unknown>, string, RegExp][] = [
  ['target port 0', { target: { address: '127.0.0.1', port: 0 } }, 'target.port', /1 to 65535/],
  ['target port too big', { target: { address: '127.0.0.1', port: 70_000 } }, 'target.port', /1 to 65535/],
  ['host name', { target: { address: 'localhost', port: 862 } }, 'target.address', /address literal/],
  ['family mismatch', { family: 6 }, 'family', /4/],
  ['local port', { local: { port: -1 } }, 'local.port', /0 to 65535/],
  ['local address family', { local: { address: '::1' } }, 'local.address', /IPv4/],
  ['protocol', { protocol: 'owamp' }, 'protocol', /stamp/],
  ['ttl 0', { ttl: 0 }, 'ttl', /1 to 255/],
  ['ttl 256', { ttl: 256 }, 'ttl', /1 to 255/],
  ['tos', { tos: 256 }, 'tos', /0 to 255/],
  ['interval 0', { schedule: { kind: 'periodic', intervalMs: 0 } }, 'schedule.intervalMs', /0.001/],
  ['interval NaN', { schedule: { kind: 'periodic', intervalMs: Number.NaN } }, 'schedule.intervalMs', /0.001/],
  ['poisson mean', { schedule: { kind: 'poisson', meanIntervalMs: -1 } }, 'schedule.meanIntervalMs', /0.001/],
  ['poisson seed', { schedule: { kind: 'poisson', meanIntervalMs: 1, seed: 1.5 } }, 'schedule.seed', /0 to 4294967295/],
  ['schedule kind', { schedule: { kind: 'burst' } }, 'schedule.kind', /periodic/],
  ['count 0', { count: 0 }, 'count', /1 to 4294967296/],
  ['count fraction', { count: 2.5 }, 'count', /integer/],
  ['duration', { durationMs: 0 }, 'durationMs', /above 0/],
  ['burst', { burst: 0 }, 'burst', /1 to 1024/],
  ['padding negative', { padding: -1 }, 'padding', /0 to 65493/],
  ['padding too big', { padding: 65_494 }, 'padding', /65507/],
  ['padding name', { padding: 'huge' }, 'padding', /imix/],
  ['padding fill', { paddingFill: 'ones' }, 'paddingFill', /random/],
  ['loss timeout', { lossTimeoutMs: 0 }, 'lossTimeoutMs', /above 0/],
  ['percentile', { percentiles: [50, 100] }, 'percentiles[1]', /below 100/],
  ['interval report', { intervalReportMs: 1 }, 'intervalReportMs', /10/],
  ['event queue', { eventQueueLimit: 0 }, 'eventQueueLimit', /1 to/],
  ['implementation', { implementation: 'raw' }, 'implementation', /dgram/],
  ['ssid on TWAMP', { ssid: 1 }, 'ssid', /STAMP only/],
  ['signal', { signal: {} }, 'signal', /AbortSignal/],
];

describe('option validation', () => {
  it.each(bad)('%s', (_name, patch, path, expected) => {
    const found = issues({ ...base, ...patch });
    const issue = found.find((i) => i.path === path);
    expect(issue, JSON.stringify(found)).toBeDefined();
    expect(issue!.expected).toMatch(expected);
  });

  it('STAMP: SSID 0-65535, a key for authenticated mode, 1-3 octets of padding impossible', () => {
    const stamp = { ...base, protocol: 'stamp' };
    expect(issues({ ...stamp, ssid: 65_536 })[0]).toMatchObject({ path: 'ssid', expected: 'an integer from 0 to 65535' });
    expect(issues({ ...stamp, stampSecurity: StampSecurity.Authenticated })[0]).toMatchObject({ path: 'stampKey' });
    expect(issues({ ...stamp, stampSecurity: StampSecurity.Open, stampKey: Buffer.alloc(8) })[0]).toMatchObject({ path: 'stampKey' });
    expect(issues({ ...stamp, padding: 2 })[0]).toMatchObject({ path: 'padding' });
    expect(issues({ ...stamp, layout: twampLayout({ security: TestSecurity.Open }) })[0]).toMatchObject({ path: 'layout' });
  });

  it('TWAMP: a layout for full sessions, crypto matching the layout', () => {
    expect(issues({ ...base, protocol: 'twamp' })[0]).toMatchObject({ path: 'layout' });
    const layout = twampLayout({ security: TestSecurity.Encrypted });
    expect(issues({ ...base, layout })[0]).toMatchObject({ path: 'crypto' });
    expect(issues({ ...base, layout, crypto: cryptoPair('authenticated').sender })[0]).toMatchObject({ path: 'crypto' });
    expect(issues({ ...base, crypto: cryptoPair('authenticated').sender })[0]).toMatchObject({ path: 'crypto' });
  });

  it('lists every problem at once', () => {
    expect(issues({ ...base, ttl: 0, tos: -1, count: 0 }).map((i) => i.path)).toEqual(['count', 'tos', 'ttl']);
  });

  it('open() rejects before opening anything', async () => {
    await expect(SessionSender.open({ ...base, ttl: 300 })).rejects.toBeInstanceOf(ConfigError);
  });

  it('defaults: symmetric sizes, periodic 1 s, TTL 255, 2 s loss timeout, an SSID for STAMP', () => {
    const resolved = resolveSenderOptions(base);
    expect(resolved).toMatchObject({ sizes: [41], ttl: 255, lossTimeoutMs: 2000, burst: 1, count: Number.POSITIVE_INFINITY, eventQueueLimit: 65_536 });
    expect(resolved.schedule).toEqual({ kind: 'periodic', intervalMs: 1000 });
    const stamp = resolveSenderOptions({ ...base, protocol: 'stamp' });
    expect(stamp.sizes).toEqual([44]);
    expect(stamp.format.kind === 'stamp' && stamp.format.ssid).toBeGreaterThan(0);
    const poisson = resolveSenderOptions({ ...base, schedule: { kind: 'poisson', meanIntervalMs: 10 } });
    expect(poisson.schedule.kind === 'poisson' && typeof poisson.schedule.seed).toBe('number');
  });

  it('precise waits by default only below a 100 ms mean gap; an explicit choice wins', () => {
    expect(resolveSenderOptions({ ...base, schedule: { kind: 'periodic', intervalMs: 1 } }).precise).toBe(true);
    expect(resolveSenderOptions({ ...base, schedule: { kind: 'poisson', meanIntervalMs: 99 } }).precise).toBe(true);
    expect(resolveSenderOptions({ ...base, schedule: { kind: 'periodic', intervalMs: 100 } }).precise).toBe(false);
    expect(resolveSenderOptions(base).precise).toBe(false);
    expect(resolveSenderOptions({ ...base, precise: true }).precise).toBe(true);
    expect(issues({ ...base, precise: 'yes' }).map((i) => i.path)).toEqual(['precise']);
  });

  it('accepts IPv6 targets and writes them canonically', () => {
    expect(resolveSenderOptions({ ...base, target: { address: '0:0:0:0:0:0:0:1', port: 862 } })).toMatchObject({ family: 6, target: { address: '::1' } });
  });
});
