// main() in-process with an injected process: --version, --help, usage mistakes, and --check-config
// on a good file and on each class of mistake (the real process is in the e2e-*.test.ts files).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type TwampdIo } from '../src/main.js';
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

describe.each(MISTAKES)('--check-config with %s', (name, text, message) => {
  it('exits 2 with the mistake, its path and what is expected', async () => {
    const path = file(`${name.replaceAll(' ', '-')}.yaml`, text);
    const { code, stdout, stderr } = await run(['--check-config', path]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });
});
