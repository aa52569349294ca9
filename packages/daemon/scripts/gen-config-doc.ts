// Writes the configuration reference into docs/daemon.md, between the config-reference markers, from
// the table in src/config/reference.ts (every other section of the file is left as it is):
//   node --conditions=@twamp/source --import tsx packages/daemon/scripts/gen-config-doc.ts [--check]
// (`pnpm --filter @twamp/daemon docs:config`). With --check it writes nothing and exits 1 when the
// section is out of date; test/config-doc.test.ts checks the same on every test run.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withConfigReference } from '../src/config/index.js';

const target = fileURLToPath(new URL('../../../docs/daemon.md', import.meta.url));
const current = readFileSync(target, 'utf8');
const updated = withConfigReference(current);
if (updated === undefined) {
  process.stderr.write(`${target} has no config-reference markers (<!-- section:config-reference ... --> and <!-- end:config-reference -->)\n`);
  process.exit(1);
}
if (process.argv.includes('--check')) {
  if (updated !== current) {
    process.stderr.write(`${target}: the config reference is out of date: run this script without --check\n`);
    process.exit(1);
  }
} else if (updated === current) {
  process.stdout.write(`${target} is up to date\n`);
} else {
  writeFileSync(target, updated);
  process.stdout.write(`wrote the config reference in ${target}\n`);
}
