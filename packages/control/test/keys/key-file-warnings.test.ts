// Key files (issue 14 item 9): the separators a line accepts, exactly; a warning (never an error, never
// the secret) for a secret shorter than 16 octets, through ParsedKeyFile.warnings and onWarning, also
// from loadKeyFile (twampd's path); and the line `twamp keygen` writes, read back by the parser.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { formatKeyFileLine, keyFileIdentityProblem, type KeyFileWarning, loadKeyFile, MIN_SECRET_OCTETS, parseKeyFile } from '../../src/keys/index.js';

const HEX16 = '00112233445566778899aabbccddeeff';

describe('key-file separators', () => {
  it.each([
    ['one TAB', `alice\t${HEX16}`],
    ['one space', `alice ${HEX16}`],
    ['several spaces', `alice    ${HEX16}`],
    ['TABs and spaces mixed', `alice \t \t${HEX16}`],
    ['leading and trailing whitespace, a CR', `  \talice\t${HEX16} \t\r`],
  ])('perfSONAR: %s between identity and secret', (_name, line) => {
    const { format, store } = parseKeyFile(`${line}\n`, 'k');
    expect(format).toBe('perfsonar');
    expect(Buffer.from(store.secret('alice') ?? []).toString('hex')).toBe(HEX16);
  });

  it('plain: split at the first colon; one space or TAB after it is the separator, more belong to the passphrase', () => {
    const { store } = parseKeyFile('alice: two  spaces\nbob:\t tab then space\ncarol:none\n', 'k');
    expect(Buffer.from(store.secret('alice') ?? []).toString()).toBe('two  spaces');
    expect(Buffer.from(store.secret('bob') ?? []).toString()).toBe(' tab then space');
    expect(Buffer.from(store.secret('carol') ?? []).toString()).toBe('none');
  });
});

describe('short secrets warn', () => {
  it(`a secret under ${MIN_SECRET_OCTETS} octets: one warning per identity naming file:line and length, never the secret; the store still works`, () => {
    const seen: KeyFileWarning[] = [];
    const text = `# keys\nalice\t${HEX16}\nbob\tdeadbeef\ncarol   ${HEX16.slice(2)}\n`;
    const parsed = parseKeyFile(text, 'keys.txt', { onWarning: (warning) => seen.push(warning) });
    expect(parsed.store.size).toBe(3);
    expect(parsed.warnings).toEqual(seen);
    expect(parsed.warnings.map(({ code, path, keyId, octets }) => ({ code, path, keyId, octets }))).toEqual([
      { code: 'short-secret', path: 'keys.txt:3', keyId: 'bob', octets: 4 },
      { code: 'short-secret', path: 'keys.txt:4', keyId: 'carol', octets: 15 },
    ]);
    for (const warning of parsed.warnings) {
      expect(warning.message.startsWith(`${warning.path}: the secret of "${warning.keyId}" is ${warning.octets} octets`)).toBe(true);
      expect(warning.message).toContain(`at least ${MIN_SECRET_OCTETS} octets`);
      expect(warning.message).not.toContain('deadbeef');
      expect(warning.message).not.toContain(HEX16.slice(2));
    }
  });

  it('a short passphrase in the plain format warns too; 16 octets or more do not', () => {
    expect(parseKeyFile('alice: hunter2\n', 'k').warnings.map((warning) => warning.octets)).toEqual([7]);
    expect(parseKeyFile('alice: sixteen octets!!\n', 'k').warnings).toEqual([]);
    expect(parseKeyFile(`alice ${HEX16}\n`, 'k').warnings).toEqual([]);
  });

  it('loadKeyFile (what twampd and the twamp commands call) reports them through onWarning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twamp-keys-warn-'));
    try {
      const path = join(dir, 'keys.pfs');
      await writeFile(path, 'alice 00ff\n');
      const seen: KeyFileWarning[] = [];
      const store = await loadKeyFile(path, { onWarning: (warning) => seen.push(warning) });
      expect(store.size).toBe(1);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.path).toBe(`${path}:1`);
      // Without onWarning nothing is thrown or printed: a caller opts in.
      expect((await loadKeyFile(path)).size).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('formatKeyFileLine and keyFileIdentityProblem', () => {
  it('writes identity<TAB>hex that the parser reads back to the same octets', () => {
    const secret = randomBytes(32);
    const line = formatKeyFileLine('alice', secret);
    expect(line).toBe(`alice\t${secret.toString('hex')}`);
    const { format, store, warnings } = parseKeyFile(`${line}\n`, 'k');
    expect(format).toBe('perfsonar');
    expect(Buffer.from(store.secret('alice') ?? []).equals(secret)).toBe(true);
    expect(warnings).toEqual([]);
    // Non-ASCII identities up to 80 octets are KeyIDs too.
    const long = 'é'.repeat(40);
    expect(parseKeyFile(`${formatKeyFileLine(long, secret)}\n`, 'k').store.secret(long)).toBeDefined();
  });

  it.each([
    ['', 'non-empty'],
    ['a b', 'without whitespace'],
    ['a\tb', 'without whitespace'],
    ['#alice', 'does not start with #'],
    ['ali:ce', "without ':'"],
    ['é'.repeat(41), 'at most 80 UTF-8 octets'],
    ['a\0b', 'without NUL'],
  ])('refuses the identity %j (%s)', (keyId, expected) => {
    expect(keyFileIdentityProblem(keyId)).toContain(expected);
    expect(() => formatKeyFileLine(keyId, randomBytes(32))).toThrow(ConfigError);
  });

  it('accepts what perfSONAR accepts otherwise', () => {
    for (const keyId of ['alice', 'perfsonar-user', 'a.b_c-d@example.net', 'ünï', 'x'.repeat(80)]) expect(keyFileIdentityProblem(keyId)).toBeUndefined();
  });
});
