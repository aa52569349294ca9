// Across a real router hop (three network namespaces, built and removed by this file), the TTL a
// packet arrives with is exactly one less than it was sent with, and the DSCP survives: what the
// RFC 5357 Sender TTL and RFC 7750 DSCP checks rely on. The peers run as child processes inside
// the namespaces and print JSON (see peer.ts).
//
// Needs Linux, root and iproute2; without them the suite is skipped with the reason, unless
// TWAMP_REQUIRE_NETNS=1 (CI) makes that a failure. The native cases likewise need the addon
// (TWAMP_REQUIRE_NATIVE=1 makes its absence a failure).

import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAvailability, REQUIRE_NATIVE } from '../support/implementations.js';
import type { PeerConfig, PeerPacket } from './peer.js';
import { ADDRESSES, createTopology, deleteLeftovers, destroyTopology, probeNetns, REQUIRE_NETNS, type Topology } from './topology.js';

const run = promisify(execFile);
const PACKAGE_DIR = join(import.meta.dirname, '../..');
const PEER = join('test', 'netns', 'peer.ts');
const COUNT = 5;
const SENT_TTL = 64;
const EF = 0xb8; // DSCP 46 << 2

const netns = await probeNetns();
const native = nativeAvailability();

function note(): string {
  if (netns.available) return '';
  if (REQUIRE_NETNS) return ` [failing: TWAMP_REQUIRE_NETNS=1 but ${netns.reason}]`;
  return ` [skipped: ${netns.reason}; run as root with iproute2, or set TWAMP_REQUIRE_NETNS=1 to make this a failure]`;
}
const NOTE = note();
if (!netns.available) console.warn(`@twamp/udp namespace suite${NOTE}`);

interface PeerResult {
  readonly packets: PeerPacket[];
  readonly errors: string[];
}

function nodeIn(ns: string, config: PeerConfig): string[] {
  return ['netns', 'exec', ns, process.execPath, '--conditions=@twamp/source', '--import', 'tsx', PEER, JSON.stringify(config)];
}

/** Start the reflector, wait for its port, run the sender to completion, collect both reports. */
async function exchange(
  topology: Topology,
  reflector: Omit<PeerConfig, 'role' | 'address' | 'count' | 'timeoutMs'>,
  sender: Omit<PeerConfig, 'role' | 'address' | 'count' | 'timeoutMs' | 'target' | 'port'>,
): Promise<{ reflector: PeerResult; sender: PeerResult; reflectorPort: number }> {
  const child = spawn('ip', nodeIn(topology.reflector, { ...reflector, role: 'reflector', address: ADDRESSES.reflector, count: COUNT, timeoutMs: 20_000 }), {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: unknown[] = [];
  const exited = new Promise<void>((resolve) => {
    child.on('close', () => {
      resolve();
    });
  });
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
  try {
    const deadline = Date.now() + 30_000;
    while (lines.length === 0 && child.exitCode === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const ready = lines[0] as { ready?: number } | undefined;
    if (ready?.ready === undefined) throw new Error(`reflector did not start: ${stderr}`);
    const { stdout } = await run(
      'ip',
      nodeIn(topology.sender, {
        ...sender,
        role: 'sender',
        address: ADDRESSES.sender,
        count: COUNT,
        timeoutMs: 10_000,
        target: ADDRESSES.reflector,
        port: ready.ready,
      }),
      { cwd: PACKAGE_DIR, timeout: 60_000 },
    );
    const senderLines = stdout.trim().split('\n');
    const senderResult = JSON.parse(senderLines[senderLines.length - 1] ?? '{}') as PeerResult;
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    const reflectorResult = lines[lines.length - 1] as PeerResult | undefined;
    if (reflectorResult?.packets === undefined) throw new Error(`reflector gave no report: ${stderr}`);
    return { reflector: reflectorResult, sender: senderResult, reflectorPort: ready.ready };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

describe(`one router hop between namespaces${NOTE}`, () => {
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

  let topology: Topology | undefined;
  beforeAll(async () => {
    await deleteLeftovers();
    topology = await createTopology();
  }, 60_000);
  afterAll(async () => {
    if (topology !== undefined) await destroyTopology(topology);
  }, 60_000);

  const nativeNote = native.available ? '' : REQUIRE_NATIVE ? ` [failing: ${native.reason}]` : ` [skipped: ${native.reason}]`;
  it.skipIf(!native.available && !REQUIRE_NATIVE)(`native: TTL ${SENT_TTL} arrives as ${SENT_TTL - 1} and DSCP EF survives, both ways${nativeNote}`, async () => {
    expect(native.available, native.reason).toBe(true);
    const result = await exchange(topology!, { implementation: 'native', ttl: SENT_TTL, tos: EF }, { implementation: 'native', ttl: SENT_TTL, tos: EF });
    expect(result.reflector.errors).toEqual([]);
    expect(result.reflector.packets).toHaveLength(COUNT);
    for (const packet of result.reflector.packets) {
      expect(packet).toMatchObject({ address: ADDRESSES.sender, length: 64, ttl: SENT_TTL - 1, tos: EF });
      if (packet.localAddress !== undefined) expect(packet.localAddress).toBe(ADDRESSES.reflector);
    }
    expect(result.sender.packets).toHaveLength(COUNT);
    for (const packet of result.sender.packets) {
      expect(packet).toMatchObject({ address: ADDRESSES.reflector, port: result.reflectorPort, length: 64, ttl: SENT_TTL - 1, tos: EF });
    }
  }, 120_000);

  it.skipIf(!native.available && !REQUIRE_NATIVE)(`dgram: the TTL it sets really goes out, and it reports received TTL/TOS as unknown${nativeNote}`, async () => {
    expect(native.available, native.reason).toBe(true);
    // A native reflector observes the fallback sender; the fallback then receives the replies.
    const result = await exchange(topology!, { implementation: 'native', ttl: SENT_TTL, tos: EF }, { implementation: 'dgram', ttl: 100 });
    expect(result.reflector.packets).toHaveLength(COUNT);
    for (const packet of result.reflector.packets) expect(packet).toMatchObject({ address: ADDRESSES.sender, ttl: 99, tos: 0 });
    expect(result.sender.packets).toHaveLength(COUNT);
    for (const packet of result.sender.packets) {
      expect(packet).toMatchObject({ address: ADDRESSES.reflector, ttl: -1, tos: -1 });
      expect(packet.localAddress).toBeUndefined(); // (JSON drops the key)
    }
  }, 120_000);

  it('deletes namespaces left by earlier runs whose process is gone, and only those', async () => {
    // A pid that surely belongs to no process any more: a child that has exited.
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => gone.on('exit', resolve));
    const pid = gone.pid;
    const leftover = `twamp-udp-${pid ?? 1}-sender`;
    await run('ip', ['netns', 'add', leftover], { timeout: 10_000 });
    try {
      const deleted = await deleteLeftovers();
      expect(deleted).toContain(leftover);
      expect(deleted).not.toContain(topology!.router);
      const { stdout } = await run('ip', ['netns', 'list'], { timeout: 10_000 });
      expect(stdout).not.toContain(leftover);
      expect(stdout).toContain(topology!.router);
    } finally {
      await run('ip', ['netns', 'del', leftover], { timeout: 10_000 }).catch(() => undefined);
    }
  });

  it('dgram alone crosses the hop in both directions', async () => {
    const result = await exchange(topology!, { implementation: 'dgram', ttl: SENT_TTL }, { implementation: 'dgram', ttl: SENT_TTL });
    expect(result.reflector.packets).toHaveLength(COUNT);
    expect(result.sender.packets).toHaveLength(COUNT);
    expect(result.sender.packets.every((packet) => packet.port === result.reflectorPort)).toBe(true);
  }, 120_000);
});
