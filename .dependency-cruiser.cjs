// Layer enforcement (see docs in CONTRIBUTING.md and ../shared architecture):
//   errors → wire, metrics, udp → control, test-session → cli, daemon → apps.
// Run with `pnpm layers`; CI fails on any violation.
'use strict';

const { layerRules } = require('./tooling/layers/layers.cjs');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules(),
    {
      name: 'no-deep-import',
      comment: 'Another package is used only through its public entry point (its exports map), never its internals.',
      severity: 'error',
      from: { path: '^(packages|apps)/([^/]+)/' },
      to: {
        path: '^(packages|apps)/[^/]+/',
        pathNot: ['^$1/$2/', '^(packages|apps)/[^/]+/(src/index\\.ts|dist/index\\.(js|d\\.ts))$'],
      },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, inside a package or between packages.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import must resolve (a missing export or a typo in a path).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-undeclared-dependency',
      comment: 'Source code may import only what its package.json declares.',
      severity: 'error',
      from: { path: '^(packages|apps)/[^/]+/src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'src-not-to-dev-dependency',
      comment: 'Published code must not need a devDependency at run time.',
      severity: 'error',
      from: { path: '^(packages|apps)/[^/]+/src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage|node_modules|\\.turbo)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      conditionNames: ['@twamp/source', 'import', 'types', 'node', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
