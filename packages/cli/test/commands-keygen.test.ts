// `twamp keygen` in-process (issue 14 item 9): the line and its secret, mode 0600 under a loose umask,
// append vs. refuse vs. --force, files it must not touch, and the identity rules of the key-file parser.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeyFile } from '@twamp/control';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYGEN_SECRET_OCTETS } from '../src/commands/keygen.js';
import { main } from '../src/main.js';
import { testIo } from './commands-support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-keygen-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function keygen(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = testIo();
  const code = await main(['keygen', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('twamp keygen', () => {
  it(`prints identity<TAB>hex of ${KEYGEN_SECRET_OCTETS} random octets on stdout, read back by the key-file parser; never the same twice`, async () => {
    const [first, second] = [await keygen(['--user', 'alice']), await keygen(['--user', 'alice'])];
    expect(first.code).toBe(0);
    expect(first.err).toBe('');
    expect(first.out).toMatch(/^alice\t[0-9a-f]{64}\n$/);
    const { format, store, warnings } = parseKeyFile(first.out, 'stdout');
    expect(format).toBe('perfsonar');
    expect(store.secret('alice')).toHaveLength(KEYGEN_SECRET_OCTETS);
    expect(warnings).toEqual([]);
    expect(second.out).not.toBe(first.out);
  });

  it('--out creates the file with mode 0600 even under umask 000', async () => {
    const path = join(dir, 'created.txt');
    const previous = process.umask(0);
    let result;
    try {
      result = await keygen(['--user', 'alice', '--out', path]);
    } finally {
      process.umask(previous);
    }
    expect(result.code, result.err).toBe(0);
    expect(result.out).toBe('');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^alice\t[0-9a-f]{64}\n$/);
  });

  it('appends a new identity to an existing key file (a missing final newline added), keeping every line; warns when others can read it', async () => {
    const path = join(dir, 'existing.pfs');
    writeFileSync(path, '# our keys\nbob   00112233445566778899aabbccddeeff', { mode: 0o644 });
    chmodSync(path, 0o644);
    const { code, err } = await keygen(['--user', 'alice', '--out', path]);
    expect(code, err).toBe(0);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.slice(0, 2)).toEqual(['# our keys', 'bob   00112233445566778899aabbccddeeff']);
    expect(lines[2]).toMatch(/^alice\t[0-9a-f]{64}$/);
    expect(err).toContain(`appended "alice"`);
    expect(err).toContain(`warning: ${path} is open to others than its owner (mode 0644): chmod 600 ${path}`);
  });

  it('refuses an identity the file holds (exit 2, the file unchanged); --force replaces that line only', async () => {
    const path = join(dir, 'refuse.pfs');
    const original = '# keep me\nalice\t00112233445566778899aabbccddeeff\nbob\tffeeddccbbaa99887766554433221100\n';
    writeFileSync(path, original, { mode: 0o600 });
    const refused = await keygen(['--user', 'alice', '--out', path]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--force replaces its secret');
    expect(refused.err).not.toContain('Accept');
    expect(readFileSync(path, 'utf8')).toBe(original);
    const forced = await keygen(['--user', 'alice', '--out', path, '--force']);
    expect(forced.code, forced.err).toBe(0);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe('# keep me');
    expect(lines[1]).toMatch(/^alice\t[0-9a-f]{64}$/);
    expect(lines[2]).toBe('bob\tffeeddccbbaa99887766554433221100');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('does not touch a file it cannot read back as a perfSONAR key file', async () => {
    const plain = join(dir, 'plain.txt');
    writeFileSync(plain, 'alice: a passphrase\n');
    const broken = join(dir, 'broken.txt');
    writeFileSync(broken, 'this is not a key file\n');
    for (const path of [plain, broken]) {
      const before = readFileSync(path, 'utf8');
      const { code, err } = await keygen(['--user', 'carol', '--out', path, '--force']);
      expect(code).toBe(2);
      expect(err).toContain(path);
      expect(readFileSync(path, 'utf8')).toBe(before);
    }
  });

  it.each([
    [['--out', 'x'], '--user: expected the key identity'],
    [['--user', 'two words'], 'without whitespace'],
    [['--user', 'ali:ce'], "without ':'"],
    [['--user', '#alice'], 'does not start with #'],
    [['--user', 'x'.repeat(81)], 'at most 80 UTF-8 octets'],
    [['--user', 'alice', '--force'], '--force: expected to be used with --out'],
  ])('%j is a usage error naming the problem', async (args, expected) => {
    const { code, out, err } = await keygen(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(expected);
  });
});
