import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '../../..');
const depcruise = join(root, 'node_modules/.bin/depcruise');
const config = join(root, '.dependency-cruiser.cjs');

interface LayerEntry {
  readonly name: string;
  readonly dir: string;
  readonly layer: number;
}
const layers = require('../layers.cjs') as {
  PACKAGES: readonly LayerEntry[];
  allowedDependencies: (name: string) => string[];
};

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Every workspace package that ships code: packages/* and apps/* with a package.json. */
function workspacePackages(): { dir: string; json: PackageJson }[] {
  return ['packages', 'apps'].flatMap((top) => {
    const base = join(root, top);
    return readdirSync(base, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
      .map((entry) => ({
        dir: `${top}/${entry.name}`,
        json: JSON.parse(readFileSync(join(base, entry.name, 'package.json'), 'utf8')) as PackageJson,
      }));
  });
}

async function cruise(cwd: string, targets: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, ['--config', config, '--output-type', 'err', ...targets], { cwd });
    return { code: 0, output: stdout };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('layer rules (dependency-cruiser)', () => {
  it('pass on the repository', async () => {
    const result = await cruise(root, ['packages', 'apps', 'tooling']);
    expect(result.output).toContain('no dependency violations');
    expect(result.code).toBe(0);
  });

  it('reject an import from a higher layer and a deep import into another package', async () => {
    const fixture = join(import.meta.dirname, '../fixtures/forbidden');
    const result = await cruise(fixture, ['packages']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('layer-0:@twamp/errors: packages/errors/src/index.ts → packages/wire/src/index.ts');
    expect(result.output).toContain('no-deep-import: packages/wire/src/deep.ts → packages/errors/src/internal.ts');
  });
});

describe('package manifests', () => {
  const packages = workspacePackages();

  it('every workspace package has a place in the layer map', () => {
    for (const { dir, json } of packages) {
      expect(layers.PACKAGES.find((entry) => entry.name === json.name)?.dir, json.name).toBe(dir);
    }
  });

  it.each(packages.map((p) => [p.json.name, p] as const))('%s depends only on lower layers', (_name, { json }) => {
    const internal = Object.keys(json.dependencies ?? {}).filter((dep) => dep.startsWith('@twamp/') || dep.startsWith('twamp'));
    const allowed = layers.allowedDependencies(json.name);
    for (const dep of internal) expect(allowed, `${json.name} → ${dep}`).toContain(dep);
  });

  it.each(packages.map((p) => [p.json.name, p] as const))('%s project references mirror its dependencies', (_name, { dir, json }) => {
    const tsconfig = JSON.parse(readFileSync(join(root, dir, 'tsconfig.build.json'), 'utf8')) as {
      references?: { path: string }[];
    };
    const referenced = (tsconfig.references ?? []).map((ref) => resolve(root, dir, ref.path)).sort();
    const expected = Object.keys(json.dependencies ?? {})
      .map((dep) => layers.PACKAGES.find((entry) => entry.name === dep))
      .filter((entry): entry is LayerEntry => entry !== undefined)
      .map((entry) => join(root, entry.dir, 'tsconfig.build.json'))
      .sort();
    expect(referenced).toEqual(expected);
  });
});
