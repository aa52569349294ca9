// Live capture on the loopback interface with tshark, then a second tshark pass that dissects the
// capture as TWAMP-Control and hands back selected fields per frame. tshark's TWAMP-Control
// dissector is registered on TCP 862 only and infers each message from its place in the exchange,
// so the server under test listens on 127.0.0.x:862 (we run as root in CI and here).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** CI installs tshark and sets this: a missing tshark must then fail, not skip. */
export const REQUIRE_TSHARK = process.env['TWAMP_REQUIRE_TSHARK'] === '1';

function onPath(name: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

export const TSHARK_AVAILABLE = onPath('tshark');
export const RUN_TSHARK = TSHARK_AVAILABLE || REQUIRE_TSHARK;
export const SKIP_REASON = TSHARK_AVAILABLE
  ? ''
  : REQUIRE_TSHARK
    ? ' [failing: TWAMP_REQUIRE_TSHARK=1 but no tshark on PATH]'
    : ' [skipped: no tshark on PATH; apt-get install tshark, or set TWAMP_REQUIRE_TSHARK=1 to make this a failure]';

if (!RUN_TSHARK) console.warn(`control tshark suite${SKIP_REASON}`);

/** A clean environment for tshark: no user profile, UTC, C locale, so output never depends on the machine. */
function tsharkEnv(configDir: string): NodeJS.ProcessEnv {
  return { ...process.env, TZ: 'UTC', LC_ALL: 'C', LANG: 'C', WIRESHARK_CONFIG_DIR: configDir };
}

/** The classic pcap global header (pcap-savefile(5)). */
const PCAP_HEADER = 24;

export interface LiveCapture {
  readonly file: string;
  /** Stops the capture (SIGINT, as a user would) and waits for tshark to flush and exit. */
  stop(): Promise<void>;
  /** Removes the capture directory. */
  dispose(): void;
}

/**
 * Starts `tshark -i lo` with a capture filter for one host and port and resolves once tshark says
 * it is capturing (packets sent before that would be lost).
 */
export async function captureLoopback(host: string, port: number, startMs = 20_000): Promise<LiveCapture> {
  const dir = mkdtempSync(join(tmpdir(), 'twamp-control-tshark-'));
  const file = join(dir, 'control.pcap');
  const child: ChildProcess = spawn('tshark', ['-n', '-i', 'lo', '-f', `host ${host} and tcp port ${port}`, '-F', 'pcap', '-w', file], {
    env: tsharkEnv(dir),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`tshark did not start capturing within ${startMs} ms: ${stderr}`)); }, startMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('Capturing on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tshark exited (${code}) before capturing: ${stderr}`));
    });
  }).then(async () => {
    // "Capturing on" comes from tshark before dumpcap has the interface open; the pcap header in
    // the file is written once it has. Without this wait the first handshake can be missed.
    const by = Date.now() + startMs;
    while (!(existsSync(file) && statSync(file).size >= PCAP_HEADER)) {
      if (Date.now() > by) throw new Error(`tshark wrote no capture header within ${startMs} ms: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    file,
    async stop() {
      // Give the last segments (FIN, ACK) time to reach the capture buffer before stopping.
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
    dispose() {
      if (child.exitCode === null) child.kill('SIGKILL');
      // TWAMP_TSHARK_KEEP=1 keeps the capture for a look in Wireshark when an assertion fails.
      if (process.env['TWAMP_TSHARK_KEEP'] === '1') {
        console.warn(`control tshark capture kept: ${file}`);
        return;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The fields read from each frame (multi-occurrence fields joined by ','). */
export const FIELDS = [
  'frame.number',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.len',
  'tcp.stream',
  'tcp.flags.fin',
  'frame.protocols',
  'twamp.control.modes',
  'twamp.control.mode',
  'twamp.control.accept',
  'twamp.control.command',
  'twamp.control.numsessions',
  'twamp.control.receiver_port',
  'twamp.control.session_id',
  'twamp.control.count',
  '_ws.malformed',
  '_ws.expert.severity',
  '_ws.expert.message',
] as const;

export type FieldName = (typeof FIELDS)[number];
export type Row = Readonly<Record<FieldName, string>>;

/** Dissects a capture, decoding `port` as TWAMP-Control, into one row per frame. */
export async function dissect(file: string, port: number): Promise<Row[]> {
  const configDir = mkdtempSync(join(tmpdir(), 'twamp-control-tshark-profile-'));
  try {
    const args = ['-n', '-r', file, '-d', `tcp.port==${port},twamp.control`, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
    for (const name of FIELDS) args.push('-e', name);
    const { stdout } = await run('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000, env: tsharkEnv(configDir) });
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const values = line.split('\t');
        return Object.fromEntries(FIELDS.map((name, i) => [name, values[i] ?? ''])) as Row;
      });
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** The protocol names tshark knows (`tshark -G protocols`, third column). */
export async function protocolFilterNames(): Promise<string[]> {
  const { stdout } = await run('tshark', ['-G', 'protocols'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return stdout.split('\n').map((line) => line.split('\t')[2] ?? '');
}

/** Expert-info severities as tshark's field output prints them (PI_WARN, PI_ERROR). */
const SEVERE = /^(warning|error|0x00600000|0x00800000|6291456|8388608)$/i;

/** Malformed frames and expert items at Warning or Error, as readable complaints (empty = clean). */
export function problems(rows: readonly Row[], ignore?: RegExp): string[] {
  const found: string[] = [];
  for (const row of rows) {
    if (row['_ws.malformed'] !== '') found.push(`frame ${row['frame.number']}: malformed`);
    const severities = row['_ws.expert.severity'].split(',');
    const messages = row['_ws.expert.message'].split(',');
    severities.forEach((severity, i) => {
      const message = messages[i] ?? '';
      if (SEVERE.test(severity.trim()) && !(ignore?.test(message) ?? false)) {
        found.push(`frame ${row['frame.number']}: expert ${severity}: ${message}`);
      }
    });
  }
  return found;
}
