/**
 * Unauthenticated TWAMP-Test packets built by our encoders, dissected by tshark's TWAMP-Test
 * dissector (packet-twamp.c).
 *
 * TWAMP-Test has no registered UDP port in Wireshark, so the capture uses a port of the Dynamic
 * range and `-d udp.port==PORT,twamp.test` (decode-as). The dissector has one layout decision: a
 * payload of 41 octets or more is read as a reflector packet, anything shorter as a sender packet.
 * Sender packets are therefore checked unpadded (14 octets); what happens to padded ones is pinned
 * down as a quirk below. It has no authenticated or encrypted layouts, so only open mode is checked.
 */
import { expect, it } from 'vitest';
import type { PcapWriter } from '../support/pcap.js';
import {
  type Capture,
  colonHex,
  errorEstimateRows,
  field,
  frameNo,
  layoutOf,
  type LayoutRow,
  type Section,
  type WsFrame,
} from './harness.js';
import {
  encodeTwampReflector,
  encodeTwampSender,
  TestSecurity,
  twampLayout,
  type TwampReflectorPacket,
  type TwampSenderPacket,
  type WireTimestamp,
} from '../../src/index.js';
import { ALL_ZERO_REFLECTOR_ROWS_16_TO_40, NTP_2024, openReflectorRows } from './twamp-test-rows.js';
import { wiresharkByZ } from './wireshark-time.js';

/** 2024-01-01T00:00:00Z as PTPv2 truncated seconds (TAI; the 37 s offset is irrelevant to tshark). */
const PTP_2024 = 1_704_067_200;

const SENDER = { ip: '198.18.1.1', port: 50_001 };
const REFLECTOR = { ip: '198.18.1.2', port: 50_862 };
const DECODE_AS = `udp.port==${REFLECTOR.port},twamp.test`;

const open = twampLayout({ security: TestSecurity.Open });
const none = new Uint8Array(0);

function ts(seconds: number, fraction: number): WireTimestamp {
  return { seconds, fraction };
}

/** What tshark must show for an unpadded sender packet: the values we encoded (RFC 5357 §4.1.2). */
function senderRows(p: TwampSenderPacket): LayoutRow[] {
  return [
    ['twamp.test.seq_number', 0, 4, String(p.sequence)],
    ['twamp.test.timestamp', 4, 8, wiresharkByZ(p.errorEstimate, p.timestamp.seconds, p.timestamp.fraction)],
    ...errorEstimateRows('twamp.test.error_estimate', 12, p.errorEstimate),
  ];
}

/** What tshark must show for an open reflector packet (RFC 5357 §4.2.1): octets 0-40, then any padding. */
function reflectorRows(p: TwampReflectorPacket): LayoutRow[] {
  const rows = openReflectorRows(p, 0);
  if (p.padding.length > 0) rows.push(['twamp.test.padding', 41, p.padding.length, colonHex(p.padding)]);
  return rows;
}

// ---- Sender packets (14 octets: tshark uses the sender layout) --------------------------------

const senders: readonly (readonly [string, TwampSenderPacket])[] = [
  ['synchronised clock (S = 1, Multiplier 1), sequence 0', { sequence: 0, timestamp: ts(NTP_2024, 0), errorEstimate: 0x8001, padding: none }],
  ['perfSONAR unsynchronised Error Estimate 0x0001, half-second fraction', { sequence: 1, timestamp: ts(NTP_2024 + 1, 0x8000_0000), errorEstimate: 0x0001, padding: none }],
  ['twampy Error Estimate 0x3FFF (Scale 63, Multiplier 255), largest sequence and fraction', { sequence: 0xffff_ffff, timestamp: ts(NTP_2024 + 2, 0xffff_ffff), errorEstimate: 0x3fff, padding: none }],
  ['PTPv2 timestamp (Z = 1, RFC 8186): seconds and nanoseconds', { sequence: 123_456_789, timestamp: ts(PTP_2024, 500_000_000), errorEstimate: 0x4001, padding: none }],
];

// ---- Reflector packets (41 octets and more) ---------------------------------------------------

const reflectorNtp: TwampReflectorPacket = {
  sequence: 0,
  timestamp: ts(NTP_2024 + 10, 0x3000_0000),
  errorEstimate: 0x8001,
  receiveTimestamp: ts(NTP_2024 + 10, 0x2000_0000),
  senderSequence: 7,
  senderTimestamp: ts(NTP_2024 + 10, 0x1000_0000),
  senderErrorEstimate: 0x0001,
  senderTtl: 255,
  padding: none,
};
/**
 * A 68-octet reply to a 68-octet sender packet (54 octets of padding): the reflector keeps the first
 * 27 octets of the sender's padding so both directions have the same size (RFC 5357 §4.2.1).
 */
const reflectorPadded: TwampReflectorPacket = {
  sequence: 1,
  timestamp: ts(NTP_2024 + 11, 0x0000_0010),
  errorEstimate: 0x0a05,
  receiveTimestamp: ts(NTP_2024 + 11, 0x0000_0001),
  senderSequence: 0xffff_fffe,
  senderTimestamp: ts(NTP_2024 + 10, 0xffff_ffff),
  senderErrorEstimate: 0xbfff,
  senderTtl: 62,
  padding: Uint8Array.from({ length: 27 }, (_, i) => (i * 37 + 5) & 0xff),
};
/** RFC 8186: every timestamp PTPv2, both Error Estimates with Z = 1. */
const reflectorPtp: TwampReflectorPacket = {
  sequence: 2,
  timestamp: ts(PTP_2024 + 1, 500_000_000),
  errorEstimate: 0xc001,
  receiveTimestamp: ts(PTP_2024, 250_000_000),
  senderSequence: 3,
  senderTimestamp: ts(PTP_2024 - 1, 125_000_000),
  senderErrorEstimate: 0x4001,
  senderTtl: 64,
  padding: none,
};
/** An NTP sender whose clock says 2000-01-01 (seconds 0xBC17C200: bit 30 clear). */
const reflectorOldSenderClock: TwampReflectorPacket = {
  sequence: 3,
  timestamp: ts(NTP_2024 + 12, 0),
  errorEstimate: 0x0001,
  receiveTimestamp: ts(NTP_2024 + 12, 0),
  senderSequence: 4,
  senderTimestamp: ts(3_155_673_600, 0x4000_0000),
  senderErrorEstimate: 0x0001,
  senderTtl: 1,
  padding: none,
};

/** RFC 5357 §4.1.2 advises 27 octets of sender padding so both directions have the same size. */
const paddedSender: TwampSenderPacket = { sequence: 9, timestamp: ts(NTP_2024 + 20, 0), errorEstimate: 0x8001, padding: Uint8Array.from({ length: 27 }, (_, i) => 0x0e + i) };
/** RFC 6038 §5 Symmetrical Size: 27 MBZ octets after the Error Estimate, no padding. */
const symmetricalSender: TwampSenderPacket = { sequence: 10, timestamp: ts(NTP_2024 + 21, 0), errorEstimate: 0x8001, padding: none };
const symmetrical = twampLayout({ security: TestSecurity.Open, symmetricalSize: true });

const at = new Map<string, number>();

function build(pcap: PcapWriter): void {
  for (const [name, packet] of senders) {
    at.set(name, pcap.udp(SENDER, REFLECTOR, encodeTwampSender(packet, open), { ttl: 255 }));
  }
  for (const [name, packet] of [
    ['ntp', reflectorNtp],
    ['padded', reflectorPadded],
    ['ptp', reflectorPtp],
    ['old-sender-clock', reflectorOldSenderClock],
  ] as const) {
    at.set(name, pcap.udp(REFLECTOR, SENDER, encodeTwampReflector(packet, open), { ttl: 255 }));
  }
  at.set('padded-sender', pcap.udp(SENDER, REFLECTOR, encodeTwampSender(paddedSender, open), { ttl: 255 }));
  at.set('symmetrical-sender', pcap.udp(SENDER, REFLECTOR, encodeTwampSender(symmetricalSender, symmetrical), { ttl: 255 }));
}

export const testPacketSection: Section = {
  decodeAs: [DECODE_AS],
  build,
  tests,
};

function tests(capture: () => Capture): void {
  function frame(name: string): WsFrame {
    const number = at.get(name);
    if (number === undefined) throw new Error(`no frame named ${name}`);
    return frameNo(capture().frames, number);
  }

  it('every packet is dissected as TWAMP-Test (decode-as on the reflector port)', () => {
    expect(at.size).toBe(senders.length + 6);
    for (const [name] of at) expect(frame(name).protocols.at(-1), name).toBe('twamp.test');
  });

  it.each(senders)('sender packet: %s', (name, packet) => {
    expect(layoutOf(frame(name), 'twamp.test')).toEqual(senderRows(packet));
  });

  it('sender timestamps show the instants we encoded', () => {
    const shown = senders.map(([name]) => field(frame(name), 'twamp.test.timestamp').show);
    expect(shown).toEqual([
      'Jan  1, 2024 00:00:00.000000000 UTC',
      'Jan  1, 2024 00:00:01.500000000 UTC',
      // 0xFFFFFFFF / 2^32 s = 0.99999999976 s: Wireshark truncates to nanoseconds.
      'Jan  1, 2024 00:00:02.999999999 UTC',
      // Z = 1: the same date read as PTP seconds (since 1970) + nanoseconds, not as NTP.
      'Jan  1, 2024 00:00:00.500000000 UTC',
    ]);
  });

  it('reflector packet (NTP): every field, Sender TTL 255', () => {
    const f = frame('ntp');
    expect(layoutOf(f, 'twamp.test')).toEqual(reflectorRows(reflectorNtp));
    expect(field(f, 'twamp.test.timestamp').show).toBe('Jan  1, 2024 00:00:10.187500000 UTC');
    expect(field(f, 'twamp.test.receive_timestamp').show).toBe('Jan  1, 2024 00:00:10.125000000 UTC');
    expect(field(f, 'twamp.test.sender_timestamp').show).toBe('Jan  1, 2024 00:00:10.062500000 UTC');
  });

  it('reflector packet with 27 octets of padding: fields, then the padding verbatim', () => {
    expect(layoutOf(frame('padded'), 'twamp.test')).toEqual(reflectorRows(reflectorPadded));
  });

  it('quirk: PTP reflector packet (Z = 1): Sender Timestamp is decoded as NTP', () => {
    const f = frame('ptp');
    expect(layoutOf(f, 'twamp.test')).toEqual(reflectorRows(reflectorPtp));
    // Timestamp and Receive Timestamp follow the Error Estimate's Z bit, as RFC 8186 says.
    expect(field(f, 'twamp.test.timestamp').show).toBe('Jan  1, 2024 00:00:01.500000000 UTC');
    expect(field(f, 'twamp.test.receive_timestamp').show).toBe('Jan  1, 2024 00:00:00.250000000 UTC');
    // The Sender Error Estimate has Z = 1 too, but packet-twamp.c tests the Z mask against the top
    // of the Sender Timestamp itself and reads a set bit as "NTP": 0x6592007F seconds taken as NTP
    // era 1 and 125 000 000 ns taken as a 2^-32 fraction give a date in 2090.
    expect(field(f, 'twamp.test.sender_timestamp').show).toBe('Feb  6, 2090 06:28:15.029103830 UTC');
  });

  it('quirk: NTP reflector packet whose Sender Timestamp has bit 30 clear is decoded as PTP', () => {
    const f = frame('old-sender-clock');
    expect(layoutOf(f, 'twamp.test')).toEqual(reflectorRows(reflectorOldSenderClock));
    // 2000-01-01T00:00:00.25Z in NTP (0xBC17C200 s) is read as seconds since 1970 and 0x40000000
    // as nanoseconds, although both Error Estimates say NTP (Z = 0). 1 073 741 824 ns is not
    // normalised into the seconds either: it is printed as a ten-digit fraction.
    expect(field(f, 'twamp.test.sender_timestamp').show).toBe('Dec 31, 2069 00:00:00.1073741824 UTC');
  });

  it('quirk: a sender packet padded to 41 octets (RFC 5357 §4.1.2) is shown with the reflector layout', () => {
    // packet-twamp.c picks the reflector layout for any payload of 41 octets or more, so the 27
    // padding octets 0x0E..0x28 are shown as reflector fields. Only the first three rows are real.
    expect(layoutOf(frame('padded-sender'), 'twamp.test')).toEqual([
      ...senderRows(paddedSender),
      ['twamp.test.mbz1', 14, 2, '3599'],
      ['twamp.test.receive_timestamp', 16, 8, 'Aug 23, 2044 02:38:11.078446751 UTC'],
      ['twamp.test.sender_seq_number', 24, 4, '404298267'],
      ['twamp.test.sender_timestamp', 28, 8, 'Dec 12, 1984 03:31:43.539042339 UTC'],
      ...errorEstimateRows('twamp.test.sender_error_estimate', 36, 0x2425),
      ['twamp.test.mbz2', 38, 2, '9767'],
      ['twamp.test.sender_ttl', 40, 1, '40'],
    ]);
  });

  it('quirk: an RFC 6038 Symmetrical Size sender packet is shown as an all-zero reflector packet', () => {
    // The 27 MBZ octets become reflector fields, all zero; a zero NTP timestamp is the "NULL" time
    // (the Unix epoch), and a Sender Timestamp of zero has bit 30 clear, so it is read as PTP.
    expect(layoutOf(frame('symmetrical-sender'), 'twamp.test')).toEqual([
      ...senderRows(symmetricalSender),
      ['twamp.test.mbz1', 14, 2, '0'],
      ...ALL_ZERO_REFLECTOR_ROWS_16_TO_40,
    ]);
  });
}
