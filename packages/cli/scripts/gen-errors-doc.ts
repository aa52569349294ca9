// Writes docs/errors.md (at the repository root) from the code, and the exit-code tables of the
// documents in EXIT_CODE_DOCUMENTS (between their markers):
//   node --conditions=@twamp/source --import tsx packages/cli/scripts/gen-errors-doc.ts [--check]
// With --check it writes nothing and exits 1 when a file is out of date (test/errors-doc.test.ts
// checks the same on every test run).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_CODE_DOCUMENTS, renderErrorsDoc, withExitCodesTable } from './errors-doc.js';

const root = new URL('../../../', import.meta.url);

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // A missing file is out of date like any other.
    return '';
  }
}

const targets: { path: string; text: string }[] = [{ path: fileURLToPath(new URL('docs/errors.md', root)), text: renderErrorsDoc() }];
for (const document of EXIT_CODE_DOCUMENTS) {
  const path = fileURLToPath(new URL(document, root));
  targets.push({ path, text: withExitCodesTable(read(path), document) });
}
const check = process.argv.includes('--check');
let stale = false;
for (const { path, text } of targets) {
  if (read(path) === text) continue;
  if (check) {
    process.stderr.write(`${path} is out of date: run this script without --check\n`);
    stale = true;
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
if (stale) process.exit(1);
