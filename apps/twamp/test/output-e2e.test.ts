// The sender's and the controller's output end to end: real `twamp responder` / `twamp server`
// processes on loopback, the real `twamp` executable, every output format read as a script would
// read it and the JSON validated against the shipped JSON Schema files.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTwamp, startResponder, startTwamp, type TwampProcess } from './support.js';

type Validate = (value: unknown) => boolean;

interface SchemaHelpers {
  readonly outputValidators: () => { readonly result: Validate; readonly record: Validate };
  readonly schemaErrors: (validate: Validate, value: unknown) => string;
}

// The validator (ajv, @twamp/cli's dev dependency, and the schema files it ships) is @twamp/cli's test
// helper, loaded by its path: the app itself depends on nothing for this check.
const HELPER = join(import.meta.dirname, '..', '..', '..', 'packages', 'cli', 'test', 'output-schema-validator.ts');
const { outputValidators, schemaErrors } = (await import(pathToFileURL(HELPER).href)) as SchemaHelpers;
const { result: resultSchema, record: recordSchema } = outputValidators();

let responder: TwampProcess | undefined;
let stampResponder: TwampProcess | undefined;
let server: TwampProcess | undefined;
let remote = '';
let stampRemote = '';
let controlPort = 0;

beforeAll(async () => {
  // All at once: each process spends most of a second loading.
  const serverProcess = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral']);
  server = serverProcess;
  const [light, stamp, match] = await Promise.all([
    startResponder('127.0.0.1'),
    startResponder('127.0.0.1', ['--stamp']),
    serverProcess.waitFor('stderr', /listening on \S+:(\d+)\/tcp/),
  ]);
  responder = light.responder;
  stampResponder = stamp.responder;
  remote = `127.0.0.1:${light.port}`;
  stampRemote = `127.0.0.1:${stamp.port}`;
  controlPort = Number(match[1]);
}, 60_000);

afterAll(async () => {
  for (const child of [responder, stampResponder, server]) {
    if (child === undefined) continue;
    child.child.kill('SIGKILL');
    await child.exited().catch(() => undefined);
  }
});

interface JsonRecord {
  readonly record: string;
  readonly command?: string;
  readonly packets?: { readonly sent: number; readonly received: number };
}

function jsonLines(stdout: string): JsonRecord[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as JsonRecord);
}

function expectValidRecords(records: readonly JsonRecord[]): void {
  for (const record of records) expect(schemaErrors(recordSchema, record)).toBe('');
  expect(records.at(-1)?.record).toBe('summary');
  expect(records.filter((record) => record.record === 'summary')).toHaveLength(1);
}

// One process at a time: each spends seconds compiling on a loaded 2-core machine.
describe('twamp sender output', () => {
  it('text: the table with percentile columns, the histogram, the qualifying lines', async () => {
    const { code, stdout, stderr } = await runTwamp(['sender', remote, '-c', '5', '-i', '2'], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    expect(stderr).toMatch(/^twamp sender: TWAMP Light from \S+:\d+ to 127\.0\.0\.1:\d+, 5 packets every 2 ms/);
    expect(stdout).toMatch(/^ +min +median +mean +max +stddev +p90 +p99 +jitter +loss$/m);
    expect(stdout).toMatch(/^round trip( +-?\d+\.\d{3}){8} +0\/5 \(0\.00%\)$/m);
    expect(stdout).toMatch(/^round-trip histogram \(5 replies\):\n( {2}.+ ms \|█* *\d+ \(\d+\.\d%\)\n)+/m);
    expect(stdout).toMatch(/^hops: +outbound /m);
    expect(stdout).toMatch(/^clock: +sender /m);
    // Not a terminal: no colour, no progress line.
    expect(stdout + stderr).not.toContain('\u001b[');
    expect(stdout + stderr).not.toContain('\r');
  });

  it('--json: one object that the schema accepts, with the settings asked for', async () => {
    const args = ['-c', '5', '-i', '2', '--json', '--percentiles', '50,99.9', '--ttl', '64', '--dscp', 'af41', '--padding', '100', '--loss-timeout', '500', '-4'];
    const { code, stdout } = await runTwamp(['sender', remote, ...args], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as { packets: { sent: number; received: number }; settings: Record<string, unknown>; delayMs: { roundTrip: { percentiles: Record<string, unknown> } } };
    expect(schemaErrors(resultSchema, json)).toBe('');
    expect(json.packets).toMatchObject({ sent: 5, received: 5 });
    expect(json.settings).toMatchObject({ count: 5, intervalMs: 2, percentiles: [50, 99.9], ttl: 64, tos: 0x88, padding: 100, lossTimeoutMs: 500, schedule: 'periodic' });
    expect(Object.keys(json.delayMs.roundTrip.percentiles)).toEqual(['50', '99.9']);
  });

  it('STAMP with --tlv, a Poisson schedule and --stateless: valid JSON, per-direction loss unknown', async () => {
    const tlvs = ['--tlv', 'class-of-service=ef', '--tlv', 'timestamp-info,location', '--tlv', 'direct-measurement'];
    const { code, stdout, stderr } = await runTwamp(['sender', stampRemote, '--stamp', ...tlvs, '--schedule', 'poisson', '--stateless', '-c', '5', '-i', '5', '--json'], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as { protocol: string; packets: Record<string, unknown>; settings: Record<string, unknown> };
    expect(schemaErrors(resultSchema, json)).toBe('');
    expect(json.protocol).toBe('stamp');
    expect(json.packets).toMatchObject({ sent: 5, received: 5, outboundLost: null, inboundLost: null });
    expect(json.settings).toMatchObject({ schedule: 'poisson', reflectorStateful: false, tlvs: ['class-of-service=46', 'timestamp-info', 'location', 'direct-measurement'] });
    expect(json.settings['scheduleSeed']).toEqual(expect.any(Number));
    expect(stderr).toContain('5 packets on average every 5 ms (Poisson)');
  });

  it('--jsonl: a valid record per reply, then the summary', async () => {
    const { code, stdout } = await runTwamp(['sender', remote, '-c', '5', '-i', '2', '--jsonl'], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    const records = jsonLines(stdout);
    expectValidRecords(records);
    expect(records.filter((record) => record.record === 'packet')).toHaveLength(5);
  });

  it('--csv: the header row and one row per reply', async () => {
    const { code, stdout, stderr } = await runTwamp(['sender', remote, '-c', '5', '-i', '2', '--csv'], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^sequence,reflector_sequence,disposition,t1_unix,rtt_ms,/);
    expect(rows).toHaveLength(6);
    for (const row of rows.slice(1)) expect(row).toMatch(/^\d+,\d+,counted,\d+\.\d{9},\d+\.\d+,/);
    expect(stderr).toContain('round trip');
  });

  it('--interval-report 1 on a 3.5 s run: interval lines, and interval records with --jsonl', async () => {
    // Together: both spend most of their time waiting for the 3.5 s to pass.
    const [text, lines] = await Promise.all([
      runTwamp(['sender', remote, '--duration', '3.5', '-i', '50', '--interval-report', '1'], { timeoutMs: 60_000 }),
      runTwamp(['sender', remote, '--duration', '3.5', '-i', '50', '--interval-report', '1', '--jsonl', '--stateless'], { timeoutMs: 60_000 }),
    ]);
    expect(text.code).toBe(0);
    const intervals = text.stdout.match(/^interval \d+ at \d+\.\d s: \d+ sent, \d+ received, loss \d+\.\d\d% \(outbound \d+, inbound \d+\), rtt /gm) ?? [];
    expect(intervals.length).toBeGreaterThanOrEqual(3);
    expect(intervals.length).toBeLessThanOrEqual(5);
    expect(text.stdout).toMatch(/: \d+ sent, \d+ received in 3\.\d s/);
    expect(lines.code).toBe(0);
    const records = jsonLines(lines.stdout);
    expectValidRecords(records);
    const windows = records.filter((record) => record.record === 'interval');
    expect(windows.length).toBeGreaterThanOrEqual(3);
    // The windows add up to the run.
    const summary = records.at(-1);
    expect(windows.reduce((sum, window) => sum + (window.packets?.received ?? 0), 0)).toBe(summary?.packets?.received);
  }, 90_000);

  it("-v: twampy's line per reply", async () => {
    const { code, stdout } = await runTwamp(['sender', remote, '-c', '3', '-i', '5', '-v'], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    const lines = stdout.match(/^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d,[\d ]{3} INFO {5}Reply from 127\.0\.0\.1 \[rseq=\d+ sseq=\d+ rtt=\d+\.\d\dms outbound=-?\d+\.\d\dms inbound=-?\d+\.\d\dms\]$/gm);
    expect(lines).toHaveLength(3);
  });

  it('-q: the summary table only, nothing on stderr', async () => {
    const { code, stdout, stderr } = await runTwamp(['sender', remote, '-c', '3', '-i', '5', '-q'], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^round trip /m);
    expect(stdout).not.toMatch(/histogram|hops:/);
  });
});

describe('twamp controller output', () => {
  it('--json: the result with `control`, valid', async () => {
    const { code, stdout, stderr } = await runTwamp(['controller', '127.0.0.1', '--control-port', String(controlPort), '-c', '3', '-i', '5', '--json'], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as { command: string };
    expect(schemaErrors(resultSchema, json)).toBe('');
    expect(json.command).toBe('controller');
  });

  it('--jsonl: valid records ending with the summary', async () => {
    const { code, stdout, stderr } = await runTwamp(['controller', '127.0.0.1', '--control-port', String(controlPort), '-c', '3', '-i', '5', '--jsonl'], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(0);
    const records = jsonLines(stdout);
    expectValidRecords(records);
    expect(records.filter((record) => record.record === 'packet')).toHaveLength(3);
    expect(records.at(-1)?.command).toBe('controller');
  });

  it('text: the summary, the histogram and the control facts', async () => {
    const { code, stdout } = await runTwamp(['controller', '127.0.0.1', '--control-port', String(controlPort), '-c', '3', '-i', '5'], { timeoutMs: 60_000 });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^TWAMP 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+: 3 sent, 3 received/m);
    expect(stdout).toContain('round-trip histogram (3 replies):');
    expect(stdout).toMatch(/^control: +server 127\.0\.0\.1:\d+\/tcp/m);
  });
});
