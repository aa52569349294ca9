// The twamp command line as a function: argv in, output through the injected io, exit code out.
import { Command, CommanderError } from 'commander';
import { registerController } from './commands/controller.js';
import { registerControlClient } from './commands/controlclient.js';
import { registerDemo } from './commands/demo.js';
import { registerDscpTable } from './commands/dscptable.js';
import { COMMAND_HELP, commandHelpFooter, programHelpFooter } from './commands/help.js';
import { registerKeygen } from './commands/keygen.js';
import { registerResponder } from './commands/responder.js';
import { registerSender } from './commands/sender.js';
import { registerServer } from './commands/server.js';
import { type AppInfo, versionText } from './commands/version.js';
import type { CommandContext } from './commands/context.js';
import { type ControlEngine, defaultControlEngine } from './control/engine.js';
import { reportFailure } from './errors/index.js';
import { type CliEngine, defaultEngine } from './engine.js';
import { type CliIo, ExitCode, processIo } from './io.js';
import { usageFromCommander } from './usage.js';

export interface MainOptions {
  /** The measurement engine; default @twamp/test-session (tests inject a scripted one). */
  readonly engine?: CliEngine;
  /** TWAMP-Control client and server, key files, the passphrase prompt; default @twamp/control (tests script it). */
  readonly control?: ControlEngine;
  /** The app that runs this command line (the `twamp` package), for `--version`. */
  readonly app?: AppInfo;
}

/** One entry per command module; the help lists them in this order. */
const COMMANDS = [registerResponder, registerSender, registerController, registerControlClient, registerServer, registerDemo, registerDscpTable, registerKeygen] as const;

function buildProgram(context: CommandContext, control: ControlEngine, app: AppInfo | undefined): Command {
  const program = new Command('twamp');
  program
    .description(
      'TWAMP, TWAMP Light and STAMP measurements: a responder (reflector), a sender, TWAMP-Control (controller, controlclient, server), a loopback demo, the DSCP table and a key generator',
    )
    // Not commander's .version(): the text reads the UDP implementation, which only --version needs.
    .option('-V, --version', 'print the versions (twamp, @twamp/cli), the UDP implementation in use and the Node.js version')
    .on('option:version', () => {
      const text = versionText(app);
      context.io.stdout.write(`${text}\n`);
      throw new CommanderError(0, 'commander.version', text);
    })
    .option('-d, --debug', 'debug lines on stderr, and the stack of an unexpected error (before or after the command name)')
    .addHelpText('after', programHelpFooter())
    // Every command's help lists -d and -V too: they work after the command name as well.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
      // Errors are printed by main, rendered like every other error.
      outputError: () => undefined,
    });
  for (const register of COMMANDS) register(program, context, control);
  for (const command of program.commands) {
    command.exitOverride();
    const help = COMMAND_HELP[command.name()];
    if (help !== undefined) command.addHelpText('after', commandHelpFooter(help));
  }
  return program;
}

/** The command path (`twamp sender`) that argv selects, for help hints. */
function commandPath(program: Command, argv: readonly string[]): string {
  const names = program.commands.map((command) => command.name());
  const chosen = argv.find((arg) => names.includes(arg));
  return chosen === undefined ? 'twamp' : `twamp ${chosen}`;
}

/**
 * Runs the twamp command line. `argv` are the user's arguments (without node and the script).
 * Resolves with the exit code after calling `io.exit` with it (one of EXIT_CODES).
 */
export async function main(argv: readonly string[], io: CliIo, options: MainOptions = {}): Promise<number> {
  const context: CommandContext = { io, engine: options.engine ?? defaultEngine, exitCode: ExitCode.Ok };
  const program = buildProgram(context, options.control ?? defaultControlEngine, options.app);
  let code: number;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    code = context.exitCode;
  } catch (caught) {
    let error = caught;
    if (caught instanceof CommanderError) {
      // `--help`, `help <command>` and `--version` end through here too, with exit code 0.
      const informational = caught.code === 'commander.helpDisplayed' || caught.code === 'commander.version' || (caught.code === 'commander.help' && caught.exitCode === 0);
      if (informational) {
        error = undefined;
      } else {
        error = usageFromCommander(caught, commandPath(program, argv), program.commands.map((command) => command.name()));
      }
    }
    if (error === undefined) {
      code = ExitCode.Ok;
    } else {
      // What happened, which side said it, the Accept code, what to do, and the exit code (src/errors).
      const failure = reportFailure(error, { command: commandPath(program, argv).slice('twamp '.length) });
      code = failure.exitCode;
      io.stderr.write(`${failure.text}\n`);
      if (code === ExitCode.Usage) io.stderr.write(`usage: see '${commandPath(program, argv)} --help'\n`);
      if ((program.opts<{ debug?: boolean }>().debug ?? false) && error instanceof Error && error.stack !== undefined) {
        io.stderr.write(`${error.stack}\n`);
      }
    }
  }
  io.exit?.(code);
  return code;
}

/** The command line in this process, with its real streams, signals and exit (what the `twamp` bin runs). */
export async function runCli(argv: readonly string[] = process.argv.slice(2), app?: AppInfo): Promise<number> {
  return main(argv, processIo(), app === undefined ? {} : { app });
}
