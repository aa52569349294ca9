/**
 * TWAMP-Control messages built by our encoders, dissected by tshark's TWAMP-Control dissector
 * (packet-twamp.c), an implementation written independently of ours.
 *
 * How that dissector works decides how the capture is built (all checked on tshark 4.0.17):
 * - It is registered on TCP 862 only, and it ignores a connection until it has seen a
 *   server-to-client PDU of exactly 64 octets (the Server Greeting).
 * - It never looks at a message to find out what it is: it infers the type from the position in
 *   the exchange (greeting, Set-Up-Response, Server-Start, Request, Accept), and only after an
 *   Accept-Session does it read the command number (2, 3 or 5). After Start-Ack the next PDU is
 *   taken to be Stop-Sessions. So every message goes in its own TCP segment, in protocol order.
 * - It never decrypts, so only the unauthenticated exchange (and the cleartext setup messages of
 *   the other modes) can be checked.
 * - An Accept-Session with Accept = 0 creates a UDP conversation between the request's Sender
 *   Port and the accepted Port, which tshark then decodes as TWAMP-Test without any decode-as.
 *   That lets the capture prove our Port and Sender Port fields are where a third party reads them.
 */
import { expect, it } from 'vitest';
import type { PcapWriter } from '../support/pcap.js';
import { type Capture, colonHex, field, frameNo, layoutOf, type Section, type WsFrame } from './harness.js';
import {
  encodeAcceptSession,
  encodeRequestTwSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeSetUpResponse,
  encodeStartAck,
  encodeStartSessions,
  encodeStopSessions,
  encodeTwampReflector,
  encodeTwampSender,
  Mode,
  Port,
  TestSecurity,
  twampLayout,
  type WireTimestamp,
} from '../../src/index.js';
import { NTP_2024 } from './twamp-test-rows.js';
import { wiresharkNtp, wiresharkTimeout } from './wireshark-time.js';


/** A run of distinct octets, so a field read from the wrong offset cannot pass by accident. */
function pattern(length: number, first: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (first + i) & 0xff);
}

function zeros(length: number): string {
  return colonHex(new Uint8Array(length));
}

const CLIENT = '198.18.0.10';
const SERVER = '198.18.0.20';

// ---- The unauthenticated exchange (connection 1) ----------------------------------------------

const greeting = {
  // Unauthenticated | Authenticated | Encrypted | Mixed | Individual Session Control | PTPv2:
  // everything above bit 2 is there to expose the dissector's "& 7" display mask.
  modes: Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed | Mode.IndividualSessionControl | Mode.PtpTimestamps,
  challenge: pattern(16, 0x10),
  salt: pattern(16, 0x20),
  count: 2048,
};
const serverStart = {
  accept: 0,
  serverIv: pattern(16, 0x30),
  startTime: { seconds: NTP_2024 + 12_345, fraction: 0x8000_0000 } satisfies WireTimestamp,
};
/** Session 1: IPv4, accepted on a different port than requested (RFC 8545 §5.1). */
const request1 = {
  ipvn: 4,
  senderPort: 49_862,
  receiverPort: 49_863,
  senderAddress: CLIENT,
  receiverAddress: SERVER,
  paddingLength: 27,
  startTime: { seconds: NTP_2024 + 60, fraction: 0x4000_0000 } satisfies WireTimestamp,
  timeout: { seconds: 3, fraction: 0x8000_0000 } satisfies WireTimestamp,
  // DSCP EF (46) in the top six bits after the two "00" selector bits: 46 << 24 (RFC 4656 §3.5).
  typeP: 46 << 24,
};
const accept1 = { accept: 0, port: 49_864, sid: Uint8Array.of(198, 18, 0, 20, ...pattern(8, 0xe9), 0xde, 0xad, 0xbe, 0xef) };
/** Session 2: IPv6 addresses inside the message (the TCP connection itself stays IPv4), refused. */
const request2 = {
  ipvn: 6,
  senderPort: 49_870,
  receiverPort: Port.TwampTest,
  senderAddress: '2001:db8::10',
  receiverAddress: '2001:db8::20',
  paddingLength: 0,
  startTime: { seconds: NTP_2024 + 61, fraction: 0x0000_0001 } satisfies WireTimestamp,
  // floor(0.1 s × 2^32): 0.0999999999 s, which tshark shows as 0.000099999 (µs taken for ns, truncated).
  timeout: { seconds: 0, fraction: 429_496_729 } satisfies WireTimestamp,
  typeP: 0,
};
const accept2 = { accept: 3, port: 0 };
const stop = { accept: 0, numberOfSessions: 1 };

// ---- Cleartext setup of an authenticated client that the server refuses (connection 2) --------

const authGreeting = { modes: Mode.Authenticated | Mode.Encrypted, challenge: pattern(16, 0xa0), salt: pattern(16, 0xb0), count: 1024 };
const authSetUp = { mode: Mode.Authenticated, keyId: pattern(80, 0x40), token: pattern(64, 0x90), clientIv: pattern(16, 0xd0) };
const refusal = { accept: 1 };

const open = twampLayout({ security: TestSecurity.Open });

interface Frames {
  greeting: number;
  setUp: number;
  serverStart: number;
  request1: number;
  accept1: number;
  request2: number;
  accept2: number;
  startSessions: number;
  startAck: number;
  testToAcceptedPort: number;
  testReply: number;
  testToRequestedPort: number;
  stop: number;
  authGreeting: number;
  authSetUp: number;
  refusal: number;
}

function first(frames: number[]): number {
  const [number] = frames;
  if (number === undefined) throw new Error('no data segment written');
  return number;
}

function build(pcap: PcapWriter): Frames {
  const tcp = pcap.tcp({ ip: CLIENT, port: 49_200 }, { ip: SERVER, port: Port.TwampControl });
  const f: Partial<Frames> = {};
  f.greeting = first(tcp.serverSends(encodeServerGreeting(greeting)));
  f.setUp = first(tcp.clientSends(encodeSetUpResponse({ mode: Mode.Unauthenticated })));
  f.serverStart = first(tcp.serverSends(encodeServerStart(serverStart)));
  f.request1 = first(tcp.clientSends(encodeRequestTwSession(request1)));
  f.accept1 = first(tcp.serverSends(encodeAcceptSession(accept1)));
  f.request2 = first(tcp.clientSends(encodeRequestTwSession(request2)));
  f.accept2 = first(tcp.serverSends(encodeAcceptSession(accept2)));
  f.startSessions = first(tcp.clientSends(encodeStartSessions()));
  f.startAck = first(tcp.serverSends(encodeStartAck({ accept: 0 })));

  // Test traffic of session 1 while it runs, with no decode-as: only the conversation that the
  // Accept-Session created can make tshark call these TWAMP-Test.
  const sender = { ip: CLIENT, port: request1.senderPort };
  const reflector = { ip: SERVER, port: accept1.port };
  const t1 = { seconds: NTP_2024 + 60, fraction: 0x1000_0000 };
  f.testToAcceptedPort = pcap.udp(
    sender,
    reflector,
    encodeTwampSender({ sequence: 0, timestamp: t1, errorEstimate: 0x8001, padding: new Uint8Array(0) }, open),
    { ttl: 255 },
  );
  f.testReply = pcap.udp(
    reflector,
    sender,
    encodeTwampReflector(
      {
        sequence: 0,
        timestamp: { seconds: NTP_2024 + 60, fraction: 0x3000_0000 },
        errorEstimate: 0x8001,
        receiveTimestamp: { seconds: NTP_2024 + 60, fraction: 0x2000_0000 },
        senderSequence: 0,
        senderTimestamp: t1,
        senderErrorEstimate: 0x8001,
        senderTtl: 255,
        padding: new Uint8Array(0),
      },
      open,
    ),
    { ttl: 255 },
  );
  // The port the client asked for but the server did not grant: no conversation, no TWAMP.
  f.testToRequestedPort = pcap.udp(
    sender,
    { ip: SERVER, port: request1.receiverPort },
    encodeTwampSender({ sequence: 1, timestamp: t1, errorEstimate: 0x8001, padding: new Uint8Array(0) }, open),
    { ttl: 255 },
  );

  f.stop = first(tcp.clientSends(encodeStopSessions(stop)));
  tcp.close();

  const auth = pcap.tcp({ ip: CLIENT, port: 49_201 }, { ip: SERVER, port: Port.TwampControl });
  f.authGreeting = first(auth.serverSends(encodeServerGreeting(authGreeting)));
  f.authSetUp = first(auth.clientSends(encodeSetUpResponse(authSetUp)));
  f.refusal = first(auth.serverSends(encodeServerStart(refusal)));
  auth.close();
  return f as Frames;
}

let at: Frames | undefined;

export const controlSection: Section = {
  // None: the control connection is on TCP 862, and the session's test packets must be found
  // through the conversation tshark builds from Accept-Session, not through a decode-as rule.
  decodeAs: [],
  build(pcap) {
    at = build(pcap);
  },
  tests,
};

function tests(capture: () => Capture): void {
  const frame = (pick: (f: Frames) => number): WsFrame => {
    if (at === undefined) throw new Error('control section not built');
    return frameNo(capture().frames, pick(at));
  };

  it('every message is dissected as TWAMP-Control', () => {
    const all = (Object.keys(at ?? {}) as (keyof Frames)[]).filter((key) => !key.startsWith('test'));
    expect(all).toHaveLength(13);
    for (const key of all) {
      expect(frame((f) => f[key]).protocols.at(-1), key).toBe('twamp.control');
    }
  });

  it('Server Greeting: Modes, Challenge, Salt, Count at their RFC 4656 offsets', () => {
    const g = frame((f) => f.greeting);
    expect(layoutOf(g, 'twamp.control')).toEqual([
      ['twamp.control.unused', 0, 12, zeros(12)],
      ['twamp.control.modes', 12, 4, String(greeting.modes)],
      ['twamp.control.challenge', 16, 16, colonHex(greeting.challenge)],
      ['twamp.control.salt', 32, 16, colonHex(greeting.salt)],
      ['twamp.control.count', 48, 4, '2048'],
      ['twamp.control.mbz1', 52, 12, zeros(12)],
    ]);
    // Quirk: the value is the whole 32-bit field (543), but the label is built from `modes & 7`,
    // so Mixed (8), Individual Session Control (16) and PTPv2 (512) are silently not named.
    expect(field(g, 'twamp.control.modes').showname).toBe('Supported Modes: 543 ( Unauthenticated Authenticated Encrypted )');
  });

  it('Set-Up-Response (unauthenticated): Mode, and the first 40 octets of an all-zero KeyID', () => {
    // Quirk: the dissector shows KeyID as 40 octets (RFC 4656 has 80) and never shows Token or
    // Client-IV, so only Mode and half of KeyID can be cross-checked here.
    expect(layoutOf(frame((f) => f.setUp), 'twamp.control')).toEqual([
      ['twamp.control.mode', 0, 4, '1'],
      ['twamp.control.keyid', 4, 40, zeros(40)],
    ]);
  });

  it('Server-Start: Accept, Server-IV and Start-Time', () => {
    const s = frame((f) => f.serverStart);
    expect(layoutOf(s, 'twamp.control')).toEqual([
      ['twamp.control.mbz1', 0, 15, zeros(15)],
      ['twamp.control.accept', 15, 1, '0'],
      ['twamp.control.iv', 16, 16, colonHex(serverStart.serverIv)],
      // An absolute time: tshark converts the NTP timestamp to a date (here 2024-01-01T03:25:45.5Z).
      ['twamp.control.server_uptime', 32, 8, wiresharkNtp(serverStart.startTime.seconds, serverStart.startTime.fraction)],
      ['twamp.control.mbz2', 40, 8, zeros(8)],
    ]);
    expect(field(s, 'twamp.control.server_uptime').show).toBe('Jan  1, 2024 03:25:45.500000000 UTC');
  });

  it('Request-TW-Session (IPv4): IPVN, ports, addresses, SID, Padding Length, Start Time, Timeout, Type-P', () => {
    const r = frame((f) => f.request1);
    // tshark stops after Type-P: octets 88-111 (MBZ / RFC 6038 fields, HMAC) are not shown.
    expect(layoutOf(r, 'twamp.control')).toEqual([
      ['twamp.control.command', 0, 1, '5'],
      ['twamp.control.ipvn', 1, 1, '4'],
      ['twamp.control.conf_sender', 2, 1, '0'],
      ['twamp.control.conf_receiver', 3, 1, '0'],
      ['twamp.control.number_of_schedule_slots', 4, 4, '0'],
      ['twamp.control.number_of_packets', 8, 4, '0'],
      ['twamp.control.sender_port', 12, 2, '49862'],
      ['twamp.control.receiver_port', 14, 2, '49863'],
      // For IPv4 tshark reads only the first 4 of the 16 address octets.
      ['twamp.control.sender_ipv4', 16, 4, CLIENT],
      ['twamp.control.receiver_ipv4', 32, 4, SERVER],
      ['twamp.control.session_id', 48, 16, zeros(16)],
      ['twamp.control.padding_length', 64, 4, '27'],
      ['twamp.control.start_time', 68, 8, wiresharkNtp(request1.startTime.seconds, request1.startTime.fraction)],
      ['twamp.control.timeout', 76, 8, wiresharkTimeout(request1.timeout.seconds, request1.timeout.fraction)],
      ['twamp.control.type-p', 84, 4, '0x2e000000'],
    ]);
    expect(field(r, 'twamp.control.start_time').show).toBe('Jan  1, 2024 00:01:00.250000000 UTC');
    // Quirk: Timeout is shown as a relative time, but its fraction is divided by 2^32 / 10^6
    // (TWAMP_FLOAT_DENOM = 4294.967296), which yields microseconds, and the result is stored as
    // nanoseconds. So the 3.5 s we encoded (fraction 0x80000000) is shown as 3.0005 s: every
    // sub-second part of a Timeout reads 1000 times too small.
    expect(field(r, 'twamp.control.timeout').showname).toBe('Timeout: 3.000500000 seconds');
    // Quirk: tshark prints the whole 32-bit Type-P as "DSCP: n". The correct encoding of EF,
    // 46 << 24 = 0x2E000000, therefore reads "DSCP: 771751936"; the raw value is what matters.
    expect(field(r, 'twamp.control.type-p').showname).toBe('Type-P Descriptor: 0x2e000000 (DSCP: 771751936)');
  });

  it('Accept-Session (accepted): Accept, Port, SID', () => {
    // Quirk: the Port field is shown as "Receiver Port" (the request's filter name is reused).
    expect(layoutOf(frame((f) => f.accept1), 'twamp.control')).toEqual([
      ['twamp.control.accept', 0, 1, '0'],
      ['twamp.control.receiver_port', 2, 2, '49864'],
      ['twamp.control.session_id', 4, 16, colonHex(accept1.sid)],
      ['twamp.control.mbz1', 20, 12, zeros(12)],
      ['twamp.control.hmac', 32, 16, zeros(16)],
    ]);
  });

  it('Request-TW-Session (IPv6) and a refusing Accept-Session (Accept 3, Port 0, no SID)', () => {
    const r = frame((f) => f.request2);
    expect(layoutOf(r, 'twamp.control')).toEqual([
      ['twamp.control.command', 0, 1, '5'],
      ['twamp.control.ipvn', 1, 1, '6'],
      ['twamp.control.conf_sender', 2, 1, '0'],
      ['twamp.control.conf_receiver', 3, 1, '0'],
      ['twamp.control.number_of_schedule_slots', 4, 4, '0'],
      ['twamp.control.number_of_packets', 8, 4, '0'],
      ['twamp.control.sender_port', 12, 2, '49870'],
      ['twamp.control.receiver_port', 14, 2, '862'],
      ['twamp.control.sender_ipv6', 16, 16, '2001:db8::10'],
      ['twamp.control.receiver_ipv6', 32, 16, '2001:db8::20'],
      ['twamp.control.session_id', 48, 16, zeros(16)],
      ['twamp.control.padding_length', 64, 4, '0'],
      ['twamp.control.start_time', 68, 8, wiresharkNtp(request2.startTime.seconds, request2.startTime.fraction)],
      ['twamp.control.timeout', 76, 8, wiresharkTimeout(request2.timeout.seconds, request2.timeout.fraction)],
      ['twamp.control.type-p', 84, 4, '0x00000000'],
    ]);
    // Both conversions truncate: a Start Time fraction of 1/2^32 s shows as .000000000; the 0.1 s
    // Timeout shows as 0.000099999 (the microseconds-as-nanoseconds quirk above, then truncation).
    expect(field(r, 'twamp.control.start_time').show).toBe('Jan  1, 2024 00:01:01.000000000 UTC');
    expect(field(r, 'twamp.control.timeout').show).toBe('0.000099999');

    const a = frame((f) => f.accept2);
    expect(layoutOf(a, 'twamp.control')).toEqual([
      ['twamp.control.accept', 0, 1, '3'],
      ['twamp.control.receiver_port', 2, 2, '0'],
      ['twamp.control.session_id', 4, 16, zeros(16)],
      ['twamp.control.mbz1', 20, 12, zeros(12)],
      ['twamp.control.hmac', 32, 16, zeros(16)],
    ]);
    expect(field(a, 'twamp.control.accept').showname).toBe('Accept: Some aspect of request is not supported (3)');
  });

  it('Start-Sessions and Start-Ack', () => {
    expect(layoutOf(frame((f) => f.startSessions), 'twamp.control')).toEqual([
      ['twamp.control.command', 0, 1, '2'],
      ['twamp.control.mbz1', 1, 15, zeros(15)],
      ['twamp.control.hmac', 16, 16, zeros(16)],
    ]);
    expect(layoutOf(frame((f) => f.startAck), 'twamp.control')).toEqual([
      ['twamp.control.accept', 0, 1, '0'],
      ['twamp.control.mbz1', 1, 15, zeros(15)],
      ['twamp.control.hmac', 16, 16, zeros(16)],
    ]);
  });

  it('Stop-Sessions: Accept and Number of Sessions (32-octet TWAMP form)', () => {
    expect(layoutOf(frame((f) => f.stop), 'twamp.control')).toEqual([
      ['twamp.control.command', 0, 1, '3'],
      ['twamp.control.accept', 1, 1, '0'],
      ['twamp.control.mbz1', 2, 2, zeros(2)],
      ['twamp.control.numsessions', 4, 4, '1'],
      ['twamp.control.mbz2', 8, 8, zeros(8)],
      ['twamp.control.hmac', 16, 16, zeros(16)],
    ]);
  });

  it('the accepted session: tshark follows Sender Port and the accepted Port to the test packets', () => {
    const out = frame((f) => f.testToAcceptedPort);
    expect(out.protocols.at(-1)).toBe('twamp.test');
    expect(field(out, 'twamp.test.seq_number').show).toBe('0');
    const back = frame((f) => f.testReply);
    expect(back.protocols.at(-1)).toBe('twamp.test');
    expect(field(back, 'twamp.test.sender_ttl').show).toBe('255');
    // The requested-but-not-granted port has no conversation, so tshark leaves it as plain data.
    expect(frame((f) => f.testToRequestedPort).protocols.at(-1)).toBe('data');
  });

  it('authenticated setup in clear: KeyID cut to 40 octets, Token and Client-IV not shown, refusal', () => {
    expect(field(frame((f) => f.authGreeting), 'twamp.control.modes').showname).toBe('Supported Modes: 6 (Authenticated Encrypted )');
    // Quirk: KeyID is 80 octets on the wire (RFC 4656 §3.1), tshark shows the first 40 (0x40-0x67),
    // and has no field at all for Token (octets 84-147) or Client-IV (148-163).
    expect(layoutOf(frame((f) => f.authSetUp), 'twamp.control')).toEqual([
      ['twamp.control.mode', 0, 4, '2'],
      ['twamp.control.keyid', 4, 40, colonHex(authSetUp.keyId.subarray(0, 40))],
    ]);
    // A refusal carries a zero Start-Time; tshark treats an all-zero NTP timestamp as "no time" and
    // shows the Unix epoch, not 1900-01-01.
    expect(layoutOf(frame((f) => f.refusal), 'twamp.control')).toEqual([
      ['twamp.control.mbz1', 0, 15, zeros(15)],
      ['twamp.control.accept', 15, 1, '1'],
      ['twamp.control.iv', 16, 16, zeros(16)],
      ['twamp.control.server_uptime', 32, 8, 'Jan  1, 1970 00:00:00.000000000 UTC'],
      ['twamp.control.mbz2', 40, 8, zeros(8)],
    ]);
  });
}
