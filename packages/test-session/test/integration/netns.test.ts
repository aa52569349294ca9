// Sender and reflector across a real router: three network namespaces (sender — router with
// forwarding — reflector) joined by veth pairs in 198.18.0.0/15, built here and always deleted in
// afterAll. The peers run as child processes inside their namespaces (netns/peer.ts). The report
// must say one hop in each direction: the request arrives with TTL 254 (the Sender TTL field), the
// reply with TTL 254 at the sender.
//
// Needs Linux, root and iproute2; without them the suite is skipped with the reason, unless
// TWAMP_REQUIRE_NETNS=1 makes that a failure. Hop counts need the native socket (received TTL);
// without the addon that case is skipped, unless TWAMP_REQUIRE_NATIVE=1.

import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { ReflectorStats, SenderReport } from '../../src/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespaces, deleteNamespaces, deleteStaleNamespaces, type Namespaces, namespaceExists, NETNS_ADDRESSES, netnsAvailability, REQUIRE_NETNS } from '../support/netns.js';
import { nativeStatus, REQUIRE_NATIVE } from '../support/sessions.js';
import type { PeerConfig } from './netns/peer.js';

const exec = promisify(execFile);
const PACKAGE_DIR = join(import.meta.dirname, '../..');
const PEER = join('test', 'integration', 'netns', 'peer.ts');
const COUNT = 10;

const netns = await netnsAvailability();
const native = nativeStatus();
const skipNote = netns.available
  ? ''
  : REQUIRE_NETNS
    ? ` [failing: TWAMP_REQUIRE_NETNS=1 but ${netns.reason}]`
    : ` [skipped: ${netns.reason}; run as root with iproute2, or set TWAMP_REQUIRE_NETNS=1 to make this a failure]`;
if (!netns.available) console.warn(`@twamp/test-session namespace suite${skipNote}`);

function inNamespace(ns: string, config: PeerConfig): string[] {
  return ['netns', 'exec', ns, process.execPath, '--conditions=@twamp/source', '--import', 'tsx', PEER, JSON.stringify(config)];
}

/** Start the reflector in its namespace, run the sender to completion in its own, collect both. */
async function exchange(ns: Namespaces, implementation: PeerConfig['implementation']): Promise<{ report: SenderReport; stats: ReflectorStats }> {
  const child = spawn('ip', inNamespace(ns.reflector, { role: 'reflector', address: NETNS_ADDRESSES.reflector, implementation, timeoutMs: 60_000 }), {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const exited = new Promise<void>((resolve) => child.on('close', () => {
    resolve();
  }));
  try {
    const deadline = Date.now() + 30_000;
    while (lines.length === 0 && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const port = lines[0]?.['ready'];
    if (typeof port !== 'number') throw new Error(`reflector did not start: ${stderr}`);
    const { stdout } = await exec(
      'ip',
      inNamespace(ns.sender, { role: 'sender', address: NETNS_ADDRESSES.sender, implementation, timeoutMs: 20_000, target: NETNS_ADDRESSES.reflector, port, count: COUNT }),
      { cwd: PACKAGE_DIR, timeout: 60_000 },
    );
    const last = stdout.trim().split('\n').at(-1) ?? '{}';
    const { report } = JSON.parse(last) as { report: SenderReport };
    child.stdin.end(); // the reflector prints its stats and exits
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    const stats = lines.at(-1)?.['stats'] as ReflectorStats | undefined;
    if (stats === undefined) throw new Error(`reflector gave no stats: ${stderr}`);
    return { report, stats };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

describe(`sender ↔ reflector across a router between namespaces${skipNote}`, () => {
  if (!netns.available) {
    if (REQUIRE_NETNS) {
      it('can build namespaces', () => {
        expect.fail(netns.reason);
      });
    } else {
      it.skip(`skipped: ${netns.reason}`, () => undefined);
    }
    return;
  }

  let ns: Namespaces | undefined;
  beforeAll(async () => {
    await deleteStaleNamespaces();
    ns = await createNamespaces();
  }, 60_000);
  afterAll(async () => {
    if (ns === undefined) return;
    await deleteNamespaces(ns);
    for (const name of [ns.sender, ns.router, ns.reflector]) expect(await namespaceExists(name)).toBe(false);
  }, 60_000);

  const nativeNote = native.available ? '' : REQUIRE_NATIVE ? ` [failing: ${native.reason}]` : ` [skipped: the native addon did not load: ${native.reason}]`;
  it.skipIf(!native.available && !REQUIRE_NATIVE)(`native: one hop forward and one hop back${nativeNote}`, async () => {
    expect(native.available, native.reason).toBe(true);
    const { report, stats } = await exchange(ns!, 'native');
    expect(report.summary.loss).toMatchObject({ sent: COUNT, received: COUNT, lost: 0, forwardLost: 0, backwardLost: 0 });
    expect(report.capabilities.receiveTtl).toBe(true);
    expect(report.summary.hops.forward).toEqual({ mode: 1, min: 1, max: 1 });
    expect(report.summary.hops.backward).toEqual({ mode: 1, min: 1, max: 1 });
    expect(report.local.address).toBe(NETNS_ADDRESSES.sender);
    expect(stats).toMatchObject({ packetsIn: COUNT, packetsOut: COUNT, sessionsCreated: 1 });
  }, 120_000);

  it('dgram fallback: answers cross the router both ways; hops are reported as unknown, not guessed', async () => {
    const { report, stats } = await exchange(ns!, 'dgram');
    expect(report.summary.loss).toMatchObject({ sent: COUNT, received: COUNT, lost: 0 });
    expect(report.capabilities.receiveTtl).toBe(false);
    expect(report.summary.hops.backward).toBeUndefined();
    expect(stats.packetsOut).toBe(COUNT);
  }, 120_000);
});
