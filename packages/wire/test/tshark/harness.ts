/**
 * Runs tshark over a capture and hands back its dissection as plain data, so tests can compare an
 * independent decoder's reading of our bytes with the values we encoded.
 *
 * PDML is used rather than `-T json` or `-T fields` because it carries, for every field, the decoded
 * value (`show`), the raw octets (`value`), the position and size in the frame, and the display
 * line (`showname`). The display line is where several dissector quirks live (Modes masked with & 7,
 * Type-P printed as a "DSCP"), so asserting on it is the only way to pin them down exactly.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { PcapWriter } from '../support/pcap.js';

const run = promisify(execFile);

/** Set by CI, which installs tshark: a missing tshark must then fail the suite instead of skipping it. */
export const REQUIRE_TSHARK = process.env['TWAMP_REQUIRE_TSHARK'] === '1';

export interface TsharkProbe {
  readonly available: boolean;
  /** Why tshark cannot be used, when it cannot. */
  readonly reason: string;
}

/**
 * Looks for a tshark executable on PATH without running it: starting tshark costs about half a
 * second of dissector registration, which the suite pays once, for the real run.
 */
function probe(): TsharkProbe {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const dir of dirs) {
    for (const name of ['tshark', 'tshark.exe']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return { available: true, reason: '' };
      } catch {
        // not in this directory
      }
    }
  }
  return { available: false, reason: 'no tshark executable on PATH' };
}

/** Probed once, at import: every describe/it condition reads this one result. */
export const TSHARK: TsharkProbe = probe();

/** Whether the tshark suites run: always when tshark exists, and also when CI demands it (so they fail). */
export const RUN_TSHARK_SUITES = TSHARK.available || REQUIRE_TSHARK;

function skipNote(): string {
  if (TSHARK.available) return '';
  if (REQUIRE_TSHARK) return ` [failing: TWAMP_REQUIRE_TSHARK=1 but ${TSHARK.reason}]`;
  return ` [skipped: ${TSHARK.reason}; install tshark (Debian/Ubuntu: apt-get install tshark), or set TWAMP_REQUIRE_TSHARK=1 to make this a failure]`;
}

/** Appended to suite names so a skipped (or deliberately failing) run says why in the reporter output. */
export const SKIP_NOTE = skipNote();

if (!RUN_TSHARK_SUITES) {
  // Suite names only show in verbose reporters; a skip must not go unnoticed in the default one.
  console.warn(`tshark suites${SKIP_NOTE}`);
}

/** Throws the reason tshark is unusable; called first in the suite's setup, which only runs without tshark when CI requires it. */
export function assertTsharkAvailable(): void {
  if (!TSHARK.available) {
    throw new Error(`TWAMP_REQUIRE_TSHARK=1 but ${TSHARK.reason}`);
  }
}

/** One PDML `<field>`, flattened out of the tree in document order. */
export interface WsField {
  readonly name: string;
  /** The protocol (PDML `<proto>`) this field sits in. */
  readonly proto: string;
  /** Where that protocol starts in the frame, so `pos - protoPos` is the offset inside the message. */
  readonly protoPos: number;
  /** The display line, e.g. "Supported Modes: 31 ( Unauthenticated Authenticated Encrypted )". */
  readonly showname: string;
  /** The decoded value as tshark prints it in filters and field output. */
  readonly show: string;
  /** The raw octets as lowercase hex (absent on generated fields). */
  readonly value: string | undefined;
  /** Offset in the frame (or in the reassembled PDU's data source) and length in octets. */
  readonly pos: number;
  readonly size: number;
}

export interface WsFrame {
  readonly number: number;
  /** `frame.protocols`, split: e.g. ["eth", "ethertype", "ip", "udp", "twamp.test"]. */
  readonly protocols: readonly string[];
  /** Every `<proto name>` of the frame, including pseudo-protocols such as `_ws.malformed`. */
  readonly protos: readonly string[];
  readonly fields: readonly WsField[];
}

/** Everything needed to dissect one capture. */
export interface DissectOptions {
  /** `-d` decode-as rules, e.g. "udp.port==16001,twamp.test". */
  readonly decodeAs?: readonly string[];
}

export interface Dissection {
  /** PDML's creator, e.g. "wireshark/4.0.17": the version whose quirks the assertions describe. */
  readonly creator: string;
  readonly frames: readonly WsFrame[];
}

const XML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return XML_ENTITIES[entity] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of tag.matchAll(/([\w:.-]+)="([^"]*)"/g)) {
    const [, key, raw] = match;
    if (key !== undefined && raw !== undefined) map.set(key, unescapeXml(raw));
  }
  return map;
}

/**
 * PDML is regular enough (tshark writes one element per line, attributes always double-quoted,
 * `<proto>` elements never nested) that a tag scanner is a faithful parser for it, and it keeps
 * the tests free of an XML dependency.
 */
export function parsePdml(pdml: string): Dissection {
  const creator = /<pdml\b[^>]*\bcreator="([^"]*)"/.exec(pdml)?.[1] ?? '';
  const frames: WsFrame[] = [];
  for (const packet of pdml.split('<packet>').slice(1)) {
    const fields: WsField[] = [];
    const protos: string[] = [];
    let proto = '';
    let protoPos = 0;
    for (const match of packet.matchAll(/<(proto|field)\s([^>]*?)\/?>/g)) {
      const [, kind, body] = match;
      const attrs = attributes(body ?? '');
      const name = attrs.get('name') ?? '';
      if (kind === 'proto') {
        proto = name;
        protoPos = Number(attrs.get('pos') ?? Number.NaN);
        protos.push(name);
        continue;
      }
      fields.push({
        name,
        proto,
        protoPos,
        showname: attrs.get('showname') ?? '',
        show: attrs.get('show') ?? '',
        value: attrs.get('value'),
        pos: Number(attrs.get('pos') ?? Number.NaN),
        size: Number(attrs.get('size') ?? Number.NaN),
      });
    }
    const number = Number(fields.find((f) => f.name === 'frame.number')?.show);
    const protocols = (fields.find((f) => f.name === 'frame.protocols')?.show ?? '').split(':');
    frames.push({ number, protocols, protos, fields });
  }
  return { creator, frames };
}

/**
 * Dissect `pcapPath` with tshark.
 *
 * The environment pins everything that changes tshark's output: TZ=UTC (absolute times are printed
 * in local time), the C locale, and an empty configuration directory so a developer's own
 * Wireshark preferences (say, a decode-as or a disabled protocol) cannot leak into the result.
 * Checksum validation is switched on for IPv4, TCP and UDP (it is off by default) so the pcap writer
 * is checked as well.
 */
export async function dissect(pcapPath: string, options: DissectOptions = {}): Promise<Dissection> {
  const configDir = mkdtempSync(join(tmpdir(), 'twamp-tshark-profile-'));
  try {
    const args = ['-n', '-r', pcapPath, '-T', 'pdml'];
    for (const proto of ['ip', 'tcp', 'udp']) {
      args.push('-o', `${proto}.check_checksum:TRUE`);
    }
    for (const rule of options.decodeAs ?? []) {
      args.push('-d', rule);
    }
    const { stdout } = await run('tshark', args, {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 60_000,
      env: { ...process.env, TZ: 'UTC', LC_ALL: 'C', LANG: 'C', WIRESHARK_CONFIG_DIR: configDir },
    });
    return parsePdml(stdout);
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** The `-G protocols` table: [long name, short name, filter name] per dissector. */
export async function protocolTable(): Promise<string[][]> {
  const { stdout } = await run('tshark', ['-G', 'protocols'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

/** Frame `number` (1-based, as tshark numbers them). */
export function frameNo(frames: readonly WsFrame[], number: number): WsFrame {
  const frame = frames[number - 1];
  if (frame?.number !== number) throw new Error(`frame ${number} not found in the dissection`);
  return frame;
}

/** Every occurrence of `name` in the frame. */
export function fieldsNamed(frame: WsFrame, name: string): WsField[] {
  return frame.fields.filter((f) => f.name === name);
}

/**
 * The one occurrence of `name` in the frame. More than one is an error too: a field that appears
 * twice means the dissector read the message differently from what the test assumes.
 */
export function field(frame: WsFrame, name: string): WsField {
  const found = fieldsNamed(frame, name);
  if (found.length !== 1) {
    throw new Error(`frame ${frame.number}: expected exactly one ${name}, found ${found.length}`);
  }
  return found[0]!;
}

/** One row of a decoded layout: field name, offset inside the message, size, and tshark's value. */
export type LayoutRow = readonly [name: string, offset: number, size: number, show: string];

/**
 * Every field tshark decoded for protocol `proto` in the frame, in order (subtree fields such as
 * the Error Estimate's S/Z/Scale/Multiplier included), as rows. Comparing the whole list, not a
 * few picked fields, also proves tshark chose the layout (sender or reflector, message type) the
 * test expects, and that no field was added or left out.
 */
export function layoutOf(frame: WsFrame, proto: string): LayoutRow[] {
  return frame.fields.filter((f) => f.proto === proto).map((f) => [f.name, f.pos - f.protoPos, f.size, f.show] as const);
}

/**
 * The rows tshark adds for a TWAMP-Test Error Estimate (RFC 4656 §4.1.2): the 16-bit value, then
 * its S, Z, Scale and Multiplier sub-fields, which keep the `twamp.test.error_estimate.*` names
 * under the Sender Error Estimate too.
 */
export function errorEstimateRows(name: string, offset: number, value: number): LayoutRow[] {
  return [
    [name, offset, 2, String(value)],
    ['twamp.test.error_estimate.s', offset, 2, String(value >>> 15)],
    ['twamp.test.error_estimate.z', offset, 2, String((value >>> 14) & 1)],
    ['twamp.test.error_estimate.scale', offset, 2, String((value >>> 8) & 0x3f)],
    ['twamp.test.error_estimate.multiplier', offset, 2, String(value & 0xff)],
  ];
}

/** Octets as tshark shows an FT_BYTES field: lowercase hex pairs joined by colons. */
export function colonHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').replace(/(..)(?=.)/g, '$1:');
}

/** Expert-info severities (epan/proto.h PI_* values) as PDML prints them in `_ws.expert.severity`. */
export const Severity = {
  Chat: 0x0020_0000,
  Note: 0x0040_0000,
  Warn: 0x0060_0000,
  Error: 0x0080_0000,
} as const;

/**
 * What a clean capture must not contain, frame by frame, as human-readable complaints (an empty
 * list is a pass): malformed-packet markers, expert items at Warn or Error (TCP "Chat"/"Note" items
 * such as "Connection establish request (SYN)" are normal), and any checksum that is not "Good".
 */
export function problems(frames: readonly WsFrame[]): string[] {
  const found: string[] = [];
  for (const frame of frames) {
    if (frame.protos.includes('_ws.malformed') || frame.fields.some((f) => f.name.startsWith('_ws.malformed'))) {
      found.push(`frame ${frame.number}: malformed`);
    }
    frame.fields.forEach((f, index) => {
      if (f.name === '_ws.expert.severity' && Number(f.show) >= Severity.Warn) {
        const message = frame.fields.slice(0, index).reverse().find((m) => m.name === '_ws.expert.message');
        found.push(`frame ${frame.number}: expert ${f.showname}: ${message?.show ?? '?'}`);
      }
      // status 1 = Good; 0 = Bad, 2 = Unverified (validation off, or no checksum present).
      if (/^(ip|tcp|udp)\.checksum\.status$/.test(f.name) && f.show !== '1') {
        found.push(`frame ${frame.number}: ${f.showname}`);
      }
    });
  }
  return found;
}

/** The one dissection every section's tests read (one pcap, one tshark run for the whole suite). */
export interface Capture extends Dissection {
  /** `tshark -G protocols`, fetched alongside the dissection. */
  readonly protocols: readonly string[][];
}

/**
 * One topic of the suite (control messages, test packets, ...). All sections write into the same
 * capture so tshark starts once: its start-up (registering every dissector) costs far more than
 * dissecting a few dozen frames.
 */
export interface Section {
  /** Decode-as rules the section's frames need; they must not claim another section's ports. */
  readonly decodeAs: readonly string[];
  /** Appends the section's frames to the shared capture, remembering their frame numbers. */
  build(pcap: PcapWriter): void;
  /** Registers the section's tests; `capture()` is valid once the suite's beforeAll has run. */
  tests(capture: () => Capture): void;
}
