import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { publishedPackageDirs, readmeExamples } from './readme-blocks.js';

const run = promisify(execFile);

// Every README example runs as written, against the package's source, from the package's own
// directory (so `@twamp/<self>` resolves as it would for a user of the package).
describe.each(publishedPackageDirs().map((dir) => [basename(dir), dir] as const))('README of %s', (_name, dir) => {
  const examples = readmeExamples(dir);

  it('has at least one TypeScript example', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((example, i) => [i + 1, example] as const))('example %i runs and prints what the README shows', async (n, example) => {
    const scratch = join(dir, '.readme-examples');
    mkdirSync(scratch, { recursive: true });
    const file = join(scratch, `example-${n}.ts`);
    writeFileSync(file, example.code);
    try {
      const { stdout } = await run(process.execPath, ['--conditions=@twamp/source', '--import', 'tsx', file], { cwd: dir });
      for (const line of example.expectedOutput) expect(stdout).toContain(line);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
