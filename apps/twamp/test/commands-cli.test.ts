// The real executable: dscptable (text and --json), --version, --help of every command (an example and
// the exit codes), and a usage error per command (exit 2, the argument named, nothing started).
import { describe, expect, it } from 'vitest';
import { runTwamp } from './support.js';

const COMMANDS = ['responder', 'sender', 'controller', 'controlclient', 'server', 'demo', 'dscptable', 'keygen'] as const;

describe('twamp dscptable', () => {
  it('prints the table with a header row, EF and AF41 with their numbers and TOS bytes', async () => {
    const { code, stdout, stderr } = await runTwamp(['dscptable']);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^NAME +DSCP +HEX +BINARY +TOS +TOS HEX +RFC +MEANING$/m);
    expect(stdout).toMatch(/^EF +46 +0x2e +101110 +184 +0xb8 +RFC 3246 +Expedited Forwarding/m);
    expect(stdout).toMatch(/^AF41 +34 +0x22 +100010 +136 +0x88 +RFC 2597 /m);
    expect(stdout).toMatch(/^CS7 +56 +0x38 +111000 +224 +0xe0 /m);
  });

  it('prints JSON with --json, and one entry when asked', async () => {
    const all = await runTwamp(['dscptable', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const json = JSON.parse(all.stdout) as { schemaVersion: number; entries: { name: string | null; dscp: number; tos: number }[] };
    expect(json.schemaVersion).toBe(1);
    expect(json.entries.length).toBeGreaterThanOrEqual(20);
    expect(json.entries).toContainEqual(expect.objectContaining({ name: 'EF', dscp: 46, tos: 184 }));
    const one = await runTwamp(['dscptable', 'af41', '--json']);
    expect((JSON.parse(one.stdout) as typeof json).entries).toEqual([expect.objectContaining({ name: 'AF41', dscp: 34, tos: 136 })]);
  });
});

describe('twamp --version and --help', () => {
  it('--version names twamp, @twamp/cli, the UDP implementation and Node.js', async () => {
    const { code, stdout } = await runTwamp(['--version']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^twamp \d+\.\d+\.\d+ \(@twamp\/cli \d+\.\d+\.\d+\)$/);
    expect(lines[1]).toMatch(/^udp: (native socket addon|node:dgram fallback) \(/);
    expect(lines[2]).toBe(`node: ${process.version} on ${process.platform} ${process.arch}`);
  });

  it('--version says when TWAMP_UDP_IMPL forces the fallback', async () => {
    const { code, stdout } = await runTwamp(['-V'], { env: { TWAMP_UDP_IMPL: 'dgram' } });
    expect(code).toBe(0);
    expect(stdout).toContain('udp: node:dgram fallback (TWAMP_UDP_IMPL=dgram)');
  });

  it('--help of the program and of every command has examples and the exit codes', async () => {
    const runs = await Promise.all([runTwamp(['--help']), ...COMMANDS.map((command) => runTwamp([command, '--help']))]);
    const [program, ...commands] = runs;
    expect(program.code).toBe(0);
    for (const command of COMMANDS) expect(program.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    // The words of EXIT_CODES (`<name>: <brief>`), the one definition the help is made from.
    expect(program.stdout).toMatch(/^ {2}130 +interrupted: SIGINT/m);
    expect(program.stdout).toMatch(/^ {2}3 +refused by the peer/m);
    commands.forEach((run, i) => {
      const command = COMMANDS[i] ?? '';
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`Usage: twamp ${command} [options]`);
      expect(run.stdout).toContain('Examples:');
      expect(run.stdout).toMatch(new RegExp(`^ {2}twamp ${command}\\b`, 'm'));
      expect(run.stdout).toContain('Exit codes:');
      expect(run.stdout).toMatch(/^ {2}0 +\S/m);
      expect(run.stdout).toMatch(/^ {2}2 +usage error/m);
    });
  });
});

describe('usage errors: exit 2, the argument and its range named, nothing started', () => {
  const cases: readonly (readonly [readonly string[], string])[] = [
    [['responder', '--max-sessions', '0'], '--max-sessions: expected an integer from 1 to 1000000 sessions, got "0"'],
    [['sender', '127.0.0.1:862', '--interval', '0'], '--interval: expected a number from 0.001 to 3600000 ms'],
    [['controller', '--control-port', '0'], '--control-port: expected an integer from 1 to 65535, got "0"'],
    [['controlclient', ':20000', '--sessions', '100'], '--sessions: expected an integer from 1 to 64 sessions, got "100"'],
    [['server', '--port-range', '9-2'], '--port-range: expected a port range A-B with 1 ≤ A ≤ B ≤ 65535, or ephemeral'],
    [['demo', '-c', '0'], '--count: expected an integer from 1 to 4294967295 packets, got "0"'],
    [['dscptable', 'af99'], 'dscp: expected a DSCP name'],
  ];

  it('for every command', async () => {
    const runs = await Promise.all(cases.map(([argv]) => runTwamp(argv)));
    runs.forEach((run, i) => {
      const [argv, message] = cases[i] ?? [[], ''];
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`error: invalid configuration: ${message}`);
      expect(run.stderr).toContain(`usage: see 'twamp ${argv[0] ?? ''} --help'`);
    });
  });
});
