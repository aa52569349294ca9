import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { createKeyStore, keyIdFromField, loadKeyFile, parseKeyFile, requireIdentities } from '../../src/keys/index.js';

const SECRET_HEX = 'deadbeefcafe0123';

function thrown(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseKeyFile', () => {
  it('perfSONAR format: identity, tab or spaces, hex secret (hex-decoded); comments and blank lines skipped', () => {
    const text = `# twampd keys\n\nalice\t${SECRET_HEX}\n  bob   00ff  \r\n`;
    const { format, store } = parseKeyFile(text, 'twamp-server.pfs');
    expect(format).toBe('perfsonar');
    expect(store.size).toBe(2);
    expect(Buffer.from(store.secret('alice') ?? []).toString('hex')).toBe(SECRET_HEX);
    expect([...(store.secret('bob') ?? [])]).toEqual([0x00, 0xff]);
    expect(store.secret('carol')).toBeUndefined();
  });

  it('plain format: identity: passphrase as UTF-8 octets (auto-detected from the first line)', () => {
    const { format, store } = parseKeyFile('# keys\nalice: correct horse: battery\nbob:s3cret ünï\n', 'keys.txt');
    expect(format).toBe('plain');
    expect(Buffer.from(store.secret('alice') ?? []).toString('utf8')).toBe('correct horse: battery');
    expect(Buffer.from(store.secret('bob') ?? []).toString('utf8')).toBe('s3cret ünï');
  });

  it('an explicit format wins over detection', () => {
    const { store } = parseKeyFile('alice: 00ff\n', 'k', { format: 'plain' });
    expect(Buffer.from(store.secret('alice') ?? []).toString('utf8')).toBe('00ff');
    // Read as perfSONAR, "alice:" is the identity and the rest must be hex.
    expect(parseKeyFile('alice: 00ff\n', 'k', { format: 'perfsonar' }).store.secret('alice:')).toEqual(Uint8Array.from([0, 255]));
    const error = thrown(() => parseKeyFile('alice: hunter2\n', 'k', { format: 'perfsonar' }));
    expect(error.message).toContain('k:1');
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    ['a line without a secret', 'alice\n', 'k:1', 'an identity, then spaces or a tab'],
    ['odd hex', `alice ${SECRET_HEX}\nbob abc\n`, 'k:2', 'even number of hex digits'],
    ['non-hex secret', '\n\nalice zzzz9999\n', 'k:3', 'hex digits'],
    ['three words', 'alice 00 11\n', 'k:1', 'an identity, then spaces or a tab'],
    ['duplicate identity', 'alice 00\nalice 11\n', 'k:2', 'already on line 1'],
    ['KeyID over 80 octets', `${'é'.repeat(41)} 00\n`, 'k:1', 'at most 80 UTF-8 octets'],
  ])('perfSONAR, %s → ConfigError naming the line, no secret in the message', (_name, text, where, expected) => {
    const error = thrown(() => parseKeyFile(text, 'k', { format: 'perfsonar' }));
    expect(error.message).toContain(where);
    expect(error.message).toContain(expected);
    for (const secret of [SECRET_HEX, 'abc', 'zzzz9999', '00 11']) expect(error.message).not.toContain(secret);
  });

  it.each([
    ['no colon', 'alice: ok\nbob hunter2\n', 'k:2', 'no colon'],
    ['empty passphrase', 'alice:   \n', 'k:1', 'a passphrase'],
    ['empty identity', ': hunter2\n', 'k:1', 'non-empty identity'],
  ])('plain, %s → ConfigError naming the line, no secret in the message', (_name, text, where, expected) => {
    const error = thrown(() => parseKeyFile(text, 'k', { format: 'plain' }));
    expect(error.message).toContain(where);
    expect(error.message).toContain(expected);
    expect(error.message).not.toContain('hunter2');
  });

  it('loadKeyFile reads a file; a missing file is a ConfigError naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twamp-keys-'));
    try {
      const path = join(dir, 'twamp-server.pfs');
      await writeFile(path, `alice\t${SECRET_HEX}\n`);
      const store = await loadKeyFile(path);
      expect(store.size).toBe(1);
      await expect(loadKeyFile(join(dir, 'missing.pfs'))).rejects.toThrow(/missing\.pfs.*ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createKeyStore', () => {
  it('copies secrets in and out, refuses long KeyIDs and duplicates', () => {
    const secret = Uint8Array.from([1, 2, 3]);
    const store = createKeyStore([
      ['a', secret],
      ['b', 'pass phrase'],
    ]);
    secret.fill(0);
    const out = store.secret('a');
    expect([...(out ?? [])]).toEqual([1, 2, 3]);
    out?.fill(9);
    expect([...(store.secret('a') ?? [])]).toEqual([1, 2, 3]);
    expect(Buffer.from(store.secret('b') ?? []).toString()).toBe('pass phrase');
    expect(() => createKeyStore([['x'.repeat(81), 'secret']])).toThrow(ConfigError);
    expect(() => createKeyStore([['x'.repeat(80), 'secret']])).not.toThrow();
    expect(() =>
      createKeyStore([
        ['a', 'one'],
        ['a', 'two'],
      ]),
    ).toThrow(/once/);
    expect(() => createKeyStore([['a', '']])).toThrow(/non-empty secret/);
  });

  it('keyIdFromField strips the zero padding of the 80-octet field', () => {
    const field = Buffer.alloc(80);
    field.write('perfsonar-user');
    expect(keyIdFromField(field)).toBe('perfsonar-user');
  });
});

describe('requireIdentities (issue 13 item 10: an empty key file must not be accepted silently)', () => {
  it('an empty file, or one of comments only, parses to size 0, which callers can see', () => {
    expect(parseKeyFile('', 'keys.txt').store.size).toBe(0);
    expect(parseKeyFile('# nothing\n\n', 'keys.txt').store.size).toBe(0);
  });

  it('no identity at all → ConfigError naming the file, never a secret', () => {
    const error = thrown(() => requireIdentities(createKeyStore([]), '/etc/twamp/keys'));
    expect(error.issues[0]?.path).toBe('/etc/twamp/keys');
    expect(error.message).toContain('at least one key identity');
    const viaOption = thrown(() => parseKeyFile('# empty\n', 'keys.txt', { require: true }));
    expect(viaOption.issues[0]?.path).toBe('keys.txt');
  });

  it('an identity asked for and missing → ConfigError naming it; present ones pass and return the store', () => {
    const store = createKeyStore([['alice', 'secret one']]);
    expect(requireIdentities(store, 'keys.txt', ['alice'])).toBe(store);
    const error = thrown(() => requireIdentities(store, 'keys.txt', ['alice', 'bob']));
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain('"bob"');
    expect(error.message).not.toContain('secret one');
    expect(() => parseKeyFile(`alice ${SECRET_HEX}\n`, 'keys.txt', { require: ['bob'] })).toThrow(ConfigError);
    expect(parseKeyFile(`alice ${SECRET_HEX}\n`, 'keys.txt', { require: ['alice'] }).store.size).toBe(1);
  });

  it('loadKeyFile passes `require` on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'twamp-keys-'));
    try {
      const path = join(dir, 'empty');
      await writeFile(path, '\n');
      expect((await loadKeyFile(path)).size).toBe(0);
      await expect(loadKeyFile(path, { require: true })).rejects.toThrow(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
