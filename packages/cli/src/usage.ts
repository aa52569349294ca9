// Commander's own parse errors (unknown option, missing value, too many arguments, unknown command)
// turned into the ConfigError every other usage error is, so they print and exit the same way.
import { ConfigError } from '@twamp/errors';

/** The fields of a CommanderError that matter here (kept structural: no dependency on its class). */
export interface CommanderFailure {
  readonly code: string;
  readonly message: string;
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
  switch (failure.code) {
    case 'commander.unknownOption':
      return new ConfigError([{ path: name ?? 'option', expected: `an option that ${help} lists` }]);
    case 'commander.optionMissingArgument':
      return new ConfigError([{ path: name === undefined ? 'option' : flagName(name), expected: `a value after it (see ${help})` }]);
    case 'commander.missingArgument':
      return new ConfigError([{ path: name ?? 'argument', expected: `a value (see ${help})` }]);
    case 'commander.excessArguments':
      return new ConfigError([{ path: 'arguments', expected: `at most the arguments ${help} shows`, received: message }]);
    case 'commander.unknownCommand':
      return new ConfigError([{ path: 'command', expected: `one of ${commands.join(', ')}`, ...(name === undefined ? {} : { received: JSON.stringify(name) }) }]);
    case 'commander.help':
      return new ConfigError([{ path: 'command', expected: `one of ${commands.join(', ')} (see 'twamp --help')` }]);
    default:
      return new ConfigError([{ path: 'arguments', expected: `what ${help} shows`, received: message }]);
  }
}
