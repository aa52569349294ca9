// `twamp keygen` end to end (issue 14 item 9), as the README's full-TWAMP example uses it: make a key
// file, then a server and a controller measure in encrypted mode with it; the file is mode 0600 even
// under umask 000; a second keygen for the same identity is refused without --force (the file
// unchanged) and replaces only that line with it; a short secret in a key file warns on stderr.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP, ENTRY, runTwamp, startTwamp } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-keygen-e2e-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `twamp keygen ...` under a loose umask (000), as a careless shell would run it. */
function keygenLooseUmask(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, ...ENTRY, 'keygen', ...args], { cwd: APP, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('twamp keygen did not exit within 30 s'));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ...out });
    });
  });
}

describe('twamp keygen', () => {
  it('makes a key file (mode 0600 under umask 000) that a server and a controller measure with in encrypted mode', async () => {
    const keys = join(dir, 'keys.txt');
    const made = await keygenLooseUmask(['--user', 'alice', '--out', keys]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toBe('');
    expect(made.stderr).toContain(`twamp keygen: created "alice" (a random 32-octet secret) in ${keys}, mode 0600`);
    expect(statSync(keys).mode & 0o777).toBe(0o600);
    expect(readFileSync(keys, 'utf8')).toMatch(/^alice\t[0-9a-f]{64}\n$/);

    const server = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral', '--mode', 'encrypted', '--key-file', keys]);
    try {
      const port = (await server.waitFor('stderr', /listening on \S+:(\d+)\/tcp/))[1] ?? '';
      const run = await runTwamp(['controller', '127.0.0.1', '--control-port', port, '--mode', 'encrypted', '--user', 'alice', '--key-file', keys, '-c', '5', '-i', '10', '--json'], { timeoutMs: 60_000 });
      expect(run.code, run.stderr).toBe(0);
      const json = JSON.parse(run.stdout) as { packets: { sent: number; received: number }; control: { securityMode: string } };
      expect(json.packets).toMatchObject({ sent: 5, received: 5 });
      expect(json.control.securityMode).toBe('encrypted');
      // A 32-octet secret: no short-secret warning on either side.
      expect(run.stderr).not.toContain('warning');
      expect(server.stderr()).not.toContain('warning');
    } finally {
      server.child.kill('SIGTERM');
      await server.exited().catch(() => undefined);
    }
  }, 120_000);

  it('never overwrites without --force: the same identity again is refused (exit 2, file unchanged); a new one is appended; --force replaces one line', async () => {
    const keys = join(dir, 'shared.txt');
    expect((await runTwamp(['keygen', '--user', 'alice', '--out', keys])).code).toBe(0);
    const before = readFileSync(keys, 'utf8');
    const again = await runTwamp(['keygen', '--user', 'alice', '--out', keys]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--user: expected an identity not yet in ${keys} (--force replaces its secret, keeping the other lines), got "alice"`);
    expect(readFileSync(keys, 'utf8')).toBe(before);

    const bob = await runTwamp(['keygen', '--user', 'bob', '--out', keys]);
    expect(bob.code, bob.stderr).toBe(0);
    const both = readFileSync(keys, 'utf8');
    expect(both.startsWith(before)).toBe(true);
    expect(both).toMatch(/\nbob\t[0-9a-f]{64}\n$/);

    const forced = await runTwamp(['keygen', '--user', 'alice', '--out', keys, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const after = readFileSync(keys, 'utf8').split('\n');
    expect(after[0]).toMatch(/^alice\t[0-9a-f]{64}$/);
    expect(after[0]).not.toBe(before.trimEnd());
    expect(after[1]).toBe(both.split('\n')[1]);
    expect(statSync(keys).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('without --out: the line on stdout only; a bad identity is a usage error', async () => {
    const [printed, bad] = await Promise.all([runTwamp(['keygen', '--user', 'carol']), runTwamp(['keygen', '--user', 'two words'])]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^carol\t[0-9a-f]{64}\n$/);
    expect(printed.stderr).toBe('');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--user: expected an identity without whitespace');
  }, 60_000);

  it('a key file with a secret under 16 octets: the server and the controller warn on stderr, naming file:line', async () => {
    const weak = join(dir, 'weak.pfs');
    writeFileSync(weak, `# old key\nalice\t${Buffer.from('short', 'utf8').toString('hex')}\n`);
    const server = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral', '--mode', 'encrypted', '--key-file', weak]);
    try {
      const port = (await server.waitFor('stderr', /listening on \S+:(\d+)\/tcp/))[1] ?? '';
      expect(server.stderr()).toContain(`twamp server: warning: ${weak}:2: the secret of "alice" is 5 octets`);
      const controller = await runTwamp(['controller', '127.0.0.1', '--control-port', port, '--mode', 'encrypted', '--user', 'alice', '--key-file', weak, '-c', '2', '-i', '10'], { timeoutMs: 60_000 });
      expect(controller.code, controller.stderr).toBe(0);
      expect(controller.stderr).toContain(`twamp controller: warning: ${weak}:2: the secret of "alice" is 5 octets`);
      expect(server.stderr()).not.toContain(Buffer.from('short').toString('hex'));
    } finally {
      server.child.kill('SIGTERM');
      await server.exited().catch(() => undefined);
    }
  }, 60_000);
});
