// N SessionSenders in one process, each its own session at 1 packet/s, for the sender scale
// benchmark (RSS and CPU of this process are read from outside).
//
//   node bench/many-senders.mjs --port PORT --sessions 10000 --seconds 20      (after `pnpm build`)
//
// Plain JavaScript on the built package, as an application embedding @twamp/test-session runs it:
// through tsx the transpiler alone held ~38 MiB of the process's resident memory.
//
// Opens the senders with their starts spread over one second, prints `ready {openMs}` when all
// run, `sample {memory}` on SIGUSR2 (process.memoryUsage() and the resident size of the malloc
// heap, to tell JavaScript from native memory), and one JSON line when all are done. Every sender
// runs from its open until --seconds after the last one opened, then all are stopped together
// (their requests in flight still get the loss timeout): whatever the opening took, the whole
// measurement window sees all of them running, none finished with its report held. Bounded:
// opening gets OPEN_LIMIT_MS (a loaded machine opens slowly), every sender has a count, and a
// guard exits if the stopped senders do not finish.

import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SessionSender } from '@twamp/test-session';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    sessions: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
  },
  strict: true,
});
const sessions = Number(values.sessions);
const seconds = Number(values.seconds);
const controller = new AbortController();
// One abort listener per sender on the one signal: expected here, not a leak.
setMaxListeners(sessions + 16, controller.signal);
const OPEN_LIMIT_MS = 600_000;
const openGuard = setTimeout(() => {
  process.stderr.write(`many-senders: opening took more than ${OPEN_LIMIT_MS} ms, giving up\n`);
  process.exit(1);
}, OPEN_LIMIT_MS);

/** Resident kB of the brk heap ([heap] in smaps): where glibc malloc keeps the addon's and V8's small native allocations. */
function mallocHeapKb() {
  try {
    const smaps = readFileSync('/proc/self/smaps', 'utf8');
    let inHeap = false;
    let kb = 0;
    for (const line of smaps.split('\n')) {
      if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inHeap = line.endsWith('[heap]');
      else if (inHeap && line.startsWith('Rss:')) kb += Number(line.split(/\s+/)[1] ?? 0);
    }
    return kb;
  } catch {
    return Number.NaN;
  }
}
process.on('SIGUSR2', () => {
  process.stdout.write(`sample ${JSON.stringify({ memory: process.memoryUsage(), mallocHeapBytes: mallocHeapKb() * 1024 })}\n`);
});

const started = performance.now();
/** @type {SessionSender[]} */
const senders = [];
for (let i = 0; i < sessions; i += 1) {
  senders.push(
    await SessionSender.open({
      target: { address: values.host, port: Number(values.port) },
      family: 4,
      protocol: 'twamp-light',
      schedule: { kind: 'periodic', intervalMs: 1000 },
      // Only a bound: the stop below ends every run first.
      count: OPEN_LIMIT_MS / 1000 + 2 * seconds,
      lossTimeoutMs: 2000,
      signal: controller.signal,
    }),
  );
  // Spread the first sends over about a second, so the load is 10 000 packets/s evenly, not in one burst.
  if (i % Math.max(1, Math.floor(sessions / 100)) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
}
clearTimeout(openGuard);
const stop = setTimeout(() => {
  controller.abort();
}, seconds * 1000);
const guard = setTimeout(() => {
  process.stderr.write('many-senders: the senders did not finish after the stop, giving up\n');
  process.exit(1);
}, seconds * 1000 + 60_000);
process.stdout.write(`ready ${JSON.stringify({ sessions, openMs: performance.now() - started })}\n`);
const reports = await Promise.all(senders.map((sender) => sender.done));
clearTimeout(stop);
clearTimeout(guard);
let sent = 0;
let received = 0;
for (const report of reports) {
  sent += report.summary.loss.sent;
  received += report.summary.loss.received;
}
process.stdout.write(`${JSON.stringify({ sessions, sent, received, lossPct: (100 * (sent - received)) / Math.max(1, sent), wallMs: performance.now() - started })}\n`);
