// The HTTP endpoint of twampd: GET /metrics (Prometheus text exposition) and GET /healthz (JSON
// HealthReport; 200 when ok, 503 when stopping or failed), HEAD for both. Nothing else: 404 for other
// paths, 405 for other methods.
//
// It faces the network (an operator may bind it beyond loopback), so it never waits on a client for
// long: a request's headers must arrive within HEADERS_TIMEOUT_MS and the whole request within
// REQUEST_TIMEOUT_MS, headers are capped at MAX_HEADER_BYTES, idle keep-alive sockets close after
// KEEP_ALIVE_TIMEOUT_MS, and connections are capped at MAX_CONNECTIONS. Requests carry no body
// that we read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetworkError } from '@twamp/errors';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { DaemonLog, HealthReport } from '../types.js';

export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const MAX_HEADER_BYTES = 8_192;
export const MAX_CONNECTIONS = 64;
/** How often node checks the request and headers timeouts (its default is 30 s, too coarse here). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface HttpServerOptions {
  readonly address: string;
  readonly port: number;
  /** Undefined: /metrics answers 404 (metrics off) while /healthz still works. */
  readonly metrics: DaemonMetrics | undefined;
  readonly health: () => HealthReport;
  readonly log: DaemonLog;
  /** Override the request timeouts (tests). */
  readonly timeouts?: { readonly headersMs?: number; readonly requestMs?: number };
}

export interface HttpServerHandle {
  readonly address: string;
  readonly port: number;
  /** Stop listening and close every connection. Idempotent. */
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { log } = options;
  const headersMs = options.timeouts?.headersMs ?? HEADERS_TIMEOUT_MS;
  const requestMs = Math.max(options.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS, headersMs);
  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersMs),
    },
    (request, response) => {
      handle(request, response, options).catch((error: unknown) => {
        log.error({ event: 'http-error', path: request.url, error: messageOf(error) }, 'the HTTP endpoint failed to answer');
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        }
        response.end('internal error\n');
      });
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  // A malformed request, oversized headers or a timed-out client: answer 400/408/431 when the
  // socket can still take it, then drop the connection. Never an exception.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  await listen(server, options.address, options.port);
  const bound = server.address() as AddressInfo;
  log.info({ event: 'http-listening', address: bound.address, port: bound.port }, 'serving /metrics and /healthz');
  let closing: Promise<void> | undefined;
  return {
    address: bound.address,
    port: bound.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function listen(server: Server, address: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new NetworkError({
          operation: 'bind',
          systemCode: error.code ?? 'EUNKNOWN',
          endpoint: endpoint(address, port),
          detail: error.message,
        }),
      );
    };
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function handle(request: IncomingMessage, response: ServerResponse, options: HttpServerOptions): Promise<void> {
  // The path without a query string; the request target never reaches a log line unbounded.
  const path = (request.url ?? '/').split('?', 1)[0];
  const head = request.method === 'HEAD';
  const known = path === '/metrics' || path === '/healthz';
  if (!known || (path === '/metrics' && options.metrics === undefined)) {
    send(response, head, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /healthz\n');
    return;
  }
  if (request.method !== 'GET' && !head) {
    response.setHeader('allow', 'GET, HEAD');
    send(response, false, 405, 'text/plain; charset=utf-8', 'method not allowed: GET or HEAD\n');
    return;
  }
  if (path === '/healthz') {
    const report = options.health();
    send(response, head, report.status === 'ok' ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(report)}\n`);
    return;
  }
  const metrics = options.metrics;
  if (metrics === undefined) return;
  const chunks = await metrics.chunks();
  await sendChunks(response, head, metrics.contentType, chunks);
}

function send(response: ServerResponse, head: boolean, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(head ? undefined : body);
}

/**
 * A large exposition (10 000 targets with histograms: ≈ 45 MiB) written chunk by chunk, waiting for
 * 'drain' when the socket's buffer is full: never one string of it all, never all of it buffered.
 */
async function sendChunks(response: ServerResponse, head: boolean, contentType: string, chunks: readonly string[]): Promise<void> {
  let length = 0;
  for (const chunk of chunks) length += Buffer.byteLength(chunk);
  response.writeHead(200, { 'content-type': contentType, 'content-length': length, 'cache-control': 'no-store' });
  if (head) {
    response.end();
    return;
  }
  for (const chunk of chunks) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await drained(response);
  }
  response.end();
}

/** Resolves on 'drain', or when the client went away (then nothing more is written). */
function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
