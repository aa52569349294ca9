// @twamp/daemon's public entry: the contract (types.ts) and twampd's parts.
export type * from './types.js';

// daemon (ops): the parts started, reloaded and stopped together; twampd's failure text and exit codes
export { Daemon, type DaemonEndpoints, type DaemonStartOptions } from './daemon.js';
export { DaemonExitCode, exitCodeForFailure, formatDaemonFailure } from './daemon/failure.js';
