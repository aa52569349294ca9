// createLogger: JSON lines with the fields an operator greps for, level filtering, secrets redacted at
// any depth, and a file destination that follows logrotate (rename, reopen, new lines in the new file).
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@twamp/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, isSecretFieldName, REDACTED, redactSecrets } from '../src/logging/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(name = 'twampd.log'): string {
  const dir = mkdtempSync(join(tmpdir(), 'twampd-log-'));
  dirs.push(dir);
  return join(dir, name);
}

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('writes JSON lines with an ISO time, the level by name, service twampd, the event and the message', async () => {
    const path = tempFile();
    const logger = createLogger({ level: 'info', destination: path });
    logger.log.info({ event: 'session-opened', peer: '192.0.2.1:5000', mode: 'open', accept: 0 }, 'session opened');
    await logger.flush();
    const [line] = lines(path);
    expect(line).toMatchObject({ level: 'info', service: 'twampd', event: 'session-opened', peer: '192.0.2.1:5000', accept: 0, msg: 'session opened' });
    expect(typeof line?.['time']).toBe('string');
    expect(new Date(line?.['time'] as string).toISOString()).toBe(line?.['time']);
  });

  it('filters by level, and setLevel changes it at run time', async () => {
    const path = tempFile();
    const logger = createLogger({ level: 'warn', destination: path });
    logger.log.info({ event: 'a' }, 'dropped');
    logger.log.warn({ event: 'b' }, 'kept');
    logger.log.error({ event: 'c' }, 'kept');
    logger.setLevel('debug');
    logger.log.debug({ event: 'd' }, 'kept now');
    logger.setLevel('silent');
    logger.log.error({ event: 'e' }, 'silenced');
    await logger.flush();
    expect(lines(path).map((line) => [line['event'], line['level']])).toEqual([
      ['b', 'warn'],
      ['c', 'error'],
      ['d', 'debug'],
    ]);
  });

  it('redacts secret-named fields at any depth, in log calls and in child bindings', async () => {
    const path = tempFile();
    const logger = createLogger({ level: 'info', destination: path });
    const config = { security: { keyFile: '/etc/twampd/keys', keys: [{ keyId: 'alice', secret: 'hunter2' }] }, target: { stampKey: 'abc' } };
    logger.log.info({ event: 'reload', config, passphrase: 'p', token: 't', nested: { deeper: { password: 'pw', hmacKey: new Uint8Array([1, 2]) } } }, 'x');
    logger.log.child({ component: 'agent', apiToken: 'leak' }).info({ event: 'child' }, 'y');
    await logger.flush();
    const text = readFileSync(path, 'utf8');
    for (const secret of ['hunter2', '"abc"', '"p"', '"t"', '"pw"', 'leak']) expect(text).not.toContain(secret);
    const [first, second] = lines(path);
    expect(first).toMatchObject({
      passphrase: REDACTED,
      token: REDACTED,
      nested: { deeper: { password: REDACTED, hmacKey: REDACTED } },
      config: { security: { keyFile: '/etc/twampd/keys', keys: REDACTED }, target: { stampKey: REDACTED } },
    });
    expect(second).toMatchObject({ component: 'agent', apiToken: REDACTED, event: 'child' });
    // The caller's objects are not touched.
    expect(config.security.keys[0]?.secret).toBe('hunter2');
  });

  it('follows logrotate: after the file is renamed, reopen() sends new lines to a new file of the same name', async () => {
    const path = tempFile();
    const logger = createLogger({ level: 'info', destination: path });
    logger.log.info({ event: 'before' }, 'before rotation');
    await logger.flush();
    const rotated = `${path}.1`;
    renameSync(path, rotated);
    // Until reopen, the open descriptor still points at the renamed file.
    logger.log.info({ event: 'between' }, 'still the old file');
    await logger.flush();
    logger.reopen();
    logger.log.info({ event: 'after' }, 'after rotation');
    await logger.flush();
    expect(lines(rotated).map((line) => line['event'])).toEqual(['before', 'between']);
    expect(lines(path).map((line) => line['event'])).toEqual(['after']);
  });

  it('appends to an existing file', async () => {
    const path = tempFile();
    const first = createLogger({ level: 'info', destination: path });
    first.log.info({ event: 'one' }, '1');
    await first.flush();
    const second = createLogger({ level: 'info', destination: path });
    second.log.info({ event: 'two' }, '2');
    await second.flush();
    expect(lines(path).map((line) => line['event'])).toEqual(['one', 'two']);
  });

  it('flush() waits for many lines to reach the file', async () => {
    const path = tempFile();
    const logger = createLogger({ level: 'info', destination: path });
    for (let i = 0; i < 5000; i++) logger.log.info({ event: 'bulk', i }, 'a line long enough to need several writes '.repeat(3));
    await logger.flush();
    const read = lines(path);
    expect(read).toHaveLength(5000);
    expect(read.at(-1)?.['i']).toBe(4999);
  });

  it('a file that cannot be opened is a ConfigError on logging.destination, before anything starts', () => {
    const path = join(tempFile(), 'no-such-dir', 'twampd.log');
    expect(() => createLogger({ level: 'info', destination: path })).toThrow(ConfigError);
    try {
      createLogger({ level: 'info', destination: path });
    } catch (error) {
      expect((error as ConfigError).issues[0]).toMatchObject({ path: 'logging.destination' });
    }
  });

  it('stderr and stdout destinations take reopen() as a no-op', async () => {
    const logger = createLogger({ level: 'silent', destination: 'stderr' });
    expect(() => {
      logger.reopen();
    }).not.toThrow();
    await logger.flush();
  });
});

describe('redactSecrets', () => {
  it('knows secret names from identities and paths', () => {
    for (const name of ['secret', 'sharedSecret', 'key', 'stampKey', 'derivedKey', 'hmac_key', 'keys', 'passphrase', 'password', 'token', 'apiToken']) {
      expect(isSecretFieldName(name), name).toBe(true);
    }
    for (const name of ['keyId', 'keyFile', 'peer', 'mode', 'accept', 'event', 'keyIds']) {
      expect(isSecretFieldName(name), name).toBe(false);
    }
  });

  it('returns the same object when there is nothing to redact, survives cycles and deep nesting', () => {
    const clean = { a: 1, b: { c: [1, 2, { d: 'x' }] } };
    expect(redactSecrets(clean)).toBe(clean);
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic['self'] = cyclic;
    expect(() => redactSecrets(cyclic)).not.toThrow();
    const error = new Error('kept as is');
    expect(redactSecrets({ error }).error).toBe(error);
  });
});
