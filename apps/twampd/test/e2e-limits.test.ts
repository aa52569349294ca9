// Limits as a TWAMP client sees them: Accept 4 at limits.sessionsTotal (permanent), Accept 5 at
// limits.sessionRequestsPerSecond (temporary), a Greeting with Modes 0 for a client outside
// access.control; and SIGHUP lowering the limits while a TWAMP and a TWAMP Light session run: both
// keep every reply, the next TWAMP session meets the new limit, and a full Light reflector makes room.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, killAll, sample, scratchDir, start, startTwampd, TWAMP, twamp, type Twampd } from './support.js';

const scratch = scratchDir();

function controlConfig(extra: string): string {
  return `listeners:
  control: { address: 127.0.0.1, port: 0, reflectorPorts: ephemeral }
metrics: { address: 127.0.0.1, port: 0 }
logging: { level: info, destination: stderr }
shutdownGrace: 1s
${extra}`;
}

/** The limited twampd: a TWAMP Light reflector too, so a reload can lower its session limit as well. */
function limitedConfig(sessions: number): string {
  return controlConfig(`limits:
  sessionsTotal: ${sessions}
  reflectorSessions: ${sessions}
`).replace('metrics:', '  reflectors:\n    - { name: light, protocol: twamp-light, address: 127.0.0.1, port: 0 }\nmetrics:');
}

const limitedPath = scratch.write('limited.yaml', limitedConfig(2));
const ratePath = scratch.write('rate.yaml', controlConfig('limits:\n  sessionRequestsPerSecond: 1\n'));
const accessPath = scratch.write('access.yaml', controlConfig('access:\n  control: [192.0.2.0/24, "2001:db8::/32"]\n'));

let limited: Twampd;
let rate: Twampd;
let access: Twampd;

beforeAll(async () => {
  [limited, rate, access] = await Promise.all([startTwampd(limitedPath), startTwampd(ratePath), startTwampd(accessPath)]);
}, 60_000);

afterAll(() => {
  killAll();
  scratch.remove();
});

/** `twamp controlclient` asking for `sessions` sessions on one connection, for a sender that need not exist. */
async function controlclient(daemon: Twampd, sessions: number): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const senderPort = await freePort('udp');
  return twamp([
    'controlclient',
    `127.0.0.1:${senderPort}`,
    '127.0.0.1',
    '--control-port',
    String(daemon.port('control')),
    '--sessions',
    String(sessions),
    '--duration',
    '1',
  ]);
}

/** Polls /metrics until the control server's active sessions satisfy `ok`. */
async function waitForActiveSessions(daemon: Twampd, ok: (active: number) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await httpGet(daemon.metricsPort ?? 0, '/metrics');
    const active = sample(body, 'twampd_control_sessions_active') ?? 0;
    if (ok(active)) return;
    if (Date.now() > deadline) throw new Error(`twampd_control_sessions_active stayed ${active}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Polls /metrics until the Light reflector's active sessions satisfy `ok`. */
async function waitForLightSessions(daemon: Twampd, ok: (active: number) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await httpGet(daemon.metricsPort ?? 0, '/metrics');
    const active = sample(body, 'twampd_reflector_sessions_active', { listener: 'light' }) ?? 0;
    if (ok(active)) return;
    if (Date.now() > deadline) throw new Error(`twampd_reflector_sessions_active{listener="light"} stayed ${active}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.concurrent('refusals', () => {
  it('a client outside access.control gets Modes 0 (refused, exit 3)', async () => {
    const { code, stderr } = await twamp(['controller', '127.0.0.1', '--control-port', String(access.port('control')), '-c', '2']);
    expect(code).toBe(3);
    expect(stderr).toContain('Modes 0');
  });

  it('the request over limits.sessionRequestsPerSecond gets Accept 5 (exit 3)', async () => {
    const { code, stderr } = await controlclient(rate, 4);
    expect(code).toBe(3);
    expect(stderr).toMatch(/Accept 5\b/);
  });
});

describe('limits.sessionsTotal and SIGHUP', () => {
  it('the session over limits.sessionsTotal gets Accept 4 (exit 3)', async () => {
    const { code, stderr } = await controlclient(limited, 3);
    expect(code).toBe(3);
    expect(stderr).toMatch(/Accept 4\b/);
  });

  it('a lowered limit on SIGHUP keeps the running sessions whole and refuses the next ones', async () => {
    // The previous test's sessions end after their Stop-Sessions timeout: start from none.
    await waitForActiveSessions(limited, (n) => n === 0);
    // 400 packets 10 ms apart: about 4 s, long enough to reload in the middle. One TWAMP session
    // through the control server, one TWAMP Light session on the reflector.
    const run = ['-c', '400', '-i', '10', '--loss-timeout', '1000', '--json'];
    const controller = start(TWAMP, ['controller', '127.0.0.1', '--control-port', String(limited.port('control')), ...run]);
    const sender = start(TWAMP, ['sender', `127.0.0.1:${limited.port('light')}`, ...run]);
    await waitForActiveSessions(limited, (n) => n >= 1);
    await waitForLightSessions(limited, (n) => n >= 1);

    const reloads = limited.events('reloaded').length;
    writeFileSync(limitedPath, limitedConfig(1));
    limited.process.child.kill('SIGHUP');
    await limited.waitForEvent('reloaded', reloads + 1);

    // New sessions meet the new limit: Accept 4 from the server. The full Light reflector makes room
    // instead of shutting the newcomer out (a session is evicted, issue 13): it is answered.
    const refused = await controlclient(limited, 1);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/Accept 4\b/);
    const newcomer = await twamp(['sender', `127.0.0.1:${limited.port('light')}`, '-c', '5', '-i', '10', '--loss-timeout', '500', '--json']);
    expect(newcomer.code, newcomer.stderr).toBe(0);
    expect((JSON.parse(newcomer.stdout) as { packets: unknown }).packets).toMatchObject({ sent: 5, received: 5 });

    // The running ones were not dropped.
    expect(await controller.exited(60_000), controller.stderr()).toBe(0);
    expect((JSON.parse(controller.stdout()) as { packets: unknown }).packets).toMatchObject({ sent: 400, received: 400, lost: 0 });
    expect(await sender.exited(60_000), sender.stderr()).toBe(0);
    expect((JSON.parse(sender.stdout()) as { packets: unknown }).packets).toMatchObject({ sent: 400, received: 400, lost: 0 });
  });
});
