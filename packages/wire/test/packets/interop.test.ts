import { describe, expect, it } from 'vitest';
import {
  createStampReflectContext,
  createTwampLightReflectContext,
  decodeStampReflector,
  decodeTwampReflector,
  decodeTwampSender,
  reflectInto,
  twampLayout,
} from '../../src/packets/index.js';
import { bytes, fill, hex } from './helpers.js';

/**
 * Interop with deployed peers (shared/docs/interop-notes.md): nokia/twampy sends 14-octet sender
 * packets and answers with 38-octet reflector packets (no MBZ, no Sender TTL); perfSONAR twping pads
 * to 27 octets; a STAMP reflector must answer TWAMP Light senders with its 44-octet base.
 */

const open = twampLayout({ security: 'open' });

// twampy computes the fraction with 0xFFFFFFFF instead of 2^32; the octets are whatever it sent.
const twampyRequest = bytes(
  [0x00, 0x00, 0x00, 0x00], // 0-3 Sequence Number 0 (twampy resets its counter on seq 0)
  [0xe8, 0xc1, 0xa2, 0xb3, 0x7f, 0xff, 0xff, 0xff], // 4-11 Timestamp
  [0x3f, 0xff], // 12-13 Error Estimate 0x3FFF (twampy's sender value)
);

// What twampy's reflector sends back: 38 octets, T2 == T3, Error Estimate 0x0001.
const twampyReply = bytes(
  [0x00, 0x00, 0x00, 0x00], // 0-3 Sequence Number
  [0xe8, 0xc1, 0xa2, 0xb4, 0x00, 0x00, 0x10, 0x00], // 4-11 Timestamp (T3)
  [0x00, 0x01], // 12-13 Error Estimate
  [0x00, 0x00], // 14-15 MBZ
  [0xe8, 0xc1, 0xa2, 0xb4, 0x00, 0x00, 0x10, 0x00], // 16-23 Receive Timestamp (T2 == T3)
  [0x00, 0x00, 0x00, 0x00], // 24-27 Sender Sequence Number
  [0xe8, 0xc1, 0xa2, 0xb3, 0x7f, 0xff, 0xff, 0xff], // 28-35 Sender Timestamp
  [0x3f, 0xff], // 36-37 Sender Error Estimate; no MBZ(2) and no Sender TTL follow
);

describe('interop: nokia/twampy', () => {
  it('its 14-octet request is a valid open sender packet with no padding', () => {
    expect(decodeTwampSender(twampyRequest, open)).toMatchObject({ sequence: 0, errorEstimate: 0x3fff });
  });

  it('its 14-octet request is reflected as a 41-octet reply (RFC 5357 minimum)', () => {
    const reply = Buffer.alloc(1500, 0xee);
    const length = reflectInto(twampyRequest, twampyRequest.length, reply, createTwampLightReflectContext());
    expect(length).toBe(41);
    expect(hex(reply.subarray(24, 41))).toBe(hex(bytes(
      [0x00, 0x00, 0x00, 0x00], // 24-27 Sender Sequence Number
      [0xe8, 0xc1, 0xa2, 0xb3, 0x7f, 0xff, 0xff, 0xff], // 28-35 Sender Timestamp, exact copy
      [0x3f, 0xff], // 36-37 Sender Error Estimate, exact copy
      [0x00, 0x00], // 38-39 MBZ
      [0xff], // 40 Sender TTL 255: node:dgram cannot read the received TTL
    )));
    expect(reply[41]).toBe(0xee);
  });

  it('its 38-octet reply decodes with the TTL unknown', () => {
    const decoded = decodeTwampReflector(twampyReply, open);
    expect(decoded).toMatchObject({
      sequence: 0,
      errorEstimate: 1,
      senderSequence: 0,
      senderErrorEstimate: 0x3fff,
      senderTtl: null,
      timestamp: { seconds: 0xe8c1a2b4, fraction: 0x1000 },
      receiveTimestamp: { seconds: 0xe8c1a2b4, fraction: 0x1000 },
      senderTimestamp: { seconds: 0xe8c1a2b3, fraction: 0x7fffffff },
    });
    expect(decoded.padding.length).toBe(0);
  });
});

describe('interop: perfSONAR twping', () => {
  it('a 41-octet request (27 octets of padding) gets a 41-octet reply', () => {
    const request = bytes([0, 0, 0, 7], fill(8, 1), [0x00, 0x01], fill(27, 0x42));
    const reply = Buffer.alloc(100);
    expect(reflectInto(request, request.length, reply, createTwampLightReflectContext(true))).toBe(41);
  });
});

describe('interop: TWAMP Light sender against a STAMP reflector (RFC 8762 §4.6)', () => {
  it('a 14-octet request gets the 44-octet base with SSID 0', () => {
    const reply = Buffer.alloc(100);
    const length = reflectInto(twampyRequest, twampyRequest.length, reply, createStampReflectContext({ security: 'open' }));
    expect(length).toBe(44);
    expect(decodeStampReflector(reply.subarray(0, length), 'open')).toMatchObject({ ssid: 0, senderErrorEstimate: 0x3fff, senderTtl: 255 });
  });

  it('a STAMP 44-octet request reflected by a TWAMP Light reflector keeps 44 octets (41 + 3 of padding)', () => {
    const stampRequest = bytes([0, 0, 0, 1], fill(8, 2), [0x80, 0x01], [0x12, 0x34], fill(28));
    const reply = Buffer.alloc(100);
    expect(reflectInto(stampRequest, stampRequest.length, reply, createTwampLightReflectContext())).toBe(44);
    // The sender's SSID and first MBZ octet become the reply's 3 padding octets.
    expect(hex(reply.subarray(41, 44))).toBe('123400');
  });
});
