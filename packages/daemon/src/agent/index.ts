// The multi-target measurement agent and its JSON Lines output.
export { Agent, type AgentDeps, sameTarget } from './agent.js';
export type { HostLookup } from './target-session.js';
export { RETRY_JITTER, retryDelayMs, type RetrySettings } from './backoff.js';
export {
  AGENT_RECORD_SCHEMA_VERSION,
  type DroppedRecord,
  type FailureRecord,
  failureRecord,
  type StateRecord,
  stateRecord,
  type WindowRecord,
  windowRecord,
} from './jsonl-records.js';
export { DEFAULT_JSONL_BUFFER_BYTES, JSONL_BUFFER_BYTES_PER_TARGET, jsonlBufferBytesFor, type JsonlSink, type JsonlSinkOptions, openJsonlSink } from './jsonl-sink.js';
