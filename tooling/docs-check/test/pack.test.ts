import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishedPackageDirs, readmeExamples, root } from './readme-blocks.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'twamp-pack-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

// `pnpm pack` builds each package (prepack) and rewrites workspace: ranges; the tarballs must then
// install with npm into an empty project, with no workspace around them, and run their README
// examples from dist/ under Node's default conditions. Third-party dependencies (node-gyp and
// node-addon-api for @twamp/udp's native build) come from the registry, from npm's cache when it has them.
// What a tarball may hold: what runs (dist's JavaScript, declarations and their maps, the sources
// the maps point at), the README, licence and changelog, the CLI's JSON schemas and @twamp/udp's native
// sources and install script. Build state (dist/.tsbuildinfo, 37-90 KB each), tests and configs are not.
const SHIPPED = /^package\/(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|src\/.+\.ts|schema\/.+\.json|native\/.+\.(cc|h)|binding\.gyp|scripts\/install\.mjs|prebuilds\/.+)$/;

describe('packed tarballs', () => {
  const tarballs = join(work, 'tarballs');
  let files: string[] = [];
  // The command the docs give for tarballs today (packages/test-session/README.md, docs/daemon.md),
  // here for the apps too. Each pack builds its package first (prepack).
  beforeAll(async () => {
    await run('pnpm', ['-r', '--workspace-concurrency=1', '--filter', './packages/*', '--filter', './apps/*', 'pack', '--pack-destination', tarballs], { cwd: root });
    files = readdirSync(tarballs).map((file) => join(tarballs, file));
  }, 180_000);

  // The docs' other way today (packaging/README.md, docs/daemon.md, the apps' READMEs): npm links a
  // built clone's executables into its prefix. The packs above have built them.
  it('a built clone installs twampd and twamp globally with npm install --global ./apps/…', async () => {
    const prefix = join(work, 'global');
    await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', './apps/twampd', './apps/twamp'], { cwd: root });
    const twampd = await run(join(prefix, 'bin', 'twampd'), ['--version']);
    expect(twampd.stdout).toMatch(/^twampd \d+\.\d+\.\d+/);
    const twamp = await run(join(prefix, 'bin', 'twamp'), ['--version']);
    expect(twamp.stdout).toMatch(/twamp \d+\.\d+\.\d+/);
  });

  it('ship only what runs: no build state, tests or configs', async () => {
    expect(files).toHaveLength(publishedPackageDirs().length);
    for (const file of files) {
      const { stdout } = await run('tar', ['-tzf', file]);
      const entries = stdout.split('\n').filter((entry) => entry !== '' && !entry.endsWith('/'));
      expect(entries, file).toContain('package/package.json');
      expect(entries.filter((entry) => !SHIPPED.test(entry) || entry.endsWith('.test.ts')), file).toEqual([]);
    }
  });

  it('install alone and run their README examples', async () => {
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
