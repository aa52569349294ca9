// The /metrics and /healthz server on real loopback sockets: routes, methods, the health contract,
// clients that stall or send too much, and bind failures.
import { connect, type Socket } from 'node:net';
import { NetworkError } from '@twamp/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionTable } from '../src/http/connections.js';
import { type HttpServerHandle, MAX_CONNECTIONS_PER_CLIENT, startHttpServer } from '../src/http/index.js';
import { DaemonMetrics } from '../src/metrics/index.js';
import type { DaemonLog, HealthReport } from '../src/types.js';

const ignore = (): void => undefined;
const silent: DaemonLog = { error: ignore, warn: ignore, info: ignore, debug: ignore, child: () => silent };

const servers: HttpServerHandle[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function report(status: HealthReport['status']): HealthReport {
  return {
    status,
    uptimeMs: 1234,
    listeners: [{ name: 'control', kind: 'control', address: '127.0.0.1', port: 862 }],
    targets: { total: 2, running: 1, backoff: 1 },
  };
}

interface StartOptions {
  health?: () => HealthReport;
  metrics?: DaemonMetrics | undefined;
  timeouts?: { headersMs?: number; requestMs?: number; firstByteMs?: number };
  connections?: { total?: number; perClient?: number };
}

async function start(options: StartOptions = {}): Promise<HttpServerHandle> {
  const server = await startHttpServer({
    address: '127.0.0.1',
    port: 0,
    metrics: 'metrics' in options ? options.metrics : new DaemonMetrics({ listeners: () => undefined, agentHistograms: true }),
    health: options.health ?? (() => report('ok')),
    log: silent,
    ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
  servers.push(server);
  return server;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function url(server: HttpServerHandle, path: string): string {
  return `http://127.0.0.1:${server.port}${path}`;
}

/** A raw TCP client: what it sends, and everything the server answers until it closes the connection. */
function rawClient(server: HttpServerHandle, send: string): Promise<{ reply: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port: server.port });
    sockets.push(socket);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      resolve({ reply, closedAfterMs: Date.now() - started });
    });
    socket.write(send);
  });
}

describe('routes', () => {
  it('GET /metrics answers the exposition with the registry\'s content type', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const server = await start({ metrics });
    const response = await fetch(url(server, '/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(await response.text()).toMatch(/^# TYPE twampd_agent_rtt_seconds histogram$/m);
  });

  it('GET /healthz: 200 with the HealthReport when ok, 503 when stopping or failed', async () => {
    let status: HealthReport['status'] = 'ok';
    const server = await start({ health: () => report(status) });
    let response = await fetch(url(server, '/healthz'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(report('ok'));
    for (const next of ['stopping', 'failed'] as const) {
      status = next;
      response = await fetch(url(server, '/healthz'));
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual(report(next));
    }
  });

  it('HEAD answers the headers (with the length) and no body', async () => {
    const server = await start();
    for (const path of ['/metrics', '/healthz']) {
      const response = await fetch(url(server, path), { method: 'HEAD' });
      expect(response.status).toBe(200);
      expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
      expect(await response.text()).toBe('');
    }
  });

  it('404 for other paths, 405 (with Allow) for other methods; a query string is ignored', async () => {
    const server = await start();
    expect((await fetch(url(server, '/'))).status).toBe(404);
    expect((await fetch(url(server, '/metrics/x'))).status).toBe(404);
    expect((await fetch(url(server, '/metrics?name[]=x'))).status).toBe(200);
    const post = await fetch(url(server, '/metrics'), { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(url(server, '/healthz'), { method: 'DELETE' })).status).toBe(405);
  });

  it('without metrics, /metrics is 404 and /healthz still works', async () => {
    const server = await start({ metrics: undefined });
    expect((await fetch(url(server, '/metrics'))).status).toBe(404);
    expect((await fetch(url(server, '/healthz'))).status).toBe(200);
  });

  it('a health callback that throws gets a 500, and the server keeps serving', async () => {
    let broken = true;
    const server = await start({
      health: () => {
        if (broken) throw new Error('boom');
        return report('ok');
      },
    });
    expect((await fetch(url(server, '/healthz'))).status).toBe(500);
    broken = false;
    expect((await fetch(url(server, '/healthz'))).status).toBe(200);
  });
});

describe('clients that misbehave', () => {
  it('a client that sends half a request is answered 408 and dropped, and others are served meanwhile', async () => {
    const server = await start({ timeouts: { headersMs: 500, requestMs: 1000 } });
    const stalled = rawClient(server, 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expect((await fetch(url(server, '/healthz'))).status).toBe(200);
    const { reply, closedAfterMs } = await stalled;
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
    // Closed by the headers timeout (checked every 500 ms here), long before a test timeout.
    expect(closedAfterMs).toBeLessThan(20_000);
  });

  it('a client that connects and sends nothing is dropped too', async () => {
    const server = await start({ timeouts: { headersMs: 500, requestMs: 1000 } });
    const { closedAfterMs } = await rawClient(server, '');
    expect(closedAfterMs).toBeLessThan(20_000);
  });

  it('oversized headers are answered 431, garbage 400', async () => {
    const server = await start();
    const big = await rawClient(server, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big.reply).toMatch(/^HTTP\/1\.1 431 /);
    const garbage = await rawClient(server, '\u0000\u0001\u0002 not http at all\r\n\r\n');
    expect(garbage.reply).toMatch(/^HTTP\/1\.1 400 /);
  });
});

/** A TCP connection to the endpoint, connected (errors swallowed: the server may evict it). */
function hold(server: HttpServerHandle): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    sockets.push(socket);
    socket.once('connect', () => {
      socket.on('error', ignore);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** One GET on a fresh connection (no keep-alive pool): its status, or the error text. */
function getFresh(server: HttpServerHandle, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: server.port });
    sockets.push(socket);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
    });
    socket.on('error', (error) => {
      resolve(error.message);
    });
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1];
      resolve(status === undefined ? `closed without an answer (${JSON.stringify(reply.slice(0, 40))})` : Number(status));
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

describe('crowds of idle and slow clients', () => {
  it('200 idle connections and 20 trickling headers (slowloris) held open: /healthz and /metrics still answer 200', async () => {
    const server = await start();
    const idle = await Promise.all(Array.from({ length: 200 }, () => hold(server)));
    const slow = await Promise.all(Array.from({ length: 20 }, () => hold(server)));
    for (const socket of slow) socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // Keep trickling one header line at a time while the probes run (bounded: at most 50 lines each).
    let lines = 0;
    const trickle = setInterval(() => {
      lines += 1;
      if (lines > 50) clearInterval(trickle);
      for (const socket of slow) if (!socket.destroyed) socket.write(`X-Slow-${lines}: a\r\n`);
    }, 100);
    try {
      expect(idle.length + slow.length).toBe(220);
      expect(await getFresh(server, '/healthz')).toBe(200);
      expect(await getFresh(server, '/metrics')).toBe(200);
      expect(await getFresh(server, '/healthz')).toBe(200);
      // The crowd from one address was held to its share: the oldest waiting ones made room.
      expect(server.connections.open).toBeLessThanOrEqual(MAX_CONNECTIONS_PER_CLIENT);
      expect(server.connections.evicted).toBeGreaterThanOrEqual(220 - MAX_CONNECTIONS_PER_CLIENT);
    } finally {
      clearInterval(trickle);
    }
  });

  it('when every slot is answering a request, a new connection gets 503 with Retry-After, not a silent close', async () => {
    // /metrics whose exposition never finishes: those connections are being answered, so not evictable.
    let release = ignore;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const chunks = metrics.chunks.bind(metrics);
    metrics.chunks = async () => {
      await stuck;
      return chunks();
    };
    const server = await start({ metrics, connections: { total: 4, perClient: 4 } });
    const busy = Array.from({ length: 4 }, () => getFresh(server, '/metrics'));
    await until(() => server.connections.open === 4);
    const refused = await rawClient(server, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(refused.reply).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused.reply.toLowerCase()).toContain('retry-after: 1');
    expect(server.connections.refused).toBe(1);
    release();
    expect(await Promise.all(busy)).toEqual([200, 200, 200, 200]);
  });

  it('a connection that sends nothing is closed after the first-byte timeout', async () => {
    const server = await start({ timeouts: { firstByteMs: 200 } });
    const { reply, closedAfterMs } = await rawClient(server, '');
    expect(reply).toBe('');
    expect(closedAfterMs).toBeLessThan(5_000);
  });
});

describe('ConnectionTable: who gives up a slot', () => {
  it('over the total, the longest-waiting connection of the address holding the most goes; one being answered never does', () => {
    const table = new ConnectionTable<string>({ total: 4, perClient: 3 });
    expect(table.admit('a1', 'A', 1)).toEqual({ admitted: true, evict: undefined });
    table.admit('a2', 'A', 2);
    table.admit('a3', 'A', 3);
    table.admit('b1', 'B', 0);
    table.serving('a1');
    // Full: C's connection takes the slot of A's longest waiting one that is not being answered (a2), not B's older one.
    expect(table.admit('c1', 'C', 5)).toEqual({ admitted: true, evict: 'a2' });
    // Full again: A still holds the most, and a3 waited longer than a1 (answered until 10).
    table.served('a1', 10);
    expect(table.admit('a4', 'A', 11)).toEqual({ admitted: true, evict: 'a3' });
    // A at its share: A's own longest waiting goes, even with room elsewhere.
    table.remove('c1');
    table.admit('a5', 'A', 12);
    expect(table.admit('a6', 'A', 13)).toEqual({ admitted: true, evict: 'a1' });
    // Every slot being answered: refused (the caller answers 503).
    for (const busy of ['a4', 'a5', 'a6', 'b1']) table.serving(busy);
    expect(table.admit('e1', 'E', 14)).toEqual({ admitted: false });
    expect(table.stats).toEqual({ open: 4, evicted: 3, refused: 1 });
  });
});

describe('binding and closing', () => {
  it('a port in use is a NetworkError naming the endpoint, and nothing is left listening', async () => {
    const first = await start();
    const attempt = startHttpServer({ address: '127.0.0.1', port: first.port, metrics: undefined, health: () => report('ok'), log: silent });
    await expect(attempt).rejects.toBeInstanceOf(NetworkError);
    await expect(attempt).rejects.toMatchObject({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: `127.0.0.1:${first.port}` });
  });

  it('an address that is not ours is a NetworkError', async () => {
    // 192.0.2.1 (TEST-NET-1) is never a local address.
    await expect(startHttpServer({ address: '192.0.2.1', port: 0, metrics: undefined, health: () => report('ok'), log: silent })).rejects.toMatchObject({
      name: 'NetworkError',
      systemCode: 'EADDRNOTAVAIL',
    });
  });

  it('close() ends keep-alive connections, frees the port and is idempotent', async () => {
    const server = await start();
    expect((await fetch(url(server, '/healthz'))).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await expect(fetch(url(server, '/healthz'))).rejects.toThrow();
    // The port can be bound again at once.
    const again = await startHttpServer({ address: '127.0.0.1', port: server.port, metrics: undefined, health: () => report('ok'), log: silent });
    servers.push(again);
    expect(again.port).toBe(server.port);
  });
});
