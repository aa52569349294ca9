import { defineConfig } from 'vitest/config';

// One run over every package; each package's own vitest.config.ts says how its tests run,
// so `pnpm --filter <pkg> test` and this root run behave the same.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tooling/*/vitest.config.ts'],
    reporters: ['default', './tooling/vitest-config/totals-reporter.js'],
  },
});
