// Request sizes: symmetric defaults, fixed padding, the IMIX cycle, and the padding fill.
import { StampSecurity, TestSecurity, TlvType, twampLayout } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { IMIX_CYCLE, SessionSender, type SessionSenderOptions } from '../../src/sender/index.js';
import { cryptoPair, type FixtureOptions, openTestReflector, type TestReflector } from './fixture.js';

async function requests(sender: Omit<SessionSenderOptions, 'target'>, fixture: FixtureOptions): Promise<TestReflector> {
  const reflector = await openTestReflector(fixture);
  try {
    const session = await SessionSender.open({
      target: { address: '127.0.0.1', port: reflector.port },
      schedule: { kind: 'periodic', intervalMs: 1 },
      count: 12,
      lossTimeoutMs: 500,
      ...sender,
    });
    const report = await session.done;
    expect(report.summary.loss.received).toBe(report.summary.loss.sent);
  } finally {
    reflector.close();
  }
  return reflector;
}

describe('padding', () => {
  it('fixed: octets after the 14-octet TWAMP base', async () => {
    const reflector = await requests({ protocol: 'twamp-light', padding: 100 }, { protocol: 'twamp' });
    expect(new Set(reflector.lengths)).toEqual(new Set([114]));
  });

  it('fixed 0: the bare 14-octet TWAMP Light request still gets its 41-octet reply', async () => {
    const reflector = await requests({ protocol: 'twamp-light', padding: 0 }, { protocol: 'twamp' });
    expect(new Set(reflector.lengths)).toEqual(new Set([14]));
  });

  it('fixed: after the 48-octet authenticated base', async () => {
    const keys = cryptoPair('authenticated');
    const layout = twampLayout({ security: TestSecurity.Authenticated });
    const reflector = await requests({ protocol: 'twamp-light', layout, crypto: keys.sender, padding: 64 }, { protocol: 'twamp', layout, crypto: keys.reflector });
    expect(new Set(reflector.lengths)).toEqual(new Set([112]));
  });

  it('STAMP grows with an Extra Padding TLV', async () => {
    const reflector = await requests({ protocol: 'stamp', ssid: 1, padding: 20 }, { protocol: 'stamp' });
    expect(new Set(reflector.lengths)).toEqual(new Set([64]));
    const request = reflector.requests[0]!;
    expect(request[44]).toBe(0x80); // U flag, as a sender sends every TLV
    expect(request[45]).toBe(TlvType.ExtraPadding);
    expect(request.readUInt16BE(46)).toBe(16);
  });

  it('IMIX: 7 × 64, 4 × 576, 1 × 1500 octets per cycle of 12', async () => {
    const reflector = await requests({ protocol: 'twamp-light', padding: 'imix' }, { protocol: 'twamp' });
    expect(reflector.lengths).toEqual([...IMIX_CYCLE]);
    const counts = new Map<number, number>();
    for (const length of reflector.lengths) counts.set(length, (counts.get(length) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 64: 7, 576: 4, 1500: 1 });
  });

  it('IMIX never goes below the base (authenticated STAMP: 112)', async () => {
    const key = Buffer.alloc(32, 1);
    const reflector = await requests(
      { protocol: 'stamp', ssid: 2, stampKey: key, padding: 'imix' },
      { protocol: 'stamp', stampSecurity: StampSecurity.Authenticated, stampKey: key },
    );
    expect(reflector.lengths).toEqual(IMIX_CYCLE.map((size) => Math.max(size, 112)));
  });

  it("fill 'zero' sends zeros; 'random' a pattern fixed for the run", async () => {
    const zero = await requests({ protocol: 'twamp-light', padding: 32, count: 3 }, { protocol: 'twamp' });
    expect(zero.requests[0]!.subarray(14).every((octet) => octet === 0)).toBe(true);
    const random = await requests({ protocol: 'twamp-light', padding: 32, paddingFill: 'random', count: 3 }, { protocol: 'twamp' });
    const padding = random.requests.map((request) => request.subarray(14).toString('hex'));
    expect(padding[0]).not.toBe('00'.repeat(32));
    expect(new Set(padding).size).toBe(1);
  });
});
