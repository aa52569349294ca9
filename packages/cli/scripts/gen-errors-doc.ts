// Writes docs/errors.md (at the repository root) from the code:
//   node --conditions=@twamp/source --import tsx packages/cli/scripts/gen-errors-doc.ts [--check]
// With --check it writes nothing and exits 1 when the file is out of date (test/errors-doc.test.ts
// checks the same on every test run).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderErrorsDoc } from './errors-doc.js';

const target = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
const text = renderErrorsDoc();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is out of date like any other.
  }
  if (current !== text) {
    process.stderr.write(`${target} is out of date: run this script without --check\n`);
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
