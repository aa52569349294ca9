/**
 * STAMP (RFC 8762, RFC 8972) against tshark.
 *
 * tshark 4.0.17 has no STAMP dissector: `tshark -G protocols` lists nothing for STAMP (only TWAMP
 * and OWAMP), so there are no STAMP field names to check against. What can be checked is the
 * backward compatibility RFC 8762 §4.6 promises: an unauthenticated STAMP reflector packet is laid
 * out like an RFC 5357 reflector packet up to Sender TTL at offset 40, so tshark's TWAMP-Test
 * dissector, forced with decode-as, must read our STAMP fields at their TWAMP meaning. The
 * authenticated STAMP layouts (HMAC-SHA-256, 112 octets) have no TWAMP counterpart tshark knows,
 * so they are not checked here.
 */
import { expect, it } from 'vitest';
import type { PcapWriter } from '../support/pcap.js';
import { type Capture, colonHex, errorEstimateRows, field, frameNo, layoutOf, type LayoutRow, type Section } from './harness.js';
import {
  encodeStampReflector,
  encodeStampSender,
  encodeTlvArea,
  StampSecurity,
  type StampReflectorPacket,
  type StampSenderPacket,
  TlvType,
} from '../../src/index.js';
import { ALL_ZERO_REFLECTOR_ROWS_16_TO_40, NTP_2024, openReflectorRows } from './twamp-test-rows.js';

const SENDER = { ip: '198.18.2.1', port: 50_002 };
const REFLECTOR = { ip: '198.18.2.2', port: 50_863 };

/** An RFC 8972 §4.1 Extra Padding TLV as a reflector returns it (U cleared: it understood the TLV). */
const extraPadding = encodeTlvArea([{ flags: 0, type: TlvType.ExtraPadding, value: new Uint8Array(8) }]);

const reflector: StampReflectorPacket = {
  sequence: 5,
  timestamp: { seconds: NTP_2024 + 30, fraction: 0xc000_0000 },
  errorEstimate: 0x8001,
  ssid: 0x1234,
  receiveTimestamp: { seconds: NTP_2024 + 30, fraction: 0x8000_0000 },
  senderSequence: 6,
  senderTimestamp: { seconds: NTP_2024 + 30, fraction: 0x4000_0000 },
  senderErrorEstimate: 0x8001,
  senderTtl: 255,
  tlvs: new Uint8Array(0),
};
const reflectorWithTlv: StampReflectorPacket = { ...reflector, sequence: 6, senderSequence: 7, tlvs: extraPadding };
const sender: StampSenderPacket = {
  sequence: 7,
  timestamp: { seconds: NTP_2024 + 31, fraction: 0 },
  errorEstimate: 0x8001,
  ssid: 0x1234,
  tlvs: new Uint8Array(0),
};

/** What the TWAMP-Test dissector must show for an open STAMP reflector packet. */
function reflectorRows(p: StampReflectorPacket): LayoutRow[] {
  // RFC 8972 §3 put the SSID in what RFC 5357 calls MBZ (octets 14-15): tshark shows it under that name.
  const rows = openReflectorRows(p, p.ssid);
  // STAMP's 3 MBZ octets (41-43) and any TLVs are, to TWAMP, reflector padding.
  rows.push(['twamp.test.padding', 41, 3 + p.tlvs.length, colonHex(Uint8Array.of(0, 0, 0, ...p.tlvs))]);
  return rows;
}

const at = { reflector: 0, reflectorWithTlv: 0, sender: 0 };

function build(pcap: PcapWriter): void {
  at.sender = pcap.udp(SENDER, REFLECTOR, encodeStampSender(sender, StampSecurity.Open), { ttl: 255 });
  at.reflector = pcap.udp(REFLECTOR, SENDER, encodeStampReflector(reflector, StampSecurity.Open), { ttl: 255 });
  at.reflectorWithTlv = pcap.udp(REFLECTOR, SENDER, encodeStampReflector(reflectorWithTlv, StampSecurity.Open), { ttl: 255 });
}

export const stampSection: Section = {
  // No STAMP dissector exists to pick these up, so the TWAMP-Test one is forced onto the port.
  decodeAs: [`udp.port==${REFLECTOR.port},twamp.test`],
  build,
  tests,
};

function tests(capture: () => Capture): void {
  const frames = () => capture().frames;

  it('this tshark has no STAMP dissector (if one appears, add field checks for it here)', () => {
    const stamp = capture().protocols.filter(
      ([longName = '', shortName = '', filterName = '']) =>
        /^stamp(\.|$)/i.test(filterName) || shortName.startsWith('STAMP') || /simple two-way active measurement/i.test(longName),
    );
    expect(stamp).toEqual([]);
  });

  it('every STAMP packet is dissected as TWAMP-Test (decode-as on the reflector port)', () => {
    for (const number of Object.values(at)) expect(frameNo(frames(), number).protocols.at(-1)).toBe('twamp.test');
  });

  it('open STAMP reflector packet reads as a TWAMP reflector packet (RFC 8762 §4.6)', () => {
    const f = frameNo(frames(), at.reflector);
    expect(layoutOf(f, 'twamp.test')).toEqual(reflectorRows(reflector));
    expect(field(f, 'twamp.test.mbz1').showname).toBe('MBZ: 4660 (0x1234)');
  });

  it('open STAMP reflector packet with an Extra Padding TLV: the TLV follows at offset 44', () => {
    const f = frameNo(frames(), at.reflectorWithTlv);
    expect(layoutOf(f, 'twamp.test')).toEqual(reflectorRows(reflectorWithTlv));
    // Flags 0, Type 1, Length 8, then the 8 value octets (RFC 8972 §4).
    expect(field(f, 'twamp.test.padding').show).toBe('00:00:00:00:01:00:08:00:00:00:00:00:00:00:00');
  });

  it('quirk: a 44-octet STAMP sender packet is shown with the reflector layout', () => {
    // Like a padded TWAMP sender packet: 44 ≥ 41, so the MBZ octets 16-43 become reflector fields.
    // Sequence, Timestamp, Error Estimate and the SSID (as "MBZ") are still read correctly.
    expect(layoutOf(frameNo(frames(), at.sender), 'twamp.test')).toEqual([
      ['twamp.test.seq_number', 0, 4, '7'],
      ['twamp.test.timestamp', 4, 8, 'Jan  1, 2024 00:00:31.000000000 UTC'],
      ...errorEstimateRows('twamp.test.error_estimate', 12, 0x8001),
      ['twamp.test.mbz1', 14, 2, '4660'],
      ...ALL_ZERO_REFLECTOR_ROWS_16_TO_40,
      ['twamp.test.padding', 41, 3, '00:00:00'],
    ]);
  });
}
