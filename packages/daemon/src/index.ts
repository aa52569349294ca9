// @twamp/daemon's public entry: the contract (types.ts) and twampd's parts.
export type * from './types.js';

// daemon (ops): the parts started, reloaded and stopped together; twampd's failure text and exit codes
export { Daemon, type DaemonEndpoints, type DaemonStartOptions } from './daemon.js';
export { DaemonExitCode, exitCodeForFailure, formatDaemonFailure } from './daemon/failure.js';
export { daemonVersion } from './daemon/version.js';

// config: YAML → DaemonConfig (every mistake one ConfigFileIssue with path and line:column), keys, reference
export {
  CONFIG_REFERENCE,
  type ConfigFileIssue,
  type ConfigKeyDoc,
  DEFAULT_CONFIG_PATH,
  DEFAULT_CONTROL_ADDRESS,
  DEFAULT_CONTROL_PORT,
  DEFAULT_DAEMON_LIMITS,
  DEFAULT_LOG_DESTINATION,
  DEFAULT_LOG_LEVEL,
  DEFAULT_METRICS_ADDRESS,
  DEFAULT_METRICS_PORT,
  DEFAULT_PBKDF2,
  DEFAULT_REFLECTOR_ADDRESS,
  DEFAULT_REFLECTOR_PORT,
  DEFAULT_REFLECTOR_PORTS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_TARGET_INTERVAL_MS,
  DEFAULT_TARGET_LOSS_TIMEOUT_MS,
  DEFAULT_TARGET_PORT,
  DEFAULT_TARGET_TTL,
  DEFAULT_TARGET_WINDOW_MS,
  formatConfigError,
  formatDuration,
  loadConfig,
  loadConfigKeys,
  parseConfig,
  parseDuration,
  PATH_KEYS,
  placeConfigError,
  renderConfigReference,
  withConfigReference,
} from './config/index.js';

// agent: the multi-target measurement agent (one runner per target, retried with backoff) and its JSON Lines output
export {
  Agent,
  AGENT_RECORD_SCHEMA_VERSION,
  type AgentDeps,
  DEFAULT_JSONL_BUFFER_BYTES,
  type DroppedRecord,
  JSONL_BUFFER_BYTES_PER_TARGET,
  jsonlBufferBytesFor,
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

// listeners: the TWAMP-Control server (ControlServer + ReflectorPool) and the Light/STAMP reflectors, reloadable
export { type ListenerDeps, offeredModes, startListeners } from './listeners/index.js';

// logging, metrics, http (metrics): pino JSON lines with secrets redacted; Prometheus registry (listener counters read at scrape time, agent histograms); /metrics and /healthz
export { createLogger, type DaemonLogger, isSecretFieldName, LOG_SERVICE, REDACTED, redactSecrets } from './logging/index.js';
export { CONTROL_PROTOCOL, DaemonMetrics, type DaemonMetricsOptions, DELAY_BUCKETS_SECONDS, JITTER_DIRECTIONS } from './metrics/index.js';
export {
  type ConnectionLimits,
  FIRST_BYTE_TIMEOUT_MS,
  HEADERS_TIMEOUT_MS,
  type HttpConnectionStats,
  type HttpServerHandle,
  type HttpServerOptions,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_CONNECTIONS_PER_CLIENT,
  MAX_HEADER_BYTES,
  REQUEST_TIMEOUT_MS,
  RESPONSE_STALL_MS,
  startHttpServer,
} from './http/index.js';
