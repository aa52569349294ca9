// A ControlServer alone in its own process, so the idle-connection benchmark measures the server's
// RSS and heap without the client sockets' share. Talks to bench/run.ts over the IPC channel:
// sends { port } when listening, answers 'measure' with its memory after a full GC, exits on 'exit'.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Mode } from '@twamp/wire';
import { ControlServer } from '../src/index.js';
import { RecordingHandler } from '../test/support/recording-handler.js';
import { BENCH_KEYS, PBKDF2_COUNT } from './cycles.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const limit = Number(process.env['IDLE_CONNECTIONS'] ?? '1000') + 100;

const server = await ControlServer.listen({
  modes: Mode.Unauthenticated | Mode.Encrypted,
  keys: BENCH_KEYS,
  pbkdf2Count: PBKDF2_COUNT,
  handler: new RecordingHandler({ countOnly: true }),
  address: '127.0.0.1',
  port: 0,
  limits: { maxConnections: limit, maxConnectionsPerClient: limit },
  // Long enough that nothing times out while the benchmark holds the connections.
  timeouts: { handshakeMs: 120_000, servwaitMs: 120_000, messageMs: 120_000, idleWithoutSessionsMs: 120_000 },
});

process.on('message', (message) => {
  if (message === 'measure') {
    gc();
    gc();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ rss, heapUsed, external, arrayBuffers, connections: server.stats.connectionsActive });
  } else if (message === 'exit') {
    void server.close(0).then(() => process.exit(0));
  }
});
process.send?.({ port: server.port });
