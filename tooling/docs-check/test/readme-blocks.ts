import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../../..');

export interface ReadmeExample {
  /** Directory of the package whose README holds the example. */
  readonly packageDir: string;
  readonly code: string;
  /** Lines of the ```text block that follows the example, if any: the output it must print. */
  readonly expectedOutput: readonly string[];
}

/** Published packages: packages/* and apps/* with a package.json that is not private. */
export function publishedPackageDirs(): string[] {
  return ['packages', 'apps'].flatMap((top) => {
    const base = join(root, top);
    return readdirSync(base, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
      .map((entry) => join(base, entry.name))
      .filter((dir) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { private?: boolean }).private !== true);
  });
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```$/gm;

/** Every ```ts block of a package README, with the ```text block right after it as expected output. */
export function readmeExamples(packageDir: string): ReadmeExample[] {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(FENCE)].map((match) => ({
    lang: match[1] ?? '',
    body: match[2] ?? '',
    end: (match.index) + match[0].length,
    start: match.index,
  }));
  return blocks.flatMap((block, i) => {
    if (block.lang !== 'ts') return [];
    const next = blocks[i + 1];
    const between = next === undefined ? '' : readme.slice(block.end, next.start);
    // Only a text block introduced as output right after the example counts as its expected output.
    const isOutput = next?.lang === 'text' && /output/i.test(between);
    const expectedOutput = isOutput ? next.body.split('\n').filter((line) => line.trim() !== '') : [];
    return [{ packageDir, code: block.body, expectedOutput }];
  });
}
