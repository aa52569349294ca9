// The pieces behind the loop defences, without raw sockets: which sources are never answered, the
// reflector's own endpoint (bound and wildcard), the process-wide memory of our reply timestamps,
// and the rate-limited drop reports.
import { encodeTwampSender, NTP_UNIX_OFFSET_SECONDS, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DROP_REPORT_INTERVAL_MS, REFLECTOR_DROP_REASONS, type SessionReflector } from '../../src/reflector/index.js';
import { isLoopedReply, rememberReplyStamp } from '../../src/reflector/loop-guard.js';
import { isOwnEndpoint, isUnanswerableSource } from '../../src/reflector/source-check.js';
import type { ReflectorDropReport } from '../../src/types.js';
import { Client, nowTimestamp, openReflector, UNSYNCED, waitFor } from './harness.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

describe('sources never answered', () => {
  it('multicast, broadcast, unspecified and reserved addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const bad of ['224.0.0.1', '239.255.255.250', '255.255.255.255', '0.0.0.0', '0.1.2.3', '240.0.0.1', '::', 'ff02::1', 'FF05::1:3', '::ffff:224.0.0.1', '::ffff:255.255.255.255', '::ffff:0.0.0.0', 'not-an-address', '']) {
      expect(isUnanswerableSource(bad), bad).toBe(true);
    }
    for (const good of ['192.0.2.7', '127.0.0.1', '10.0.0.255', '223.255.255.254', '::1', '2001:db8::1', 'fe80::1', 'ff::1', '::ffff:192.0.2.7']) {
      expect(isUnanswerableSource(good), good).toBe(false);
    }
  });

  it("the reflector's own endpoint: exact when bound to one address, any local address when bound to the wildcard", () => {
    // Bound to 127.0.0.1:862.
    expect(isOwnEndpoint('127.0.0.1', 862, 862, '127.0.0.1', false, '127.0.0.1')).toBe(true);
    expect(isOwnEndpoint('127.0.0.1', 863, 862, '127.0.0.1', false, '127.0.0.1')).toBe(false);
    expect(isOwnEndpoint('127.0.0.2', 862, 862, '127.0.0.1', false, '127.0.0.1')).toBe(false);
    expect(isOwnEndpoint('192.0.2.7', 862, 862, '127.0.0.1', false, '127.0.0.1')).toBe(false);
    // Bound to the wildcard: loopback, the address the packet arrived on, and mapped forms.
    expect(isOwnEndpoint('127.0.0.1', 862, 862, '0.0.0.0', true, '127.0.0.1')).toBe(true);
    expect(isOwnEndpoint('127.3.2.1', 862, 862, '0.0.0.0', true, '127.0.0.1')).toBe(true);
    expect(isOwnEndpoint('198.18.0.9', 862, 862, '0.0.0.0', true, '198.18.0.9')).toBe(true);
    expect(isOwnEndpoint('::1', 862, 862, '::', true, '::1')).toBe(true);
    expect(isOwnEndpoint('0:0:0:0:0:0:0:1', 862, 862, '::', true, '2001:db8::2')).toBe(true);
    expect(isOwnEndpoint('::ffff:127.0.0.1', 862, 862, '::', true, '::1')).toBe(true);
    expect(isOwnEndpoint('192.0.2.7', 862, 862, '0.0.0.0', true, '127.0.0.1')).toBe(false);
    expect(isOwnEndpoint('2001:db8::7', 862, 862, '::', true, '::1')).toBe(false);
  });
});

describe('our reply timestamps, remembered process-wide', () => {
  const open = twampLayout({ security: TestSecurity.Open });
  const t2 = (): number => (Math.floor(Date.now() / 1000) + NTP_UNIX_OFFSET_SECONDS) >>> 0;

  function packetWith(at: number, seconds: number, fraction: number, length = 41): Buffer {
    const data = Buffer.alloc(length);
    data.writeUInt32BE(seconds, at);
    data.writeUInt32BE(fraction, at + 4);
    return data;
  }

  /** Our reply as we sent it: T3 at `t3At`, and the T2 it answered at `t2At` (a moment before). */
  function replyOfOurs(t3At: number, t2At: number, seconds: number, fraction: number, length = 41): Buffer {
    const data = packetWith(t3At, seconds, fraction, length);
    data.writeUInt32BE(seconds - 1, t2At);
    data.writeUInt32BE(0x7fffffff, t2At + 4);
    return data;
  }

  it('recognises a reply of ours coming back as it was, or with the stamp where a reflector copies it', () => {
    const seconds = t2();
    rememberReplyStamp(seconds, 0x12345678);
    expect(isLoopedReply(replyOfOurs(4, 16, seconds, 0x12345678), 41, 4, 16, 28, seconds)).toBe(true);
    expect(isLoopedReply(packetWith(28, seconds, 0x12345678), 41, 4, 16, 28, seconds)).toBe(true);
    // The copied position only counts when the request is long enough to hold it.
    expect(isLoopedReply(packetWith(28, seconds, 0x12345678), 35, 4, 16, 28, seconds)).toBe(false);
    // Authenticated layouts: T3 16, T2 32, the copy 64.
    expect(isLoopedReply(replyOfOurs(16, 32, seconds, 0x12345678, 112), 112, 16, 32, 64, seconds)).toBe(true);
    expect(isLoopedReply(packetWith(64, seconds, 0x12345678, 112), 112, 16, 32, 64, seconds)).toBe(true);
    // All 64 bits must match.
    expect(isLoopedReply(replyOfOurs(4, 16, seconds, 0x12345679), 41, 4, 16, 28, seconds)).toBe(false);
    expect(isLoopedReply(replyOfOurs(4, 16, seconds - 1, 0x12345678), 41, 4, 16, 28, seconds)).toBe(false);
  });

  it('does not take an honest T1 that equals one of our T3s for a loop: a request has no receive time where our reply has one', () => {
    // A sender and a reflector stamping batches at 100 kpps on one host read the clock at the same
    // nanosecond a few times a second; before this rule whole sender batches were dropped.
    const seconds = t2();
    rememberReplyStamp(seconds, 0x2468ace0);
    expect(isLoopedReply(packetWith(4, seconds, 0x2468ace0), 41, 4, 16, 28, seconds)).toBe(false);
    const stampRequest = packetWith(4, seconds, 0x2468ace0, 44);
    stampRequest.writeUInt16BE(7, 14); // STAMP: SSID at 14, MBZ from 16
    expect(isLoopedReply(stampRequest, 44, 4, 16, 28, seconds)).toBe(false);
    // A receive time after the T3, or long before it, is not one of our replies either.
    const later = packetWith(4, seconds, 0x2468ace0);
    later.writeUInt32BE(seconds + 1, 16);
    expect(isLoopedReply(later, 41, 4, 16, 28, seconds)).toBe(false);
    const stale = packetWith(4, seconds, 0x2468ace0);
    stale.writeUInt32BE(seconds - 3600, 16);
    expect(isLoopedReply(stale, 41, 4, 16, 28, seconds)).toBe(false);
  });

  it('forgets a stamp after a few seconds, and never matches zeros or an honest T1', () => {
    const seconds = t2();
    rememberReplyStamp(seconds, 0x0badcafe);
    expect(isLoopedReply(replyOfOurs(4, 16, seconds, 0x0badcafe), 41, 4, 16, 28, seconds + 3)).toBe(true);
    expect(isLoopedReply(replyOfOurs(4, 16, seconds, 0x0badcafe), 41, 4, 16, 28, seconds + 60)).toBe(false);
    rememberReplyStamp(0, 0);
    expect(isLoopedReply(Buffer.alloc(41), 41, 4, 16, 28, seconds)).toBe(false);
    const honest = encodeTwampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 1, padding: Buffer.alloc(27) }, open);
    expect(isLoopedReply(honest, honest.length, 4, 16, 28, seconds)).toBe(false);
  });
});

describe('drop reports (onDropReport)', () => {
  async function reflectorReporting(reports: ReflectorDropReport[], intervalMs: number): Promise<SessionReflector> {
    // A short idle timeout makes the sweep (which sends the reports) run every 100 ms.
    const reflector = await openReflector({ clock: () => UNSYNCED, idleTimeoutMs: 400, dropReportIntervalMs: intervalMs, onDropReport: (r) => reports.push(r) });
    cleanup.push(() => {
      reflector.close();
    });
    return reflector;
  }

  it('reports each reason at most once per interval, with the count since the last report, the total and the latest source', async () => {
    const reports: ReflectorDropReport[] = [];
    const reflector = await reflectorReporting(reports, 600);
    const client = await Client.open(4);
    cleanup.push(() => {
      client.close();
    });
    for (let i = 0; i < 3; i++) client.send(Buffer.alloc(5), reflector);
    expect(await waitFor(() => reports.length === 1, 2000)).toBe(true);
    expect(reports[0]).toEqual({ reason: 'too-short', count: 3, total: 3, source: { address: '127.0.0.1', port: client.port } });
    // More drops right away: held back until the interval has passed, then reported together.
    for (let i = 0; i < 2; i++) client.send(Buffer.alloc(5), reflector);
    await new Promise((resolve) => setTimeout(resolve, 250));
    for (let i = 0; i < 2; i++) client.send(Buffer.alloc(5), reflector);
    expect(await waitFor(() => reports.length === 2, 3000)).toBe(true);
    expect(reports[1]).toMatchObject({ reason: 'too-short', count: 4, total: 7 });
    expect(reflector.stats.dropped['too-short']).toBe(7);
    // Nothing new: no report.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(reports).toHaveLength(2);
  });

  it('the default interval is 10 s and every reason can be reported', () => {
    expect(DEFAULT_DROP_REPORT_INTERVAL_MS).toBe(10_000);
    expect(REFLECTOR_DROP_REASONS).toEqual(expect.arrayContaining(['own-address', 'source-port-zero', 'bad-source-address', 'looped-reply']));
    expect(new Set(REFLECTOR_DROP_REASONS).size).toBe(REFLECTOR_DROP_REASONS.length);
  });

  it('refuses a bad interval or per-source cap', async () => {
    await expect(openReflector({ dropReportIntervalMs: 0 })).rejects.toThrow(/dropReportIntervalMs/);
    await expect(openReflector({ maxSessionsPerSource: 0 })).rejects.toThrow(/maxSessionsPerSource/);
  });
});
