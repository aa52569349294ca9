// Glue for TWAMP-Control: the reflectors behind a server's accepted sessions and their UDP ports, and
// the sender of a client's negotiated session.
export {
  type ControlledOpenResult,
  type ControlledReflectorOptions,
  type ControlledRefusalCode,
  type ControlledSessionEnd,
  type ControlledSessionEvent,
  type ControlledSessionInfo,
  type ControlledSessionRequest,
  DEFAULT_MAX_REFLECTORS,
  MAX_REFLECTORS,
  DEFAULT_MAX_STOP_TIMEOUT_MS,
  DEFAULT_START_TIMEOUT_MS,
  plainAddress,
  ReflectorPool,
  type ReflectorPoolOptions,
  type ReflectorPoolReconfiguration,
  type ReflectorPoolStats,
} from './reflector-pool.js';
export { checkPortRange, DEFAULT_REFLECTOR_PORT_RANGE, parsePortRange, PortCursor, type PortRange } from './port-range.js';
export {
  type AcceptedTestSession,
  type NegotiatedSender,
  type NegotiatedSenderOptions,
  type NegotiatedSenderSettings,
  type NegotiatedSessionRequest,
  type NegotiatingClient,
  openNegotiatedSender,
  type StoppableSender,
} from './negotiated-sender.js';
