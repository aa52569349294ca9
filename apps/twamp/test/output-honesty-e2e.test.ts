// What a measurement reports, end to end with the real `twamp` executable: `demo` (one process, one
// clock), `controller` against a `twamp server` on loopback (its test address is local), and a STAMP
// `sender` against a TWAMP Light `responder`. Every JSON value is walked for stand-ins of "unknown".
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTwamp, startResponder, startTwamp, type TwampProcess } from './support.js';

interface SentinelHelpers {
  readonly findJsonSentinels: (json: unknown) => readonly { readonly path: string; readonly why: string }[];
}

// @twamp/metrics' check, loaded by its path: the app depends on @twamp/cli only (as output-e2e loads
// the schema validator).
const HELPER = join(import.meta.dirname, '..', '..', '..', 'packages', 'metrics', 'src', 'json-sentinels.ts');
const { findJsonSentinels } = (await import(pathToFileURL(HELPER).href)) as SentinelHelpers;

let light: TwampProcess | undefined;
let server: TwampProcess | undefined;
let lightRemote = '';
let controlPort = 0;

beforeAll(async () => {
  const serverProcess = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral']);
  server = serverProcess;
  const [responder, match] = await Promise.all([startResponder('127.0.0.1'), serverProcess.waitFor('stderr', /listening on \S+:(\d+)\/tcp/)]);
  light = responder.responder;
  lightRemote = `127.0.0.1:${responder.port}`;
  controlPort = Number(match[1]);
}, 60_000);

afterAll(async () => {
  for (const child of [light, server]) {
    if (child === undefined) continue;
    child.child.kill('SIGKILL');
    await child.exited().catch(() => undefined);
  }
});

type Json = Record<string, unknown>;

function lines(stdout: string): Json[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
}

describe('twamp demo: one process, one clock', () => {
  it('text: the clock line says one-way delays are valid, no warning; --json: sharedClock, nothing leaks', async () => {
    const [text, json] = await Promise.all([
      runTwamp(['demo', '-c', '20', '-i', '2'], { timeoutMs: 60_000 }),
      runTwamp(['demo', '-c', '20', '-i', '2', '--json'], { timeoutMs: 60_000 }),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('same host, same clock: one-way delays are valid');
    expect(text.stdout).not.toContain('warning');
    expect(text.stdout).not.toMatch(/^outbound\*/m);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as Json;
    expect(findJsonSentinels(result)).toEqual([]);
    expect(result['clock']).toMatchObject({ sharedClock: true, oneWayReliable: true, reasons: [] });
  });
});

describe('twamp controller against a local twamp server', () => {
  it('--jsonl: every record free of stand-ins; the server test address is local: one clock', async () => {
    const run = await runTwamp(['controller', '127.0.0.1', '--control-port', String(controlPort), '-c', '4', '-i', '5', '--jsonl'], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const records = lines(run.stdout);
    for (const record of records) expect(findJsonSentinels(record), JSON.stringify(record)).toEqual([]);
    const summary = records.at(-1) ?? {};
    expect(summary['command']).toBe('controller');
    const clock = summary['clock'] as Json;
    expect(clock).toMatchObject({ sharedClock: true, oneWayReliable: true });
    // Null when unbounded (never 1095216660480000), a number only with a stated bound.
    expect(clock['claimedErrorMs'] === null).toBe(clock['claimedErrorUnbounded'] === true);
  });
});

describe('twamp sender --stamp against a TWAMP Light responder', () => {
  it('the text warns that the reflector is not RFC 8972; the JSON states the same counts', async () => {
    const args = ['sender', lightRemote, '--stamp', '--ssid', '99', '--tlv', 'class-of-service=af41', '-c', '3', '-i', '5'];
    const [text, json] = await Promise.all([runTwamp(args, { timeoutMs: 60_000 }), runTwamp([...args, '--json'], { timeoutMs: 60_000 })]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('warning: the reflector is not an RFC 8972 STAMP reflector (SSID 0 on 3 of 3 replies, TLVs not understood on 3 of 3 replies)');
    const result = JSON.parse(json.stdout) as Json;
    expect(result['stampReflector']).toEqual({ ssidEchoed: 0, ssidZero: 3, tlvsUnderstood: 0, tlvsUnrecognized: 3, rfc8972: false });
    expect(findJsonSentinels(result)).toEqual([]);
  });
});

describe('the listeners\' own records: responder and server --jsonl', () => {
  it('every listening, session, interval and stopped record is free of stand-ins', async () => {
    const responder = startTwamp(['responder', '127.0.0.1:0', '--stamp', '--jsonl', '--interval-report', '1']);
    const serverJsonl = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral', '--jsonl']);
    try {
      const [listening, controlListening] = await Promise.all([
        responder.waitFor('stdout', /"type":"listening".*"port":(\d+)/),
        serverJsonl.waitFor('stdout', /"type":"listening".*"port":(\d+)/),
      ]);
      const [stamp, control] = await Promise.all([
        runTwamp(['sender', `127.0.0.1:${listening[1]}`, '--stamp', '-c', '20', '-i', '5'], { timeoutMs: 60_000 }),
        runTwamp(['controller', '127.0.0.1', '--control-port', String(controlListening[1]), '-c', '20', '-i', '5'], { timeoutMs: 60_000 }),
      ]);
      expect(stamp.code, stamp.stderr).toBe(0);
      expect(control.code, control.stderr).toBe(0);
      await responder.waitFor('stdout', /"type":"interval".*"packetsIn":20\b/, 10_000);
    } finally {
      responder.child.kill('SIGTERM');
      serverJsonl.child.kill('SIGTERM');
    }
    expect(await responder.exited()).toBe(0);
    expect(await serverJsonl.exited()).toBe(0);
    for (const [name, output] of [['responder', responder.stdout()], ['server', serverJsonl.stdout()]] as const) {
      const records = lines(output);
      expect(records.map((record) => record['type'])).toContain('stopped');
      for (const record of records) expect(findJsonSentinels(record), `${name}: ${JSON.stringify(record)}`).toEqual([]);
    }
  });
});
