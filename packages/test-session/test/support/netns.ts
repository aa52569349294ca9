// A three-namespace topology for one test run, removed afterwards (also when the run fails):
//
//   sender ns                  router ns (ip_forward=1 there only)          reflector ns
//   ts-s 198.18.21.2/24 ─────── ts-rs 198.18.21.1/24 │ ts-rf 198.18.22.1/24 ─────── ts-f 198.18.22.2/24
//
// Only 198.18.0.0/15 (RFC 2544 benchmarking space) is used, every interface is created directly in
// its namespace, and nothing in the host's namespace changes. Names carry this process's pid, so
// parallel runs never collide and leftovers of dead runs can be told apart and deleted.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const TIMEOUT_MS = 10_000;

export const REQUIRE_NETNS = process.env['TWAMP_REQUIRE_NETNS'] === '1';
export const NETNS_PREFIX = 'twamp-ts-';

export const NETNS_ADDRESSES = {
  sender: '198.18.21.2',
  routerSenderSide: '198.18.21.1',
  routerReflectorSide: '198.18.22.1',
  reflector: '198.18.22.2',
} as const;

export interface Namespaces {
  readonly sender: string;
  readonly router: string;
  readonly reflector: string;
}

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args, { timeout: TIMEOUT_MS });
}

/** Whether namespaces can be built here, and if not why. Makes and removes one probe namespace. */
export async function netnsAvailability(): Promise<{ readonly available: boolean; readonly reason: string }> {
  if (process.platform !== 'linux') return { available: false, reason: `network namespaces need Linux, not ${process.platform}` };
  if (process.getuid?.() !== 0) return { available: false, reason: 'network namespaces need root' };
  try {
    await exec('ip', ['-V'], { timeout: TIMEOUT_MS });
  } catch {
    return { available: false, reason: '`ip` (iproute2) is not installed' };
  }
  const probe = `${NETNS_PREFIX}${process.pid}-probe`;
  try {
    await ip('netns', 'add', probe);
    return { available: true, reason: '' };
  } catch (error) {
    return { available: false, reason: `ip netns add failed: ${(error as Error).message.trim()}` };
  } finally {
    await ip('netns', 'del', probe).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete namespaces of earlier runs of these tests whose process is gone. Returns their names. */
export async function deleteStaleNamespaces(): Promise<string[]> {
  const { stdout } = await exec('ip', ['netns', 'list'], { timeout: TIMEOUT_MS });
  const stale: string[] = [];
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(NETNS_PREFIX)) continue;
    const pid = Number(name.slice(NETNS_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) stale.push(name);
  }
  for (const name of stale) await ip('netns', 'del', name).catch(() => undefined);
  return stale;
}

export async function createNamespaces(): Promise<Namespaces> {
  const base = `${NETNS_PREFIX}${process.pid}-`;
  const ns: Namespaces = { sender: `${base}s`, router: `${base}r`, reflector: `${base}f` };
  await deleteNamespaces(ns); // a dead run that had our pid
  try {
    for (const name of [ns.sender, ns.router, ns.reflector]) {
      await ip('netns', 'add', name);
      await ip('-n', name, 'link', 'set', 'lo', 'up');
    }
    await ip('link', 'add', 'name', 'ts-s', 'netns', ns.sender, 'type', 'veth', 'peer', 'name', 'ts-rs', 'netns', ns.router);
    await ip('link', 'add', 'name', 'ts-rf', 'netns', ns.router, 'type', 'veth', 'peer', 'name', 'ts-f', 'netns', ns.reflector);
    const interfaces: readonly (readonly [string, string, string])[] = [
      [ns.sender, 'ts-s', NETNS_ADDRESSES.sender],
      [ns.router, 'ts-rs', NETNS_ADDRESSES.routerSenderSide],
      [ns.router, 'ts-rf', NETNS_ADDRESSES.routerReflectorSide],
      [ns.reflector, 'ts-f', NETNS_ADDRESSES.reflector],
    ];
    for (const [name, device, address] of interfaces) {
      await ip('-n', name, 'addr', 'add', `${address}/24`, 'dev', device);
      await ip('-n', name, 'link', 'set', device, 'up');
    }
    await ip('-n', ns.sender, 'route', 'add', '198.18.22.0/24', 'via', NETNS_ADDRESSES.routerSenderSide);
    await ip('-n', ns.reflector, 'route', 'add', '198.18.21.0/24', 'via', NETNS_ADDRESSES.routerReflectorSide);
    await exec('ip', ['netns', 'exec', ns.router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { timeout: TIMEOUT_MS });
    return ns;
  } catch (error) {
    await deleteNamespaces(ns);
    throw error;
  }
}

/** Delete the namespaces (their veth pairs go with them). Never throws. */
export async function deleteNamespaces(ns: Namespaces): Promise<void> {
  for (const name of [ns.sender, ns.router, ns.reflector]) await ip('netns', 'del', name).catch(() => undefined);
}

/** Whether a namespace of this name exists now. */
export async function namespaceExists(name: string): Promise<boolean> {
  const { stdout } = await exec('ip', ['netns', 'list'], { timeout: TIMEOUT_MS });
  return stdout.split('\n').some((line) => line.split(' ')[0] === name);
}
