// The allocation-free reply reader must read exactly what wire's decoders decode, for every layout,
// and never throw on any bytes.
import {
  decodeStampReflector,
  decodeTwampReflector,
  ntpDifferenceNanos,
  NTP_UNIX_OFFSET_SECONDS,
  StampSecurity,
  TestSecurity,
  twampLayout,
  type TwampLayout,
  type WireTimestamp,
} from '@twamp/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PacketFormat } from '../../src/sender/options.js';
import { NtpToRelative, ReplyProblem, ReplyReader } from '../../src/sender/reply-reader.js';

const EPOCH = 1_795_000_000;
const ntp = new NtpToRelative(EPOCH);
const EPOCH_NTP: WireTimestamp = { seconds: (EPOCH + NTP_UNIX_OFFSET_SECONDS) >>> 0, fraction: 0 };

function relative(timestamp: WireTimestamp): number {
  return ntpDifferenceNanos(timestamp, EPOCH_NTP);
}

const layouts: [string, TwampLayout][] = [
  ['open', twampLayout({ security: TestSecurity.Open })],
  ['open + RFC 7750', twampLayout({ security: TestSecurity.Open, dscpEcnMonitoring: true })],
];

describe('ReplyReader agrees with wire decoders', () => {
  it.each(layouts)('TWAMP %s', (_name, layout) => {
    const format: PacketFormat = { kind: 'twamp', layout, crypto: undefined };
    const reader = new ReplyReader(format, ntp);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        let decoded: ReturnType<typeof decodeTwampReflector> | undefined;
        try {
          decoded = decodeTwampReflector(buffer, layout);
        } catch {
          decoded = undefined;
        }
        const problem = reader.read(buffer, buffer.length);
        if (decoded === undefined) {
          expect(problem).not.toBe(ReplyProblem.None);
          return;
        }
        expect(problem).toBe(ReplyProblem.None);
        const f = reader.fields;
        expect(f.reflectorSequence).toBe(decoded.sequence);
        expect(f.senderSequence).toBe(decoded.senderSequence);
        expect(f.errorEstimate).toBe(decoded.errorEstimate);
        expect(f.transmitTimestamp).toBe(relative(decoded.timestamp));
        expect(f.receiveTimestamp).toBe(relative(decoded.receiveTimestamp));
        expect(f.senderTimestamp).toBe(relative(decoded.senderTimestamp));
        const ttl = decoded.senderTtl === null || decoded.senderTtl === 255 ? -1 : decoded.senderTtl;
        expect(f.senderTtl).toBe(ttl);
        if (layout.dscpEcnMonitoring) expect(f.receivedTos).toBe(decoded.senderDscpEcn ?? -1);
      }),
      { numRuns: 300 },
    );
  });

  it('STAMP open', () => {
    const format: PacketFormat = { kind: 'stamp', security: StampSecurity.Open, key: undefined, ssid: 0, tlvArea: Buffer.alloc(0), hmacTlvValueAt: -1, cosTlvValueAt: -1 };
    const reader = new ReplyReader(format, ntp);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        // SSID 0 is "not used" and always accepted; other SSIDs belong to other sessions.
        if (buffer.length >= 16) buffer.writeUInt16BE(0, 14);
        let decoded: ReturnType<typeof decodeStampReflector> | undefined;
        try {
          decoded = decodeStampReflector(buffer, StampSecurity.Open);
        } catch {
          decoded = undefined;
        }
        const problem = reader.read(buffer, buffer.length);
        if (decoded === undefined) {
          expect(problem).not.toBe(ReplyProblem.None);
          return;
        }
        expect(problem).toBe(ReplyProblem.None);
        expect(reader.fields.senderSequence).toBe(decoded.senderSequence);
        expect(reader.fields.transmitTimestamp).toBe(relative(decoded.timestamp));
        expect(reader.fields.receiveTimestamp).toBe(relative(decoded.receiveTimestamp));
        expect(reader.fields.senderTtl).toBe(decoded.senderTtl === 255 ? -1 : decoded.senderTtl);
      }),
      { numRuns: 300 },
    );
  });

  it('STAMP: a reply for another SSID is refused', () => {
    const format: PacketFormat = { kind: 'stamp', security: StampSecurity.Open, key: undefined, ssid: 5, tlvArea: Buffer.alloc(0), hmacTlvValueAt: -1, cosTlvValueAt: -1 };
    const reader = new ReplyReader(format, ntp);
    const reply = Buffer.alloc(44);
    reply.writeUInt16BE(6, 14);
    expect(reader.read(reply, 44)).toBe(ReplyProblem.OtherSession);
    reply.writeUInt16BE(5, 14);
    expect(reader.read(reply, 44)).toBe(ReplyProblem.None);
  });

  it('timestamps convert exactly around the epoch, across an NTP era boundary too', () => {
    const at = new NtpToRelative(EPOCH);
    expect(at.convert(EPOCH_NTP.seconds, 0)).toBe(0);
    expect(at.convert(EPOCH_NTP.seconds - 1, 0)).toBe(-1e9);
    // 2036: the seconds field wraps; a timestamp just after the wrap is still just after the epoch.
    const nearWrap = 2_085_978_495; // Unix seconds of NTP 0xFFFFFFFF
    const wrap = new NtpToRelative(nearWrap);
    expect(wrap.convert(0, 0)).toBe(1e9);
  });
});
