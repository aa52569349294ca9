// TWAMP-Control client: the sans-IO connection and its node:net adapter.
export {
  ALL_SECURITY_MODES,
  CLIENT_EXTENSIONS,
  ClientConnection,
  type ClientConnectionOptions,
  type ClientEvent,
  type ClientWait,
  DEFAULT_SESSION_TIMEOUT_SECONDS,
  defaultPaddingLength,
  type IssuedCommand,
} from './connection.js';
export { ControlClient, DEFAULT_CLIENT_TIMEOUT_MS } from './control-client.js';
