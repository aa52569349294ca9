// The TWAMP-Control server: the sans-IO connection state machine and its node:net adapter.
export { clientFilter, type ClientFilter, unwrapMappedAddress } from './allowed-clients.js';
export {
  type AcceptMessage,
  type ServerAction,
  type ServerCloseReason,
  ServerConnection,
  type ServerConnectionOptions,
  type ServerTimeoutKind,
} from './connection.js';
export {
  ControlServer,
  type ControlServerListenOptions,
  DEFAULT_LIMITS,
  DEFAULT_SERVER_LIMITS,
  DEFAULT_SERVER_TIMEOUTS,
  DEFAULT_PBKDF2_COUNT,
  DEFAULT_SERVER_EXTENSIONS,
  DEFAULT_TIMEOUTS,
  MAX_TIMEOUT_MS,
} from './control-server.js';
export { DEFAULT_DERIVATION_CONCURRENCY } from './key-derivation.js';
export { CONNECTION_REFUSAL_REASONS, SESSION_REFUSAL_REASONS, zeroCounts } from './refusal-reasons.js';
export { budgetedLogger, DEFAULT_LINE_BURST, DEFAULT_LINE_INTERVAL_MS, LineBudget } from './log-limiter.js';
