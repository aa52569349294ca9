// End to end over loopback with real processes: `twamp server` on ephemeral ports and `twamp
// controller` against it over 127.0.0.1 and ::1 in all four security modes (a perfSONAR key file in
// a temporary directory), complete test sessions read from --json; then the failures: a wrong
// passphrase (exit 3, Accept 1 explained), a mode the server does not offer (refused, exit 3), no
// server at all (exit 1 with the connectivity checks), a third-party sender set up by `twamp
// controlclient`, Ctrl-C on a controller run (exit 130, Stop-Sessions seen by the server), and a
// graceful SIGTERM (exit 0).
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, runTwamp, startServer, startTwamp } from './support.js';

interface ControllerJson {
  command: string;
  protocol: string;
  packets: { sent: number; received: number; lost: number };
  delayMs: { roundTrip: { count: number } };
  control: { securityMode: string; sid: string; receiver: { address: string; port: number }; paddingLength: number; serverModes: number };
}

const SECRET = 'correct horse battery staple';
const dir = mkdtempSync(join(tmpdir(), 'twamp-control-e2e-'));
const keyFile = join(dir, 'twamp-server.pfs');
// perfSONAR's format: identity, whitespace, the secret as hex.
writeFileSync(keyFile, `# test keys\nalice\t${Buffer.from(SECRET, 'utf8').toString('hex')}\n`);



const servers: Record<'v4' | 'v6' | 'openOnly', RunningServer | undefined> = { v4: undefined, v6: undefined, openOnly: undefined };

beforeAll(async () => {
  // Started together: each process spends most of a second loading.
  const [v4, v6, openOnly] = await Promise.all([
    startServer('127.0.0.1', ['--key-file', keyFile]),
    startServer('::1', ['--key-file', keyFile]),
    startServer('127.0.0.1', []),
  ]);
  Object.assign(servers, { v4, v6, openOnly });
}, 60_000);

afterAll(async () => {
  await Promise.all(
    Object.values(servers).map(async (server) => {
      if (server === undefined) return;
      server.process.child.kill('SIGKILL');
      await server.process.exited().catch(() => undefined);
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

const MODES = [
  ['open', 'unauthenticated', 27],
  ['auth', 'authenticated', 64],
  ['encrypted', 'encrypted', 64],
  ['mixed', 'mixed', 27],
] as const;

const CASES = (['v4', 'v6'] as const).flatMap((family) => MODES.map(([flag, name, padding]) => [family, flag, name, padding] as const));

describe.concurrent.each(CASES)('controller over %s in mode %s', (family, flag, name, padding) => {
  it('runs a complete session and reports it in --json', async () => {
    const server = servers[family];
    const address = family === 'v4' ? '127.0.0.1' : '::1';
    const { code, stdout, stderr } = await runTwamp(
      ['controller', address, '--control-port', String(server?.port), '--mode', flag, '--user', 'alice', '--key-file', keyFile, '-c', '5', '-i', '5', '--json'],
      { timeoutMs: 60_000 },
    );
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as ControllerJson;
    expect(json.command).toBe('controller');
    expect(json.protocol).toBe('twamp');
    expect(json.packets).toMatchObject({ sent: 5, received: 5, lost: 0 });
    expect(json.delayMs.roundTrip.count).toBe(5);
    expect(json.control.securityMode).toBe(name);
    expect(json.control.sid).toMatch(/^[0-9a-f]{32}$/);
    expect(json.control.receiver.address).toBe(address);
    expect(json.control.paddingLength).toBe(padding);
    expect(stderr).not.toContain(SECRET);
  }, 60_000);
});

describe.concurrent('refusals and failures', () => {
  it('a wrong passphrase exits 3 with Accept 1 explained', async () => {
    const { code, stdout, stderr } = await runTwamp(
      ['controller', '127.0.0.1', '--control-port', String(servers.v4?.port), '--user', 'alice', '--passphrase-env', 'TWAMP_TEST_PASSPHRASE', '-c', '2'],
      { env: { TWAMP_TEST_PASSPHRASE: 'not the secret' }, timeoutMs: 60_000 },
    );
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('refused in Server-Start: Accept 1');
    expect(stderr).toContain('check the key identity and the shared secret on both sides');
    expect(stderr).not.toContain('not the secret');
  }, 60_000);

  it('a mode the server does not offer is refused (exit 3)', async () => {
    const { code, stderr } = await runTwamp(
      ['controller', '127.0.0.1', '--control-port', String(servers.openOnly?.port), '--mode', 'encrypted', '--user', 'alice', '--key-file', keyFile, '-c', '2'],
      { timeoutMs: 60_000 },
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(/server offers unauthenticated/);
    expect(stderr).toContain('allow a mode the peer offers');
  }, 60_000);

  it('no server exits 1 with the connectivity checks', async () => {
    // A port nothing listens on: bound, read and released.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const bound = probe.address();
        probe.close(() => {
          resolve(typeof bound === 'object' && bound !== null ? bound.port : 1);
        });
      });
    });
    const { code, stderr } = await runTwamp(['controller', '127.0.0.1', '--control-port', String(port), '-c', '2'], { timeoutMs: 60_000 });
    expect([1, 4]).toContain(code);
    expect(stderr).toContain('no TWAMP-Control server accepted a TCP connection');
    expect(stderr).toContain('check that the server is running and reachable on the control port');
  }, 60_000);
});

describe('twamp controlclient', () => {
  it('sets up a session for a third-party sender (here `twamp sender`), which then gets every reply', async () => {
    const senderPort = await new Promise<number>((resolve, reject) => {
      const probe = createSocket('udp4');
      probe.once('error', reject);
      probe.bind(0, '127.0.0.1', () => {
        const { port } = probe.address();
        probe.close(() => {
          resolve(port);
        });
      });
    });
    const client = startTwamp(['controlclient', `127.0.0.1:${senderPort}`, '127.0.0.1', '--control-port', String(servers.openOnly?.port), '--duration', '60']);
    try {
      const match = await client.waitFor('stdout', /the sender sends from 127\.0\.0\.1:(\d+) to 127\.0\.0\.1:(\d+)\/udp, TWAMP unauthenticated/);
      expect(Number(match[1])).toBe(senderPort);
      const { code, stdout } = await runTwamp(['sender', `127.0.0.1:${match[2]}`, `127.0.0.1:${senderPort}`, '-c', '5', '-i', '5', '--json'], { timeoutMs: 60_000 });
      expect(code).toBe(0);
      expect((JSON.parse(stdout) as ControllerJson).packets).toMatchObject({ sent: 5, received: 5 });
      client.child.kill('SIGINT');
      expect(await client.exited(20_000)).toBe(0);
      expect(client.stderr()).toContain('sessions stopped (on SIGINT)');
    } finally {
      client.child.kill('SIGKILL');
    }
  }, 90_000);
});

describe('Ctrl-C during a controller run', () => {
  it('stops the session (the server sees Stop-Sessions), prints the partial summary and exits 130', async () => {
    // A server of its own, so every line it prints belongs to this run.
    const server = await startServer('127.0.0.1', []);
    const controller = startTwamp(['controller', '127.0.0.1', '--control-port', String(server.port), '-c', '100000', '-i', '10']);
    try {
      await server.process.waitFor('stdout', /session [0-9a-f]{32} started/, 30_000);
      // A few packets in flight first, so the summary is a real partial one.
      await new Promise((resolve) => setTimeout(resolve, 500));
      controller.child.kill('SIGINT');
      expect(await controller.exited(30_000)).toBe(130);
      expect(controller.stdout()).toMatch(/\d+ sent, \d+ received/);
      const sid = /SID ([0-9a-f]{32})/.exec(controller.stdout())?.[1];
      expect(sid).toBeDefined();
      // The server logs Stop-Sessions as the session "stopping" (reflecting for its Timeout).
      await server.process.waitFor('stdout', new RegExp(`session ${sid ?? '-'} stopping: reflecting for \\d+ ms more`), 10_000);
    } finally {
      controller.child.kill('SIGKILL');
      server.process.child.kill('SIGKILL');
      await server.process.exited().catch(() => undefined);
    }
  }, 60_000);
});

describe('twamp server', () => {
  it('printed a line per session and closes gracefully on SIGTERM (exit 0)', async () => {
    const server = servers.v4;
    expect(server).toBeDefined();
    if (server === undefined) return;
    expect(server.process.stdout()).toMatch(/session [0-9a-f]{32} opened: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+\/udp/);
    expect(server.process.stdout()).toMatch(/session [0-9a-f]{32} started/);
    server.process.child.kill('SIGTERM');
    expect(await server.process.exited(20_000)).toBe(0);
    expect(server.process.stdout()).toMatch(/twamp server: stopped after .*: \d+ control connections?, \d+ sessions?/);
    servers.v4 = undefined;
  }, 30_000);
});
