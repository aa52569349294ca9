// Every install line in the docs must be one that works today and that a test runs: nothing is
// published to a registry yet, so `npm install --global twampd` or `npm i @twamp/...` fail for a
// reader. The forms allowed here are exercised by pack.test.ts (tarballs, a global install from a
// built clone) and by CI (npm run quickstart on a bare clone; pnpm itself from npm).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedPackageDirs, root } from './readme-blocks.js';

const EXERCISED: readonly RegExp[] = [
  /npm (i|install) (-g|--global) pnpm@12\.4\.2/, // CI's pnpm step, the quick start's bootstrap
  /npm install --global \.\/apps\/twampd? ?(\.\/apps\/twamp)?/, // pack.test.ts: a built clone
  /npm install ~\/twamp-tarballs\//, // pack.test.ts: the tarballs of pnpm -r pack
];

const INSTALL = /\b(npm (i|install|add)|pnpm add|yarn add)\b[^\n`]*/g;

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((file) => file.endsWith('.md')).map((file) => join(root, 'docs', file));
  return [join(root, 'README.md'), join(root, 'CONTRIBUTING.md'), join(root, 'packaging', 'README.md'), ...docs, ...publishedPackageDirs().map((dir) => join(dir, 'README.md'))];
}

describe('install lines in the docs', () => {
  it.each(markdownFiles().map((file) => [relative(root, file), file]))('%s names only installs that work and are tested', (_name, file) => {
    const lines = [...readFileSync(file, 'utf8').matchAll(INSTALL)].map((match) => match[0]);
    const untested = lines.filter((line) => !EXERCISED.some((form) => form.test(line)));
    expect(untested).toEqual([]);
  });
});

describe("the README's quick start", () => {
  it('is two commands, each run by CI as written (the first also on a bare clone without pnpm)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Quick start'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const commands = block.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
    expect(commands).toEqual(['npm run quickstart', 'pnpm test']);
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    const bare = readFileSync(join(root, 'scripts', 'check-bare-quickstart.sh'), 'utf8');
    expect(ci.split('\n')).toContain(commands[0]);
    expect(bare).toContain(commands[0]);
    expect(ci.trimEnd().split('\n').at(-1)).toBe(commands[1]);
  });
});
