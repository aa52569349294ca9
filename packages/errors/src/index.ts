export {
  ACCEPT_CODES,
  AcceptCode,
  type AcceptCodeInfo,
  describeAcceptCode,
  isKnownAcceptCode,
  normalizeAcceptCode,
} from './accept-codes.js';
export {
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  type ConfigIssue,
  ErrorCode,
  isTwampError,
  MalformedInputError,
  type MalformedInputDetails,
  NetworkError,
  type NetworkErrorDetails,
  PeerRejectedError,
  type PeerRejectedDetails,
  type PeerRole,
  ResourceLimitError,
  type ResourceLimitDetails,
  TimeoutError,
  type TimeoutDetails,
  TwampError,
} from './errors.js';
export { formatError, renderError, type RenderedError } from './render.js';
export { type EndpointLike, formatEndpoint } from './endpoint.js';
