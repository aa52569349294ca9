// The executable's interpreter line: `env -S` hands node its V8 options (1 MiB semi-spaces, see
// src/bin.ts), and twampd runs with them the way an installed bin does, through env itself.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const APP = join(import.meta.dirname, '..');
const BUILT = existsSync(join(APP, 'dist/bin.js'));
// In CI (TWAMP_E2E_BUILT=1, after `pnpm build`) the built executable must be there: its test may not be skipped.
if (process.env['TWAMP_E2E_BUILT'] === '1' && !BUILT) throw new Error('TWAMP_E2E_BUILT=1 but dist/bin.js is missing: run pnpm build first');
const FIRST_LINE = (readFileSync(join(APP, 'src/bin.ts'), 'utf8').split('\n', 1)[0] ?? '').trim();

describe('twampd interpreter line', () => {
  it('runs node through env -S with the young-generation size twampd is sized for', () => {
    expect(FIRST_LINE).toBe('#!/usr/bin/env -S node --max-semi-space-size=1');
  });

  it('node accepts the options on the line (a flag it refused would stop twampd before main)', async () => {
    const flags = FIRST_LINE.replace(/^#!\/usr\/bin\/env -S node/, '').trim().split(/\s+/);
    const { stdout } = await run(process.execPath, [...flags, '-p', 'process.execArgv.filter((a) => a.startsWith("--max")).join(" ")']);
    expect(stdout.trim()).toBe(flags.join(' '));
  });

  it.runIf(BUILT)('the built executable starts through its own interpreter line, as the kernel runs it', async () => {
    const bin = join(APP, 'dist/bin.js');
    expect(readFileSync(bin, 'utf8').split('\n', 1)[0]).toBe(FIRST_LINE);
    // The kernel runs the interpreter with the rest of the line as one argument, then the script.
    const [interpreter = '', rest = ''] = FIRST_LINE.slice(2).split(/ (.*)/s);
    const { stdout } = await run(interpreter, [rest, bin, '--version'], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` } });
    expect(stdout).toMatch(/twampd \d+\.\d+\.\d+/);
  });
});
