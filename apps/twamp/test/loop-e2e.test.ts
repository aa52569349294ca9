// Reflection loops with real processes: two `twamp responder`s on 127.0.0.1 (a STAMP one and a
// Light one; then two Light ones), and three forged test packets (@twamp/spoof, raw socket): one
// from the first responder's address and port to the second (each would answer the other's reply
// forever), and one to each responder from its own address and port (each would answer itself).
// Before the loop defences a single such packet kept both processes busy until restarted (12 kpps
// between two, 82 kpps for one answering itself, a core at 100 %). Now both go quiet within a
// second or two: their packet counters stop rising (read from --jsonl --interval-report records),
// their CPU time stops growing, and what stopped the loop is counted as a drop.
import { readFileSync } from 'node:fs';
import { canSpoof, sendSpoofed, spoofRequired } from '@twamp/spoof';
import { describe, expect, it } from 'vitest';
import { startTwamp, type TwampProcess } from './support.js';

/** Seconds between statistics records: several per observation window. */
const REPORT_S = '0.2';
/** How long a loop may run before it must have stopped (generous: the defences need ~1 s at most). */
const SETTLE_MS = 2500;
/** The window in which nothing may happen any more. */
const QUIET_MS = 1500;

interface Totals {
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly dropped: Readonly<Record<string, number>>;
}

interface Responder {
  readonly process: TwampProcess;
  readonly port: number;
}

async function startResponder(extra: readonly string[]): Promise<Responder> {
  const process = startTwamp(['responder', '127.0.0.1:0', '--jsonl', '--interval-report', REPORT_S, ...extra]);
  const match = await process.waitFor('stdout', /"type":"listening".*?"port":(\d+)/);
  return { process, port: Number(match[1]) };
}

/** The counters of the last record printed (interval totals, or the stop record's stats). */
function latestTotals(responder: Responder): Totals {
  let totals: Totals = { packetsIn: 0, packetsOut: 0, dropped: {} };
  for (const line of responder.process.stdout().split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { type: string; totals?: Totals; stats?: Totals };
    if (record.type === 'interval' && record.totals !== undefined) totals = record.totals;
    if (record.type === 'stopped' && record.stats !== undefined) totals = record.stats;
  }
  return totals;
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * A 44-octet test request as a TWAMP Light sender or an open STAMP Session-Sender sends it: sequence
 * number 0, the current NTP timestamp, error estimate S=0 multiplier 1, the rest zero (SSID 0, MBZ).
 * Both a Light and a STAMP reflector answer it.
 */
function testRequest(): Uint8Array {
  const packet = Buffer.alloc(44);
  const ms = Date.now();
  const NTP_UNIX_OFFSET_S = 2_208_988_800;
  packet.writeUInt32BE(0, 0);
  packet.writeUInt32BE(Math.floor(ms / 1000) + NTP_UNIX_OFFSET_S, 4);
  packet.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), 8);
  packet.writeUInt16BE(0x0001, 12);
  return packet;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stop(responder: Responder): Promise<void> {
  responder.process.child.kill('SIGTERM');
  await responder.process.exited(15_000).catch(() => undefined);
}

describe.runIf(canSpoof() || spoofRequired)('reflection loops between and within responders', () => {
  it.each([
    ['a STAMP and a Light responder', ['--stamp'], []],
    ['two Light responders', [], []],
  ] as const)('%s: one forged packet between them and one to each from itself, then both quiet', async (_name, firstArgs, secondArgs) => {
    const [first, second] = await Promise.all([startResponder(firstArgs), startResponder(secondArgs)]);
    const responders = [first, second];
    try {
      const at = (port: number): { address: string; port: number } => ({ address: '127.0.0.1', port });
      const sent = await sendSpoofed([
        { source: at(first.port), destination: at(second.port), payload: testRequest() },
        { source: at(first.port), destination: at(first.port), payload: testRequest() },
        { source: at(second.port), destination: at(second.port), payload: testRequest() },
      ]);
      expect(sent).toBe(3);
      await sleep(SETTLE_MS);
      const before = responders.map(latestTotals);
      const cpuBefore = responders.map((r) => cpuSeconds(r.process.child.pid ?? 0));
      await sleep(QUIET_MS);
      const after = responders.map(latestTotals);
      const cpuAfter = responders.map((r) => cpuSeconds(r.process.child.pid ?? 0));
      for (const [index, name] of ['first', 'second'].entries()) {
        const b = before[index];
        const a = after[index];
        const detail = `${name} responder: before ${JSON.stringify(b)}, after ${JSON.stringify(a)}`;
        // Each got at least the forged packets, so the counters are live.
        expect(a?.packetsIn, detail).toBeGreaterThanOrEqual(1);
        // Quiet: nothing in, nothing out during the whole window.
        expect(a?.packetsIn, detail).toBe(b?.packetsIn);
        expect(a?.packetsOut, detail).toBe(b?.packetsOut);
        // Not spinning: well under half a core over the window (a loop kept one at 100 %).
        const cpu = (cpuAfter[index] ?? 0) - (cpuBefore[index] ?? 0);
        expect(cpu, `${name} responder used ${cpu} s of CPU in ${QUIET_MS} ms`).toBeLessThan((QUIET_MS / 1000) * 0.5);
      }
    } finally {
      await Promise.all(responders.map(stop));
    }
    // What ended the three loops is counted as drops (by reason) in the stop records: at least one each.
    const dropped = responders.map((r) => Object.values(latestTotals(r).dropped).reduce((sum, n) => sum + n, 0));
    expect(dropped[0]! + dropped[1]!, JSON.stringify(responders.map((r) => latestTotals(r).dropped))).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
