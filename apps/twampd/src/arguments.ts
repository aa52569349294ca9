// twampd's command line, read by hand: four options do not need a parser library, and
// `--check-config [FILE]` takes an optional value, which node:util's parseArgs cannot express.
import { DEFAULT_CONFIG_PATH } from '@twamp/daemon';

export type TwampdPlan =
  | { readonly kind: 'run'; readonly configPath: string }
  | { readonly kind: 'check-config'; readonly configPath: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/** A command-line mistake: what was wrong and what is accepted. */
export interface UsageMistake {
  readonly kind: 'usage';
  readonly message: string;
}

/** Reads `argv` (the user's arguments, no `node` and no script) into a plan or a usage mistake. */
export function parseTwampdArguments(argv: readonly string[]): TwampdPlan | UsageMistake {
  let configPath: string | undefined;
  let check = false;
  let checkPath: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [name, inline] = splitInline(arg);
    switch (name) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '-V':
      case '--version':
        return { kind: 'version' };
      case '-c':
      case '--config': {
        const value = inline ?? argv[i + 1];
        if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) {
          return mistake(`${name}: expected a config file path`);
        }
        if (configPath !== undefined) return mistake(`${name}: expected one config file, got a second one (${value})`);
        configPath = value;
        if (inline === undefined) i += 1;
        break;
      }
      case '--check-config': {
        check = true;
        // The file is optional: the next argument is it unless it is an option.
        const next = argv[i + 1];
        if (inline !== undefined) checkPath = inline;
        else if (next !== undefined && !next.startsWith('-')) {
          checkPath = next;
          i += 1;
        }
        break;
      }
      default:
        return mistake(
          arg.startsWith('-')
            ? `${arg}: expected one of -c/--config FILE, --check-config [FILE], --version, --help`
            : `${arg}: expected no positional argument (the config file is given with -c FILE)`,
        );
    }
  }
  if (check) {
    if (checkPath !== undefined && configPath !== undefined && checkPath !== configPath) {
      return mistake(`--check-config ${checkPath}: expected the same file as --config ${configPath}, or only one of them`);
    }
    return { kind: 'check-config', configPath: checkPath ?? configPath ?? DEFAULT_CONFIG_PATH };
  }
  return { kind: 'run', configPath: configPath ?? DEFAULT_CONFIG_PATH };
}

/** `--config=FILE` → [`--config`, `FILE`]; short options and values without `=` are left whole. */
function splitInline(arg: string): [string, string | undefined] {
  if (!arg.startsWith('--')) return [arg, undefined];
  const at = arg.indexOf('=');
  return at === -1 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}

function mistake(message: string): UsageMistake {
  return { kind: 'usage', message };
}

export const HELP_TEXT = `Usage: twampd [-c FILE] | --check-config [FILE] | --version | --help

twampd runs a TWAMP server (TWAMP-Control, RFC 5357), TWAMP Light and STAMP (RFC 8762)
reflectors and a multi-target measurement agent in one process, from one YAML config.

Options:
  -c, --config FILE       the config file (default ${DEFAULT_CONFIG_PATH})
  --check-config [FILE]   validate FILE (default: the --config file) with its key file and key
                          identities, print "FILE: ok (N listeners, M targets)" or every mistake
                          with its path and the value expected there; start nothing
  -V, --version           print the versions of twampd, @twamp/daemon and Node.js
  -h, --help              print this help

Signals:
  SIGHUP            re-read the config file and apply it: new limits, access and keys apply to new
                    sessions, running sessions are kept; a file with mistakes is logged and ignored.
                    Log and results files are reopened (logrotate).
  SIGTERM, SIGINT   stop accepting, let sessions and targets end for shutdownGrace, write the last
                    result windows, flush the logs, exit 0. A second signal exits 1 at once.

Examples:
  twampd --config /etc/twampd/twampd.yaml       run as a service (see packaging/systemd)
  twampd --check-config twampd.yaml             validate a config before installing it
  pnpm twampd --config packaging/twampd.example.yaml
                                                run from a clone of the repository
  kill -HUP $(pidof twampd)                     reload the config

Exit codes:
  0  stopped on request (or --check-config found no mistake)
  1  failed at run time: a port in use, a missing permission, a crash, a second stop signal
  2  the config file or the command line has mistakes (each printed with its path); nothing started

Logs are pino JSON lines (logging.destination, default stderr); the line with "event":"ready"
comes once every listener is bound and lists the bound ports.
`;
