// The long fuzz run: `pnpm --filter @twamp/control fuzz [-- --messages N --seed S --max-seconds T --no-tcp]`.
// Runs the fuzz suite's drivers (test/fuzz) round after round with fresh seeds until N hostile
// messages have been fed (default 2 000 000) or T seconds have passed (default 900), printing
// progress. A failure prints the seed and case index that reproduce it and exits 1.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Mode } from '@twamp/wire';
import { fuzzClient, fuzzEncrypted, fuzzRequestFields, fuzzStreams } from '../test/fuzz/drivers.js';
import { fuzzClientSansIo, fuzzServerEncryptedSansIo, fuzzServerSansIo } from '../test/fuzz/sans-io.js';
import { RecordingHandler } from '../test/support/recording-handler.js';
import { startServer } from '../test/support/server.js';

const { values } = parseArgs({
  // pnpm passes the `--` separator through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    messages: { type: 'string', default: '2000000' },
    seed: { type: 'string', default: String(Date.now() % 0x7fff_ffff) },
    'max-seconds': { type: 'string', default: '900' },
    'no-tcp': { type: 'boolean', default: false },
  },
});
const target = Number(values.messages);
const baseSeed = Number(values.seed);
const maxMs = Number(values['max-seconds']) * 1000;
if (!(target > 0 && Number.isFinite(baseSeed) && maxMs > 0)) {
  process.stderr.write('usage: fuzz [--messages N] [--seed S] [--max-seconds T] [--no-tcp]\n');
  process.exit(2);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

const handler = new RecordingHandler({ countOnly: true });
const started = values['no-tcp']
  ? undefined
  : await startServer(
      {
        modes: Mode.Unauthenticated | Mode.Encrypted | Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize,
        timeouts: { handshakeMs: 1000, messageMs: 500, servwaitMs: 1500 },
        limits: { maxConnections: 256, maxConnectionsPerClient: 256, maxSessionsPerConnection: 16, maxSessionsTotal: 512 },
      },
      handler,
    );

const begun = Date.now();
let messages = 0;
let round = 0;
gc();
const heapAtStart = process.memoryUsage().heapUsed;
process.stdout.write(`control fuzz: base seed ${baseSeed}, target ${target} messages, at most ${maxMs / 1000} s${started === undefined ? ', sans-IO only' : ''}\n`);
try {
  while (messages < target && Date.now() - begun < maxMs) {
    const seed = (baseSeed + round * 101) >>> 0;
    messages += fuzzServerSansIo(seed, 20_000).messages;
    messages += fuzzServerEncryptedSansIo(seed + 1, 200).messages;
    messages += fuzzClientSansIo(seed + 2, 10_000).cases;
    if (started !== undefined) {
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => fuzzRequestFields(started.endpoint, seed + 3 + i, 5000)));
      messages += results.length * 5000;
      messages += (await fuzzStreams(started.endpoint, seed + 10, 500, 32)).messages;
      await fuzzEncrypted(started.endpoint, seed + 11, 20);
      messages += (await fuzzClient(seed + 12, 50, 300, 16)).attempts;
    }
    round += 1;
    gc();
    const heapMb = (process.memoryUsage().heapUsed - heapAtStart) / MB;
    const rss = process.memoryUsage().rss / MB;
    process.stdout.write(
      `round ${round} (seed ${seed}): ${messages} messages in ${((Date.now() - begun) / 1000).toFixed(0)} s; heap ${heapMb >= 0 ? '+' : ''}${heapMb.toFixed(1)} MB, RSS ${rss.toFixed(0)} MB` +
        (started === undefined ? '' : `; server: ${started.server.stats.connectionsTotal} connections, ${handler.counts.open} sessions opened`) +
        '\n',
    );
  }
  if (started !== undefined) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const { connectionsActive, sessionsActive } = started.server.stats;
    if (connectionsActive !== 0 || sessionsActive !== 0 || handler.unsettled.size !== 0) {
      throw new Error(`left over: ${connectionsActive} connections, ${sessionsActive} sessions, ${handler.unsettled.size} sessions never stopped or released`);
    }
  }
  process.stdout.write(`control fuzz passed: ${messages} messages, ${round} rounds, ${((Date.now() - begun) / 1000).toFixed(0)} s\n`);
} catch (error) {
  process.stderr.write(`control fuzz FAILED in round ${round}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await started?.server.close(0);
}
