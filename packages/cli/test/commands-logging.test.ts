// The logging and record options of responder, server and controlclient in-process: -v (session
// events, rate lines), -q, -d, -l/--logfile, --json, --jsonl, --interval-report, --no-color / NO_COLOR.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLoggingOptions, parseRecordFormat } from '../src/options/logging.js';
import { main } from '../src/main.js';
import { emptyStats, scriptedControl, scriptedEngine, settle, testIo } from './commands-support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-cli-commands-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('parseLoggingOptions / parseRecordFormat', () => {
  it('reads -v, -q, -d, --logfile and colour (off with --no-color or NO_COLOR)', () => {
    expect(parseLoggingOptions({}, false, {})).toEqual({ verbosity: 'normal', debug: false, logFile: undefined, color: true });
    expect(parseLoggingOptions({ verbose: true, logfile: ' a.log ' }, true, {})).toEqual({ verbosity: 'verbose', debug: true, logFile: 'a.log', color: true });
    expect(parseLoggingOptions({ quiet: true, color: false }, false, {}).color).toBe(false);
    expect(parseLoggingOptions({}, false, { NO_COLOR: '1' }).color).toBe(false);
    expect(parseLoggingOptions({}, false, { NO_COLOR: '' }).color).toBe(true);
    expect(() => parseLoggingOptions({ verbose: true, quiet: true }, false, {})).toThrow('-q: expected either -v (more lines) or -q (fewer lines), not both');
  });

  it('takes --json or --jsonl, not both', () => {
    expect(parseRecordFormat({})).toBe('text');
    expect(parseRecordFormat({ json: true })).toBe('json');
    expect(parseRecordFormat({ jsonl: true })).toBe('jsonl');
    expect(() => parseRecordFormat({ json: true, jsonl: true })).toThrow('--jsonl');
  });
});

describe('twamp responder: -v, -q, -l, --json, --jsonl, --interval-report', () => {
  it('-v prints a line per session event and a packet-rate line', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    const run = main(['responder', ':0', '-v', '--interval-report', '0.1'], io, { engine });
    await settle();
    const reflector = engine.reflectors[0];
    expect(reflector?.options.onSessionEvent).toBeTypeOf('function');
    reflector?.options.onSessionEvent?.({ type: 'created', key: 'k', peer: { address: '192.0.2.7', port: 20000 }, protocol: 'twamp-light', packets: 0 });
    reflector?.options.onSessionEvent?.({ type: 'expired', key: 'k', peer: { address: '192.0.2.7', port: 20000 }, protocol: 'stamp', ssid: 7, packets: 1 });
    if (reflector !== undefined) reflector.stats = emptyStats({ packetsIn: 50, packetsOut: 50, sessionsActive: 1, sessionsCreated: 1 });
    await settle(250);
    io.emit('SIGINT');
    expect(await run).toBe(0);
    const out = io.out();
    expect(out).toContain('twamp responder: session 192.0.2.7:20000 created (TWAMP Light)\n');
    expect(out).toContain('twamp responder: session 192.0.2.7:20000 expired (STAMP, SSID 7) after 1 packet\n');
    expect(out).toMatch(/twamp responder: \d+\.\d s: 50 packets in \(\d+(\.\d)?\/s\), 50 out \(\d+(\.\d)?\/s\), 1 session active, 0 dropped/);
    expect(out).toMatch(/twamp responder: stopped after .*: 50 packets in, 50 out/);
  });

  it('without -v, listens without an event listener and prints no per-session lines', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    const run = main(['responder', ':0'], io, { engine });
    await settle();
    expect(engine.reflectors[0]?.options.onSessionEvent).toBeUndefined();
    io.emit('SIGTERM');
    expect(await run).toBe(0);
    // stdout: the statistics only; the listening line is a status line on stderr.
    expect(io.out().trimEnd().split('\n')).toHaveLength(1);
    expect(io.err()).toMatch(/^twamp responder: listening on /);
  });

  it('-q prints nothing on a normal run; -l appends every line with a UTC timestamp, -d adds debug lines', async () => {
    const logFile = join(dir, 'responder.log');
    for (let round = 0; round < 2; round++) {
      const io = testIo();
      const run = main(['responder', ':0', '-q', '-l', logFile, '-d'], io, { engine: scriptedEngine() });
      await settle();
      io.emit('SIGTERM');
      expect(await run).toBe(0);
      expect(io.out()).toBe('');
      expect(io.err()).toContain('debug: responder: opening a reflector with');
    }
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    const listening = lines.filter((line) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z twamp responder: listening on 0\.0\.0\.0:41000\/udp/.test(line));
    const stopped = lines.filter((line) => line.includes(' twamp responder: stopped after '));
    // Appended, not overwritten: both runs are there.
    expect(listening).toHaveLength(2);
    expect(stopped).toHaveLength(2);
    expect(lines.some((line) => line.includes(' debug: responder: SIGTERM: closing'))).toBe(true);
  });

  it('a log file that cannot be opened is a usage error: exit 2, nothing opened', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    expect(await main(['responder', '-l', join(dir, 'missing', 'dir', 'x.log')], io, { engine })).toBe(2);
    expect(io.err()).toContain('error: invalid configuration: --logfile: expected a file this user may create or append to');
    expect(io.err()).toContain('ENOENT');
    expect(engine.calls).toEqual([]);
  });

  it('--json: the listening line on stderr, one JSON object on stdout at the end', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    const run = main(['responder', '127.0.0.1:0', '--stamp', '--json'], io, { engine });
    await settle();
    if (engine.reflectors[0] !== undefined) engine.reflectors[0].stats = emptyStats({ packetsIn: 3, packetsOut: 2, sessionsCreated: 1 });
    io.emit('SIGINT');
    expect(await run).toBe(0);
    expect(io.err()).toContain('twamp responder: listening on 127.0.0.1:41000/udp, STAMP');
    const json = JSON.parse(io.out()) as Record<string, unknown>;
    expect(json).toMatchObject({
      schemaVersion: 1,
      command: 'responder',
      listening: { address: '127.0.0.1', port: 41000, protocol: 'stamp', stateful: true, implementation: 'dgram' },
      stats: { packetsIn: 3, packetsOut: 2, sessionsCreated: 1, dropped: { 'too-short': 0 } },
    });
  });

  it('--jsonl: listening, session, interval and stopped records, one per line', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    const run = main(['responder', ':0', '--jsonl', '--interval-report', '0.1'], io, { engine });
    await settle();
    engine.reflectors[0]?.options.onSessionEvent?.({ type: 'created', key: 'k', peer: { address: '127.0.0.1', port: 5 }, protocol: 'twamp-light', packets: 0 });
    await settle(150);
    io.emit('SIGINT');
    expect(await run).toBe(0);
    const records = io
      .out()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(records[0]).toMatchObject({ type: 'listening', port: 41000, protocol: 'twamp-light', implementation: 'dgram' });
    expect(records[1]).toMatchObject({ type: 'session', event: 'created', peer: { address: '127.0.0.1', port: 5 }, ssid: null });
    expect(records.some((record) => record.type === 'interval')).toBe(true);
    expect(records.at(-1)).toMatchObject({ type: 'stopped', stats: { packetsIn: 0 } });
    expect(io.err()).toContain('twamp responder: listening on');
  });

  it('accepts --no-color and NO_COLOR (its output has no colour to remove)', async () => {
    const io = testIo();
    const run = main(['responder', ':0', '--no-color'], io, { engine: scriptedEngine() });
    await settle();
    io.emit('SIGINT');
    expect(await run).toBe(0);
    expect(io.out()).not.toContain('\u001b[');
  });
});

describe('twamp server: -v, -q, --jsonl, --json', () => {
  it('--jsonl prints listening and stopped records; -q silences the human lines', async () => {
    const io = testIo();
    const control = scriptedControl();
    const run = main(['server', '127.0.0.1:0', '--jsonl', '-q'], io, { engine: scriptedEngine(), control });
    await settle();
    io.emit('SIGTERM');
    expect(await run).toBe(0);
    const records = io
      .out()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records[0]).toMatchObject({ type: 'listening', address: '127.0.0.1', port: 40862, modeNames: expect.arrayContaining(['unauthenticated']) as unknown });
    expect(records.at(-1)).toMatchObject({ type: 'stopped', connections: 2, stats: { sessionsOpened: 0, packetsReflected: 0 } });
    expect(io.err()).toBe('');
  });

  it('-v adds a packet-rate line; --json prints one object at the end', async () => {
    const io = testIo();
    const run = main(['server', '127.0.0.1:0', '-v', '--interval-report', '0.1', '--json'], io, { engine: scriptedEngine(), control: scriptedControl() });
    await settle(200);
    io.emit('SIGINT');
    expect(await run).toBe(0);
    expect(io.err()).toMatch(/twamp server: \d+\.\d s: 0 packets reflected \(0\/s\), 0 sessions running, 0 reflectors open/);
    expect(io.err()).toContain('twamp server: listening on 127.0.0.1:40862/tcp');
    const json = JSON.parse(io.out()) as Record<string, unknown>;
    expect(json).toMatchObject({ schemaVersion: 1, command: 'server', listening: { address: '127.0.0.1', port: 40862 }, connections: 2 });
  });
});

describe('twamp controlclient: --jsonl, -v, -q, -l', () => {
  it('--jsonl: a record per session, then started and stopped', async () => {
    const io = testIo();
    const control = scriptedControl();
    expect(await main(['controlclient', ':20000', '--sessions', '2', '--duration', '0.05', '--jsonl'], io, { engine: scriptedEngine(), control })).toBe(0);
    expect(control.calls).toEqual(['connect', 'request', 'request', 'start', 'stop']);
    const records = io
      .out()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record['type'])).toEqual(['session', 'session', 'started', 'stopped']);
    expect(records[0]).toMatchObject({ sid: '7f000001eeb2285b1d2f1a9fb8bf210a', sender: { port: 20000 }, receiver: { port: 8760 } });
    expect(records[3]).toMatchObject({ reason: 'duration reached' });
  });

  it('-v tells the chosen mode and each accepted session; -q only errors; -l keeps a log', async () => {
    const verbose = testIo();
    expect(await main(['controlclient', ':20000', '--duration', '0.02', '-v'], verbose, { engine: scriptedEngine(), control: scriptedControl() })).toBe(0);
    expect(verbose.out()).toContain('twamp controlclient: connected to 127.0.0.1:862/tcp, mode unauthenticated');
    expect(verbose.out()).toContain('twamp controlclient: session 1 of 1 accepted: SID 7f000001eeb2285b1d2f1a9fb8bf210a, reflector port 8760');
    expect(verbose.out()).toContain('the sender sends from');

    const logFile = join(dir, 'controlclient.log');
    const quiet = testIo();
    expect(await main(['controlclient', ':20000', '--duration', '0.02', '-q', '--logfile', logFile], quiet, { engine: scriptedEngine(), control: scriptedControl() })).toBe(0);
    expect(quiet.out()).toBe('');
    expect(quiet.err()).toBe('');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/Z twamp controlclient: session 7f000001eeb2285b1d2f1a9fb8bf210a: the sender sends from/);
    expect(log).toMatch(/Z twamp controlclient: sessions stopped \(duration reached\)/);
  });
});
