// The JSON Lines sink: every line parses and carries the documented fields (window, failure,
// state, dropped records); reopen() follows logrotate; a full buffer or a failing file drops lines
// and counts them instead of blocking or crashing; '-' writes to stdout.
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionReflector } from '@twamp/test-session';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent, openJsonlSink } from '../src/agent/index.js';
import type { AgentTargetInfo } from '../src/types.js';
import { agentConfig, closedPort, recordingLog, RecordingObserver, target, waitFor } from './agent-support.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twampd-agent-jsonl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}


const INFO: AgentTargetInfo = { name: 'x', protocol: 'stamp', address: '192.0.2.1', port: 862, mode: 'open', dscp: 0, labels: {}, sharedClock: false };

const DISTRIBUTION_KEYS = ['count', 'exact', 'max', 'mean', 'median', 'min', 'percentiles', 'stddev'];

describe('JSON Lines from a running agent', () => {
  it('writes window, state and failure records with every documented field', async () => {
    const reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0 });
    const path = join(dir, 'results.jsonl');
    const sink = openJsonlSink(path);
    const observer = new RecordingObserver();
    const agent = new Agent(
      agentConfig([
        target({ name: 'light', port: reflector.localPort, labels: { site: 'lab', rack: 'r1' }, dscp: 46 }),
        target({ name: 'refused', protocol: 'twamp', port: await closedPort() }),
      ]),
      { log: recordingLog(), keys: undefined, observers: [sink, observer] },
    );
    agent.start();
    await waitFor('two windows and a failure', () => observer.windowsOf('light').length >= 2 && observer.failuresOf('refused').length >= 1);
    await agent.stop(3000);
    await sink.close();
    reflector.close();

    const records = await lines(path);
    for (const record of records) {
      expect(record['schemaVersion']).toBe(1);
      expect(typeof record['time']).toBe('string');
      expect(new Date(record['time'] as string).toISOString()).toBe(record['time']);
    }
    const windowRecords = records.filter((r) => r['record'] === 'window');
    expect(windowRecords.length).toBe(observer.windows.length);
    expect(sink.dropped).toBe(0);
    const window = windowRecords[0] ?? {};
    expect(Object.keys(window).sort()).toEqual(
      ['schemaVersion', 'record', 'time', 'target', 'protocol', 'address', 'port', 'mode', 'dscp', 'labels', 'window', 'packets', 'delayMs', 'jitterMs', 'clock', 'timestamps'].sort(),
    );
    expect(window).toMatchObject({ target: 'light', protocol: 'twamp-light', address: '127.0.0.1', port: reflector.localPort, mode: 'open', dscp: 46, labels: { site: 'lab', rack: 'r1' } });
    expect(Object.keys(window['window'] as object).sort()).toEqual(['durationMs', 'end', 'index', 'start']);
    expect(window['window']).toMatchObject({ index: 0 });
    expect(Object.keys(window['packets'] as object).sort()).toEqual(
      ['sent', 'received', 'lost', 'lossRatio', 'outboundLost', 'inboundLost', 'duplicates', 'late', 'reordered', 'malformedReplies', 'sendErrors'].sort(),
    );
    const delay = window['delayMs'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(delay).sort()).toEqual(['inbound', 'outbound', 'processing', 'roundTrip']);
    expect(Object.keys(delay['roundTrip'] ?? {}).sort()).toEqual(DISTRIBUTION_KEYS);
    expect(Object.keys(delay['outbound'] ?? {}).sort()).toEqual([...DISTRIBUTION_KEYS, 'reliable'].sort());
    expect(typeof delay['roundTrip']?.['min']).toBe('number');
    const jitter = window['jitterMs'] as Record<string, unknown>;
    expect(Object.keys(jitter).sort()).toEqual(['definition', 'inbound', 'outbound', 'roundTrip']);
    expect(Object.keys(window['clock'] as object).sort()).toEqual(
      ['senderSynchronized', 'senderSource', 'bothSynchronized', 'claimedErrorMs', 'claimedErrorUnbounded', 'sharedClock', 'offsetEstimateMs', 'offsetBoundMs', 'oneWayReliable', 'reasons'].sort(),
    );
    // Intermediate windows: the run's totals are not known yet (null); the last window has them.
    expect(window['timestamps']).toBeNull();
    expect((window['packets'] as Record<string, unknown>)['sendErrors']).toBeNull();
    const last = windowRecords.filter((r) => r['target'] === 'light').at(-1) ?? {};
    expect((last['packets'] as Record<string, unknown>)['sendErrors']).toBe(0);
    expect(Object.keys(last['timestamps'] as object).sort()).toEqual(['t1', 't4']);

    const failure = records.find((r) => r['record'] === 'failure') ?? {};
    expect(Object.keys(failure).sort()).toEqual(
      ['schemaVersion', 'record', 'time', 'target', 'protocol', 'address', 'port', 'mode', 'dscp', 'labels', 'message', 'code', 'accept', 'attempt', 'retryInMs'].sort(),
    );
    expect(failure).toMatchObject({ target: 'refused', protocol: 'twamp', code: 'ERR_TWAMP_NETWORK', accept: null, attempt: 1 });
    expect(failure['message']).toMatch(/ECONNREFUSED/);

    const states = records.filter((r) => r['record'] === 'state' && r['target'] === 'light').map((r) => r['state']);
    expect(states).toEqual(['starting', 'running', 'stopped']);
    expect(records.filter((r) => r['record'] === 'state' && r['target'] === 'refused').map((r) => r['state'])).toContain('backoff');
  });
});

describe('JsonlSink', () => {
  it('reopens the file at its path after logrotate moved it', async () => {
    const path = join(dir, 'agent.jsonl');
    const sink = openJsonlSink(path);
    sink.state(INFO, 'starting');
    // The line on disk before logrotate moves the file.
    for (let tries = 0; !(await readFile(path, 'utf8').catch(() => '')).endsWith('\n'); tries++) {
      if (tries > 500) throw new Error('the first line never reached the file');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await rename(path, `${path}.1`);
    sink.reopen();
    sink.state(INFO, 'running');
    await sink.close();
    expect((await lines(`${path}.1`)).map((r) => r['state'])).toEqual(['starting']);
    expect((await lines(path)).map((r) => r['state'])).toEqual(['running']);
  });

  it('drops and counts lines beyond its buffer, then says so in a dropped record', async () => {
    const path = join(dir, 'small.jsonl');
    const sink = openJsonlSink(path, { maxBufferedBytes: 4096 });
    // One synchronous burst: nothing reaches the disk meanwhile, so the buffer fills.
    for (let i = 0; i < 200; i++) sink.state(INFO, 'running');
    expect(sink.dropped).toBeGreaterThan(0);
    const dropped = sink.dropped;
    await sink.close();
    const records = await lines(path);
    const states = records.filter((r) => r['record'] === 'state');
    expect(states.length + dropped).toBe(200);
    const notes = records.filter((r) => r['record'] === 'dropped');
    expect(notes.reduce((sum, r) => sum + (r['lines'] as number), 0)).toBe(dropped);
  });

  it('counts lines as dropped when the file cannot be written, without throwing', async () => {
    const sink = openJsonlSink(join(dir, 'missing-directory', 'out.jsonl'));
    // Accepted while the file was still opening: lost with it, so dropped too.
    sink.state(INFO, 'starting');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sink.dropped).toBe(1);
    sink.state(INFO, 'running');
    sink.failure({ target: INFO, message: 'm', code: undefined, accept: undefined, attempt: 1, retryInMs: 10 });
    expect(sink.dropped).toBe(3);
    await sink.close();
  });

  it("writes to stdout for '-' and leaves stdout open on close", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const sink = openJsonlSink('-');
      sink.state(INFO, 'running');
      await sink.close();
      sink.state(INFO, 'stopped');
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(1);
    expect(JSON.parse(written[0] ?? '')).toMatchObject({ record: 'state', target: 'x', state: 'running' });
    expect(process.stdout.writable).toBe(true);
  });
});
