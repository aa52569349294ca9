import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { publishedPackageDirs, readmeExamples } from './readme-blocks.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'twamp-pack-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

// `pnpm pack` builds each package (prepack) and rewrites workspace: ranges; the tarballs must then
// install with npm into an empty project, with no workspace around them, and run their README
// examples from dist/ under Node's default conditions. Third-party dependencies (node-gyp and
// node-addon-api for @twamp/udp's native build) come from the registry, from npm's cache when it has them.
describe('packed tarballs', () => {
  it('install alone and run their README examples', async () => {
    const tarballs = join(work, 'tarballs');
    for (const dir of publishedPackageDirs()) {
      await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir });
    }
    const files = readdirSync(tarballs).map((file) => join(tarballs, file));
    const project = join(work, 'consumer');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts=false', ...files], { cwd: project });

    for (const dir of publishedPackageDirs()) {
      for (const [i, example] of readmeExamples(dir).entries()) {
        // Examples are TypeScript; the consumer runs them through tsx with default conditions (dist/).
        const file = join(project, `${i}-${dir.split('/').pop() ?? 'pkg'}.ts`);
        writeFileSync(file, example.code);
        const tsx = join(import.meta.dirname, '../node_modules/tsx/dist/loader.mjs');
        const { stdout } = await run(process.execPath, ['--import', tsx, file], { cwd: project });
        for (const line of example.expectedOutput) expect(stdout).toContain(line);
      }
    }
  }, 180_000);
});
