// twampd as a process: config mistakes (exit 2, each with its path and what is expected), a taken port (exit 1, what and what to do), SIGHUP with a broken file (logged, keeps
// running), SIGTERM while a session runs (the session ends, results flushed, exit 0), and a second
// stop signal (exit 1 at once).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOOPBACK, MISTAKES } from './configs.js';
import { freePort, httpGet, killAll, runToEnd, sample, scratchDir, start, startTwampd, TWAMP, TWAMPD, type Twampd } from './support.js';

const scratch = scratchDir();

afterAll(() => {
  killAll();
  scratch.remove();
});

// --check-config is tested in-process (main.test.ts); here the real process, its exit code and stderr.
describe.concurrent.each(MISTAKES)('a config with %s', (name, text, message) => {
  it('starts nothing: exit 2 and the mistake', async () => {
    const path = scratch.write(`${name.replaceAll(' ', '-')}.yaml`, text);
    const { code, stderr } = await runToEnd(TWAMPD, ['--config', path]);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('"event":"ready"');
  });
});

describe('runtime failures', () => {
  it('a taken port exits 1 and says which and what to do', async () => {
    const taken = await new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        resolve(server);
      });
    });
    try {
      const address = taken.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const path = scratch.write('taken.yaml', LOOPBACK.replace('port: 0, reflectorPorts', `port: ${port}, reflectorPorts`));
      const { code, stdout, stderr } = await runToEnd(TWAMPD, ['--config', path]);
      expect(code, stderr).toBe(1);
      // docs/daemon.md: a bind error, as every log line with logging.destination: stderr, is on stderr; stdout stays empty.
      expect(stdout).toBe('');
      expect(stderr).toContain('EADDRINUSE');
      expect(stderr).toContain(String(port));
      expect(stderr).toContain('what to do');
      expect(stderr).toContain('"event":"start-failed"');
    } finally {
      taken.close();
    }
  });
});

describe('signals', () => {
  it('SIGHUP with a broken file logs the mistakes and keeps serving the running config', async () => {
    const path = scratch.write('hup.yaml', LOOPBACK);
    const daemon = await startTwampd(path);
    scratch.write('hup.yaml', `${LOOPBACK}limits:\n  sessionsTotal: -1\n`);
    daemon.process.child.kill('SIGHUP');
    const failed = await daemon.waitForEvent('reload-failed');
    expect(failed['stage']).toBe('config');
    expect(JSON.stringify(failed['mistakes'])).toContain('limits.sessionsTotal');
    expect((await httpGet(daemon.metricsPort ?? 0, '/healthz')).status).toBe(200);
    expect(daemon.events('reloaded')).toEqual([]);
    expect(await daemon.stop()).toBe(0);
  });

  it('SIGTERM mid-session: the session ends within the grace, last windows are flushed, exit 0', async () => {
    const results = join(scratch.dir, 'results.jsonl');
    const lightPort = await freePort('udp');
    const path = scratch.write(
      'term.yaml',
      `listeners:
  control: { address: 127.0.0.1, port: 0, reflectorPorts: ephemeral }
  reflectors:
    - { name: light, protocol: twamp-light, address: 127.0.0.1, port: ${lightPort} }
    - { name: stamp, protocol: stamp, address: 127.0.0.1, port: 0 }
metrics: { address: 127.0.0.1, port: 0 }
logging: { level: info, destination: stderr }
shutdownGrace: 8s
agent:
  output: ${results}
  # A window far longer than the test: every window record in the file comes from the stop's flush.
  defaults: { interval: 20ms, window: 10m, lossTimeout: 500ms }
  targets:
    - { name: a-light, protocol: twamp-light, address: 127.0.0.1, port: ${lightPort} }
    - { name: b-light, protocol: twamp-light, address: 127.0.0.1, port: ${lightPort}, dscp: 46 }
`,
    );
    const daemon = await startTwampd(path);
    const controller = start(TWAMP, ['controller', '127.0.0.1', '--control-port', String(daemon.port('control')), '-c', '150', '-i', '10', '--loss-timeout', '1000', '--json']);
    await waitForSession(daemon);
    expect(await daemon.stop(45_000)).toBe(0);
    expect(await controller.exited(45_000)).toBe(0);
    expect((JSON.parse(controller.stdout()) as { packets: unknown }).packets).toMatchObject({ sent: 150, received: 150, lost: 0 });

    const records = readFileSync(results, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { record: string; target?: string; packets?: { received: number } });
    for (const target of ['a-light', 'b-light']) {
      const windows = records.filter((record) => record.record === 'window' && record.target === target);
      expect(windows.length, `${target}: ${JSON.stringify(records)}`).toBeGreaterThan(0);
      expect(windows.at(-1)?.packets?.received).toBeGreaterThan(0);
    }
    const log = daemon.process.stderr();
    expect(log).toContain('"event":"stopping"');
    expect(log).toContain('"event":"stopped"');
  });

  it('a second SIGTERM while stopping exits 1 at once', async () => {
    const path = scratch.write('twice.yaml', LOOPBACK.replace('logging:', 'shutdownGrace: 60s\nlogging:'));
    const daemon = await startTwampd(path);
    // A session that outlives the test keeps the graceful stop waiting.
    const controller = start(TWAMP, ['controller', '127.0.0.1', '--control-port', String(daemon.port('control')), '-c', '3000', '-i', '10']);
    await waitForSession(daemon);
    daemon.process.child.kill('SIGTERM');
    await daemon.waitForEvent('stopping');
    daemon.process.child.kill('SIGTERM');
    expect(await daemon.process.exited(15_000)).toBe(1);
    expect(daemon.events('stop-forced')).toHaveLength(1);
    controller.child.kill('SIGKILL');
  });
});

/** Waits until the control server counts an active session. */
async function waitForSession(daemon: Twampd): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await httpGet(daemon.metricsPort ?? 0, '/metrics');
    if ((sample(body, 'twampd_control_sessions_active') ?? 0) >= 1) return;
    if (Date.now() > deadline) throw new Error('no active session');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
