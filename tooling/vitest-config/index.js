// Shared vitest project settings. The "@twamp/source" export condition makes every
// `@twamp/*` import resolve to the package's TypeScript source, so tests need no build.
import { defineProject } from 'vitest/config';

const conditions = ['@twamp/source', 'import', 'module', 'node', 'default'];

/**
 * @param {string} name project name shown by vitest (the package name)
 * @param {import('vitest/config').TestProjectInlineConfiguration['test']} [test] extra test options
 */
export function twampProject(name, test = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: conditions } },
    test: {
      name,
      environment: 'node',
      include: ['test/**/*.test.ts'],
      testTimeout: 60_000,
      ...test,
    },
  });
}
