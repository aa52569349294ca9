export { type ConnectionLimits, type HttpConnectionStats } from './connections.js';
export {
  FIRST_BYTE_TIMEOUT_MS,
  HEADERS_TIMEOUT_MS,
  type HttpServerHandle,
  type HttpServerOptions,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_CONNECTIONS_PER_CLIENT,
  MAX_HEADER_BYTES,
  REQUEST_TIMEOUT_MS,
  RESPONSE_STALL_MS,
  startHttpServer,
} from './server.js';
