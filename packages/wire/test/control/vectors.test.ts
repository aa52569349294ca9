// Test vectors, one table row per case: `value` is the decoded message, `bytes` the plaintext on
// the wire written out field by field (layouts: RFC 4656 §3.1, RFC 5357 §3, RFC 5938 §3,
// RFC 6038 §4). Every row is checked as decode, encode and round trip.
import { describe, expect, it } from 'vitest';
import { type ControlMessage, encodeControlMessage } from '../../src/control/index.js';
import { DECODERS, fill, hex, norm, seq, writeMessage } from './support.js';

interface Row {
  readonly name: string;
  readonly value: ControlMessage;
  readonly bytes: Buffer;
}

const ZERO16 = fill(0, 16);
/** SIDs as RFC 4656 §3.5 suggests: IPv4 address, timestamp, 4 random octets. */
const SID_A = hex('c0000201', 'e9b0c2d1 00000001', '0a0b0c0d');
const SID_B = hex('c0000201', 'e9b0c2d1 00000002', '1a1b1c1d');
const SID_C = hex('c0000201', 'e9b0c2d1 00000003', '2a2b2c2d');
const START = { seconds: 0xe9b0c2d1, fraction: 0x40000000 };

const serverGreeting: Row[] = [
  {
    name: 'offers every security mode plus RFC 5938 and RFC 6038',
    value: { type: 'server-greeting', modes: 0x3f, challenge: seq(0x00, 16), salt: seq(0x10, 16), count: 2048 },
    bytes: hex(
      '00000000 00000000 00000000', // 0-11   Unused
      '0000003f', //                   12-15  Modes: 1|2|4|8|16|32
      seq(0x00, 16), //                16-31  Challenge
      seq(0x10, 16), //                32-47  Salt
      '00000800', //                   48-51  Count = 2048
      '00000000 00000000 00000000', // 52-63  MBZ
    ),
  },
  {
    name: 'Modes 0: the server will not serve this client',
    value: { type: 'server-greeting', modes: 0, challenge: fill(0xaa, 16), salt: fill(0x55, 16), count: 0x8000 },
    bytes: hex(
      '00000000 00000000 00000000', // 0-11   Unused
      '00000000', //                   12-15  Modes = 0
      fill(0xaa, 16), //               16-31  Challenge
      fill(0x55, 16), //               32-47  Salt
      '00008000', //                   48-51  Count = 32768
      '00000000 00000000 00000000', // 52-63  MBZ
    ),
  },
];

const KEY_ID_ALICE = Buffer.concat([Buffer.from('alice', 'utf8'), fill(0, 75)]);

const setUpResponse: Row[] = [
  {
    name: 'unauthenticated: KeyID, Token and Client-IV all zero',
    value: { type: 'set-up-response', mode: 1, keyId: fill(0, 80), token: fill(0, 64), clientIv: ZERO16 },
    bytes: hex(
      '00000001', //    0-3     Mode = Unauthenticated
      fill(0, 80), //   4-83    KeyID (unused)
      fill(0, 64), //   84-147  Token (unused)
      fill(0, 16), //   148-163 Client-IV (unused)
    ),
  },
  {
    name: 'encrypted with Reflect Octets, KeyID "alice"',
    value: { type: 'set-up-response', mode: 0x24, keyId: KEY_ID_ALICE, token: seq(0xa0, 64), clientIv: seq(0xc0, 16) },
    bytes: hex(
      '00000024', //                  0-3     Mode = Encrypted (4) | Reflect Octets (32)
      '616c696365', fill(0, 75), //   4-83    KeyID "alice", zero-padded to 80
      seq(0xa0, 64), //               84-147  Token
      seq(0xc0, 16), //               148-163 Client-IV
    ),
  },
];

const serverStart: Row[] = [
  {
    name: 'accepted',
    value: { type: 'server-start', accept: 0, serverIv: seq(0x30, 16), startTime: START },
    bytes: hex(
      fill(0, 15), //           0-14   MBZ
      '00', //                  15     Accept = OK
      seq(0x30, 16), //         16-31  Server-IV
      'e9b0c2d1 40000000', //   32-39  Start-Time
      '00000000 00000000', //   40-47  MBZ
    ),
  },
  {
    name: 'refused: Accept 1, Start-Time zero',
    value: { type: 'server-start', accept: 1, serverIv: ZERO16, startTime: { seconds: 0, fraction: 0 } },
    bytes: hex(
      fill(0, 15), //           0-14   MBZ
      '01', //                  15     Accept = Failure
      fill(0, 16), //           16-31  Server-IV
      '00000000 00000000', //   32-39  Start-Time
      '00000000 00000000', //   40-47  MBZ
    ),
  },
  {
    name: 'an Accept value outside 0-6 is kept as received',
    value: { type: 'server-start', accept: 200, serverIv: seq(0x30, 16), startTime: { seconds: 0, fraction: 0 } },
    bytes: hex(fill(0, 15), 'c8', seq(0x30, 16), '00000000 00000000', '00000000 00000000'),
  },
];

const requestTwSession: Row[] = [
  {
    name: 'IPv4, DSCP EF, 27 octets of padding',
    value: {
      type: 'request-tw-session',
      ipvn: 4,
      confSender: 0,
      confReceiver: 0,
      numberOfScheduleSlots: 0,
      numberOfPackets: 0,
      senderPort: 20000,
      receiverPort: 862,
      senderAddress: '192.0.2.1',
      receiverAddress: '198.51.100.2',
      sid: ZERO16,
      paddingLength: 27,
      startTime: { seconds: 0xe9b0c2d1, fraction: 0 },
      timeout: { seconds: 3, fraction: 0 },
      typeP: 0x2e000000,
      octetsToBeReflected: 0,
      lengthOfPaddingToReflect: 0,
      hmac: ZERO16,
    },
    bytes: hex(
      '05', //                         0      Command Number = Request-TW-Session
      '04', //                         1      MBZ nibble | IPVN = 4
      '00', //                         2      Conf-Sender
      '00', //                         3      Conf-Receiver
      '00000000', //                   4-7    Number of Schedule Slots
      '00000000', //                   8-11   Number of Packets
      '4e20', //                       12-13  Sender Port = 20000
      '035e', //                       14-15  Receiver Port = 862
      'c0000201', fill(0, 12), //      16-31  Sender Address 192.0.2.1 + 12 MBZ
      'c6336402', fill(0, 12), //      32-47  Receiver Address 198.51.100.2 + 12 MBZ
      fill(0, 16), //                  48-63  SID (zero in a request)
      '0000001b', //                   64-67  Padding Length = 27
      'e9b0c2d1 00000000', //          68-75  Start Time
      '00000003 00000000', //          76-83  Timeout = 3 s
      '2e000000', //                   84-87  Type-P Descriptor: DSCP 46 << 24
      '0000', //                       88-89  Octets to be reflected (unused)
      '0000', //                       90-91  Length of padding to reflect (unused)
      '00000000', //                   92-95  MBZ
      fill(0, 16), //                  96-111 HMAC
    ),
  },
  {
    name: 'IPv6 with RFC 6038 Reflect Octets and an HMAC',
    value: {
      type: 'request-tw-session',
      ipvn: 6,
      confSender: 0,
      confReceiver: 0,
      numberOfScheduleSlots: 0,
      numberOfPackets: 0,
      senderPort: 50000,
      receiverPort: 49152,
      senderAddress: '2001:db8::1',
      receiverAddress: '2001:db8:0:1::2',
      sid: ZERO16,
      paddingLength: 64,
      startTime: { seconds: 0xe9b0c2d1, fraction: 0x80000000 },
      timeout: { seconds: 0, fraction: 0x80000000 },
      typeP: 0x0a000000,
      octetsToBeReflected: 0xbeef,
      lengthOfPaddingToReflect: 27,
      hmac: seq(0xf0, 16),
    },
    bytes: hex(
      '05', //                                  0      Command Number
      '06', //                                  1      IPVN = 6
      '00', '00', //                            2-3    Conf-Sender, Conf-Receiver
      '00000000', '00000000', //                4-11   Schedule Slots, Packets
      'c350', //                                12-13  Sender Port = 50000
      'c000', //                                14-15  Receiver Port = 49152
      '20010db8 00000000 00000000 00000001', // 16-31  Sender Address 2001:db8::1
      '20010db8 00000001 00000000 00000002', // 32-47  Receiver Address 2001:db8:0:1::2
      fill(0, 16), //                           48-63  SID
      '00000040', //                            64-67  Padding Length = 64
      'e9b0c2d1 80000000', //                   68-75  Start Time
      '00000000 80000000', //                   76-83  Timeout = 0.5 s
      '0a000000', //                            84-87  Type-P: DSCP 10 (AF11) << 24
      'beef', //                                88-89  Octets to be reflected (RFC 6038)
      '001b', //                                90-91  Length of padding to reflect = 27
      '00000000', //                            92-95  MBZ
      seq(0xf0, 16), //                         96-111 HMAC
    ),
  },
  {
    name: 'unspecified addresses and values a server must refuse are kept as received',
    value: {
      type: 'request-tw-session',
      ipvn: 4,
      confSender: 1,
      confReceiver: 2,
      numberOfScheduleSlots: 3,
      numberOfPackets: 100,
      senderPort: 0,
      receiverPort: 0,
      senderAddress: '0.0.0.0',
      receiverAddress: '0.0.0.0',
      sid: SID_A,
      paddingLength: 0xffffffff,
      startTime: { seconds: 0, fraction: 0 },
      timeout: { seconds: 0xffffffff, fraction: 0xffffffff },
      typeP: 0x40000001,
      octetsToBeReflected: 0,
      lengthOfPaddingToReflect: 0,
      hmac: ZERO16,
    },
    bytes: hex(
      '05', '04', //                   0-1    Command, IPVN = 4
      '01', //                         2      Conf-Sender = 1 (server answers Accept 3)
      '02', //                         3      Conf-Receiver = 2
      '00000003', //                   4-7    Number of Schedule Slots = 3
      '00000064', //                   8-11   Number of Packets = 100
      '0000', '0000', //               12-15  Sender Port, Receiver Port
      fill(0, 16), //                  16-31  Sender Address 0.0.0.0: use the control connection's
      fill(0, 16), //                  32-47  Receiver Address 0.0.0.0
      SID_A, //                        48-63  SID (non-zero: the server refuses)
      'ffffffff', //                   64-67  Padding Length
      '00000000 00000000', //          68-75  Start Time
      'ffffffff ffffffff', //          76-83  Timeout
      '40000001', //                   84-87  Type-P: PHB ID form
      '0000', '0000', '00000000', //   88-95  RFC 6038 fields unused, MBZ
      fill(0, 16), //                  96-111 HMAC
    ),
  },
  {
    name: 'an IPVN other than 4 or 6 is kept; its addresses decode as empty',
    value: {
      type: 'request-tw-session',
      ipvn: 5,
      confSender: 0,
      confReceiver: 0,
      numberOfScheduleSlots: 0,
      numberOfPackets: 0,
      senderPort: 862,
      receiverPort: 862,
      senderAddress: '',
      receiverAddress: '',
      sid: ZERO16,
      paddingLength: 0,
      startTime: { seconds: 1, fraction: 2 },
      timeout: { seconds: 3, fraction: 4 },
      typeP: 0,
      octetsToBeReflected: 0,
      lengthOfPaddingToReflect: 0,
      hmac: ZERO16,
    },
    bytes: hex(
      '05', '05', '00', '00', //                 0-3    Command, IPVN = 5, Conf-Sender, Conf-Receiver
      '00000000', '00000000', //                 4-11   Schedule Slots, Packets
      '035e', '035e', //                         12-15  Ports
      fill(0, 16), fill(0, 16), fill(0, 16), //  16-63  Addresses (layout unknown), SID
      '00000000', //                             64-67  Padding Length
      '00000001 00000002', //                    68-75  Start Time
      '00000003 00000004', //                    76-83  Timeout
      '00000000', '0000', '0000', '00000000', // 84-95  Type-P, RFC 6038, MBZ
      fill(0, 16), //                            96-111 HMAC
    ),
  },
];

const acceptSession: Row[] = [
  {
    name: 'accepted on the requested port',
    value: { type: 'accept-session', accept: 0, port: 862, sid: SID_A, reflectedOctets: 0, serverOctets: 0, hmac: ZERO16 },
    bytes: hex(
      '00', //            0      Accept = OK
      '00', //            1      MBZ
      '035e', //          2-3    Port = 862
      SID_A, //           4-19   SID
      '0000', //          20-21  Reflected octets (unused)
      '0000', //          22-23  Server octets (unused)
      fill(0, 8), //      24-31  MBZ
      fill(0, 16), //     32-47  HMAC
    ),
  },
  {
    name: 'RFC 6038 reflected and server octets, another port, an HMAC',
    value: {
      type: 'accept-session',
      accept: 0,
      port: 49153,
      sid: SID_B,
      reflectedOctets: 0xbeef,
      serverOctets: 0x1234,
      hmac: seq(0x80, 16),
    },
    bytes: hex(
      '00', '00', //      0-1    Accept = OK, MBZ
      'c001', //          2-3    Port = 49153 (not the one requested: RFC 8545 §5.1)
      SID_B, //           4-19   SID
      'beef', //          20-21  Reflected octets (copy of the request's 88-89)
      '1234', //          22-23  Server octets
      fill(0, 8), //      24-31  MBZ
      seq(0x80, 16), //   32-47  HMAC
    ),
  },
  {
    name: 'refused with Accept 5: Port 0, no SID',
    value: { type: 'accept-session', accept: 5, port: 0, sid: ZERO16, reflectedOctets: 0, serverOctets: 0, hmac: ZERO16 },
    bytes: hex('05', '00', '0000', fill(0, 16), '0000', '0000', fill(0, 8), fill(0, 16)),
  },
  {
    name: 'an unknown Accept value is kept as received',
    value: { type: 'accept-session', accept: 0xff, port: 0, sid: ZERO16, reflectedOctets: 0, serverOctets: 0, hmac: ZERO16 },
    bytes: hex('ff', '00', '0000', fill(0, 16), '0000', '0000', fill(0, 8), fill(0, 16)),
  },
];

const startSessions: Row[] = [
  {
    name: 'unauthenticated (zero HMAC)',
    value: { type: 'start-sessions', hmac: ZERO16 },
    bytes: hex(
      '02', //          0      Command Number = Start-Sessions
      fill(0, 15), //   1-15   MBZ
      fill(0, 16), //   16-31  HMAC
    ),
  },
  {
    name: 'with an HMAC',
    value: { type: 'start-sessions', hmac: seq(0x40, 16) },
    bytes: hex('02', fill(0, 15), seq(0x40, 16)),
  },
];

const startAck: Row[] = [
  {
    name: 'Accept 0',
    value: { type: 'start-ack', accept: 0, hmac: ZERO16 },
    bytes: hex(
      '00', //          0      Accept = OK
      fill(0, 15), //   1-15   MBZ
      fill(0, 16), //   16-31  HMAC
    ),
  },
  {
    name: 'Accept 2 with an HMAC',
    value: { type: 'start-ack', accept: 2, hmac: seq(0x50, 16) },
    bytes: hex('02', fill(0, 15), seq(0x50, 16)),
  },
];

const stopSessions: Row[] = [
  {
    name: 'normal stop of one session',
    value: { type: 'stop-sessions', accept: 0, numberOfSessions: 1, hmac: ZERO16 },
    bytes: hex(
      '03', //          0      Command Number = Stop-Sessions
      '00', //          1      Accept = normal
      '0000', //        2-3    MBZ
      '00000001', //    4-7    Number of Sessions = 1
      fill(0, 8), //    8-15   MBZ
      fill(0, 16), //   16-31  HMAC
    ),
  },
  {
    name: 'Accept 1 (results invalid), three sessions, an HMAC',
    value: { type: 'stop-sessions', accept: 1, numberOfSessions: 3, hmac: seq(0x60, 16) },
    bytes: hex('03', '01', '0000', '00000003', fill(0, 8), seq(0x60, 16)),
  },
];

const startNSessions: Row[] = [
  {
    name: 'N = 1',
    value: { type: 'start-n-sessions', sids: [SID_A], hmac: ZERO16 },
    bytes: hex(
      '07', //          0      Command Number = Start-N-Sessions
      fill(0, 11), //   1-11   MBZ
      '00000001', //    12-15  Number of Sessions = 1
      SID_A, //         16-31  SID
      fill(0, 16), //   32-47  HMAC
    ),
  },
  {
    name: 'N = 3 with an HMAC',
    value: { type: 'start-n-sessions', sids: [SID_A, SID_B, SID_C], hmac: seq(0x70, 16) },
    bytes: hex(
      '07', fill(0, 11), // 0-11   Command Number, MBZ
      '00000003', //        12-15  Number of Sessions = 3
      SID_A, //             16-31  SID 1
      SID_B, //             32-47  SID 2
      SID_C, //             48-63  SID 3
      seq(0x70, 16), //     64-79  HMAC
    ),
  },
];

const startNAck: Row[] = [
  {
    name: 'N = 1, Accept 0',
    value: { type: 'start-n-ack', accept: 0, sids: [SID_A], hmac: ZERO16 },
    bytes: hex(
      '08', //          0      Command Number = Start-N-Ack
      '00', //          1      Accept = OK
      fill(0, 10), //   2-11   MBZ
      '00000001', //    12-15  Number of Sessions = 1
      SID_A, //         16-31  SID
      fill(0, 16), //   32-47  HMAC
    ),
  },
  {
    name: 'N = 3, Accept 5',
    value: { type: 'start-n-ack', accept: 5, sids: [SID_A, SID_B, SID_C], hmac: seq(0x90, 16) },
    bytes: hex('08', '05', fill(0, 10), '00000003', SID_A, SID_B, SID_C, seq(0x90, 16)),
  },
];

const stopNSessions: Row[] = [
  {
    name: 'N = 1',
    value: { type: 'stop-n-sessions', sids: [SID_C], hmac: ZERO16 },
    bytes: hex(
      '09', //          0      Command Number = Stop-N-Sessions
      fill(0, 11), //   1-11   MBZ (no Accept in command 9)
      '00000001', //    12-15  Number of Sessions = 1
      SID_C, //         16-31  SID
      fill(0, 16), //   32-47  HMAC
    ),
  },
  {
    name: 'N = 3',
    value: { type: 'stop-n-sessions', sids: [SID_A, SID_B, SID_C], hmac: seq(0xa0, 16) },
    bytes: hex('09', fill(0, 11), '00000003', SID_A, SID_B, SID_C, seq(0xa0, 16)),
  },
];

const stopNAck: Row[] = [
  {
    name: 'N = 1, Accept 0',
    value: { type: 'stop-n-ack', accept: 0, sids: [SID_B], hmac: ZERO16 },
    bytes: hex(
      '0a', //          0      Command Number = Stop-N-Ack
      '00', //          1      Accept = OK
      fill(0, 10), //   2-11   MBZ
      '00000001', //    12-15  Number of Sessions = 1
      SID_B, //         16-31  SID
      fill(0, 16), //   32-47  HMAC
    ),
  },
  {
    name: 'N = 3, Accept 3',
    value: { type: 'stop-n-ack', accept: 3, sids: [SID_A, SID_B, SID_C], hmac: seq(0xb0, 16) },
    bytes: hex('0a', '03', fill(0, 10), '00000003', SID_A, SID_B, SID_C, seq(0xb0, 16)),
  },
];

const TABLES: Record<string, Row[]> = {
  'Server Greeting': serverGreeting,
  'Set-Up-Response': setUpResponse,
  'Server-Start': serverStart,
  'Request-TW-Session': requestTwSession,
  'Accept-Session': acceptSession,
  'Start-Sessions': startSessions,
  'Start-Ack': startAck,
  'Stop-Sessions': stopSessions,
  'Start-N-Sessions': startNSessions,
  'Start-N-Ack': startNAck,
  'Stop-N-Sessions': stopNSessions,
  'Stop-N-Ack': stopNAck,
};

/** Octet ranges [from, to) that are MBZ in each fixed layout; set to 0xff they must not change the value. */
const MBZ: Record<string, readonly (readonly [number, number])[]> = {
  'server-greeting': [[0, 12], [52, 64]],
  'server-start': [[0, 15], [40, 48]],
  'request-tw-session': [[92, 96]],
  'accept-session': [[1, 2], [24, 32]],
  'start-sessions': [[1, 16]],
  'start-ack': [[1, 16]],
  'stop-sessions': [[2, 4], [8, 16]],
  'start-n-sessions': [[1, 12]],
  'start-n-ack': [[2, 12]],
  'stop-n-sessions': [[1, 12]],
  'stop-n-ack': [[2, 12]],
};

for (const [title, rows] of Object.entries(TABLES)) {
  describe(`${title} vectors`, () => {
    describe.each(rows)('$name', ({ value, bytes }) => {
      const decode = DECODERS[value.type];

      it('decodes', () => {
        expect(norm(decode(bytes))).toEqual(norm(value));
      });

      it('decodes at an offset inside a larger buffer', () => {
        const input = Buffer.concat([fill(0xee, 7), bytes, fill(0xee, 3)]);
        expect(norm(decode(input, 7))).toEqual(norm(value));
      });

      it('encodes', () => {
        expect(encodeControlMessage(value).toString('hex')).toBe(bytes.toString('hex'));
      });

      it('writes at an offset, touching nothing else', () => {
        const target = fill(0xee, bytes.length + 9);
        expect(writeMessage(target, 5, value)).toBe(5 + bytes.length);
        expect(target.subarray(5, 5 + bytes.length).toString('hex')).toBe(bytes.toString('hex'));
        expect(target.subarray(0, 5).toString('hex')).toBe('eeeeeeeeee');
        expect(target.subarray(5 + bytes.length).toString('hex')).toBe('eeeeeeee');
      });

      it('round-trips both ways', () => {
        expect(norm(decode(encodeControlMessage(value)))).toEqual(norm(value));
        expect(encodeControlMessage(decode(bytes)).toString('hex')).toBe(bytes.toString('hex'));
      });

      it('copies byte fields out of the input', () => {
        const input = Buffer.from(bytes);
        const decoded = decode(input);
        input.fill(0x5a);
        expect(norm(decoded)).toEqual(norm(value));
      });

      it('ignores non-zero MBZ octets', () => {
        const input = Buffer.from(bytes);
        for (const [from, to] of MBZ[value.type] ?? []) input.fill(0xff, from, to);
        expect(norm(decode(input))).toEqual(norm(value));
      });
    });
  });
}

describe('MBZ parts of Request-TW-Session outside the MBZ octets', () => {
  const [ipv4] = requestTwSession;
  it('ignores the high nibble of the IPVN octet and the 12 octets after an IPv4 address', () => {
    const input = Buffer.from(ipv4!.bytes);
    input[1] = 0xf4;
    input.fill(0xff, 20, 32);
    input.fill(0xff, 36, 48);
    expect(norm(DECODERS['request-tw-session'](input))).toEqual(norm(ipv4!.value));
  });
});

describe('encoders', () => {
  it('write zeros for omitted optional fields', () => {
    expect(
      encodeControlMessage({ type: 'start-ack', accept: 0 } as ControlMessage).toString('hex'),
    ).toBe(hex('00', fill(0, 31)).toString('hex'));
  });

  it('refuse byte fields of the wrong length (a caller bug)', () => {
    expect(() => encodeControlMessage({ type: 'start-sessions', hmac: fill(0, 15) })).toThrow(RangeError);
    expect(() =>
      encodeControlMessage({ type: 'start-n-sessions', sids: [fill(1, 16), fill(2, 17)], hmac: ZERO16 }),
    ).toThrow(RangeError);
  });

  it('refuse a target too small for the message', () => {
    expect(() => writeMessage(Buffer.alloc(40), 10, startSessions[0]!.value)).toThrow(RangeError);
  });

  it('refuse an address of the wrong family or an address with an unknown IPVN', () => {
    const base = requestTwSession[0]!.value;
    expect(() => encodeControlMessage({ ...base, senderAddress: '2001:db8::1' } as ControlMessage)).toThrow();
    expect(() => encodeControlMessage({ ...base, ipvn: 5 } as ControlMessage)).toThrow(RangeError);
    expect(() => encodeControlMessage({ ...base, ipvn: 16 } as ControlMessage)).toThrow(RangeError);
  });

  it('N = 0 is framed as 32 octets (the owner refuses it: RFC 5938 needs N ≥ 1)', () => {
    const bytes = encodeControlMessage({ type: 'stop-n-sessions', sids: [], hmac: ZERO16 });
    expect(bytes.toString('hex')).toBe(hex('09', fill(0, 11), '00000000', fill(0, 16)).toString('hex'));
    expect(norm(DECODERS['stop-n-sessions'](bytes))).toEqual(norm({ type: 'stop-n-sessions', sids: [], hmac: ZERO16 }));
  });
});
