// The `twamp responder` equivalent used by the benchmarks: one SessionReflector in its own process.
//
//   node --conditions=@twamp/source --import tsx bench/reflector.ts [--port 0] [--protocol twamp-light|stamp]
//        [--implementation auto|native|dgram] [--max-sessions N]
//
// Prints `listening ADDR:PORT IMPL` once bound; `sample {stats}` on SIGUSR2; `stats {stats}` on
// SIGTERM/SIGINT, then exits. Bounded: exits by itself after --max-seconds (default 900).

import { parseArgs } from 'node:util';
import { SessionReflector } from '../src/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    protocol: { type: 'string', default: 'twamp-light' },
    implementation: { type: 'string', default: 'auto' },
    'max-sessions': { type: 'string', default: '10000' },
    'max-seconds': { type: 'string', default: '900' },
  },
  strict: true,
});

const protocol = values.protocol === 'stamp' ? 'stamp' : 'twamp-light';
const implementation = values.implementation === 'native' || values.implementation === 'dgram' ? values.implementation : 'auto';
const reflector = await SessionReflector.open({
  family: 4,
  address: '127.0.0.1',
  port: Number(values.port),
  protocol,
  implementation,
  maxSessions: Number(values['max-sessions']),
});

const snapshot = (): string => JSON.stringify({ ...reflector.stats, memory: process.memoryUsage() });
process.stdout.write(`listening ${reflector.localAddress}:${reflector.localPort} ${reflector.capabilities.implementation}\n`);
process.on('SIGUSR2', () => {
  process.stdout.write(`sample ${snapshot()}\n`);
});
const finish = (): void => {
  process.stdout.write(`stats ${snapshot()}\n`);
  reflector.close();
  process.exit(0);
};
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
setTimeout(finish, Number(values['max-seconds']) * 1000).unref();
// Keep the process alive while the socket is open (the timer above is unref'd).
setInterval(() => undefined, 1 << 30);
