/**
 * The pcap writer itself, checked by tshark: the other suites trust it to produce frames that
 * tshark accepts without complaint, so the cases they do not exercise are covered here: odd
 * payload lengths (the checksum's odd trailing octet), a payload split across several TCP
 * segments, data in both directions, empty UDP payloads, and a clean close.
 */
import { expect, it } from 'vitest';
import type { PcapWriter } from '../support/pcap.js';
import { type Capture, field, fieldsNamed, frameNo, problems, type Section, type WsFrame } from './harness.js';

const CLIENT = { ip: '198.18.3.1', port: 50_100 };
// A port no dissector claims, so tshark shows the TCP layer alone and cannot blame a protocol.
const SERVER = { ip: '198.19.255.254', port: 50_101 };

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 131 + seed) & 0xff);
}

let firstFrame = 0;
let lastFrame = 0;
let clientData: number[] = [];
let serverData: number[] = [];
const udp: number[] = [];

function build(pcap: PcapWriter): void {
  firstFrame = pcap.frameCount + 1;
  const tcp = pcap.tcp(CLIENT, SERVER, { ttl: 255, tos: 0xb8 });
  clientData = tcp.clientSends(bytes(3001, 1)); // 1460 + 1460 + 81
  serverData = tcp.serverSends(bytes(7, 2));
  tcp.close();
  for (const length of [0, 1, 14, 41, 1471]) {
    udp.push(pcap.udp(CLIENT, SERVER, bytes(length, length), { ttl: 1, tos: 0x01 }));
  }
  lastFrame = pcap.frameCount;
}

export const pcapSection: Section = { decodeAs: [], build, tests };

function tests(capture: () => Capture): void {
  /** This section's frames only: the other sections share the capture. */
  const own = (): WsFrame[] => capture().frames.filter((f) => f.number >= firstFrame && f.number <= lastFrame);

  it('its frames are clean: no malformed packets, no warnings, every checksum verified good', () => {
    const frames = own();
    expect(frames).toHaveLength(14 + udp.length);
    expect(problems(frames)).toEqual([]);
    // Validation really ran (status 1 = Good on every IPv4, TCP and UDP header).
    const statuses = frames.flatMap((f) => f.fields.filter((x) => /^(ip|tcp|udp)\.checksum\.status$/.test(x.name)));
    expect(statuses).toHaveLength(frames.length * 2);
  });

  it('TCP: handshake, in-order segments with relative sequence and ACK numbers, FIN exchange', () => {
    const rows = own()
      .filter((f) => f.protocols.includes('tcp'))
      .map((f) => [field(f, 'tcp.flags.str').show.replaceAll('·', ''), field(f, 'tcp.seq').show, field(f, 'tcp.ack').show, field(f, 'tcp.len').show]);
    expect(rows).toEqual([
      ['S', '0', '0', '0'],
      ['AS', '0', '1', '0'],
      ['A', '1', '1', '0'],
      ['AP', '1', '1', '1460'],
      ['A', '1', '1461', '0'],
      ['AP', '1461', '1', '1460'],
      ['A', '1', '2921', '0'],
      ['AP', '2921', '1', '81'],
      ['A', '1', '3002', '0'],
      ['AP', '1', '3002', '7'],
      ['A', '3002', '8', '0'],
      ['AF', '3002', '8', '0'],
      ['AF', '8', '3003', '0'],
      ['A', '3003', '9', '0'],
    ]);
    expect(clientData.map((n) => n - firstFrame + 1)).toEqual([4, 6, 8]);
    expect(serverData.map((n) => n - firstFrame + 1)).toEqual([10]);
  });

  it('IPv4 header: TTL, TOS and addresses as given; UDP lengths and ports', () => {
    const first = frameNo(capture().frames, firstFrame);
    expect(field(first, 'ip.ttl').show).toBe('255');
    expect(field(first, 'ip.dsfield').show).toBe('0xb8');
    expect(field(first, 'ip.src').show).toBe(CLIENT.ip);
    expect(field(first, 'ip.dst').show).toBe(SERVER.ip);
    const lengths = udp.map((n) => {
      const f = frameNo(capture().frames, n);
      expect(field(f, 'ip.ttl').show).toBe('1');
      expect(field(f, 'udp.srcport').show).toBe(String(CLIENT.port));
      return field(f, 'udp.length').show;
    });
    expect(lengths).toEqual(['8', '9', '22', '49', '1479']);
    // The 1471-octet payload is carried whole: nothing truncated by the snap length.
    expect(fieldsNamed(frameNo(capture().frames, udp[4]!), 'frame.cap_len')[0]!.show).toBe(String(14 + 20 + 8 + 1471));
  });
}
