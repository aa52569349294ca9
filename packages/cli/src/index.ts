// @twamp/cli's public entry: `main` (the whole command line, testable in-process), the pieces the
// commands are built from (argument parsers, output formatters) for tools that embed them.
export { main, type MainOptions, runCli } from './main.js';
export { type CliIo, type CliSignal, type CliWriter, ExitCode, exitCodeForSignal, processIo } from './io.js';
export type { CliEngine } from './engine.js';
export { type EndpointArgument, type EndpointRules, parseEndpoint } from './options/address.js';
// Defined once in @twamp/errors (every layer writes endpoints); part of this package's API as before.
export { formatEndpoint } from '@twamp/errors';
export { chooseFamily, parseCidrOption, parseTosOptions, parseTtlOption } from './options/network.js';
export { parseDecimalOption, parseIntegerOption, parsePercentilesOption, type NumberRule } from './options/numbers.js';
export {
  parseSenderArguments,
  type RawSenderOptions,
  type SenderPlan,
  senderOptionsFor,
  DEFAULT_TEST_PORT,
} from './commands/sender.js';
export { parseResponderArguments, type RawResponderOptions, type ResponderPlan, reflectorOptionsFor } from './commands/responder.js';
export { formatSenderSummary, JITTER_DEFINITION, type SenderSummaryOptions } from './output/sender-summary.js';
export {
  type DistributionJson,
  type JitterJson,
  SENDER_JSON_SCHEMA_VERSION,
  type SenderJson,
  senderJson,
  type SenderJsonSettings,
} from './output/sender-json.js';
export { formatListening, formatResponderStats, type ListeningInfo } from './output/responder-lines.js';
export { formatMs } from './output/units.js';

export { type ControlEngine, type ControlListenOptions, defaultControlEngine, PromptInterrupted } from './control/engine.js';
export { ControlExitCode } from './control/failures.js';
export {
  EXIT_CODES,
  type ExitCodeInfo,
  explainFailure,
  type Failure,
  type FailureContext,
  failureExitCode,
  type FailureJson,
  failureJson,
  type FailureReport,
  type FailureSide,
  formatFailure,
  PeerExitCode,
  reportFailure,
} from './errors/index.js';
export {
  DEFAULT_CONTROL_PORT,
  DEFAULT_SERVER_EXTENSIONS,
  parseClientSecurity,
  parseModesOption,
  parseReflectorPorts,
  parseServerSecurity,
} from './control/options.js';
export { parseControllerArguments, type ControllerPlan, type RawControllerOptions } from './commands/controller.js';
export { parseControlClientArguments, type ControlClientCommandPlan, type RawControlClientOptions } from './commands/controlclient.js';
export { parseServerArguments, type RawServerOptions, type ServerPlan } from './commands/server.js';

export { type DemoPlan, parseDemoArguments, type RawDemoOptions, DEMO_COUNT, DEMO_INTERVAL_MS } from './commands/demo.js';
export { DSCP_ALIASES, type DscpRow, dscpRows, type DscpTableJson, dscpTableJson, formatDscpTable } from './commands/dscptable.js';
export { type AppInfo, versionText } from './commands/version.js';
export { COMMAND_HELP, type CommandHelp, EXIT_CODE_HELP } from './commands/help.js';
export {
  type LoggingPlan,
  parseLoggingOptions,
  parseRecordFormat,
  type RawLoggingOptions,
  type RecordFormat,
  type Verbosity,
} from './options/logging.js';
export { parseIntervalReportOption } from './options/interval-report.js';
