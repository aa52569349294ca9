// twampd's command line, read in-process: every form of each option, and each mistake named.
import { DEFAULT_CONFIG_PATH } from '@twamp/daemon';
import { describe, expect, it } from 'vitest';
import { HELP_TEXT, parseTwampdArguments } from '../src/arguments.js';

describe('parseTwampdArguments', () => {
  it.each([
    [[], { kind: 'run', configPath: DEFAULT_CONFIG_PATH }],
    [['-c', 'a.yaml'], { kind: 'run', configPath: 'a.yaml' }],
    [['--config', 'a.yaml'], { kind: 'run', configPath: 'a.yaml' }],
    [['--config=a.yaml'], { kind: 'run', configPath: 'a.yaml' }],
    [['--check-config'], { kind: 'check-config', configPath: DEFAULT_CONFIG_PATH }],
    [['--check-config', 'b.yaml'], { kind: 'check-config', configPath: 'b.yaml' }],
    [['--check-config=b.yaml'], { kind: 'check-config', configPath: 'b.yaml' }],
    [['-c', 'a.yaml', '--check-config'], { kind: 'check-config', configPath: 'a.yaml' }],
    [['--check-config', '-c', 'a.yaml'], { kind: 'check-config', configPath: 'a.yaml' }],
    [['--check-config', 'a.yaml', '-c', 'a.yaml'], { kind: 'check-config', configPath: 'a.yaml' }],
    [['--version'], { kind: 'version' }],
    [['-V'], { kind: 'version' }],
    [['--help'], { kind: 'help' }],
    [['-c', 'a.yaml', '-h'], { kind: 'help' }],
  ] as const)('%j → %j', (argv, plan) => {
    expect(parseTwampdArguments(argv)).toEqual(plan);
  });

  it.each([
    [['-c'], '-c: expected a config file path'],
    [['--config', '--check-config'], '--config: expected a config file path'],
    [['--config='], '--config: expected a config file path'],
    [['-c', 'a.yaml', '-c', 'b.yaml'], '-c: expected one config file, got a second one (b.yaml)'],
    [['--check-config', 'a.yaml', '-c', 'b.yaml'], '--check-config a.yaml: expected the same file as --config b.yaml, or only one of them'],
    [['--verbose'], '--verbose: expected one of -c/--config FILE, --check-config [FILE], --version, --help'],
    [['twampd.yaml'], 'twampd.yaml: expected no positional argument (the config file is given with -c FILE)'],
  ] as const)('%j is a usage mistake', (argv, message) => {
    expect(parseTwampdArguments(argv)).toEqual({ kind: 'usage', message });
  });

  it('the help names every option, the default config path and the exit codes', () => {
    for (const text of ['-c, --config FILE', '--check-config [FILE]', '--version', '--help', DEFAULT_CONFIG_PATH, 'Exit codes:', '  2  ']) {
      expect(HELP_TEXT).toContain(text);
    }
  });
});
