// The twamp app's programmatic entry: the same command line the `twamp` bin runs, callable in-process
// with injected streams (see @twamp/cli for the parsers and formatters it is built from).
export { type CliIo, type CliSignal, type CliWriter, ExitCode, main, type MainOptions, runCli } from '@twamp/cli';
