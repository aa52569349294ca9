// Bad key files with the real executable: a secured mode with an empty key file (or one of comments
// only), or with a key file that does not list the identity --user names, is a usage error (exit 2)
// naming the file and what is missing (@twamp/control's requireIdentities), before anything listens or connects. Before this check
// `twamp server --mode encrypted` with an empty file started and refused every client ("0 key
// identities").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTwamp } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-key-file-e2e-'));
const empty = join(dir, 'empty.pfs');
const commentsOnly = join(dir, 'comments.pfs');
const bobOnly = join(dir, 'bob.pfs');
writeFileSync(empty, '');
writeFileSync(commentsOnly, '# no identities yet\n\n');
writeFileSync(bobOnly, `bob\t${Buffer.from('bob secret', 'utf8').toString('hex')}\n`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Generous: each run starts node with tsx; a server that wrongly starts is killed by the timeout. */
const TIMEOUT_MS = 20_000;

describe.concurrent('twamp server: a secured mode needs key identities', () => {
  it.each([
    ['encrypted', empty],
    ['authenticated', commentsOnly],
    ['mixed', empty],
  ])('--mode %s with a key file listing none exits 2 naming the file', async (mode, file) => {
    const { code, stderr } = await runTwamp(['server', '127.0.0.1:0', '--mode', mode, '--key-file', file], { timeoutMs: TIMEOUT_MS });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain('at least one key identity');
    expect(stderr).not.toContain('listening');
  }, 30_000);

  it('without --mode (every mode with a key file) the same', async () => {
    const { code, stderr } = await runTwamp(['server', '127.0.0.1:0', '--key-file', empty], { timeoutMs: TIMEOUT_MS });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(empty);
  }, 30_000);
});

describe.concurrent('clients: the identity of --user must be in the key file', () => {
  it.each([
    ['controller', ['controller', '127.0.0.1:1', '--mode', 'encrypted', '--user', 'alice']],
    ['controller', ['controller', '127.0.0.1:1', '--mode', 'auth', '--user', 'alice']],
    ['responder --stamp --auth', ['responder', '127.0.0.1:0', '--stamp', '--auth', '--user', 'alice']],
    ['sender --stamp --auth', ['sender', '127.0.0.1:1', '--stamp', '--auth', '--user', 'alice']],
  ] as const)('%s with an empty key file exits 2 naming the file', async (_name, args) => {
    const { code, stderr } = await runTwamp([...args, '--key-file', empty], { timeoutMs: TIMEOUT_MS });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(empty);
    expect(stderr).toContain('at least one key identity');
  }, 30_000);

  it.each([
    ['controller', ['controller', '127.0.0.1:1', '--mode', 'mixed', '--user', 'alice']],
    ['responder --stamp --auth', ['responder', '127.0.0.1:0', '--stamp', '--auth', '--user', 'alice']],
    ['sender --stamp --auth', ['sender', '127.0.0.1:1', '--stamp', '--auth', '--user', 'alice']],
  ] as const)('%s with a key file without that identity exits 2 naming the file and the identity', async (_name, args) => {
    const { code, stderr } = await runTwamp([...args, '--key-file', bobOnly], { timeoutMs: TIMEOUT_MS });
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(bobOnly);
    expect(stderr).toContain('--user');
    expect(stderr).toContain('"alice"');
    expect(stderr).toContain('it holds 1');
  }, 30_000);
});
