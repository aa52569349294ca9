// main() in-process with an injected process: --version, --help, usage mistakes, --check-config on a
// good file and on each class of mistake, and what signals and a crash do to a running twampd (the
// real process is in the e2e-*.test.ts files).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type TwampdIo, type TwampdSignal } from '../src/main.js';
import { LOOPBACK, MISTAKES } from './configs.js';

const dir = mkdtempSync(join(tmpdir(), 'twampd-main-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs main with captured streams; it must not subscribe to signals or crashes for these commands. */
async function run(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; subscriptions: number }> {
  let stdout = '';
  let stderr = '';
  let subscriptions = 0;
  const io: TwampdIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    onSignal: () => {
      subscriptions += 1;
      return () => undefined;
    },
    onCrash: () => {
      subscriptions += 1;
      return () => undefined;
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, subscriptions };
}

describe('main', () => {
  it('--version names twampd, the engine and Node.js', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^twampd \d+\.\d+\.\d+\n@twamp\/daemon \d+\.\d+\.\d+\nNode\.js v\d+/);
  });

  it('--help has the options, signals, examples and exit codes', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const text of ['--check-config [FILE]', '/etc/twampd/twampd.yaml', 'SIGHUP', 'SIGTERM', 'Examples:', 'Exit codes:']) expect(stdout).toContain(text);
  });

  it('an unknown option is a usage mistake (exit 2), with where to look', async () => {
    const { code, stdout, stderr } = await run(['--frobnicate']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('twampd: --frobnicate: expected one of -c/--config FILE, --check-config [FILE], --version, --help\n(twampd --help lists the options)\n');
  });

  it('--check-config with a good file prints ok with the counts (exit 0), starting nothing', async () => {
    const path = file('good.yaml', LOOPBACK);
    const { code, stdout, subscriptions } = await run(['--check-config', path]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${path}: ok (2 listeners, 0 targets)\n`);
    expect(subscriptions).toBe(0);
  });

  it('--check-config of a file that does not exist: exit 2, named', async () => {
    const path = join(dir, 'missing.yaml');
    const { code, stderr } = await run(['--check-config', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(path);
  });

  it('--config of a file that does not exist: exit 2 before anything starts', async () => {
    const { code, stderr, subscriptions } = await run(['--config', join(dir, 'missing.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain('missing.yaml');
    expect(subscriptions).toBe(0);
  });
});

describe('a log file that cannot be opened', () => {
  it('--config: exit 2, at the file:line:column of logging.destination, with the absolute path tried (relative to the config)', async () => {
    const path = file('bad-log.yaml', LOOPBACK.replace('destination: stderr', 'destination: no-such-dir/twampd.log'));
    const line = LOOPBACK.split('\n').findIndex((text) => text.includes('destination: stderr')) + 1;
    const { code, stderr, subscriptions } = await run(['--config', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}:${line}:`);
    expect(stderr).toContain(`logging.destination: expected stderr, stdout, or a file this user may create or append to, got "${join(dir, 'no-such-dir', 'twampd.log')}" (ENOENT)`);
    expect(subscriptions).toBe(0);
  });
});

describe.each(MISTAKES)('--check-config with %s', (name, text, message) => {
  it('exits 2 with the mistake, its path and what is expected', async () => {
    const path = file(`${name.replaceAll(' ', '-')}.yaml`, text);
    const { code, stdout, stderr } = await run(['--check-config', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });
});

describe('an unusable key file in a secured mode is a config mistake at its place in the file', () => {
  const empty = file('empty.keys', '# no identities yet\n');
  const fleet = file('fleet.keys', 'fleet 00112233445566778899aabbccddeeff\n');

  it('--check-config: an empty key file with encrypted mode offered (exit 2, file:line:column)', async () => {
    const path = file('empty-keys.yaml', `${LOOPBACK}security:\n  modes: [encrypted]\n  keyFile: ${empty}\n`);
    const { code, stdout, stderr } = await run(['--check-config', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const line = LOOPBACK.split('\n').length + 2;
    expect(stderr).toBe(`${path}:${line}:12: security.keyFile: expected a key file with at least one identity for the encrypted mode(s) security.modes offers, got an empty file (${empty})\n`);
  });

  it('--check-config: a key file without the identity a STAMP reflector asks for (exit 2, at the keyId)', async () => {
    const path = file(
      'missing-identity.yaml',
      `security:\n  keyFile: ${fleet}\nlisteners:\n  reflectors:\n    - name: stamp\n      protocol: stamp\n      security: authenticated\n      keyId: nobody\n`,
    );
    const { code, stderr } = await run(['--check-config', path]);
    expect(code).toBe(2);
    expect(stderr).toBe(`${path}:8:14: listeners.reflectors[0].keyId: expected an identity present in the key file ${fleet}, got "nobody"\n`);
  });

  it('--config: the same empty key file stops the start (exit 2) with the same line', async () => {
    const path = file('empty-keys-start.yaml', `${LOOPBACK}security:\n  modes: [open, authenticated]\n  keyFile: ${empty}\n`);
    const fake = fakeProcess();
    expect(await main(['--config', path], fake.io)).toBe(2);
    expect(fake.stderr()).toContain(`${path}:${LOOPBACK.split('\n').length + 2}:12: security.keyFile: expected a key file with at least one identity`);
  });
});

/** A process whose signals and crashes the test raises itself. */
function fakeProcess(): { io: TwampdIo; raise(signal: TwampdSignal): void; crash(error: unknown): void; stderr(): string } {
  const signals = new Map<TwampdSignal, () => void>();
  let onCrash: ((error: unknown, origin: string) => void) | undefined;
  let stderr = '';
  return {
    io: {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      onSignal: (signal, handler) => {
        signals.set(signal, handler);
        return () => signals.delete(signal);
      },
      onCrash: (handler) => {
        onCrash = handler;
        return () => (onCrash = undefined);
      },
    },
    raise: (signal) => signals.get(signal)?.(),
    crash: (error) => onCrash?.(error, 'uncaughtException'),
    stderr: () => stderr,
  };
}

/** Log lines of `path` with this event, once there are `count` of them. */
async function waitForLog(path: string, event: string, count = 1): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // not created yet
    }
    const lines = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line['event'] === event);
    if (lines.length >= count) return lines;
    if (Date.now() > deadline) throw new Error(`no ${event} ×${count} in ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a running twampd (in-process)', () => {
  function runningConfig(name: string): { config: string; log: string } {
    const log = join(dir, `${name}.log`);
    return { config: file(`${name}.yaml`, LOOPBACK.replace('destination: stderr', `destination: ${log}`)), log };
  }

  it('SIGHUP reloads, a bad file on SIGHUP is logged and ignored, SIGTERM stops with 0', async () => {
    const { config, log } = runningConfig('signals');
    const fake = fakeProcess();
    const exit = main(['--config', config], fake.io);
    await waitForLog(log, 'ready');
    fake.raise('SIGHUP');
    await waitForLog(log, 'reloaded');
    writeFileSync(config, `${LOOPBACK}limits:\n  sessionsTotal: 0\n`);
    fake.raise('SIGHUP');
    const [failed] = await waitForLog(log, 'reload-failed');
    expect(failed?.['stage']).toBe('config');
    // A key file emptied, with an authenticated mode offered: refused on SIGHUP, at its place in the file.
    const keys = file('emptied.keys', '\n');
    writeFileSync(config, `${LOOPBACK.replace('destination: stderr', `destination: ${log}`)}security:\n  modes: [open, authenticated]\n  keyFile: ${keys}\n`);
    fake.raise('SIGHUP');
    const [, keysFailed] = await waitForLog(log, 'reload-failed', 2);
    expect(keysFailed?.['stage']).toBe('keys');
    expect(keysFailed?.['mistakes']).toEqual([
      `${config}:${LOOPBACK.split('\n').length + 2}:12: security.keyFile: expected a key file with at least one identity for the authenticated mode(s) security.modes offers, got an empty file (${keys})`,
    ]);
    fake.raise('SIGTERM');
    expect(await exit).toBe(0);
    expect(await waitForLog(log, 'reloaded')).toHaveLength(1);
    await waitForLog(log, 'stopped');
  });

  it('an uncaught exception is logged with its stack and exits 1, never silently', async () => {
    const { config, log } = runningConfig('crash');
    const fake = fakeProcess();
    const exit = main(['--config', config], fake.io);
    await waitForLog(log, 'ready');
    fake.crash(new Error('something broke'));
    expect(await exit).toBe(1);
    const [crash] = await waitForLog(log, 'crash');
    expect(crash).toMatchObject({ level: 'error', origin: 'uncaughtException', error: 'something broke' });
    expect(String(crash?.['stack'])).toContain('main.test.ts');
    expect(fake.stderr()).toContain('twampd: unexpected error (uncaughtException): Error: something broke');
  });
});
