// `main` in-process with a scripted engine: exit codes, usage errors, signals, and what goes where.
import type { ReflectorOptions, SenderOptions, SenderReport, SessionReflectorApi, SessionSenderApi } from '@twamp/test-session';
import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import type { CliEngine } from '../src/engine.js';
import type { CliIo, CliSignal } from '../src/io.js';
import { main } from '../src/main.js';
import { drops, emptyStats } from './commands-support.js';
import { DGRAM, fixedReport, fixedSummary } from './report-fixture.js';

interface TestIo extends CliIo {
  out(): string;
  err(): string;
  exits: number[];
  emit(signal: CliSignal): void;
}

function testIo(): TestIo {
  let out = '';
  let err = '';
  const handlers = new Set<(signal: CliSignal) => void>();
  const exits: number[] = [];
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    exit: (code) => exits.push(code),
    onSignal: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    out: () => out,
    err: () => err,
    exits,
    emit: (signal) => {
      for (const handler of handlers) handler(signal);
    },
  };
}

type SenderScript = (options: SenderOptions) => Promise<SenderReport>;

function engine(script: SenderScript = () => Promise.resolve(fixedReport())): CliEngine & { senders: SenderOptions[]; reflectors: ReflectorOptions[] } {
  const senders: SenderOptions[] = [];
  const reflectors: ReflectorOptions[] = [];
  return {
    senders,
    reflectors,
    openSender: (options) => {
      senders.push(options);
      const sender: SessionSenderApi = {
        localAddress: '127.0.0.1',
        localPort: 40000,
        events: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) }),
        onEvent: () => undefined,
        done: script(options),
        stop: () => undefined,
      };
      return Promise.resolve(sender);
    },
    openReflector: (options) => {
      reflectors.push(options);
      let closed = 0;
      const reflector: SessionReflectorApi & { closed: () => number } = {
        localAddress: options.address ?? '0.0.0.0',
        localPort: options.port === 0 ? 41000 : (options.port ?? 862),
        capabilities: DGRAM,
        register: () => {
          throw new Error('not used');
        },
        stats: emptyStats({
          packetsIn: 12,
          packetsOut: 10,
          dropped: drops({ 'too-short': 1, 'source-not-allowed': 1 }),
          sessionsActive: 1,
          sessionsCreated: 2,
          sessionsExpired: 1,
        }),
        sessions: () => [],
        reconfigure: () => undefined,
        close: () => {
          closed += 1;
        },
        closed: () => closed,
      };
      return Promise.resolve(reflector);
    },
    resolve: (host, family) => (host === 'localhost' ? Promise.resolve(family === 4 ? '127.0.0.1' : '::1') : Promise.reject(new Error(`no ${host}`))),
  };
}

describe('main: usage errors exit 2 before anything starts', () => {
  it.each([
    [['sender', '--count', '0'], '--count: expected an integer from 1 to 4294967295 packets, got "0"'],
    [['sender', '--interval', 'fast'], '--interval: expected a number from 0.001 to 3600000 ms (fractions allowed), got "fast"'],
    [['sender', '--dscp', 'af44'], '--dscp: expected a DSCP name'],
    [['sender', '192.0.2.1:99999'], 'remote: expected a port from 1 to 65535'],
    [['sender', '--bogus'], "--bogus: expected an option that 'twamp sender --help' lists"],
    [['sender', '-c'], "--count: expected a value after it (see 'twamp sender --help')"],
    [['sender', 'a', 'b', 'c'], 'arguments: expected at most the arguments'],
    [['responder', '--allow', '10.0.0.0/40'], '--allow: expected an IPv4 or IPv6 address with an optional /prefix'],
    [['responder', '--max-sessions', '-1'], '--max-sessions'],
    [['fly'], 'command: expected one of responder, sender, controller, controlclient, server, demo, dscptable, keygen, got "fly"'],
    [[], 'command: expected one of responder, sender'],
  ])('%j', async (argv, message) => {
    const io = testIo();
    const scripted = engine();
    expect(await main(argv, io, { engine: scripted })).toBe(2);
    expect(io.exits).toEqual([2]);
    expect(io.err()).toContain(`error: invalid configuration: ${message}`);
    expect(io.err()).toContain('nothing was started');
    expect(io.out()).toBe('');
    expect(scripted.senders).toHaveLength(0);
    expect(scripted.reflectors).toHaveLength(0);
  });
});

describe('main: help and version', () => {
  it('prints help on stdout and exits 0', async () => {
    const io = testIo();
    expect(await main(['sender', '--help'], io, { engine: engine() })).toBe(0);
    expect(io.out()).toContain('Usage: twamp sender [options] [remote] [local]');
    expect(io.out()).toContain('--dscp <name|n>');
    expect(io.err()).toBe('');
  });

  it('answers `help sender` like `sender --help`', async () => {
    const io = testIo();
    expect(await main(['help', 'sender'], io, { engine: engine() })).toBe(0);
    expect(io.out()).toContain('Usage: twamp sender [options] [remote] [local]');
  });

  it('prints the version', async () => {
    const io = testIo();
    expect(await main(['--version'], io, { engine: engine() })).toBe(0);
    expect(io.out()).toMatch(/^twamp \(@twamp\/cli \d+\.\d+\.\d+\)\n/);
  });
});

describe('main: sender', () => {
  it('runs a plan, prints the table and exits 0', async () => {
    const io = testIo();
    const scripted = engine();
    expect(await main(['sender', 'localhost:5000', '-c', '10', '-i', '0.5', '--dscp', 'af41'], io, { engine: scripted })).toBe(0);
    expect(scripted.senders[0]).toMatchObject({ target: { address: '127.0.0.1', port: 5000 }, count: 10, tos: 0x88, schedule: { intervalMs: 0.5 } });
    expect(io.out()).toContain('round trip  0.041');
    expect(io.err()).toBe(
      'twamp sender: TWAMP Light from 127.0.0.1:40000 to 127.0.0.1:5000, 10 packets every 0.5 ms (Ctrl-C stops and prints the summary so far)\n',
    );
  });

  it('prints one JSON object with --json', async () => {
    const io = testIo();
    expect(await main(['sender', '--json', '::1'], io, { engine: engine() })).toBe(0);
    const json = JSON.parse(io.out()) as { schemaVersion: number; settings: { count: number } };
    expect(json.schemaVersion).toBe(1);
    expect(json.settings.count).toBe(100);
  });

  it('stops on SIGINT, prints the partial summary and exits 130', async () => {
    const io = testIo();
    const scripted = engine(
      (options) =>
        new Promise((resolve) => {
          options.signal?.addEventListener('abort', () => {
            resolve(fixedReport({ aborted: true }));
          });
        }),
    );
    const run = main(['sender', '-c', '1000000'], io, { engine: scripted });
    await new Promise((resolve) => setTimeout(resolve, 20));
    io.emit('SIGINT');
    expect(await run).toBe(130);
    expect(io.out()).toContain('(interrupted: partial summary)');
  });

  it('gives up waiting on a second signal, without a summary', async () => {
    const io = testIo();
    const scripted = engine(() => new Promise(() => undefined));
    const run = main(['sender'], io, { engine: scripted });
    await new Promise((resolve) => setTimeout(resolve, 20));
    io.emit('SIGTERM');
    io.emit('SIGTERM');
    expect(await run).toBe(143);
    expect(io.err()).toContain('interrupted again');
    expect(io.out()).toBe('');
  });

  it('fails with exit 4 (timeout or unreachable) and the reasons when nothing came back', async () => {
    const io = testIo();
    const base = fixedSummary();
    const summary = { ...base, loss: { ...base.loss, received: 0, lost: 10, lossRatio: 1 } };
    expect(await main(['sender'], io, { engine: engine(() => Promise.resolve(fixedReport({ summary }))) })).toBe(4);
    expect(io.out()).toContain('10 sent');
    expect(io.err()).toContain('said by:');
    expect(io.err()).toContain('error: timed out after 2000 ms waiting for any reply from 127.0.0.1:862');
    expect(io.err()).toContain('what to do:');
  });

  it('names the command\'s option when the engine refuses a value (exit 2)', async () => {
    const io = testIo();
    const refusing = {
      ...engine(),
      openSender: () => Promise.reject(new ConfigError([{ path: 'tos', expected: 'no value: the node:dgram fallback cannot set the TOS', received: '184' }])),
    };
    expect(await main(['sender', '--dscp', 'ef'], io, { engine: refusing })).toBe(2);
    expect(io.err()).toContain('error: invalid configuration: --dscp: expected no value: the node:dgram fallback cannot set the TOS, got 184');
  });

  it('renders engine failures as typed errors with exit 1', async () => {
    const io = testIo();
    const failing = { ...engine(), openSender: () => Promise.reject(new Error('boom')) };
    expect(await main(['sender', 'nowhere.invalid'], io, { engine: failing })).toBe(1);
    expect(io.err()).toContain('error: no nowhere.invalid');
  });
});

describe('main: responder', () => {
  it('prints the listening line on stderr (a status line), then statistics on stdout on SIGTERM, and exits 0', async () => {
    const io = testIo();
    const scripted = engine();
    const run = main(['responder', ':0', '--stamp', '--stateless', '--allow', '127.0.0.0/8', '--allow', '10.0.0.0/8', '--idle-timeout', '30'], io, {
      engine: scripted,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      'twamp responder: listening on 0.0.0.0:41000/udp, STAMP (also answers TWAMP Light), stateless, node:dgram fallback (missing: kernel receive timestamps, send timestamps at sendmsg(), received TTL, received TOS, setting TOS/DSCP, setting don\'t-fragment, the local address of each packet, recvmmsg/sendmmsg batching)\n',
    );
    expect(scripted.reflectors[0]).toEqual({
      family: 4,
      address: '0.0.0.0',
      port: 0,
      protocol: 'stamp',
      stateful: false,
      idleTimeoutMs: 30_000,
      maxSessions: 10_000,
      maxSessionsPerSource: 256,
      allowedSources: ['127.0.0.0/8', '10.0.0.0/8'],
      onDropReport: expect.any(Function) as unknown,
    });
    io.emit('SIGTERM');
    expect(await run).toBe(0);
    // stdout is the command's output only: the statistics, nothing said before them.
    expect(io.out()).toMatch(
      /^twamp responder: stopped after \d+ ms: 12 packets in, 10 out, 2 sessions \(1 active, 1 expired\); dropped: 1 too-short, 1 source-not-allowed\n$/,
    );
  });
});
