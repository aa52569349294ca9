// @twamp/daemon's public entry: the contract (types.ts) and twampd's parts.
export type * from './types.js';

// daemon (ops): the parts started, reloaded and stopped together; twampd's failure text and exit codes
export { Daemon, type DaemonEndpoints, type DaemonStartOptions } from './daemon.js';
export { DaemonExitCode, exitCodeForFailure, formatDaemonFailure } from './daemon/failure.js';

// agent: the multi-target measurement agent (one runner per target, retried with backoff) and its JSON Lines output
export {
  Agent,
  AGENT_RECORD_SCHEMA_VERSION,
  type AgentDeps,
  DEFAULT_JSONL_BUFFER_BYTES,
  type DroppedRecord,
  type FailureRecord,
  type HostLookup,
  type JsonlSink,
  type JsonlSinkOptions,
  openJsonlSink,
  RETRY_JITTER,
  retryDelayMs,
  type RetrySettings,
  type StateRecord,
  type WindowRecord,
} from './agent/index.js';
