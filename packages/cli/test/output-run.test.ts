// `twamp sender` in-process with a scripted engine that emits events: what each output option
// prints and where (stdout / stderr), the progress line and colour on a terminal, and how the new
// options reach the engine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SenderEvent, SenderOptions } from '@twamp/test-session';
import { describe, expect, it } from 'vitest';
import { parseControllerArguments } from '../src/commands/controller.js';
import { parseSenderArguments, runDeadlineMs, senderOptionsFor, senderTlvs } from '../src/commands/sender.js';
import type { CliEngine } from '../src/engine.js';
import type { CliIo, CliSignal } from '../src/io.js';
import { main } from '../src/main.js';
import { CSV_COLUMNS } from '../src/output/csv.js';
import { outputValidators, schemaErrors } from './output-schema-validator.js';
import { packetResult, scriptedSender } from './output-support.js';
import { fixedReport, fixedSummary } from './report-fixture.js';

interface TestIo extends CliIo {
  out(): string;
  err(): string;
  emit(signal: CliSignal): void;
}

function testIo(tty: { stdout: boolean; stderr: boolean } = { stdout: false, stderr: false }): TestIo {
  let out = '';
  let err = '';
  const handlers = new Set<(signal: CliSignal) => void>();
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    onSignal: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    isTTY: tty,
    columns: 100,
    out: () => out,
    err: () => err,
    emit: (signal) => {
      for (const handler of handlers) handler(signal);
    },
  };
}

/** Three replies (one a duplicate), one loss, one interval, then the fixed report; `delayMs` before finishing. */
const EVENTS: SenderEvent[] = [
  { type: 'packet', result: packetResult({ sequence: 0, reflectorSequence: 0 }) },
  { type: 'packet', result: packetResult({ sequence: 1, reflectorSequence: 1, rtt: 80_000 }) },
  { type: 'packet', result: packetResult({ sequence: 1, reflectorSequence: 2, disposition: 'duplicate' }) },
  { type: 'lost', sequence: 2 },
  { type: 'interval', index: 0, summary: fixedSummary() },
];

function engine(events: readonly SenderEvent[] = EVENTS, delayMs = 0): CliEngine & { senders: SenderOptions[] } {
  const senders: SenderOptions[] = [];
  return {
    senders,
    openSender: (options) => {
      senders.push(options);
      const sender = scriptedSender();
      const run = (): void => {
        for (const event of events) sender.emit(event);
        const finish = (aborted: boolean): void => {
          sender.finish(fixedReport({ aborted }));
        };
        if (options.count === undefined && options.durationMs === undefined) {
          // Continuous: until the signal.
          options.signal?.addEventListener('abort', () => {
            finish(true);
          });
        } else {
          setTimeout(() => {
            finish(false);
          }, delayMs);
        }
      };
      setImmediate(run);
      return Promise.resolve(sender);
    },
    openReflector: () => Promise.reject(new Error('not used')),
    resolve: () => Promise.reject(new Error('not used')),
  };
}

const { record: recordSchema, result: resultSchema } = outputValidators();

/** Runs `fn` with environment variables set (undefined: removed), then restores them. */
async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Readonly<Record<string, string | undefined>>): void => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** A terminal that takes colour, whatever the test runner's environment says. */
const COLOUR_TERMINAL = { TERM: 'xterm-256color', NO_COLOR: undefined };

describe('sender output formats', () => {
  it('text: the summary with its histogram on stdout, the start line on stderr', async () => {
    const io = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3'], io, { engine: engine() })).toBe(0);
    expect(io.out()).toMatch(/^ +min +median +mean +max +stddev +p90 +p99 +jitter +loss$/m);
    expect(io.out()).toContain('round-trip histogram (2 replies):');
    expect(io.out()).toContain('interval 0 at ');
    expect(io.err()).toMatch(/^twamp sender: TWAMP Light from 127\.0\.0\.1:40000 to 127\.0\.0\.1:5000, 3 packets every 100 ms/);
    expect(io.out()).not.toContain('\u001b[');
  });

  it('--json: one object on stdout that the schema accepts; interval and -v lines go to stderr', async () => {
    const io = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '--json', '-v'], io, { engine: engine() })).toBe(0);
    const json = JSON.parse(io.out()) as unknown;
    expect(schemaErrors(resultSchema, json)).toBe('');
    expect(json).toMatchObject({ settings: { count: 3, schedule: 'periodic', scheduleSeed: null, percentiles: [50, 90, 95, 99], tlvs: [] } });
    expect(io.err()).toMatch(/INFO {5}Reply from 127\.0\.0\.1 \[rseq=0 sseq=0 rtt=0\.06ms outbound=0\.03ms inbound=0\.03ms\]/);
    expect(io.err()).toMatch(/WARNING {2}No reply from 127\.0\.0\.1 \[sseq=2\] within 2000 ms/);
    expect(io.err()).toContain('interval 0 at ');
  });

  it('--jsonl: a record per reply, loss and interval, then the summary, each valid', async () => {
    const io = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '--jsonl'], io, { engine: engine() })).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    const records = lines.map((line) => JSON.parse(line) as { record: string; t1?: number });
    expect(records.map((r) => r.record)).toEqual(['packet', 'packet', 'packet', 'lost', 'interval', 'summary']);
    for (const r of records) expect(schemaErrors(recordSchema, r)).toBe('');
    expect(records[0]?.t1).toBeCloseTo(1_790_000_000.001, 5);
  });

  it('--csv: the header and a row per reply and loss on stdout, the summary on stderr (not with -q)', async () => {
    const io = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '--csv'], io, { engine: engine() })).toBe(0);
    const rows = io.out().trimEnd().split('\n');
    expect(rows[0]).toBe(CSV_COLUMNS.join(','));
    expect(rows).toHaveLength(5);
    expect(rows.slice(1).map((row) => row.split(',')[2])).toEqual(['counted', 'counted', 'duplicate', 'lost']);
    expect(io.err()).toContain('round trip');
    const quiet = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '--csv', '-q'], quiet, { engine: engine() })).toBe(0);
    expect(quiet.out().trimEnd().split('\n')).toHaveLength(5);
    expect(quiet.err()).toBe('');
  });

  it('-v: a twampy line per reply on stdout, before the summary', async () => {
    const io = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '-v'], io, { engine: engine() })).toBe(0);
    const replies = io.out().match(/^\d\d\/\d\d\/\d\d \d\d:\d\d:\d\d,[\d ]{3} INFO {5}Reply from 127\.0\.0\.1 \[rseq=\d+ sseq=\d+ rtt=\d+\.\d\dms outbound=\d+\.\d\dms inbound=\d+\.\d\dms\]/gm);
    expect(replies).toHaveLength(3);
    expect(io.out().indexOf('Reply from')).toBeLessThan(io.out().indexOf('round trip'));
  });

  it('-l: the start line and the -v lines also go to the log file, even with --jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twamp-output-'));
    try {
      const file = join(dir, 'sender.log');
      const io = testIo();
      expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '-v', '--jsonl', '-l', file], io, { engine: engine() })).toBe(0);
      const log = readFileSync(file, 'utf8');
      expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z twamp sender: TWAMP Light from /m);
      expect(log.match(/Reply from 127\.0\.0\.1/g)).toHaveLength(3);
      expect(io.out().trimEnd().split('\n')).toHaveLength(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-q: no start line, a brief summary; errors still come', async () => {
    const io = testIo();
    expect(await main(['sender', '127.0.0.1:5000', '-c', '3', '-q'], io, { engine: engine() })).toBe(0);
    expect(io.err()).toBe('');
    expect(io.out()).toContain('round trip');
    expect(io.out()).not.toMatch(/histogram|hops:/);
  });
});

describe('sender on a terminal', () => {
  it('draws the progress line on stderr for runs over 2 s, clears it, and colours stdout', async () => {
    const io = testIo({ stdout: true, stderr: true });
    const code = await withEnv(COLOUR_TERMINAL, () => main(['sender', '127.0.0.1:5000', '-c', '50', '-i', '100'], io, { engine: engine(EVENTS, 400) }));
    expect(code).toBe(0);
    expect(io.err()).toMatch(/\r\d+ ms: sent 0, received 2, lost 1 \(33\.33%\), rtt 0\.080 ms/);
    expect(io.err()).toContain('rtt 0.080 ms\u001b[K');
    expect(io.err()).toContain('\r\u001b[K');
    expect(io.out()).toContain('\u001b[1mTWAMP Light');
  });

  it('no progress line for short runs, with -q or -v, and no colour with --no-color or NO_COLOR', async () => {
    for (const args of [['-c', '3'], ['-c', '50', '-q'], ['-c', '50', '-v']]) {
      const io = testIo({ stdout: true, stderr: true });
      expect(await main(['sender', '127.0.0.1:5000', ...args], io, { engine: engine(EVENTS, 300) })).toBe(0);
      expect(io.err()).not.toContain('\r');
    }
    const noColor = testIo({ stdout: true, stderr: true });
    expect(await withEnv(COLOUR_TERMINAL, () => main(['sender', '127.0.0.1:5000', '-c', '3', '--no-color'], noColor, { engine: engine() }))).toBe(0);
    expect(noColor.out()).not.toContain('\u001b[');
    const env = testIo({ stdout: true, stderr: true });
    expect(await withEnv({ ...COLOUR_TERMINAL, NO_COLOR: '1' }, () => main(['sender', '127.0.0.1:5000', '-c', '3'], env, { engine: engine() }))).toBe(0);
    expect(env.out()).not.toContain('\u001b[');
  });
});

describe('sender options reach the engine', () => {
  it('--duration, --schedule poisson, --tlv, --stateless, --interval-report', async () => {
    const io = testIo();
    const scripted = engine();
    const args = ['sender', '127.0.0.1:5000', '--stamp', '--duration', '3.5', '-i', '50', '--schedule', 'poisson', '--stateless', '--interval-report', '1'];
    const tlvs = ['--tlv', 'class-of-service=ef', '--tlv', 'location,timestamp-info', '--tlv', 'direct-measurement'];
    expect(await main([...args, ...tlvs, '--json'], io, { engine: scripted })).toBe(0);
    const options = scripted.senders[0];
    expect(options).toMatchObject({ durationMs: 3500, schedule: { kind: 'poisson', meanIntervalMs: 50 }, intervalReportMs: 1000, reflectorStateful: false });
    expect(options?.count).toBeUndefined();
    expect(options?.tlvs?.map((tlv) => tlv.kind)).toEqual(['class-of-service', 'location', 'timestamp-information', 'direct-measurement']);
    expect(options?.tlvs?.[0]).toMatchObject({ dscp1: 46, flags: 0x80 });
    expect(typeof (options as { onSendTiming?: unknown } | undefined)?.onSendTiming).toBe('function');
    expect(io.err()).toContain('for 3.5 s, a packet on average every 50 ms (Poisson), a report every 1 s');
    expect(JSON.parse(io.out())).toMatchObject({
      settings: { count: null, durationS: 3.5, intervalReportS: 1, schedule: 'poisson', reflectorStateful: false, tlvs: ['class-of-service=46', 'location', 'timestamp-info', 'direct-measurement'] },
    });
  });

  it('--interval-report alone runs until stopped; Ctrl-C ends it with the summary (exit 130)', async () => {
    const io = testIo();
    const scripted = engine();
    const run = main(['sender', '127.0.0.1:5000', '--interval-report', '1', '--jsonl'], io, { engine: scripted });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(scripted.senders[0]?.count).toBeUndefined();
    expect(scripted.senders[0]?.durationMs).toBeUndefined();
    io.emit('SIGINT');
    expect(await run).toBe(130);
    expect(io.err()).toContain('until stopped, a packet every 100 ms, a report every 1 s');
    expect(io.out().trimEnd().split('\n').at(-1)).toMatch(/"record":"summary"/);
  });

  it('plans: defaults, deadlines and TLVs', () => {
    const plan = parseSenderArguments('127.0.0.1', undefined, {});
    expect(plan).toMatchObject({ count: 100, durationMs: undefined, schedule: 'periodic', format: 'text', tlvs: [] });
    expect(runDeadlineMs(plan)).toBe(100 * 100 + 2000 + 5000);
    expect(runDeadlineMs(parseSenderArguments('127.0.0.1', undefined, { intervalReport: '1' }))).toBe(Number.POSITIVE_INFINITY);
    expect(runDeadlineMs(parseSenderArguments('127.0.0.1', undefined, { duration: '100', count: '5' }))).toBe(500 + 2000 + 5000);
    const stamp = parseSenderArguments('127.0.0.1', undefined, { stamp: true, dscp: 'af41', tlv: ['cos'] });
    expect(senderTlvs(stamp)).toEqual([{ kind: 'class-of-service', flags: 0x80, dscp1: 34, dscp2: 0, ecn: 0, rp: 0 }]);
    const options = senderOptionsFor(plan, '127.0.0.1', undefined, new AbortController().signal);
    expect(options).toMatchObject({ count: 100, schedule: { kind: 'periodic', intervalMs: 100 } });
    expect('tlvs' in options || 'durationMs' in options || 'onSendTiming' in options).toBe(false);
  });

  it('controller: the same options, imix refused', () => {
    const plan = parseControllerArguments('127.0.0.1', undefined, { duration: '2', schedule: 'poisson', jsonl: true, intervalReport: '0.5', quiet: true });
    expect(plan.test).toMatchObject({ count: undefined, durationMs: 2000, schedule: 'poisson', format: 'jsonl', intervalReportMs: 500, logging: { verbosity: 'quiet' } });
    expect(() => parseControllerArguments(undefined, undefined, { padding: 'imix' })).toThrow(/--padding/);
  });
});

describe('sender usage errors name the option (exit 2)', () => {
  it.each([
    [['--csv', '--json'], '--csv: expected either --csv or --json, not both'],
    [['--json', '--jsonl'], '--jsonl: expected either --json'],
    [['--tlv', 'location'], '--tlv: expected to be used with --stamp'],
    [['--stamp', '--tlv', 'hmac'], '--tlv: expected class-of-service, timestamp-info, location, direct-measurement'],
    [['--stamp', '--tlv', 'location=3'], '--tlv: expected no value after location'],
    [['--schedule', 'bursty'], '--schedule: expected periodic'],
    [['--duration', '0'], '--duration: expected a number from 0.001 to 31536000 seconds'],
    [['--interval-report', '0.001'], '--interval-report: expected a number from 0.01 to 86400 seconds'],
    [['-v', '-q'], '-q: expected either -v'],
  ])('%j', async (args, message) => {
    const io = testIo();
    const scripted = engine();
    expect(await main(['sender', ...args], io, { engine: scripted })).toBe(2);
    expect(io.err()).toContain(message);
    expect(scripted.senders).toHaveLength(0);
  });
});
