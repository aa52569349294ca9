export {
  HEADERS_TIMEOUT_MS,
  type HttpServerHandle,
  type HttpServerOptions,
  KEEP_ALIVE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_HEADER_BYTES,
  REQUEST_TIMEOUT_MS,
  startHttpServer,
} from './server.js';
