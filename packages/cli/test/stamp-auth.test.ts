// `--auth` on `twamp sender --stamp` and `twamp responder --stamp` (STAMP authenticated mode, RFC 8762
// §4.3): the option rules (pure), then real reflectors and senders in this process over 127.0.0.1 and
// ::1 with a perfSONAR key file: the right key answers every packet, a wrong key gets none and the
// reflector counts each as bad-hmac, an authenticated sender facing an open reflector counts the
// replies it cannot authenticate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@twamp/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultControlEngine, type ControlEngine } from '../src/control/engine.js';
import { parseResponderArguments } from '../src/commands/responder.js';
import { parseSenderArguments } from '../src/commands/sender.js';
import { main } from '../src/main.js';
import { testIo, type TestIo } from './commands-support.js';
import { outputValidators, schemaErrors } from './output-schema-validator.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-stamp-auth-'));
const keyFile = join(dir, 'keys.pfs');
const otherKeyFile = join(dir, 'other-keys.pfs');
// perfSONAR's format (identity, whitespace, hex), and the plain `identity: passphrase` one.
writeFileSync(keyFile, `# test keys\nalice\t${Buffer.from('the shared secret', 'utf8').toString('hex')}\n`);
writeFileSync(otherKeyFile, 'alice: not the shared secret\n');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The one issue of the ConfigError `run` throws. */
function issueOf(run: () => unknown): { path: string; expected: string; received?: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const issue = (error as ConfigError).issues[0];
    if (issue === undefined) throw new Error('ConfigError without issues');
    return issue;
  }
  throw new Error('no error thrown');
}

describe('--auth option rules (pure)', () => {
  it('sender: --auth with --stamp and --user reads the key file', () => {
    const plan = parseSenderArguments('127.0.0.1', undefined, { stamp: true, auth: true, user: 'alice', keyFile: '/k' });
    expect(plan.stampAuth).toEqual({ keyId: 'alice', secret: { kind: 'key-file', path: '/k' } });
  });

  it('sender: --passphrase-env, or else the terminal prompt, are the other sources', () => {
    expect(parseSenderArguments(undefined, undefined, { stamp: true, auth: true, user: 'alice', passphraseEnv: 'STAMP_KEY' }).stampAuth?.secret).toEqual({
      kind: 'env',
      name: 'STAMP_KEY',
    });
    expect(parseSenderArguments(undefined, undefined, { stamp: true, auth: true, user: 'alice' }).stampAuth?.secret).toEqual({ kind: 'prompt' });
  });

  it('open mode without --auth', () => {
    expect(parseSenderArguments(undefined, undefined, { stamp: true }).stampAuth).toBeUndefined();
    expect(parseResponderArguments(undefined, { stamp: true }).stampAuth).toBeUndefined();
  });

  it.each([
    ['--auth without --stamp', { auth: true, user: 'alice', keyFile: '/k' }, '--auth'],
    ['--auth without --user', { stamp: true, auth: true }, '--user'],
    ['--auth with --key-file but no --user', { stamp: true, auth: true, keyFile: '/k' }, '--user'],
    ['--user without --auth', { stamp: true, user: 'alice' }, '--user'],
    ['--key-file without --auth', { stamp: true, keyFile: '/k' }, '--key-file'],
    ['--passphrase-env without --auth', { stamp: true, passphraseEnv: 'X' }, '--passphrase-env'],
    ['both --key-file and --passphrase-env', { stamp: true, auth: true, user: 'alice', keyFile: '/k', passphraseEnv: 'X' }, '--passphrase-env'],
    ['a --passphrase-env that is no variable name', { stamp: true, auth: true, user: 'alice', passphraseEnv: '1-X' }, '--passphrase-env'],
    ['an empty --user', { stamp: true, auth: true, user: '', keyFile: '/k' }, '--user'],
  ] as const)('sender and responder refuse %s, naming %s', (_label, raw, path) => {
    expect(issueOf(() => parseSenderArguments(undefined, undefined, raw)).path).toBe(path);
    expect(issueOf(() => parseResponderArguments(undefined, raw)).path).toBe(path);
  });

  it('--auth without --stamp says what it needs', () => {
    expect(issueOf(() => parseSenderArguments(undefined, undefined, { auth: true })).expected).toMatch(/--stamp/);
  });
});

describe('--auth usage errors from the command line (exit 2, nothing opened)', () => {
  it.each([
    [['sender', '--auth', '--user', 'alice', '--key-file', keyFile], '--auth'],
    [['responder', '--auth'], '--auth'],
    [['sender', '--stamp', '--auth'], '--user'],
    [['responder', '--stamp', '--auth', '--user', 'bob', '--key-file', keyFile], '--user'],
    [['sender', '--stamp', '--auth', '--passphrase-env', 'NO_SUCH_TWAMP_VARIABLE', '--user', 'alice'], '--passphrase-env'],
  ])('%j names %s', async (argv, option) => {
    const io = testIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.err()).toContain(option);
    expect(io.out()).not.toContain('listening');
  });

  it('with no key source and no terminal to ask on', async () => {
    const io = testIo();
    const noTerminal: ControlEngine = { ...defaultControlEngine, promptSecret: () => Promise.resolve(undefined) };
    expect(await main(['sender', '--stamp', '--auth', '--user', 'alice'], io, { control: noTerminal })).toBe(2);
    expect(io.err()).toMatch(/not a terminal/);
  });
});

interface ResponderRun {
  readonly io: TestIo;
  readonly port: number;
  /** Stops it (SIGTERM) and returns its --json statistics. */
  stop(): Promise<{ packetsIn: number; packetsOut: number; dropped: Record<string, number> }>;
}

async function startResponder(address: string, extra: readonly string[]): Promise<ResponderRun> {
  const io = testIo();
  const local = address.includes(':') ? `[${address}]:0` : `${address}:0`;
  const run = main(['responder', local, '--stamp', '--json', ...extra], io);
  const deadline = Date.now() + 20_000;
  let match = /listening on \S+:(\d+)\/udp.*/.exec(io.err());
  while (match === null) {
    if (Date.now() > deadline) throw new Error(`no listening line; stderr: ${io.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    match = /listening on \S+:(\d+)\/udp.*/.exec(io.err());
  }
  expect(match[0]).toContain(extra.includes('--auth') ? 'authenticated (key alice)' : 'STAMP');
  return {
    io,
    port: Number(match[1]),
    stop: async () => {
      io.emit('SIGTERM');
      expect(await run).toBe(0);
      const json = JSON.parse(io.out()) as { listening: { stampSecurity: string }; stats: { packetsIn: number; packetsOut: number; dropped: Record<string, number> } };
      expect(json.listening.stampSecurity).toBe(extra.includes('--auth') ? 'authenticated' : 'open');
      return json.stats;
    },
  };
}

interface SenderJsonView {
  settings: { stampSecurity: string | null };
  packets: { sent: number; received: number; lost: number; malformedReplies: number };
}

async function send(address: string, port: number, extra: readonly string[], control?: ControlEngine): Promise<{ code: number; json: SenderJsonView; stderr: string }> {
  const io = testIo();
  const remote = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
  const code = await main(['sender', remote, '--stamp', '-c', '20', '-i', '10', '--loss-timeout', '1000', '--json', ...extra], io, control === undefined ? {} : { control });
  const json: unknown = JSON.parse(io.out());
  // settings.stampSecurity included: the real output against the published schema.
  expect(schemaErrors(outputValidators().result, json)).toBe('');
  return { code, json: json as SenderJsonView, stderr: io.err() };
}

const AUTH = ['--auth', '--user', 'alice', '--key-file', keyFile] as const;

describe.each(['127.0.0.1', '::1'])('authenticated STAMP over %s (real sockets)', (address) => {
  it('the right key: every packet answered', async () => {
    const responder = await startResponder(address, AUTH);
    try {
      const { code, json, stderr } = await send(address, responder.port, AUTH);
      expect(code, stderr).toBe(0);
      expect(json.packets).toMatchObject({ sent: 20, received: 20, lost: 0, malformedReplies: 0 });
      expect(json.settings.stampSecurity).toBe('authenticated');
      expect(stderr).toContain('STAMP, authenticated (key alice) from');
    } finally {
      const stats = await responder.stop();
      expect(stats.packetsOut).toBe(20);
      expect(stats.dropped['bad-hmac']).toBe(0);
    }
  }, 60_000);

  it('the same secret as a passphrase from the environment works too', async () => {
    const responder = await startResponder(address, [...AUTH, '-d']);
    try {
      const env: ControlEngine = { ...defaultControlEngine, env: (name) => (name === 'STAMP_SECRET' ? 'the shared secret' : undefined) };
      // -d: even the debug lines must not show the secret.
      const { code, json, stderr } = await send(address, responder.port, ['--auth', '--user', 'alice', '--passphrase-env', 'STAMP_SECRET', '-d'], env);
      expect(code, stderr).toBe(0);
      expect(json.packets).toMatchObject({ sent: 20, received: 20, lost: 0 });
      expect(stderr).not.toContain('shared secret');
    } finally {
      await responder.stop();
      expect(responder.io.err()).toContain('opening a reflector');
      expect(responder.io.err()).not.toContain('stampKey');
    }
  }, 60_000);

  it('a wrong key: no reply, 100 % loss (exit 4) with the hint, every request counted as bad-hmac by the reflector', async () => {
    const responder = await startResponder(address, AUTH);
    let stats: Awaited<ReturnType<ResponderRun['stop']>> | undefined;
    try {
      const { code, json, stderr } = await send(address, responder.port, ['--auth', '--user', 'alice', '--key-file', otherKeyFile]);
      expect(code).toBe(4);
      expect(json.packets).toMatchObject({ sent: 20, received: 0, lost: 20, malformedReplies: 0 });
      expect(stderr).toContain("a reflector whose key differs from alice's drops every request");
    } finally {
      stats = await responder.stop();
    }
    expect(stats.packetsIn).toBe(20);
    expect(stats.packetsOut).toBe(0);
    expect(stats.dropped['bad-hmac']).toBe(20);
  }, 60_000);
});

describe('mixed modes over 127.0.0.1', () => {
  it('an open sender to an authenticated reflector gets no reply; every request dropped', async () => {
    const responder = await startResponder('127.0.0.1', AUTH);
    let stats: Awaited<ReturnType<ResponderRun['stop']>> | undefined;
    try {
      const { code, json } = await send('127.0.0.1', responder.port, []);
      expect(code).toBe(4);
      expect(json.settings.stampSecurity).toBe('open');
      expect(json.packets).toMatchObject({ sent: 20, received: 0 });
    } finally {
      stats = await responder.stop();
    }
    expect(stats.packetsOut).toBe(0);
    expect(Object.values(stats.dropped).reduce((sum, count) => sum + count, 0)).toBe(20);
  }, 60_000);

  it('an authenticated sender to an open reflector counts the replies it cannot authenticate', async () => {
    const responder = await startResponder('127.0.0.1', []);
    try {
      const { code, json, stderr } = await send('127.0.0.1', responder.port, AUTH);
      expect(code).toBe(4);
      expect(json.packets).toMatchObject({ sent: 20, received: 0, malformedReplies: 20 });
      expect(stderr).toContain('20 replies failed to decode or authenticate');
    } finally {
      await responder.stop();
    }
  }, 60_000);
});
