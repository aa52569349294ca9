// docs/usage.md and docs/migration.md name options in their examples and tables; each must be an
// option the command has today (read from its --help), so the docs cannot promise a missing option.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

const USAGE = new URL('../../../docs/usage.md', import.meta.url);
const MIGRATION = new URL('../../../docs/migration.md', import.meta.url);

async function helpText(argv: readonly string[]): Promise<string> {
  let out = '';
  const io = { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => true } };
  expect(await main([...argv, '--help'], io)).toBe(0);
  return out;
}

/** Flags in a piece of text: `-c`, `--count` (a `=value` or a value after them is not part of the flag). */
function flagsIn(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s(,])(--?[a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[1] ?? '');
}

function hasFlag(help: string, flag: string): boolean {
  return new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}([\\s,]|$)`, 'm').test(help);
}

describe('docs/usage.md and docs/migration.md', () => {
  it('use only options the commands have, in every example', async () => {
    const examples = readFileSync(USAGE, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('$ '))
      .map((line) => line.replace(/^\$ (?:[A-Z_]+=\S+ )?/, '').replace(/\s+#.*$/, ''));
    expect(examples.length).toBeGreaterThan(40);
    const helps = new Map<string, string>();
    for (const example of examples) {
      const words = example.split(/\s+/);
      expect(words[0], example).toBe('twamp');
      const command = words.slice(1).find((word) => !word.startsWith('-')) ?? '';
      if (!helps.has(command)) helps.set(command, await helpText([command]));
      const help = helps.get(command) ?? '';
      expect(help, `${command} in: ${example}`).toContain(`Usage: twamp ${command}`);
      for (const flag of flagsIn(example.replace(/^twamp /, ' '))) expect(hasFlag(help, flag), `${flag} of twamp ${command} in: ${example}`).toBe(true);
    }
  });

  it('map to options that exist (the twamp column of every migration table)', async () => {
    const commands = ['responder', 'sender', 'controller', 'controlclient', 'server', 'demo', 'dscptable'];
    const helps = [await helpText([]), ...(await Promise.all(commands.map((command) => helpText([command]))))].join('\n');
    const rows = readFileSync(MIGRATION, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| ---') && !/^\| (twampy|twping) \|/.test(line));
    expect(rows.length).toBeGreaterThan(30);
    for (const row of rows) {
      const ours = row.split(' | ')[1] ?? '';
      for (const code of ours.matchAll(/`([^`]+)`/g)) {
        for (const flag of flagsIn(code[1] ?? '')) expect(hasFlag(helps, flag), `${flag} in: ${row}`).toBe(true);
      }
    }
  });
});
