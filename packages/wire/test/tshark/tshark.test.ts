/**
 * @twamp/wire's encoders checked by an independent decoder: tshark's TWAMP dissectors.
 *
 * Every section writes its frames into one pcap, and tshark runs once over it (plus one
 * `-G protocols` query in parallel): tshark's start-up dominates the cost, and this keeps the
 * whole suite to a couple of seconds. The sections:
 * - control.ts: the unauthenticated TWAMP-Control exchange on TCP 862 (dissector `twamp.control`);
 * - test-packets.ts: unauthenticated TWAMP-Test sender and reflector packets (`twamp.test`,
 *   reached with decode-as on a non-standard port);
 * - stamp.ts: STAMP, which this tshark has no dissector for, checked through `twamp.test`;
 * - pcap-check.ts: the pcap writer the others rely on.
 *
 * Assertions state exactly what tshark shows, dissector quirks included; each quirk is explained
 * where it is asserted. They were established with tshark 4.0.17 (Debian 12); another Wireshark
 * release may fix or change a quirk, and the failing assertion then says which.
 *
 * Without tshark on PATH the suite is skipped, unless TWAMP_REQUIRE_TSHARK=1 (set in CI), in which
 * case it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../support/pcap.js';
import { controlSection } from './control.js';
import { assertTsharkAvailable, type Capture, dissect, problems, protocolTable, RUN_TSHARK_SUITES, SKIP_NOTE } from './harness.js';
import { pcapSection } from './pcap-check.js';
import { stampSection } from './stamp.js';
import { testPacketSection } from './test-packets.js';

const sections = { control: controlSection, test: testPacketSection, stamp: stampSection, pcap: pcapSection };

describe.runIf(RUN_TSHARK_SUITES)(`@twamp/wire encoders, decoded by tshark${SKIP_NOTE}`, () => {
  let dir = '';
  let captured: Capture | undefined;

  beforeAll(async () => {
    assertTsharkAvailable();
    dir = mkdtempSync(join(tmpdir(), 'twamp-tshark-'));
    const path = join(dir, 'wire.pcap');
    const pcap = new PcapWriter();
    for (const section of Object.values(sections)) section.build(pcap);
    pcap.writeFile(path);
    const decodeAs = Object.values(sections).flatMap((section) => section.decodeAs);
    const [dissection, protocols] = await Promise.all([dissect(path, { decodeAs }), protocolTable()]);
    captured = { ...dissection, protocols };
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  function capture(): Capture {
    if (captured === undefined) throw new Error('the capture was not dissected (see the beforeAll error)');
    return captured;
  }

  it('dissects the whole capture cleanly: no malformed packets, no warnings, every checksum good', () => {
    const { creator, frames } = capture();
    // Which tshark produced what the assertions below compare against (e.g. "wireshark/4.0.17").
    expect(creator).toMatch(/^wireshark\/\d+\.\d+\.\d+/);
    expect(frames.length).toBeGreaterThan(50);
    expect(frames.map((f) => f.number)).toEqual(frames.map((_, i) => i + 1));
    expect(problems(frames)).toEqual([]);
  });

  describe('TWAMP-Control on TCP 862 (twamp.control)', () => {
    sections.control.tests(capture);
  });
  describe('TWAMP-Test, unauthenticated, via decode-as (twamp.test)', () => {
    sections.test.tests(capture);
  });
  describe('STAMP (no STAMP dissector: checked as twamp.test)', () => {
    sections.stamp.tests(capture);
  });
  describe('the pcap writer', () => {
    sections.pcap.tests(capture);
  });
});
