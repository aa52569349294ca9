// A three-namespace topology built for one test run and torn down after it:
//
//   sender ns                 router ns (ip_forward=1)                 reflector ns
//   veth-s 198.18.1.2/24 ---- veth-rs 198.18.1.1/24 | veth-rf 198.18.2.1/24 ---- veth-f 198.18.2.2/24
//
// Only 198.18.0.0/15 (RFC 2544 benchmarking space) and loopback are used, and every interface is
// created directly inside its namespace, so nothing in the host's own namespace is touched.
// Namespace names carry the pid of the run, so parallel runs never collide, and leftovers of runs
// whose process is gone can be recognised and deleted.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REQUIRE_NETNS = process.env['TWAMP_REQUIRE_NETNS'] === '1';
export const PREFIX = 'twamp-udp-';
const COMMAND_TIMEOUT_MS = 10_000;

export const ADDRESSES = {
  sender: '198.18.1.2',
  routerSenderSide: '198.18.1.1',
  routerReflectorSide: '198.18.2.1',
  reflector: '198.18.2.2',
} as const;

export interface Topology {
  readonly sender: string;
  readonly router: string;
  readonly reflector: string;
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: COMMAND_TIMEOUT_MS });
  return stdout;
}

/** Whether namespaces can be built here, and why not. Creates and deletes one probe namespace. */
export async function probeNetns(): Promise<{ readonly available: boolean; readonly reason: string }> {
  if (process.platform !== 'linux') return { available: false, reason: `network namespaces need Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { available: false, reason: 'network namespaces need root' };
  try {
    await run('ip', ['-V'], { timeout: COMMAND_TIMEOUT_MS });
  } catch {
    return { available: false, reason: '`ip` (iproute2) is not installed' };
  }
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    await ip('netns', 'add', probe);
  } catch (error) {
    return { available: false, reason: `ip netns add failed: ${(error as Error).message.trim()}` };
  } finally {
    await ip('netns', 'del', probe).catch(() => undefined);
  }
  return { available: true, reason: '' };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete namespaces of earlier runs (same prefix, owner process gone). Returns their names. */
export async function deleteLeftovers(): Promise<string[]> {
  const listing = await ip('netns', 'list');
  const stale: string[] = [];
  for (const line of listing.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (isAlive(pid)) continue; // a run still going (this one included)
    stale.push(name);
  }
  for (const name of stale) await ip('netns', 'del', name).catch(() => undefined);
  return stale;
}

export async function createTopology(): Promise<Topology> {
  const base = `${PREFIX}${process.pid}-`;
  const topology: Topology = { sender: `${base}sender`, router: `${base}router`, reflector: `${base}reflector` };
  // Namespaces of an earlier run whose pid this process now has would make `add` fail.
  await destroyTopology(topology);
  try {
    for (const ns of [topology.sender, topology.router, topology.reflector]) {
      await ip('netns', 'add', ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip('link', 'add', 'name', 'veth-s', 'netns', topology.sender, 'type', 'veth', 'peer', 'name', 'veth-rs', 'netns', topology.router);
    await ip('link', 'add', 'name', 'veth-rf', 'netns', topology.router, 'type', 'veth', 'peer', 'name', 'veth-f', 'netns', topology.reflector);
    const addresses: [string, string, string][] = [
      [topology.sender, 'veth-s', ADDRESSES.sender],
      [topology.router, 'veth-rs', ADDRESSES.routerSenderSide],
      [topology.router, 'veth-rf', ADDRESSES.routerReflectorSide],
      [topology.reflector, 'veth-f', ADDRESSES.reflector],
    ];
    for (const [ns, dev, address] of addresses) {
      await ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev);
      await ip('-n', ns, 'link', 'set', dev, 'up');
    }
    await ip('-n', topology.sender, 'route', 'add', '198.18.2.0/24', 'via', ADDRESSES.routerSenderSide);
    await ip('-n', topology.reflector, 'route', 'add', '198.18.1.0/24', 'via', ADDRESSES.routerReflectorSide);
    // Forwarding inside the router namespace only; the host's own setting is not touched.
    await run('ip', ['netns', 'exec', topology.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { timeout: COMMAND_TIMEOUT_MS });
    return topology;
  } catch (error) {
    await destroyTopology(topology);
    throw error;
  }
}

/** Delete the namespaces (their veth pairs go with them). Never throws. */
export async function destroyTopology(topology: Topology): Promise<void> {
  for (const ns of [topology.sender, topology.router, topology.reflector]) {
    await ip('netns', 'del', ns).catch(() => undefined);
  }
}
