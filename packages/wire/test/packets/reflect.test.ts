import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createStampReflectContext,
  createTwampLightReflectContext,
  createTwampReflectContext,
  decodeStampReflector,
  decodeTlvArea,
  decodeTwampReflector,
  encodeStampSender,
  encodeTlvArea,
  encodeTwampSender,
  type ReflectContext,
  reflectInto,
  ReflectStatus,
  type StampSecurity,
  TlvFlag,
  TlvType,
  type TwampLayout,
  twampLayout,
  understoodTlvTypes,
} from '../../src/packets/index.js';
import { bytes, fill, hex, ramp, T1_BYTES, T2, T2_BYTES, T3, T3_BYTES } from './helpers.js';

const open = twampLayout({ security: 'open' });
const auth = twampLayout({ security: 'authenticated' });
const symOpen = twampLayout({ security: 'open', symmetricalSize: true });
const symAuth = twampLayout({ security: 'encrypted', symmetricalSize: true });
const dscpOpen = twampLayout({ security: 'open', dscpEcnMonitoring: true });
const dscpAuth = twampLayout({ security: 'authenticated', dscpEcnMonitoring: true });
const reflect2 = twampLayout({ security: 'open', reflectOctets: 2 });
const reflectSymDscp = twampLayout({ security: 'open', symmetricalSize: true, dscpEcnMonitoring: true, reflectOctets: 3 });


function stamp(ctx: ReflectContext, ttl = 255, tos = 0): ReflectContext {
  ctx.receiveSeconds = T2.seconds;
  ctx.receiveFraction = T2.fraction;
  ctx.sendSeconds = T3.seconds;
  ctx.sendFraction = T3.fraction;
  ctx.errorEstimate = 0x0001;
  ctx.receivedTtl = ttl;
  ctx.receivedTos = tos;
  return ctx;
}

/** Reflect into a dirty, oversized buffer and return exactly the reply octets. */
function reflect(request: Buffer, ctx: ReflectContext): Buffer {
  const reply = Buffer.alloc(2048, 0xcc);
  const length = reflectInto(request, request.length, reply, ctx);
  expect(length).toBeGreaterThan(0);
  expect(reply.subarray(length).every((b) => b === 0xcc)).toBe(true);
  return reply.subarray(0, length);
}

// A twampy request: 14 octets, Error Estimate 0x3FFF, no padding.
const twampyRequest = bytes(
  [0x00, 0x00, 0x00, 0x2a], // 0-3 Sequence Number = 42
  T1_BYTES, // 4-11 Timestamp
  [0x3f, 0xff], // 12-13 Error Estimate
);

describe('reflectInto: TWAMP vectors', () => {
  it('reflects a twampy 14-octet request to a 41-octet reply (TWAMP Light, stateless)', () => {
    const reply = reflect(twampyRequest, stamp(createTwampLightReflectContext()));
    expect(hex(reply)).toBe(hex(bytes(
      [0x00, 0x00, 0x00, 0x2a], // 0-3 Sequence Number: copied, stateless (RFC 5357 Appendix I)
      T3_BYTES, // 4-11 Timestamp (T3)
      [0x00, 0x01], // 12-13 Error Estimate
      [0x00, 0x00], // 14-15 MBZ
      T2_BYTES, // 16-23 Receive Timestamp (T2)
      [0x00, 0x00, 0x00, 0x2a], // 24-27 Sender Sequence Number
      T1_BYTES, // 28-35 Sender Timestamp
      [0x3f, 0xff], // 36-37 Sender Error Estimate
      [0x00, 0x00], // 38-39 MBZ
      [0xff], // 40 Sender TTL: 255, not known
    )));
  });

  it('uses its own counter when stateful, wrapping at 2^32', () => {
    const ctx = stamp(createTwampReflectContext({ layout: open }), 64);
    ctx.sequence = 0xffffffff;
    expect(hex(reflect(twampyRequest, ctx).subarray(0, 4))).toBe('ffffffff');
    expect(hex(reflect(twampyRequest, ctx).subarray(0, 4))).toBe('00000000');
    expect(ctx.sequence).toBe(1);
    expect(reflect(twampyRequest, ctx)[40]).toBe(64);
  });

  it('keeps the request length and the first sender padding octets, dropping the highest-numbered', () => {
    const request = bytes([0, 0, 0, 1], T1_BYTES, [0, 1], ramp(46)); // 60 octets
    const reply = reflect(request, stamp(createTwampLightReflectContext()));
    expect(reply.length).toBe(60);
    expect(hex(reply.subarray(41))).toBe(hex(Buffer.from(ramp(19)))); // padding octets 0-18 of 0-45
  });

  it('answers a twping 41-octet request with 41 octets', () => {
    const request = bytes([0, 0, 0, 1], T1_BYTES, [0, 1], fill(27, 0x5a));
    expect(reflect(request, stamp(createTwampLightReflectContext())).length).toBe(41);
  });

  it('authenticated: never shorter than 112, HMAC and MBZ zeroed for the crypto step', () => {
    const request = bytes([0, 0, 0, 9], fill(12), T1_BYTES, [0x80, 0x01], fill(6), fill(16, 0xaa)); // 48 octets
    const reply = reflect(request, stamp(createTwampReflectContext({ layout: auth, stateful: false }), 255));
    expect(reply.length).toBe(112);
    expect(hex(reply)).toBe(hex(bytes(
      [0, 0, 0, 9], // 0-3 Sequence Number
      fill(12), // 4-15 MBZ
      T3_BYTES, // 16-23 Timestamp
      [0x00, 0x01], // 24-25 Error Estimate
      fill(6), // 26-31 MBZ
      T2_BYTES, // 32-39 Receive Timestamp
      fill(8), // 40-47 MBZ
      [0, 0, 0, 9], // 48-51 Sender Sequence Number
      fill(12), // 52-63 MBZ
      T1_BYTES, // 64-71 Sender Timestamp
      [0x80, 0x01], // 72-73 Sender Error Estimate
      fill(6), // 74-79 MBZ
      [0xff], // 80 Sender TTL
      fill(15), // 81-95 MBZ
      fill(16), // 96-111 HMAC: zero, the crypto module fills it
    )));
    const longer = Buffer.concat([request, Buffer.from(ramp(112))]); // 160 octets, 112 of padding
    const reply2 = reflect(longer, stamp(createTwampReflectContext({ layout: auth })));
    expect(reply2.length).toBe(160);
    expect(hex(reply2.subarray(112))).toBe(hex(Buffer.from(ramp(48))));
  });

  it('Symmetrical Size: the reply is as long as the request and keeps its padding', () => {
    const request = bytes([0, 0, 0, 1], T1_BYTES, [0, 1], fill(27), [7, 8, 9]);
    const reply = reflect(request, stamp(createTwampReflectContext({ layout: symOpen })));
    expect(reply.length).toBe(44);
    expect(hex(reply.subarray(41))).toBe('070809');
    const authRequest = bytes([0, 0, 0, 1], fill(12), T1_BYTES, [0, 1], fill(6), fill(16, 0xaa), fill(64), [1, 2]);
    const authReply = reflect(authRequest, stamp(createTwampReflectContext({ layout: symAuth })));
    expect(authReply.length).toBe(114);
    expect(hex(authReply.subarray(112))).toBe('0102');
  });

  it('RFC 7750: writes the received TOS as S-DSCP-ECN; the base grows to 44', () => {
    const reply = reflect(twampyRequest, stamp(createTwampReflectContext({ layout: dscpOpen }), 60, 0xb9));
    expect(reply.length).toBe(44);
    expect([reply[40], reply[41], reply[42], reply[43]]).toEqual([60, 0xb9, 0, 0]);
    const authRequest = bytes([0, 0, 0, 1], fill(12), T1_BYTES, [0, 1], fill(6), fill(16, 0xaa));
    const authReply = reflect(authRequest, stamp(createTwampReflectContext({ layout: dscpAuth }), 61, 0x02));
    expect([authReply[80], authReply[81], authReply[82]]).toEqual([61, 0x02, 0]);
  });

  it('RFC 6038 Reflect Octets: returned verbatim at the start of the reply padding', () => {
    const request = bytes([0, 0, 0, 1], T1_BYTES, [0, 1], [0xbe, 0xef]); // 16 octets, 2 to reflect
    const reply = reflect(request, stamp(createTwampReflectContext({ layout: reflect2 })));
    expect(reply.length).toBe(43);
    expect(hex(reply.subarray(41))).toBe('beef');
    // With Symmetrical Size and RFC 7750 too: sender padding at 41, reply padding at 44.
    const sym = bytes([0, 0, 0, 1], T1_BYTES, [0, 1], fill(27), [1, 2, 3], [4, 5, 6]); // 47 octets
    const symReply = reflect(sym, stamp(createTwampReflectContext({ layout: reflectSymDscp })));
    expect(symReply.length).toBe(47);
    expect(hex(symReply.subarray(44))).toBe('010203');
  });

  it('zero-fills what a short request cannot supply', () => {
    const request = bytes([0, 0, 0, 1], T1_BYTES, [0, 1], [0xbe, 0xef, 0x11]); // 3 padding octets
    const reply = reflect(request, stamp(createTwampReflectContext({ layout: reflect2 })));
    expect(reply.length).toBe(43);
    expect(hex(reply.subarray(41))).toBe('beef');
  });
});

describe('reflectInto: STAMP vectors', () => {
  const tlvs = encodeTlvArea([
    { flags: TlvFlag.Unrecognized, type: TlvType.ExtraPadding, value: Uint8Array.from([0, 0]) },
    { flags: 0, type: 0xfa, value: Uint8Array.from([1, 2, 3]) },
  ]);
  const request = encodeStampSender(
    { sequence: 77, timestamp: { seconds: 0xe8c1a2b3, fraction: 0x80000000 }, errorEstimate: 0x8001, ssid: 0xbeef, tlvs },
    'open',
  );

  it('copies SSID, mirrors the TLVs and applies the flag rules (U kept on unknown types)', () => {
    const ctx = stamp(createStampReflectContext({ security: 'open', stateful: false }), 250);
    const reply = reflect(request, ctx);
    expect(reply.length).toBe(request.length);
    expect(hex(reply)).toBe(hex(bytes(
      [0, 0, 0, 77], // 0-3 Sequence Number (stateless: copied)
      T3_BYTES, // 4-11 Timestamp
      [0x00, 0x01], // 12-13 Error Estimate
      [0xbe, 0xef], // 14-15 SSID copied
      T2_BYTES, // 16-23 Receive Timestamp
      [0, 0, 0, 77], // 24-27 Session-Sender Sequence Number
      T1_BYTES, // 28-35 Session-Sender Timestamp
      [0x80, 0x01], // 36-37 Session-Sender Error Estimate
      [0, 0], // 38-39 MBZ
      [250], // 40 Ses-Sender TTL
      [0, 0, 0], // 41-43 MBZ
      [0x00, 0x01, 0x00, 0x02, 0, 0], // 44: Extra Padding, understood: U = 0
      [0x80, 0xfa, 0x00, 0x03, 1, 2, 3], // 50: type 250 unknown: U = 1 although the sender sent 0
    )));
    expect(ctx.malformedTlvAt).toBe(-1);
  });

  it('sets M on a malformed TLV and copies the remainder verbatim', () => {
    const bad = Buffer.concat([request, bytes([0x80, 0x01, 0x01, 0x00], [0xaa, 0xbb])]); // claims 256 octets
    const ctx = stamp(createStampReflectContext({ security: 'open' }));
    const reply = reflect(bad, ctx);
    expect(ctx.malformedTlvAt).toBe(request.length);
    expect(hex(reply.subarray(request.length))).toBe('c0010100aabb');
  });

  it('sets I everywhere when the caller reports an HMAC failure', () => {
    const ctx = stamp(createStampReflectContext({ security: 'open' }));
    ctx.hmacFailed = true;
    const reply = decodeStampReflector(reflect(request, ctx), 'open');
    expect(decodeTlvArea(reply.tlvs).tlvs.map((t) => t.flags)).toEqual([0x20, 0xa0]);
  });

  it('answers a short (TWAMP Light) sender with the 44-octet base and SSID 0', () => {
    const reply = reflect(twampyRequest, stamp(createStampReflectContext({ security: 'open' })));
    expect(reply.length).toBe(44);
    expect(decodeStampReflector(reply, 'open')).toMatchObject({ ssid: 0, senderSequence: 42, senderErrorEstimate: 0x3fff });
  });

  it('authenticated: 112-octet base, SSID at 26, HMAC zeroed', () => {
    const authRequest = encodeStampSender(
      { sequence: 1, timestamp: { seconds: 1, fraction: 2 }, errorEstimate: 1, ssid: 7, hmac: new Uint8Array(16).fill(0xaa), tlvs },
      'authenticated',
    );
    const reply = reflect(authRequest, stamp(createStampReflectContext({ security: 'authenticated' })));
    const decoded = decodeStampReflector(reply, 'authenticated');
    expect(decoded).toMatchObject({ sequence: 0, ssid: 7, senderSequence: 1, senderTimestamp: { seconds: 1, fraction: 2 } });
    expect(hex(decoded.hmac!)).toBe('00'.repeat(16));
    expect(reflectInto(authRequest, 111, Buffer.alloc(200), createStampReflectContext({ security: 'authenticated' }))).toBe(ReflectStatus.TooShort);
  });

  it('honours a custom understood-types table', () => {
    const ctx = stamp(createStampReflectContext({ security: 'open', understoodTlvs: understoodTlvTypes([0xfa]) }));
    const reply = decodeStampReflector(reflect(request, ctx), 'open');
    expect(decodeTlvArea(reply.tlvs).tlvs.map((t) => t.flags)).toEqual([0x80, 0x00]);
  });
});

describe('reflectInto: refusals by return code', () => {
  it('reports short requests, small reply buffers, missing reflect octets and bad lengths', () => {
    const ctx = createTwampLightReflectContext();
    expect(reflectInto(twampyRequest, 13, Buffer.alloc(64), ctx)).toBe(ReflectStatus.TooShort);
    expect(reflectInto(twampyRequest, 14, Buffer.alloc(40), ctx)).toBe(ReflectStatus.ReplyTooSmall);
    expect(reflectInto(twampyRequest, 15, Buffer.alloc(64), ctx)).toBe(ReflectStatus.BadLength);
    expect(reflectInto(twampyRequest, -1, Buffer.alloc(64), ctx)).toBe(ReflectStatus.BadLength);
    expect(reflectInto(twampyRequest, Number.NaN, Buffer.alloc(64), ctx)).toBe(ReflectStatus.BadLength);
    expect(reflectInto(twampyRequest, 13.5, Buffer.alloc(64), ctx)).toBe(ReflectStatus.BadLength);
    const r2 = createTwampReflectContext({ layout: reflect2 });
    expect(reflectInto(bytes([...twampyRequest], [1]), 15, Buffer.alloc(64), r2)).toBe(ReflectStatus.MissingReflectOctets);
    expect(reflectInto(Buffer.alloc(47), 47, Buffer.alloc(200), createTwampReflectContext({ layout: auth }))).toBe(ReflectStatus.TooShort);
    const same = Buffer.alloc(64);
    expect(reflectInto(same, 14, same, ctx)).toBe(ReflectStatus.SameBuffer);
  });

  it('does not advance the sequence counter on a refusal', () => {
    const ctx = createTwampReflectContext({ layout: open });
    reflectInto(twampyRequest, 10, Buffer.alloc(64), ctx);
    expect(ctx.sequence).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const twampLayouts: TwampLayout[] = [open, auth, symOpen, symAuth, dscpOpen, dscpAuth, reflect2, reflectSymDscp];

describe('reflectInto properties', () => {
  it('TWAMP: length = max(request, base + reflect), sender fields exact, padding prefix kept', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...twampLayouts),
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (layout, raw, stateful, ttl, tos) => {
          const request = Buffer.from(raw);
          const ctx = stamp(createTwampReflectContext({ layout, stateful }), ttl, tos);
          ctx.sequence = 1234;
          const reply = Buffer.alloc(600, 0xcc);
          const length = reflectInto(request, request.length, reply, ctx);
          const s = layout.sender;
          const r = layout.reflector;
          const minimum = layout.security === 'open' ? 14 : 48;
          const senderPadding = Math.max(0, request.length - s.padding);
          if (request.length < minimum) {
            expect(length).toBe(ReflectStatus.TooShort);
            return;
          }
          if (senderPadding < layout.reflectOctets) {
            expect(length).toBe(ReflectStatus.MissingReflectOctets);
            return;
          }
          expect(length).toBe(Math.max(request.length, r.padding + layout.reflectOctets));
          expect(reply.subarray(length).every((b) => b === 0xcc)).toBe(true);
          const decoded = decodeTwampReflector(reply.subarray(0, length), layout);
          expect(decoded.senderSequence).toBe(request.readUInt32BE(s.sequence));
          expect(decoded.sequence).toBe(stateful ? 1234 : request.readUInt32BE(s.sequence));
          expect(hex(reply.subarray(r.senderTimestamp, r.senderTimestamp + 8))).toBe(hex(request.subarray(s.timestamp, s.timestamp + 8)));
          expect(decoded.senderErrorEstimate).toBe(request.readUInt16BE(s.errorEstimate));
          expect(decoded.senderTtl).toBe(ttl);
          if (r.senderDscpEcn >= 0) {
            expect(decoded.senderDscpEcn).toBe(tos);
          }
          const kept = Math.min(length - r.padding, senderPadding);
          expect(hex(decoded.padding.subarray(0, kept))).toBe(hex(request.subarray(s.padding, s.padding + kept)));
          expect(decoded.padding.subarray(kept).every((b) => b === 0)).toBe(true);
          if (r.hmac >= 0) {
            expect(decoded.hmac!.every((b) => b === 0)).toBe(true);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('TWAMP: a reply decodes to the sender packet it answers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...twampLayouts),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ minLength: 3, maxLength: 100 }),
        (layout, sequence, errorEstimate, padding) => {
          const hmac = layout.sender.hmac >= 0 ? { hmac: new Uint8Array(16) } : {};
          const request = encodeTwampSender({ sequence, timestamp: { seconds: 5, fraction: 6 }, errorEstimate, padding, ...hmac }, layout);
          const reply = Buffer.alloc(400);
          const length = reflectInto(request, request.length, reply, stamp(createTwampReflectContext({ layout, stateful: false })));
          const decoded = decodeTwampReflector(reply.subarray(0, length), layout);
          expect(decoded).toMatchObject({ sequence, senderSequence: sequence, senderErrorEstimate: errorEstimate, senderTimestamp: { seconds: 5, fraction: 6 }, receiveTimestamp: T2, timestamp: T3 });
          const reflected = padding.subarray(0, layout.reflectOctets);
          expect(hex(decoded.padding.subarray(0, reflected.length))).toBe(hex(reflected));
        },
      ),
      { numRuns: 500 },
    );
  });

  const tlvArb = fc.record({
    flags: fc.integer({ min: 0, max: 255 }),
    type: fc.constantFrom(1, 2, 3, 4, 5, 8, 0, 200, 250, 255),
    value: fc.uint8Array({ maxLength: 24 }),
  });

  it('STAMP: TLVs mirrored; understood U=0, unknown U=1; the first malformed one gets M and the rest is verbatim', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<StampSecurity>('open', 'authenticated'),
        fc.array(tlvArb, { maxLength: 6 }),
        fc.uint8Array({ maxLength: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        (security, tlvs, junk, hmacFailed, ssid) => {
          const area = Buffer.concat([encodeTlvArea(tlvs), junk]);
          const hmac = security === 'authenticated' ? { hmac: new Uint8Array(16) } : {};
          const request = encodeStampSender({ sequence: 1, timestamp: { seconds: 2, fraction: 3 }, errorEstimate: 4, ssid, tlvs: area, ...hmac }, security);
          const understood = understoodTlvTypes([1, 4, 8]);
          const ctx = stamp(createStampReflectContext({ security, understoodTlvs: understood }));
          ctx.hmacFailed = hmacFailed;
          const reply = Buffer.alloc(600, 0xcc);
          const length = reflectInto(request, request.length, reply, ctx);
          expect(length).toBe(request.length);
          const decoded = decodeStampReflector(reply.subarray(0, length), security);
          expect(decoded.ssid).toBe(ssid);
          const out = decoded.tlvs;
          // Walk the request area with the same rules, independently.
          let offset = 0;
          let malformedAt = -1;
          const validLength: Record<number, (n: number) => boolean> = { 4: (n) => n === 4, 8: (n) => n === 16 };
          while (offset < area.length) {
            const remaining = area.length - offset;
            const claimed = remaining >= 4 ? area.readUInt16BE(offset + 2) : -1;
            const type = area[offset + 1] ?? 0;
            const end = claimed < 0 ? -1 : offset + 4 + claimed;
            const known = understood[type] === 1;
            if (end < 0 || end > area.length || (known && validLength[type] !== undefined && !validLength[type](claimed))) {
              malformedAt = offset;
              break;
            }
            const expected = (known ? 0 : TlvFlag.Unrecognized) | (hmacFailed ? TlvFlag.IntegrityFailed : 0);
            expect(out[offset]).toBe(expected);
            expect(hex(out.subarray(offset + 1, end))).toBe(hex(area.subarray(offset + 1, end)));
            offset = end;
          }
          expect(ctx.malformedTlvAt).toBe(malformedAt < 0 ? -1 : (security === 'open' ? 44 : 112) + malformedAt);
          if (malformedAt >= 0) {
            expect(out[malformedAt]).toBe((area[malformedAt]! | TlvFlag.Malformed | (hmacFailed ? TlvFlag.IntegrityFailed : 0)) & 0xff);
            expect(hex(out.subarray(malformedAt + 1))).toBe(hex(area.subarray(malformedAt + 1)));
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
