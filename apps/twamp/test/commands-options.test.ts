// The option plumbing of the long-running commands as real processes: a responder with -v, --jsonl,
// -l and -d measured by a real sender; a server with -q --jsonl; both stopped by a signal (exit 0).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTwamp, startTwamp } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-commands-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function records(text: string): Record<string, unknown>[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('twamp responder options', () => {
  it('-v prints a line per session and rate lines; stopped by SIGINT with exit 0', async () => {
    const responder = startTwamp(['responder', '127.0.0.1:0', '-v', '--idle-timeout', '1']);
    try {
      const port = Number((await responder.waitFor('stderr', /listening on 127\.0\.0\.1:(\d+)\/udp/))[1]);
      const sender = await runTwamp(['sender', `127.0.0.1:${port}`, '-c', '10', '-i', '2', '--json'], { timeoutMs: 60_000 });
      expect(sender.code, sender.stderr).toBe(0);
      await responder.waitFor('stdout', /twamp responder: session 127\.0\.0\.1:\d+ created \(TWAMP Light\)/);
      await responder.waitFor('stdout', /twamp responder: \d+\.\d s: \d+ packets in \(.*\/s\), \d+ out/);
    } finally {
      responder.child.kill('SIGINT');
    }
    expect(await responder.exited()).toBe(0);
    expect(responder.stdout()).toMatch(/twamp responder: stopped after .*: 10 packets in, 10 out, 1 session/);
  });

  it('--jsonl -l -d: records on stdout, a timestamped log file, debug lines on stderr', async () => {
    const logFile = join(dir, 'responder.log');
    const responder = startTwamp(['responder', '127.0.0.1:0', '--stamp', '--jsonl', '-l', logFile, '-d']);
    try {
      const listening = await responder.waitFor('stdout', /"type":"listening".*"port":(\d+)/);
      const sender = await runTwamp(['sender', `127.0.0.1:${listening[1] ?? ''}`, '--stamp', '-c', '5', '-i', '2', '--json'], { timeoutMs: 60_000 });
      expect(sender.code, sender.stderr).toBe(0);
      await responder.waitFor('stdout', /"type":"session"/);
    } finally {
      responder.child.kill('SIGTERM');
    }
    expect(await responder.exited()).toBe(0);
    const lines = records(responder.stdout());
    expect(lines[0]).toMatchObject({ type: 'listening', address: '127.0.0.1', protocol: 'stamp', stateful: true });
    expect(lines).toContainEqual(expect.objectContaining({ type: 'session', event: 'created', protocol: 'stamp' }));
    expect(lines.at(-1)).toMatchObject({ type: 'stopped', stats: expect.objectContaining({ packetsIn: 5, packetsOut: 5 }) as unknown });
    expect(responder.stderr()).toContain('debug: responder: opening a reflector with');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z twamp responder: listening on 127\.0\.0\.1:\d+\/udp, STAMP/m);
    expect(log).toMatch(/Z twamp responder: stopped after .*: 5 packets in, 5 out/);
  });
});

describe('twamp server options', () => {
  it('-q --jsonl: only records on stdout, nothing on stderr; SIGTERM ends it with exit 0', async () => {
    const server = startTwamp(['server', '127.0.0.1:0', '--port-range', 'ephemeral', '-q', '--jsonl']);
    let port: string | undefined;
    try {
      port = (await server.waitFor('stdout', /"type":"listening".*"port":(\d+)/))[1];
      const controller = await runTwamp(['controller', '127.0.0.1', '--control-port', port ?? '', '-c', '3', '-i', '2', '--json'], { timeoutMs: 60_000 });
      expect(controller.code, controller.stderr).toBe(0);
      await server.waitFor('stdout', /"type":"session","time":"[^"]+","event":"(stopping|ended)"/);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited()).toBe(0);
    const lines = records(server.stdout());
    expect(lines.find((line) => line['type'] === 'listening')).toMatchObject({
      address: '127.0.0.1',
      port: Number(port),
      modeNames: expect.arrayContaining(['unauthenticated']) as unknown,
    });
    // The control server's own log events are records too.
    expect(lines).toContainEqual(expect.objectContaining({ type: 'log', level: 'info', event: 'server-listening' }));
    const events = lines.filter((line) => line['type'] === 'session').map((line) => line['event']);
    expect(events).toEqual(expect.arrayContaining(['opened', 'started']));
    expect(lines.at(-1)).toMatchObject({ type: 'stopped', stats: expect.objectContaining({ sessionsOpened: 1 }) as unknown });
    expect(server.stderr()).toBe('');
  });
});
