// Commander's own parse errors (unknown option, missing value, too many arguments, unknown command)
// turned into the ConfigError every other usage error is, so they print and exit the same way.
import { ConfigError } from '@twamp/errors';

/** The fields of a CommanderError that matter here (kept structural: no dependency on its class). */
export interface CommanderFailure {
  readonly code: string;
  readonly message: string;
}

/**
 * A usage error where the input was probably mistyped: commander's "did you mean" (edit distance
 * over the command names, or over the options of the command, showSuggestionAfterError) kept as data,
 * so the failure text can offer it first.
 */
export class MistypedError extends ConfigError {
  /** What was probably meant, e.g. `sender` or `--count`. */
  readonly suggestion: string;

  constructor(issues: ConstructorParameters<typeof ConfigError>[0], suggestion: string) {
    super(issues);
    this.suggestion = suggestion;
  }
}

/** `sender` from commander's `(Did you mean sender?)`, when it found a near name. */
function suggestionIn(message: string): string | undefined {
  return /\(Did you mean (?:one of )?([^?)]+)\?\)/.exec(message)?.[1]?.trim();
}

function quoted(message: string): string | undefined {
  return /'([^']+)'/.exec(message)?.[1];
}

/** The long flag of `-c, --count <n>`, or the flag itself. */
function flagName(spec: string): string {
  const long = /--[a-z0-9-]+/i.exec(spec)?.[0];
  return long ?? spec.split(/[ ,]/)[0] ?? spec;
}

export function usageFromCommander(failure: CommanderFailure, commandPath: string, commands: readonly string[]): ConfigError {
  const message = failure.message.replace(/^error: /, '');
  const name = quoted(message);
  const help = `'${commandPath} --help'`;
  const suggestion = suggestionIn(message);
  const meant = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  switch (failure.code) {
    case 'commander.unknownOption': {
      const issues = [{ path: name ?? 'option', expected: `an option that ${help} lists${meant}` }];
      return suggestion === undefined ? new ConfigError(issues) : new MistypedError(issues, suggestion);
    }
    case 'commander.optionMissingArgument':
      return new ConfigError([{ path: name === undefined ? 'option' : flagName(name), expected: `a value after it (see ${help})` }]);
    case 'commander.missingArgument':
      return new ConfigError([{ path: name ?? 'argument', expected: `a value (see ${help})` }]);
    case 'commander.excessArguments':
      return new ConfigError([{ path: 'arguments', expected: `at most the arguments ${help} shows`, received: message }]);
    case 'commander.unknownCommand': {
      const issues = [{ path: 'command', expected: `one of ${commands.join(', ')}`, ...(name === undefined ? {} : { received: `${JSON.stringify(name)}${meant}` }) }];
      return suggestion === undefined ? new ConfigError(issues) : new MistypedError(issues, suggestion);
    }
    case 'commander.help':
      return new ConfigError([{ path: 'command', expected: `one of ${commands.join(', ')} (see 'twamp --help')` }]);
    default:
      return new ConfigError([{ path: 'arguments', expected: `what ${help} shows`, received: message }]);
  }
}
