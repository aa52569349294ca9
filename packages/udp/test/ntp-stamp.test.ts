import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nanosToNtpFraction, NTP_UNIX_OFFSET_SECONDS, unixToNtpSeconds, writeNtpTimestamp } from '../src/ntp-stamp.js';

/** floor(nanos × 2^32 / 10^9) in exact integer arithmetic. */
function referenceFraction(nanos: number): number {
  return Number((BigInt(nanos) << 32n) / 1_000_000_000n);
}

describe('NTP stamp writer', () => {
  it.each([
    { name: 'zero', nanos: 0, fraction: 0 },
    { name: 'one nanosecond', nanos: 1, fraction: 4 },
    { name: 'half a second', nanos: 500_000_000, fraction: 0x8000_0000 },
    { name: 'a quarter second', nanos: 250_000_000, fraction: 0x4000_0000 },
    { name: 'the last nanosecond', nanos: 999_999_999, fraction: 0xffff_fffb },
  ])('fraction of $name', ({ nanos, fraction }) => {
    expect(nanosToNtpFraction(nanos)).toBe(fraction);
    expect(referenceFraction(nanos)).toBe(fraction);
  });

  it('matches exact integer arithmetic for every nanosecond value tried', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), (nanos) => {
        expect(nanosToNtpFraction(nanos)).toBe(referenceFraction(nanos));
      }),
      { numRuns: 20_000 },
    );
  });

  it('converts Unix seconds to NTP era-0 seconds and wraps in 2036', () => {
    expect(unixToNtpSeconds(0)).toBe(NTP_UNIX_OFFSET_SECONDS);
    expect(unixToNtpSeconds(1_700_000_000)).toBe(3_908_988_800);
    // 2036-02-07T06:28:16Z is the start of era 1: NTP seconds 0 again.
    expect(unixToNtpSeconds(Date.UTC(2036, 1, 7, 6, 28, 16) / 1000)).toBe(0);
    expect(unixToNtpSeconds(Date.UTC(2036, 1, 7, 6, 28, 15) / 1000)).toBe(0xffff_ffff);
  });

  it('writes big-endian seconds then fraction at the offset and keeps them in stamp', () => {
    const packet = new Uint8Array(14).fill(0xee);
    const stamp = new Uint32Array(2);
    writeNtpTimestamp(packet, 3, 1_700_000_000, 500_000_000, stamp);
    expect([...stamp]).toEqual([3_908_988_800, 0x8000_0000]);
    const view = new DataView(packet.buffer);
    expect(view.getUint32(3)).toBe(3_908_988_800);
    expect(view.getUint32(7)).toBe(0x8000_0000);
    expect([...packet.subarray(0, 3), ...packet.subarray(11)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
  });
});
