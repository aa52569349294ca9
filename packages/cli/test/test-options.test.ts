// The test-option table (src/options/test-options.ts) drives `sender`, `controller` and `demo`. For
// every entry and every command that lists it, its `example` goes the whole way through the real
// command line (commander, the plan, the command's run with a scripted engine and control client):
// the plan value changes, the Session-Sender options the entry maps it to arrive at the engine as the
// entry says (for the controller: through the negotiated session), and so do its JSON `settings`
// keys. An option added to the table is therefore proven for each command that lists it; an entry
// that reaches neither the engine nor the JSON must be named here as output-only.
import { Command } from 'commander';
import type { SenderOptions } from '@twamp/test-session';
import { describe, expect, it } from 'vitest';
import { parseControllerArguments } from '../src/commands/controller.js';
import { parseDemoArguments } from '../src/commands/demo.js';
import { parseSenderArguments, type SenderPlan } from '../src/commands/sender.js';
import { main } from '../src/main.js';
import { addTestOptions, longFlag, TEST_COMMANDS, TEST_SETTING_LIST, type TestCommand, testOptionKeys } from '../src/options/test-options.js';
import { scriptedControl, scriptedEngine, testIo } from './commands-support.js';

/** Settings that change only what is printed, not what is sent (their plan values are checked below). */
const OUTPUT_ONLY = ['format', 'logging'];

/** The arguments each command needs besides the test options (a remote for sender and controller). */
const COMMAND_ARGS: Readonly<Record<TestCommand, readonly string[]>> = {
  sender: ['sender', '127.0.0.1:41000'],
  controller: ['controller', '127.0.0.1'],
  demo: ['demo'],
};

/** The --auth example reads its key from this variable (a scripted environment). */
const STAMP_KEY = 'table test key';

/** Runs a command line in-process; returns what reached the engine and the JSON settings printed. */
async function run(argv: readonly string[]): Promise<{ engine: Record<string, unknown>; settings: Record<string, unknown> }> {
  const io = testIo();
  const engine = scriptedEngine();
  const control = { ...scriptedControl(), env: (name: string) => (name === 'STAMP_KEY' ? STAMP_KEY : undefined) };
  const code = await main([...argv, '--json'], io, { engine, control });
  expect({ argv, code, err: code === 0 ? '' : io.err() }).toEqual({ argv, code: 0, err: '' });
  const [options] = engine.senders;
  if (options === undefined) throw new Error(`no sender opened for ${argv.join(' ')}`);
  const json = JSON.parse(io.out()) as { settings: Record<string, unknown> };
  return { engine: comparable(options), settings: json.settings };
}

/** The engine options without what differs per run (the abort signal, callbacks). */
function comparable(options: SenderOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([key, value]) => key !== 'signal' && typeof value !== 'function'));
}

/** The test plan a command makes of `args` (commander with the table's options, then the command's own parser). */
function planOf(command: TestCommand, args: readonly string[]): SenderPlan {
  const program = new Command().exitOverride();
  addTestOptions(program, command);
  program.parse([...args], { from: 'user' });
  const raw = program.opts();
  switch (command) {
    case 'sender':
      return parseSenderArguments(undefined, undefined, raw);
    case 'controller':
      return parseControllerArguments(undefined, undefined, raw).test;
    case 'demo':
      return parseDemoArguments(raw).sender;
  }
}

const cases = TEST_SETTING_LIST.flatMap(([key, entry]) => entry.commands.map((command) => [key, command, entry] as const));

describe('the test-option table', () => {
  it('lists every entry on at least one command, with an example, and names its output-only entries', () => {
    for (const [key, entry] of TEST_SETTING_LIST) {
      expect({ key, commands: entry.commands.length > 0, example: entry.example.length > 0 }).toEqual({ key, commands: true, example: true });
    }
    const neither = TEST_SETTING_LIST.filter(([, entry]) => entry.engine === undefined && entry.json === undefined).map(([key]) => key);
    expect(neither).toEqual(OUTPUT_ONLY);
  });

  it('gives every option one commander name on every command (no two entries claim one)', () => {
    for (const command of TEST_COMMANDS) {
      const keys = testOptionKeys(command);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it.each(cases.map(([key, command]) => [key, command]))('%s: %s parses its example into the plan', (key, command) => {
    const entry = TEST_SETTING_LIST.find(([name]) => name === key)?.[1];
    if (entry === undefined) throw new Error(key);
    expect(planOf(command, entry.example)[key]).not.toEqual(planOf(command, [])[key]);
  });

  it.each(cases.filter(([key]) => !OUTPUT_ONLY.includes(key)).map(([key, command]) => [key, command]))(
    '%s: %s takes its example to the engine and the JSON settings',
    async (key, command) => {
      const entry = TEST_SETTING_LIST.find(([name]) => name === key)?.[1];
      if (entry === undefined) throw new Error(key);
      const before = await run(COMMAND_ARGS[command]);
      const after = await run([...COMMAND_ARGS[command], ...entry.example]);
      const plan = planOf(command, entry.example);
      if (entry.engine !== undefined) {
        const stampKey = after.engine['stampKey'];
        const mapped = entry.engine(plan[key], plan, { stampKey: stampKey instanceof Uint8Array ? stampKey : undefined });
        expect(Object.keys(mapped).length).toBeGreaterThan(0);
        // Each engine option the entry sets arrives as the entry made it, and differs from the default run's.
        for (const [option, value] of Object.entries(mapped)) {
          expect({ option, value: after.engine[option] }).toEqual({ option, value });
          expect({ option, value: before.engine[option] }).not.toEqual({ option, value });
        }
      }
      if (entry.json !== undefined) {
        const mapped = entry.json(plan[key], plan);
        for (const [setting, value] of Object.entries(mapped)) {
          expect({ setting, value: after.settings[setting] }).toEqual({ setting, value });
        }
        expect(Object.entries(mapped).some(([setting, value]) => JSON.stringify(before.settings[setting]) !== JSON.stringify(value))).toBe(true);
      }
    },
  );
});

/** The options of a help text with their descriptions (continuation lines joined). */
function helpOptions(help: string): Map<string, string> {
  const section = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  const options = new Map<string, string>();
  let current: string | undefined;
  for (const line of section.split('\n')) {
    const match = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (match?.[1]?.startsWith('-') === true) {
      current = longFlag(match[1]);
      options.set(current, match[2] ?? '');
    } else if (current !== undefined) {
      options.set(current, `${options.get(current) ?? ''} ${line.trim()}`);
    }
  }
  return options;
}

async function help(command: string): Promise<Map<string, string>> {
  const io = testIo();
  expect(await main([command, '--help'], io)).toBe(0);
  return helpOptions(io.out());
}

describe('sender, controller and demo help', () => {
  it('controller --help and sender --help list the same test options, in the same order, with the same help (--padding says Padding Length)', async () => {
    const sender = await help('sender');
    const controller = await help('controller');
    const tableFlags = (command: TestCommand): string[] =>
      TEST_SETTING_LIST.flatMap(([, entry]) =>
        entry.commands.includes(command) ? Object.values(entry.options).filter((flag) => flag.hidden !== true && (flag.only ?? [command]).includes(command)) : [],
      ).map((flag) => longFlag(flag.flags));
    const shared = tableFlags('controller');
    // Every test option of the controller is the sender's too, and both list each one.
    expect(shared.filter((flag) => !tableFlags('sender').includes(flag))).toEqual([]);
    expect([...controller.keys()].filter((flag) => shared.includes(flag))).toEqual(shared);
    expect([...sender.keys()].filter((flag) => shared.includes(flag))).toEqual(shared);
    for (const flag of shared.filter((name) => name !== '--padding')) {
      expect({ flag, help: controller.get(flag) }).toEqual({ flag, help: sender.get(flag) });
    }
    expect(controller.get('--padding')).toMatch(/^Padding Length 0-9000/);
    expect(sender.get('--padding')).toMatch(/imix/);
  });

  it('what the sender lists and the controller does not is STAMP\'s (the controller measures TWAMP)', () => {
    const senderOnly = TEST_SETTING_LIST.filter(([, entry]) => entry.commands.includes('sender') && !entry.commands.includes('controller')).map(([key]) => key);
    expect(senderOnly).toEqual(['protocol', 'ssid', 'tlvs', 'reflectorStateful', 'stampAuth']);
  });

  it('demo --help shows the demo\'s own defaults', async () => {
    const demo = await help('demo');
    expect(demo.get('--count')).toMatch(/default 200/);
    expect(demo.get('--interval')).toMatch(/default 5\)/);
    const sender = await help('sender');
    expect(sender.get('--count')).toMatch(/default 100/);
  });
});
