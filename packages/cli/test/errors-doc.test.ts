// docs/errors.md is generated from the code; this fails when someone changes an Accept code's text,
// an exit code or a failure's rendering without regenerating it (or edits the file by hand).
import { existsSync, readFileSync } from 'node:fs';
import { ACCEPT_CODES, ErrorCode } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_DOCUMENTS, exitCodesTable, renderErrorsDoc, TYPED_ERRORS, withExitCodesTable } from '../scripts/errors-doc.js';
import { EXIT_CODES } from '../src/errors/index.js';

const DOC = new URL('../../../docs/errors.md', import.meta.url);
const REGENERATE = 'node --conditions=@twamp/source --import tsx packages/cli/scripts/gen-errors-doc.ts';

describe('docs/errors.md', () => {
  it('is what the generator makes from the code today', () => {
    const current = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '(missing)';
    expect(current === renderErrorsDoc(), `docs/errors.md is out of date: run \`${REGENERATE}\` from the repository root`).toBe(true);
  });

  it.each(EXIT_CODE_DOCUMENTS)('%s carries the exit-code table generated from EXIT_CODES', (document) => {
    const current = readFileSync(new URL(`../../../${document}`, import.meta.url), 'utf8');
    expect(current === withExitCodesTable(current, document), `${document}'s exit codes are out of date: run \`${REGENERATE}\` from the repository root`).toBe(true);
    expect(current).toContain(exitCodesTable().join('\n'));
  });

  it('documents every Accept code, every exit code and every typed error', () => {
    const doc = renderErrorsDoc();
    for (const info of ACCEPT_CODES) {
      expect(doc).toContain(`### Accept ${info.code}: ${info.name}`);
      // Our own words from @twamp/errors, not a copy kept here.
      for (const step of info.whatToDo) expect(doc).toContain(step);
    }
    for (const info of EXIT_CODES) expect(doc).toContain(`| ${info.code} | ${info.name} |`);
    expect(new Set(TYPED_ERRORS.map((doc) => doc.code))).toEqual(new Set(Object.values(ErrorCode)));
    for (const typed of TYPED_ERRORS) expect(typed.sample.name).toBe(typed.name);
  });
});

