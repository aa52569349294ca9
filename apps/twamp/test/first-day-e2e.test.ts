// What a new user tripped over on the first day (issue 14), seen as the user sees it, with real
// processes on loopback: a refusal names the server by address and port (so a loop over servers can
// tell which refused, IPv6 in brackets); a busy port says its bind error once; a mistyped command or
// option gets "did you mean"; usage errors name no Accept code; and the stream rule of docs/usage.md:
// listening lines are status lines on stderr, stdout carries only the command's output.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, runTwamp, startServer, startTwamp } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-first-day-e2e-'));
const keyFile = join(dir, 'keys.pfs');
writeFileSync(keyFile, `alice\t${Buffer.from('the right passphrase', 'utf8').toString('hex')}\n`);



const servers: RunningServer[] = [];
let busyTcp: Server | undefined;
let busyUdp: UdpSocket | undefined;
let busyTcpPort = 0;
let busyUdpPort = 0;

beforeAll(async () => {
  // Two servers that refuse the wrong key, one per family; ports held by this test process.
  servers.push(...(await Promise.all([startServer('127.0.0.1', ['--mode', 'encrypted', '--key-file', keyFile]), startServer('::1', ['--mode', 'encrypted', '--key-file', keyFile])])));
  busyTcp = createServer();
  busyTcpPort = await new Promise<number>((resolve) => {
    busyTcp?.listen(0, '127.0.0.1', () => {
      const address = busyTcp?.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  busyUdp = createSocket('udp4');
  busyUdpPort = await new Promise<number>((resolve) => {
    busyUdp?.bind(0, '127.0.0.1', () => {
      resolve(busyUdp?.address().port ?? 0);
    });
  });
}, 60_000);

afterAll(async () => {
  busyTcp?.close();
  busyUdp?.close();
  await Promise.all(
    servers.map(async (server) => {
      server.process.child.kill('SIGKILL');
      await server.process.exited().catch(() => undefined);
    }),
  );
  rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('a refusal names the server that refused', () => {
  it.each([
    ['127.0.0.1', (port: number) => `127.0.0.1:${port}`],
    ['::1', (port: number) => `[::1]:${port}`],
  ])('a wrong key against the server on %s: "the TWAMP server at <address:port>", exit 3', async (address, endpoint) => {
    const server = servers[address === '::1' ? 1 : 0];
    const port = server?.port ?? 0;
    const target = address.includes(':') ? `[${address}]` : address;
    const { code, stderr } = await runTwamp(['controller', target, '--control-port', String(port), '--mode', 'encrypted', '--user', 'alice', '--passphrase-env', 'TWAMP_WRONG', '-c', '2'], {
      env: { TWAMP_WRONG: 'a wrong passphrase' },
      timeoutMs: 60_000,
    });
    expect(code, stderr).toBe(3);
    expect(stderr).toContain(`error: the TWAMP server at ${endpoint(port)} refused in Server-Start: Accept 1`);
    expect(stderr).toContain(`said by: the TWAMP server at ${endpoint(port)}, in its Server-Start`);
    expect(stderr).not.toContain('TCP port');
  }, 60_000);
});

describe.concurrent('failures said once, usage errors without Accept codes', () => {
  it('twamp responder on a busy UDP port: the bind error once, no Accept line, exit 1', async () => {
    const { code, stderr } = await runTwamp(['responder', `127.0.0.1:${busyUdpPort}`], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(1);
    const head = `bind failed with EADDRINUSE (127.0.0.1:${busyUdpPort})`;
    expect(stderr.split(head)).toHaveLength(2);
    expect(stderr).toMatch(/^error: bind failed with EADDRINUSE \([^)]+\): [a-zA-Z ]+\n/);
    expect(stderr).not.toContain('Accept');
  }, 60_000);

  it('twamp server on a busy TCP port: the listen error once, said by our server, no Accept line, exit 1', async () => {
    const { code, stderr } = await runTwamp(['server', `127.0.0.1:${busyTcpPort}`], { timeoutMs: 60_000 });
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`error: listen (TCP) failed with EADDRINUSE (127.0.0.1:${busyTcpPort}): address already in use\n`);
    expect(stderr.match(/EADDRINUSE/g)).toHaveLength(1);
    expect(stderr).toContain('said by: our TWAMP server (twamp server, on this host)');
    expect(stderr).not.toContain('Accept');
  }, 60_000);

  it('a mistyped command and a mistyped option: "did you mean", exit 2, no Accept line', async () => {
    const [command, option] = await Promise.all([runTwamp(['sendr', '127.0.0.1'], { timeoutMs: 60_000 }), runTwamp(['responder', '--jsnl'], { timeoutMs: 60_000 })]);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('got "sendr" (did you mean sender?)');
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('(did you mean --jsonl?)');
    for (const { stderr, stdout } of [command, option]) {
      expect(stdout).toBe('');
      expect(stderr).not.toContain('Accept');
    }
  }, 60_000);
});

describe.concurrent('stdout is the output, stderr the status (docs/usage.md, "Output streams")', () => {
  it('twamp responder: the listening line on stderr, the statistics on stdout', async () => {
    const responder = startTwamp(['responder', '127.0.0.1:0']);
    await responder.waitFor('stderr', /twamp responder: listening on 127\.0\.0\.1:\d+\/udp/);
    responder.child.kill('SIGTERM');
    expect(await responder.exited()).toBe(0);
    expect(responder.stdout()).not.toContain('listening');
    expect(responder.stdout()).toMatch(/^twamp responder: stopped after [^\n]+\n$/);
  }, 60_000);

  it('twamp server --json: stdout is one JSON object; the listening line on stderr', async () => {
    const server = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral', '--json']);
    await server.waitFor('stderr', /twamp server: listening on 127\.0\.0\.1:\d+\/tcp/);
    server.child.kill('SIGTERM');
    expect(await server.exited()).toBe(0);
    const lines = server.stdout().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ command: 'server', listening: { address: '127.0.0.1' } });
  }, 60_000);

  it('twamp responder --jsonl: the listening record on stdout, the listening line on stderr', async () => {
    const responder = startTwamp(['responder', '127.0.0.1:0', '--jsonl']);
    await responder.waitFor('stdout', /"type":"listening"/);
    await responder.waitFor('stderr', /twamp responder: listening on/);
    responder.child.kill('SIGTERM');
    expect(await responder.exited()).toBe(0);
    for (const line of responder.stdout().trimEnd().split('\n')) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
  }, 60_000);
});
