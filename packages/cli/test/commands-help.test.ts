// --help of the program and of every command (examples, exit codes, the global options), --version,
// and a usage error per command: exit 2, the argument named with its range, nothing started.
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, EXIT_CODE_HELP } from '../src/commands/help.js';
import { EXIT_CODES } from '../src/errors/exit-codes.js';
import { versionText } from '../src/commands/version.js';
import { main } from '../src/main.js';
import { scriptedControl, scriptedEngine, testIo } from './commands-support.js';

const COMMANDS = ['responder', 'sender', 'controller', 'controlclient', 'server', 'demo', 'dscptable'] as const;

async function run(argv: readonly string[]): Promise<{ code: number; out: string; err: string; started: number }> {
  const io = testIo();
  const engine = scriptedEngine();
  const control = scriptedControl();
  const code = await main(argv, io, { engine, control });
  return { code, out: io.out(), err: io.err(), started: engine.calls.length + control.calls.length };
}

describe('twamp --help', () => {
  it('lists every command, examples and every exit code', async () => {
    const { code, out, err } = await run(['--help']);
    expect(code).toBe(0);
    expect(err).toBe('');
    for (const command of COMMANDS) expect(out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(out).toContain('Examples:');
    expect(out).toContain('twamp demo ');
    expect(out).toContain('Exit codes:');
    for (const [exit, meaning] of Object.entries(EXIT_CODE_HELP)) expect(out).toContain(`${exit.padEnd(3)}  ${meaning}`);
  });

  it.each(COMMANDS)('twamp %s --help has examples of that command and its exit codes', async (command) => {
    const { code, out, err } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain(`Usage: twamp ${command} [options]`);
    const help = COMMAND_HELP[command];
    expect(help).toBeDefined();
    expect(help?.examples.length).toBeGreaterThanOrEqual(2);
    expect(out).toContain('\nExamples:\n');
    for (const [example] of help?.examples ?? []) {
      expect(example.startsWith(`twamp ${command}`)).toBe(true);
      expect(out).toContain(`  ${example}`);
    }
    expect(out).toContain('\nExit codes:\n');
    for (const exit of help?.exitCodes ?? []) expect(out).toMatch(new RegExp(`^  ${exit} +\\S`, 'm'));
    expect(out).toMatch(/^ {2}0 +\S/m);
    expect(out).toMatch(/^ {2}2 +usage error/m);
    // -d and -V work after the command name: its help shows them.
    expect(out).toContain('Global Options:');
    expect(out).toContain('-d, --debug');
    expect(out).toContain('-V, --version');
    // One list of exit codes, not two.
    expect(out.split('Exit codes:')).toHaveLength(2);
  });

  it('words every exit code as its one definition (EXIT_CODES) does, in every help', async () => {
    /** `code -> text` of the `Exit codes:` block of a help text. */
    const listed = (out: string): Map<number, string> => {
      const block = out.split('Exit codes:\n')[1] ?? '';
      return new Map([...block.matchAll(/^ {2}(\d+) +(.+)$/gm)].map((match) => [Number(match[1]), match[2] ?? '']));
    };
    const program = listed((await run(['--help'])).out);
    expect([...program.keys()]).toEqual(EXIT_CODES.map((info) => info.code));
    for (const info of EXIT_CODES) expect(program.get(info.code)).toBe(`${info.name}: ${info.brief}`);
    for (const command of Object.keys(COMMAND_HELP)) {
      const codes = listed((await run([command, '--help'])).out);
      const help = COMMAND_HELP[command];
      expect([...codes.keys()], command).toEqual(help?.exitCodes);
      for (const [code, text] of codes) {
        const info = EXIT_CODES.find((entry) => entry.code === code);
        expect(info, `${command}: exit code ${code} is not in EXIT_CODES`).toBeDefined();
        // The name always; the brief unless the command has its own note for that code.
        const note = help?.exitNotes?.[code];
        expect(text, `${command} --help, exit code ${code}`).toBe(`${info?.name ?? ''}: ${note ?? info?.brief ?? ''}`);
      }
    }
    // "no reply at all" is exit 4's, and only exit 4 says it (the help once said it for 1).
    for (const info of EXIT_CODES) expect(info.brief.includes('no reply at all'), String(info.code)).toBe(info.code === 4);
  });

  it('answers `help demo` like `demo --help`', async () => {
    const { code, out } = await run(['help', 'demo']);
    expect(code).toBe(0);
    expect(out).toContain('Usage: twamp demo [options]');
  });
});

describe('twamp --version', () => {
  it('prints the versions, the UDP implementation and Node.js, before or after a command', async () => {
    for (const argv of [['--version'], ['-V'], ['responder', '--version']]) {
      const { code, out, started } = await run(argv);
      expect(code).toBe(0);
      expect(started).toBe(0);
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^twamp \(@twamp\/cli \d+\.\d+\.\d+\)$/);
      expect(lines[1]).toMatch(/^udp: (native socket addon|node:dgram fallback) \(.+\)$/);
      expect(lines[2]).toBe(`node: ${process.version} on ${process.platform} ${process.arch}`);
    }
  });

  it('names the app when it says which it is, and survives a bad TWAMP_UDP_IMPL', async () => {
    const io = testIo();
    expect(await main(['--version'], io, { app: { name: 'twamp', version: '9.8.7' } })).toBe(0);
    expect(io.out()).toMatch(/^twamp 9\.8\.7 \(@twamp\/cli \d+\.\d+\.\d+\)\n/);
    const text = versionText(undefined, () => {
      throw new Error('TWAMP_UDP_IMPL: expected native or dgram');
    });
    expect(text.split('\n')[1]).toBe('udp: unknown: TWAMP_UDP_IMPL: expected native or dgram');
  });

  it('says which implementation the environment forces', () => {
    const text = versionText(undefined, () => ({ implementation: 'dgram', reason: 'TWAMP_UDP_IMPL=dgram', native: { available: true }, environment: 'dgram' }));
    expect(text.split('\n')[1]).toBe('udp: node:dgram fallback (TWAMP_UDP_IMPL=dgram)');
  });
});

describe('usage errors: exit 2, the argument named with its range, nothing started', () => {
  it.each([
    [['responder', ':99999'], 'local: expected a port from 0 (any free port) to 65535'],
    [['responder', '--interval-report', '0'], '--interval-report: expected a number from 0.01 to 86400 seconds'],
    [['responder', '-v', '-q'], '-q: expected either -v (more lines) or -q (fewer lines), not both'],
    [['responder', '--json', '--jsonl'], '--jsonl: expected either --json'],
    [['responder', '--logfile', ''], '--logfile: expected a file name'],
    [['sender', '--count', '0'], '--count: expected an integer from 1 to 4294967295 packets'],
    [['controller', '--control-port', '70000'], '--control-port: expected an integer from 1 to 65535'],
    [['controlclient', '192.0.2.7'], 'sender: expected the Session-Sender\'s UDP port'],
    [['controlclient', ':20000', '--sessions', '65'], '--sessions: expected an integer from 1 to 64 sessions'],
    [['controlclient', ':20000', '-v', '-q'], '-q: expected either -v'],
    [['server', '--max-sessions', '0'], '--max-sessions: expected an integer from 1 to 1000000 sessions'],
    [['server', '--interval-report', 'often'], '--interval-report: expected a number from 0.01 to 86400 seconds'],
    [['server', '--json', '--jsonl'], '--jsonl: expected either --json'],
    [['demo', '--count', '-1'], '--count'],
    [['dscptable', 'af5'], 'dscp: expected a DSCP name'],
  ])('%j', async (argv, message) => {
    const { code, out, err, started } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`error: invalid configuration: ${message}`);
    expect(err).toContain(`usage: see 'twamp ${argv[0] ?? ''} --help'`);
    expect(started).toBe(0);
  });
});
