// The HTTP endpoint of twampd: GET /metrics (Prometheus text exposition) and GET /healthz (JSON
// HealthReport; 200 when ok, 503 when stopping or failed), HEAD for both. Nothing else: 404 for other
// paths, 405 for other methods.
//
// It faces the network (an operator may bind it beyond loopback), and whatever probes /healthz
// restarts the daemon when it does not answer, so idle or slow clients must never take it offline:
//   - a connection that sends nothing for FIRST_BYTE_TIMEOUT_MS is closed; a request's headers must
//     arrive within HEADERS_TIMEOUT_MS and the whole request within REQUEST_TIMEOUT_MS (slowloris);
//     headers are capped at MAX_HEADER_BYTES; idle keep-alive connections close after
//     KEEP_ALIVE_TIMEOUT_MS; a response the client stops reading for RESPONSE_STALL_MS is dropped;
//   - connections are capped at MAX_CONNECTIONS, MAX_CONNECTIONS_PER_CLIENT from one address, and a
//     new connection over a cap takes the slot of the longest-waiting one that is not being answered
//     (connections.ts); only when every slot is answering does it get a 503 with Retry-After.
// Requests carry no body that we read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { NetworkError } from '@twamp/errors';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import type { DaemonLog, HealthReport } from '../types.js';
import { type ConnectionLimits, ConnectionTable, type HttpConnectionStats } from './connections.js';

export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A scraper or probe sends its request as soon as it connects; a silent connection is only holding a slot. */
export const FIRST_BYTE_TIMEOUT_MS = 2_000;
/** A response (a large /metrics) whose client reads nothing for this long is dropped. */
export const RESPONSE_STALL_MS = 10_000;
export const MAX_HEADER_BYTES = 8_192;
/** Slots for every client together: far above what scrapers and probes use (one or two each). */
export const MAX_CONNECTIONS = 256;
/** One address's share of the slots, so one client cannot hold them all. */
export const MAX_CONNECTIONS_PER_CLIENT = 32;
/** How often node checks the request and headers timeouts (its default is 30 s, too coarse here). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** At most one `http-saturated` warning per this long (an attacker should not also flood the log). */
const SATURATED_LOG_INTERVAL_MS = 60_000;
const SERVICE_UNAVAILABLE = 'HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

export interface HttpServerOptions {
  readonly address: string;
  readonly port: number;
  /** Undefined: /metrics answers 404 (metrics off) while /healthz still works. */
  readonly metrics: DaemonMetrics | undefined;
  readonly health: () => HealthReport;
  readonly log: DaemonLog;
  /** Override the request timeouts (tests). */
  readonly timeouts?: { readonly headersMs?: number; readonly requestMs?: number; readonly firstByteMs?: number };
  /** Override the connection caps (tests). */
  readonly connections?: Partial<ConnectionLimits>;
}

export interface HttpServerHandle {
  readonly address: string;
  readonly port: number;
  /** Connections held now, and those evicted or refused with 503 since the start. */
  readonly connections: HttpConnectionStats;
  /** Stop listening and close every connection. Idempotent. */
  close(): Promise<void>;
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { log } = options;
  const headersMs = options.timeouts?.headersMs ?? HEADERS_TIMEOUT_MS;
  const requestMs = Math.max(options.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS, headersMs);
  const firstByteMs = options.timeouts?.firstByteMs ?? FIRST_BYTE_TIMEOUT_MS;
  const table = new ConnectionTable<Socket>({
    total: options.connections?.total ?? MAX_CONNECTIONS,
    perClient: options.connections?.perClient ?? MAX_CONNECTIONS_PER_CLIENT,
  });
  /** Connections answered 503: whatever they send is not served. */
  const refused = new WeakSet<Socket>();
  const saturated = saturationLog(log, table);
  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: headersMs,
      requestTimeout: requestMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, headersMs),
    },
    (request, response) => {
      const socket = request.socket;
      if (refused.has(socket)) {
        socket.destroy();
        return;
      }
      table.serving(socket);
      // From here the first-byte timeout no longer applies: a stalled reader is cut after RESPONSE_STALL_MS.
      socket.setTimeout(RESPONSE_STALL_MS);
      response.once('close', () => {
        table.served(socket, performance.now());
      });
      handle(request, response, options).catch((error: unknown) => {
        log.error({ event: 'http-error', path: request.url, error: messageOf(error) }, 'the HTTP endpoint failed to answer');
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        }
        response.end('internal error\n');
      });
    },
  );
  // Runs after node's own connection listener (which attached the parser): admit, evict or refuse.
  server.on('connection', (socket: Socket) => {
    const admission = table.admit(socket, socket.remoteAddress ?? '', performance.now());
    if (!admission.admitted) {
      refused.add(socket);
      saturated();
      socket.end(SERVICE_UNAVAILABLE);
      socket.once('finish', () => socket.destroy());
      return;
    }
    if (admission.evict !== undefined) {
      saturated();
      admission.evict.destroy();
    }
    socket.once('close', () => {
      table.remove(socket);
    });
    // Sending nothing at all: closed (node destroys a socket whose timeout nobody handles).
    socket.setTimeout(firstByteMs);
  });
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
    get connections() {
      return table.stats;
    },
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

/** A warning when connections had to be evicted or refused, at most once per SATURATED_LOG_INTERVAL_MS. */
function saturationLog(log: DaemonLog, table: ConnectionTable<Socket>): () => void {
  let lastMs = Number.NEGATIVE_INFINITY;
  return () => {
    const now = performance.now();
    if (now - lastMs < SATURATED_LOG_INTERVAL_MS) return;
    lastMs = now;
    const { open, evicted, refused } = table.stats;
    log.warn(
      { event: 'http-saturated', open, evicted, refused },
      'the HTTP endpoint is at its connection limit: waiting connections are closed to make room (totals since start)',
    );
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
