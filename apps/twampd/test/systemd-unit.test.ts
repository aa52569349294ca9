// packaging/systemd/twampd.service: the hardening it promises is in the file, systemd itself accepts
// the file (systemd-analyze verify, when the tool is here), and its system call filter lets through
// the clock query @twamp/udp makes.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const UNIT_PATH = join(import.meta.dirname, '../../../packaging/systemd/twampd.service');
const UNIT = readFileSync(UNIT_PATH, 'utf8');
const INSTALLED_BIN = '/usr/local/bin/twampd';

/** Every `Key=value` of the unit by section, in order (a key may repeat, e.g. ExecReload). */
function parseUnit(text: string): Map<string, [string, string][]> {
  const sections = new Map<string, [string, string][]>();
  let current: [string, string][] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) {
      current = [];
      sections.set(header[1] ?? '', current);
      continue;
    }
    const at = line.indexOf('=');
    if (current === undefined || at <= 0) throw new Error(`not a unit line: ${line}`);
    current.push([line.slice(0, at), line.slice(at + 1)]);
  }
  return sections;
}

const service = parseUnit(UNIT).get('Service') ?? [];
const values = (key: string): string[] => service.filter(([k]) => k === key).map(([, v]) => v);
const value = (key: string): string | undefined => values(key).at(-1);

async function hasTool(name: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${name}`]).then(
    () => true,
    () => false,
  );
}

const work = mkdtempSync(join(tmpdir(), 'twampd-unit-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the systemd unit', () => {
  it('runs unprivileged with CAP_NET_BIND_SERVICE only', () => {
    expect(value('User')).toBe('twampd');
    expect(value('DynamicUser')).toBeUndefined();
    expect(value('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(value('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(value('NoNewPrivileges')).toBe('yes');
  });

  it('has the file system, kernel and namespace hardening', () => {
    for (const key of [
      'ProtectHome',
      'PrivateTmp',
      'PrivateDevices',
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'ProtectKernelLogs',
      'ProtectControlGroups',
      'RestrictNamespaces',
      'LockPersonality',
      'RestrictRealtime',
      'RestrictSUIDSGID',
    ]) {
      expect(value(key), key).toBe('yes');
    }
    expect(value('ProtectSystem')).toBe('strict');
    expect(value('RestrictAddressFamilies')?.split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
    // Node's JIT needs writable-then-executable pages; the clock query needs @clock's adjtimex.
    expect(value('MemoryDenyWriteExecute')).toBe('no');
    expect(value('ProtectClock')).toBe('no');
  });

  it('has writable state and log directories, and nothing else writable', () => {
    expect(value('StateDirectory')).toBe('twampd');
    expect(value('LogsDirectory')).toBe('twampd');
    expect(values('ReadWritePaths')).toEqual([]);
  });

  it('reloads with SIGHUP after checking the config, and stops with SIGTERM within a bound above the grace', () => {
    expect(value('ExecStart')).toBe(`${INSTALLED_BIN} --config /etc/twampd/twampd.yaml`);
    expect(values('ExecReload')).toEqual([`${INSTALLED_BIN} --check-config /etc/twampd/twampd.yaml`, '/bin/kill -HUP $MAINPID']);
    expect(value('KillSignal')).toBe('SIGTERM');
    // The config's default shutdownGrace is 10 s; the stop timeout leaves room for the flush.
    expect(Number(value('TimeoutStopSec'))).toBeGreaterThan(10);
    expect(value('Restart')).toBe('on-failure');
    expect(value('RestartPreventExitStatus')).toBe('2');
  });

  it('allows a descriptor per target for 10 000 targets, with room for the server', () => {
    expect(Number(value('LimitNOFILE'))).toBeGreaterThanOrEqual(20_000);
  });

  it('lets the read-only adjtimex of @twamp/udp through the system call filter', async () => {
    const filter = values('SystemCallFilter').join(' ').split(/\s+/);
    expect(filter[0]).toBe('@system-service');
    expect(filter).not.toContain('~@clock');
    if (!(await hasTool('systemd-analyze'))) return;
    // If @system-service ever gains them, the explicit entries become redundant, not wrong.
    const { stdout } = await run('systemd-analyze', ['syscall-filter', '@system-service']);
    const inSet = new Set(stdout.split('\n').map((line) => line.trim()));
    for (const call of ['adjtimex', 'clock_adjtime']) {
      expect(inSet.has(call) || filter.includes(call), call).toBe(true);
    }
  });

  it('is accepted by systemd-analyze verify without a warning, and rated OK by its security check', async (context) => {
    if (!(await hasTool('systemd-analyze'))) {
      context.skip();
      return;
    }
    // verify checks that ExecStart's program exists: point it at node instead of the installed path.
    const unit = join(work, 'twampd.service');
    writeFileSync(unit, UNIT.replaceAll(INSTALLED_BIN, process.execPath));
    const verify = await run('systemd-analyze', ['verify', unit]);
    expect(verify.stderr).toBe('');
    const security = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit]);
    const exposure = /Overall exposure level for twampd\.service: (\d+(?:\.\d+)?)/.exec(security.stdout);
    expect(exposure, security.stdout).not.toBeNull();
    expect(Number(exposure?.[1])).toBeLessThanOrEqual(3);
  });
});
