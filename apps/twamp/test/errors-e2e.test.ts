// The failures the issue names, with real processes on loopback, each with its exit code and the
// text that explains it: nothing listening (exit 1, Accept 1's checks), a mode the server refuses
// (exit 3), a wrong key (exit 3, Accept 1 in Server-Start), the server's session limit (exit 3,
// Accept 4 with the hint to ask for fewer sessions or raise the limit), a server that never answers (exit 4), bad arguments (exit 2), and
// SIGTERM during a run (exit 143).
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, runTwamp, startServer, startTwamp } from './support.js';

const SECRET = 'the right passphrase';
const dir = mkdtempSync(join(tmpdir(), 'twamp-errors-e2e-'));
const keyFile = join(dir, 'keys.pfs');
writeFileSync(keyFile, `alice\t${Buffer.from(SECRET, 'utf8').toString('hex')}\n`);



/** A TCP port nothing listens on: bound, read and released. */
function closedTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const bound = probe.address();
      probe.close(() => {
        resolve(typeof bound === 'object' && bound !== null ? bound.port : 1);
      });
    });
  });
}

/** A UDP port nothing listens on. */
function closedUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createSocket('udp4');
    probe.once('error', reject);
    probe.bind(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => {
        resolve(port);
      });
    });
  });
}

const servers: { encryptedOnly?: RunningServer; oneSession?: RunningServer } = {};
/** Accepts TCP connections and never sends a Server Greeting. */
let silent: Server | undefined;
const silentSockets = new Set<Socket>();
let silentPort = 0;

beforeAll(async () => {
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => silentSockets.delete(socket));
  });
  const listening = new Promise<void>((resolve) => {
    silent?.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  // Started together: each process spends most of a second loading.
  const [encryptedOnly, oneSession] = await Promise.all([
    startServer('127.0.0.1', ['--mode', 'encrypted', '--key-file', keyFile]),
    startServer('127.0.0.1', ['--max-sessions', '1']),
    listening,
  ]);
  const address = silent.address();
  silentPort = typeof address === 'object' && address !== null ? address.port : 0;
  Object.assign(servers, { encryptedOnly, oneSession });
}, 60_000);

afterAll(async () => {
  for (const socket of silentSockets) socket.destroy();
  silent?.close();
  await Promise.all(
    Object.values(servers).map(async (server) => {
      server.process.child.kill('SIGKILL');
      await server.process.exited().catch(() => undefined);
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('twamp failures, explained', () => {
  it('nothing listening: exit 1, the host refused, Accept 1\'s connectivity checks', async () => {
    const port = await closedTcpPort();
    const { code, stdout, stderr } = await runTwamp(['controller', '127.0.0.1', '--control-port', String(port), '-c', '2'], { timeoutMs: 60_000 });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`said by: the host at 127.0.0.1:${port}: its TCP stack refused or reset the connection (nothing listens there)`);
    expect(stderr).toContain('Accept code: none received; nearest: Accept 1 (Failure, reason unspecified)');
    expect(stderr).toContain(`no TWAMP-Control server accepted a TCP connection on port ${port}`);
    expect(stderr).toContain('check that the server is running and reachable on the control port');
    expect(stderr).toContain('exit code: 1');
  }, 60_000);

  it('refused mode: the server offers only encrypted, --mode open: exit 3, authentication required', async () => {
    const port = String(servers.encryptedOnly?.port);
    const { code, stderr } = await runTwamp(['controller', '127.0.0.1', '--control-port', port, '--mode', 'open', '-c', '2'], { timeoutMs: 60_000 });
    expect(code).toBe(3);
    expect(stderr).toContain('error: no security mode both sides allow: the server offers encrypted; we allow unauthenticated');
    expect(stderr).toContain('said by: this client, after reading the Server Greeting of the TWAMP server');
    expect(stderr).toContain('nearest: Accept 3 (Some aspect of the request is not supported)');
    expect(stderr).toContain('the server requires authentication: give the key identity with --user');
    expect(stderr).toContain('exit code: 3 (refused by the peer)');
  }, 60_000);

  it('wrong key: exit 3, Accept 1 in Server-Start explained, the key first', async () => {
    const port = String(servers.encryptedOnly?.port);
    const { code, stdout, stderr } = await runTwamp(
      ['controller', '127.0.0.1', '--control-port', port, '--mode', 'encrypted', '--user', 'alice', '--passphrase-env', 'TWAMP_ERRORS_PASSPHRASE', '-c', '2'],
      { env: { TWAMP_ERRORS_PASSPHRASE: 'a wrong passphrase' }, timeoutMs: 60_000 },
    );
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('refused in Server-Start: Accept 1 (Failure, reason unspecified)');
    expect(stderr).toMatch(/said by: the TWAMP server[^\n]*, in its Server-Start/);
    expect(stderr).toContain('Accept 1 (Failure, reason unspecified): The peer refused without saying why');
    expect(stderr).toContain('could not verify our token');
    expect(stderr).toMatch(/what to do:\n {4}1\. [^\n]*shared secret/);
    expect(stderr).not.toContain('a wrong passphrase');
  }, 60_000);

  it('server limit (--max-sessions): the second session gets Accept 4, fewer sessions or a higher limit, no retry hint, exit 3', async () => {
    const port = String(servers.oneSession?.port);
    const sender = `127.0.0.1:${await closedUdpPort()}`;
    const { code, stderr } = await runTwamp(['controlclient', sender, '127.0.0.1', '--control-port', port, '--sessions', '2'], { timeoutMs: 60_000 });
    expect(code).toBe(3);
    expect(stderr).toContain('refused in Accept-Session: Accept 4 (Cannot perform request due to permanent resource limitations)');
    expect(stderr).toMatch(/said by: the TWAMP server[^\n]*, in its Accept-Session/);
    expect(stderr).toContain('The peer is at a configured limit that will not clear by itself.');
    expect(stderr).toContain('ask for fewer sessions, or end sessions you no longer need');
    expect(stderr).toContain('raise the limit in the peer\'s configuration');
    expect(stderr).not.toContain('retry: the same request may succeed later');
  }, 60_000);

  it('a server that never greets: exit 4, no answer from it', async () => {
    const { code, stderr } = await runTwamp(['controller', '127.0.0.1', '--control-port', String(silentPort), '--control-timeout', '500', '-c', '2'], {
      timeoutMs: 60_000,
    });
    expect(code).toBe(4);
    expect(stderr).toContain('error: timed out after 500 ms waiting for');
    expect(stderr).toContain(`said by: no answer from 127.0.0.1:${silentPort}`);
    expect(stderr).toContain('exit code: 4 (timeout or unreachable)');
  }, 60_000);

  it('bad arguments: exit 2, the argument and its accepted range, nothing started', async () => {
    const [server, controller] = await Promise.all([
      runTwamp(['server', '127.0.0.1:0', '--max-sessions', '0'], { timeoutMs: 60_000 }),
      runTwamp(['controller', '127.0.0.1', '--mode', 'bogus'], { timeoutMs: 60_000 }),
    ]);
    expect(server.code).toBe(2);
    expect(server.stdout).toBe('');
    expect(server.stderr).toMatch(/error: invalid configuration: --max-sessions: expected an integer from 1 to [\d ,]+/);
    expect(server.stderr).toContain('said by: twamp itself');
    expect(server.stderr).toContain("usage: see 'twamp server --help'");
    expect(controller.code).toBe(2);
    expect(controller.stderr).toContain('error: invalid configuration: --mode: expected open, auth (authenticated), encrypted or mixed');
    // A usage error is no control exchange: no Accept line at all.
    expect(controller.stderr).not.toContain('Accept');
  }, 60_000);

  it('SIGTERM during a run: the partial summary, exit 143', async () => {
    const target = `127.0.0.1:${await closedUdpPort()}`;
    const sender = startTwamp(['sender', target, '-c', '100000', '-i', '10', '--loss-timeout', '200']);
    await sender.waitFor('stderr', /Ctrl-C stops/);
    sender.child.kill('SIGTERM');
    expect(await sender.exited()).toBe(143);
    expect(sender.stdout()).toContain('interrupted');
  }, 60_000);
});
