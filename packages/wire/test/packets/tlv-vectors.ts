// Test vectors for every STAMP TLV type, mqtt-packet style: a row per case, `value` the typed TLV and
// `bytes` the octets on the wire with one comment per RFC field. tlv-table.test.ts checks each row both
// ways (decode, encode) byte-exact, and fails for a type in the table without vectors here: adding a
// TLV module means adding its rows (CONTRIBUTING.md, "Adding a STAMP TLV").
import { type StampTlv, type StampTlvKind, SyncSource, TimestampMethod, TlvFlag } from '../../src/packets/index.js';
import { bytes, fill, ramp } from './helpers.js';

export interface TlvVector {
  readonly name: string;
  readonly value: StampTlv;
  readonly bytes: Buffer;
}

const U = TlvFlag.Unrecognized;

/** Keyed by kind: a kind missing here is a type error as well as a failing test. */
export const TLV_VECTORS: Readonly<Record<StampTlvKind, readonly TlvVector[]>> = {
  'extra-padding': [
    {
      name: 'Extra Padding (type 1), 3 octets',
      value: { kind: 'extra-padding', flags: U, padding: Uint8Array.from([0, 0, 0]) },
      bytes: bytes(
        [0x80], // Flags: U = 1 (as the sender sends it)
        [0x01], // Type 1: Extra Padding
        [0x00, 0x03], // Length 3
        [0, 0, 0], // Extra Padding
      ),
    },
  ],
  'location': [
    {
      name: 'Location (type 2) request with the generic sub-TLVs',
      value: {
        kind: 'location',
        flags: U,
        destinationPort: 0,
        sourcePort: 0,
        subTlvs: [
          { kind: 'source-mac-address', flags: U },
          { kind: 'destination-ip-address', flags: U },
          { kind: 'source-ip-address', flags: U },
        ],
      },
      bytes: bytes(
        [0x80, 0x02, 0x00, 0x38], // Flags U, Type 2, Length 4 + 12 + 20 + 20 = 56
        [0x00, 0x00], // Destination Port (filled by the reflector)
        [0x00, 0x00], // Source Port
        [0x80, 0x01, 0x00, 0x08], fill(8), // sub-TLV 1 Source MAC Address, Length 8, MBZ
        [0x80, 0x04, 0x00, 0x10], fill(16), // sub-TLV 4 Destination IP Address, Length 16, MBZ
        [0x80, 0x07, 0x00, 0x10], fill(16), // sub-TLV 7 Source IP Address, Length 16, MBZ
      ),
    },
    {
      name: 'Location (type 2) answer with EUI-64, IPv4 and IPv6 sub-TLVs',
      value: {
        kind: 'location',
        flags: 0,
        destinationPort: 862,
        sourcePort: 50000,
        subTlvs: [
          { kind: 'source-eui64-address', flags: 0, address: Uint8Array.from(ramp(8, 0x10)) },
          { kind: 'destination-ipv4-address', flags: 0, address: Uint8Array.from([192, 0, 2, 1]) },
          { kind: 'source-ipv6-address', flags: 0, address: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...fill(11), 1]) },
        ],
      },
      bytes: bytes(
        [0x00, 0x02, 0x00, 0x38], // Flags 0, Type 2, Length 4 + 12 + 20 + 20 = 56
        [0x03, 0x5e], // Destination Port 862
        [0xc3, 0x50], // Source Port 50000
        [0x00, 0x03, 0x00, 0x08], ramp(8, 0x10), // sub-TLV 3 Source EUI-64 Address
        [0x00, 0x05, 0x00, 0x10], [192, 0, 2, 1], fill(12), // sub-TLV 5 Destination IPv4 Address, then 12 MBZ
        [0x00, 0x09, 0x00, 0x10], [0x20, 0x01, 0x0d, 0xb8], fill(11), [1], // sub-TLV 9 Source IPv6 Address 2001:db8::1
      ),
    },
    {
      name: 'Location (type 2) with EUI-48, IPv6 destination, IPv4 source and an unknown sub-TLV',
      value: {
        kind: 'location',
        flags: 0,
        destinationPort: 1,
        sourcePort: 2,
        subTlvs: [
          { kind: 'source-eui48-address', flags: 0, address: Uint8Array.from([2, 0, 0, 0, 0, 1]) },
          { kind: 'destination-ipv6-address', flags: 0, address: Uint8Array.from(ramp(16)) },
          { kind: 'source-ipv4-address', flags: 0, address: Uint8Array.from([10, 0, 0, 1]) },
          { kind: 'unknown', flags: U, type: 200, value: Uint8Array.from([1]) },
        ],
      },
      bytes: bytes(
        [0x00, 0x02, 0x00, 0x3d], // Flags 0, Type 2, Length 4 + 12 + 20 + 20 + 5 = 61
        [0x00, 0x01], // Destination Port
        [0x00, 0x02], // Source Port
        [0x00, 0x02, 0x00, 0x08], [2, 0, 0, 0, 0, 1], [0, 0], // sub-TLV 2 Source EUI-48 Address, 2 MBZ
        [0x00, 0x06, 0x00, 0x10], ramp(16), // sub-TLV 6 Destination IPv6 Address
        [0x00, 0x08, 0x00, 0x10], [10, 0, 0, 1], fill(12), // sub-TLV 8 Source IPv4 Address
        [0x80, 0xc8, 0x00, 0x01], [1], // sub-TLV 200 (unknown), kept raw
      ),
    },
  ],
  'timestamp-information': [
    {
      name: 'Timestamp Information (type 3) as a reflector fills it',
      value: {
        kind: 'timestamp-information',
        flags: 0,
        syncSourceIn: SyncSource.Ptp,
        timestampIn: TimestampMethod.HwAssist,
        syncSourceOut: SyncSource.Ntp,
        timestampOut: TimestampMethod.SwLocal,
        subTlvs: new Uint8Array(0),
      },
      bytes: bytes(
        [0x00, 0x03, 0x00, 0x04], // Flags 0, Type 3, Length 4
        [0x02], // Sync Src In: 2 PTP
        [0x01], // Timestamp In: 1 HW Assist
        [0x01], // Sync Src Out: 1 NTP
        [0x02], // Timestamp Out: 2 SW Local
      ),
    },
    {
      name: 'Timestamp Information (type 3) with optional sub-TLV octets kept raw',
      value: {
        kind: 'timestamp-information', flags: U, syncSourceIn: 0, timestampIn: 0, syncSourceOut: 0, timestampOut: 0,
        subTlvs: Uint8Array.from([0x80, 0xf0, 0x00, 0x00]),
      },
      bytes: bytes(
        [0x80, 0x03, 0x00, 0x08], // Flags U, Type 3, Length 8
        [0, 0, 0, 0], // the four fields, zero in a request
        [0x80, 0xf0, 0x00, 0x00], // optional sub-TLVs (experimental type 240, empty)
      ),
    },
  ],
  'class-of-service': [
    {
      name: 'Class of Service (type 4): DSCP1 EF, DSCP2 AF41, ECN 1, RP 1',
      value: { kind: 'class-of-service', flags: 0, dscp1: 46, dscp2: 34, ecn: 1, rp: 1 },
      bytes: bytes(
        [0x00, 0x04, 0x00, 0x04], // Flags 0, Type 4, Length 4
        // DSCP1 101110 | DSCP2 100010 | ECN 01 | RP 01 = 1011 1010 0010 0101
        [0xba, 0x25],
        [0x00, 0x00], // Reserved
      ),
    },
  ],
  'direct-measurement': [
    {
      name: 'Direct Measurement (type 5)',
      value: { kind: 'direct-measurement', flags: 0, senderTxCount: 1000, reflectorRxCount: 999, reflectorTxCount: 0xffffffff },
      bytes: bytes(
        [0x00, 0x05, 0x00, 0x0c], // Flags 0, Type 5, Length 12
        [0x00, 0x00, 0x03, 0xe8], // Session-Sender Tx counter (S_TxC) 1000
        [0x00, 0x00, 0x03, 0xe7], // Session-Reflector Rx counter (R_RxC) 999
        [0xff, 0xff, 0xff, 0xff], // Session-Reflector Tx counter (R_TxC)
      ),
    },
  ],
  'access-report': [
    {
      name: 'Access Report (type 6): non-3GPP, network available',
      value: { kind: 'access-report', flags: U, accessId: 2, returnCode: 1 },
      bytes: bytes(
        [0x80, 0x06, 0x00, 0x04], // Flags U, Type 6, Length 4
        [0x20], // ID 2 (high 4 bits), Resv 0
        [0x01], // Return Code 1: network available
        [0x00, 0x00], // Reserved
      ),
    },
  ],
  'follow-up-telemetry': [
    {
      name: 'Follow-Up Telemetry (type 7)',
      value: {
        kind: 'follow-up-telemetry', flags: 0, sequence: 41, timestamp: { seconds: 0xe8c1a2b3, fraction: 0x12345678 },
        timestampMethod: TimestampMethod.HwAssist,
      },
      bytes: bytes(
        [0x00, 0x07, 0x00, 0x10], // Flags 0, Type 7, Length 16
        [0x00, 0x00, 0x00, 0x29], // Sequence Number of the previous reflected packet
        [0xe8, 0xc1, 0xa2, 0xb3, 0x12, 0x34, 0x56, 0x78], // Follow-Up Timestamp
        [0x01], // Timestamp M: HW Assist
        [0x00, 0x00, 0x00], // Reserved
      ),
    },
  ],
  'hmac': [
    {
      name: 'HMAC (type 8)',
      value: { kind: 'hmac', flags: U, hmac: Uint8Array.from(ramp(16, 0xa0)) },
      bytes: bytes(
        [0x80, 0x08, 0x00, 0x10], // Flags U, Type 8, Length 16
        ramp(16, 0xa0), // HMAC-SHA-256 truncated to 128 bits
      ),
    },
  ],
  'unknown': [
    {
      name: 'unknown type 250 (experimental) kept raw',
      value: { kind: 'unknown', flags: U, type: 250, value: Uint8Array.from([1, 2]) },
      bytes: bytes(
        [0x80, 0xfa, 0x00, 0x02], // Flags U, Type 250, Length 2
        [1, 2], // Value
      ),
    },
  ],  'destination-node-address': [
    {
      name: 'Destination Node Address (type 9), IPv4',
      value: { kind: 'destination-node-address', flags: U, address: Uint8Array.from([192, 0, 2, 7]) },
      bytes: bytes(
        [0x80, 0x09, 0x00, 0x04], // Flags U, Type 9, Length 4
        [192, 0, 2, 7], // Address: IPv4 192.0.2.7
      ),
    },
    {
      name: 'Destination Node Address (type 9), IPv6',
      value: { kind: 'destination-node-address', flags: U, address: Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...fill(11), 7]) },
      bytes: bytes(
        [0x80, 0x09, 0x00, 0x10], // Flags U, Type 9, Length 16
        [0x20, 0x01, 0x0d, 0xb8], fill(11), [7], // Address: IPv6 2001:db8::7
      ),
    },
  ],
  'return-path': [
    {
      name: 'Return Path (type 10) with a Control Code sub-TLV, kept raw',
      value: { kind: 'return-path', flags: U, subTlvs: Uint8Array.from([0x80, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]) },
      bytes: bytes(
        [0x80, 0x0a, 0x00, 0x08], // Flags U, Type 10, Length 8
        [0x80, 0x01, 0x00, 0x04], // sub-TLV Flags U, Type 1 Return Path Control Code, Length 4
        [0x00, 0x00, 0x00, 0x01], // Control Code Flags: Reply Request
      ),
    },
  ],
  'micro-session-id': [
    {
      name: 'Micro-session ID (type 11)',
      value: { kind: 'micro-session-id', flags: 0, senderMicroSessionId: 0x0102, reflectorMicroSessionId: 0xfffe },
      bytes: bytes(
        [0x00, 0x0b, 0x00, 0x04], // Flags 0, Type 11, Length 4
        [0x01, 0x02], // Sender Micro-session ID
        [0xff, 0xfe], // Reflector Micro-session ID
      ),
    },
  ],
};
