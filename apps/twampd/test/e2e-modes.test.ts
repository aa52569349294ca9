// One twampd with every listener (TWAMP-Control dual-stack, TWAMP Light stateful and stateless, STAMP
// open and authenticated) and agent targets measuring its own listeners; the twamp CLI runs against it in
// every mode and on every listener, all with 0 % loss. /metrics is scraped over HTTP, checked by
// promtool, and its counters and histograms move as sessions run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  httpGet,
  KEY_FILE_TEXT,
  KEY_HEX,
  KEY_ID,
  killAll,
  promtoolCheck,
  sample,
  scratchDir,
  twamp,
  type Twampd,
  startTwampd,
} from './support.js';

const scratch = scratchDir();
const keyFile = scratch.write('keys.pfs', KEY_FILE_TEXT);
const results = join(scratch.dir, 'results.jsonl');
let daemon: Twampd;

beforeAll(async () => {
  // Listeners that the config's own targets name need their ports in the config: free ones, now.
  const [controlPort, lightPort, stampAuthPort] = await Promise.all([freePort('tcp'), freePort('udp'), freePort('udp')]);
  const config = scratch.write(
    'twampd.yaml',
    `# every listener on loopback, targets measuring them
listeners:
  control:
    address: "::"
    port: ${controlPort}
    reflectorPorts: ephemeral
  reflectors:
    - { name: light, protocol: twamp-light, address: 127.0.0.1, port: ${lightPort} }
    - { name: light-stateless, protocol: twamp-light, address: 127.0.0.1, port: 0, stateful: false }
    - { name: stamp, protocol: stamp, address: 127.0.0.1, port: 0 }
    - { name: stamp-auth, protocol: stamp, address: 127.0.0.1, port: ${stampAuthPort}, security: authenticated, keyId: ${KEY_ID} }
security:
  modes: [open, authenticated, encrypted, mixed]
  keyFile: ${keyFile}
  pbkdf2Count: 1024
metrics: { address: 127.0.0.1, port: 0 }
logging: { level: info, destination: stderr }
shutdownGrace: 2s
agent:
  output: ${results}
  defaults: { interval: 20ms, window: 1s, lossTimeout: 1s }
  targets:
    - { name: self-twamp, protocol: twamp, address: 127.0.0.1, port: ${controlPort} }
    - { name: self-light, protocol: twamp-light, address: 127.0.0.1, port: ${lightPort} }
    - { name: self-stamp-auth, protocol: stamp, address: 127.0.0.1, port: ${stampAuthPort}, modes: [authenticated], keyId: ${KEY_ID} }
`,
  );
  daemon = await startTwampd(config);
}, 60_000);

afterAll(() => {
  killAll();
  scratch.remove();
});

interface RunJson {
  readonly packets: { readonly sent: number; readonly received: number; readonly lost: number };
  readonly control?: { readonly securityMode: string };
}

const SHORT_RUN = ['-c', '20', '-i', '10', '--loss-timeout', '1000', '--json'];

describe.concurrent('twamp controller against the TWAMP-Control listener', () => {
  it.each([
    ['open', 'unauthenticated', []],
    ['auth', 'authenticated', ['--user', KEY_ID, '--key-file', keyFile]],
    ['encrypted', 'encrypted', ['--user', KEY_ID, '--key-file', keyFile]],
    ['mixed', 'mixed', ['--user', KEY_ID, '--key-file', keyFile]],
  ] as const)('mode %s: a complete session, no packet lost', async (flag, name, credentials) => {
    const { code, stdout, stderr } = await twamp([
      'controller',
      '127.0.0.1',
      '--control-port',
      String(daemon.port('control')),
      '--mode',
      flag,
      ...credentials,
      ...SHORT_RUN,
    ]);
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as RunJson;
    expect(json.control?.securityMode).toBe(name);
    expect(json.packets).toMatchObject({ sent: 20, received: 20, lost: 0 });
    expect(stderr).not.toContain(KEY_HEX);
  });
});

describe('twamp controller over IPv6', () => {
  it('the dual-stack control listener serves ::1 too (encrypted), no packet lost', async () => {
    const { code, stdout, stderr } = await twamp([
      'controller',
      '::1',
      '--control-port',
      String(daemon.port('control')),
      '--mode',
      'encrypted',
      '--user',
      KEY_ID,
      '--key-file',
      keyFile,
      ...SHORT_RUN,
    ]);
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as RunJson;
    expect(json.control?.securityMode).toBe('encrypted');
    expect(json.packets).toMatchObject({ sent: 20, received: 20, lost: 0 });
  });
});

describe.concurrent('twamp sender against the reflector listeners', () => {
  it.each([
    ['light (stateful)', 'light', []],
    ['light-stateless', 'light-stateless', ['--stateless']],
    ['stamp', 'stamp', ['--stamp']],
  ] as const)('%s: every packet answered', async (_label, listener, flags) => {
    const { code, stdout, stderr } = await twamp(['sender', `127.0.0.1:${daemon.port(listener)}`, ...flags, ...SHORT_RUN]);
    expect(code, stderr).toBe(0);
    expect((JSON.parse(stdout) as RunJson).packets).toMatchObject({ sent: 20, received: 20, lost: 0 });
  });

  it('stamp-auth: `twamp sender --stamp --auth` with the key file twampd reads, every packet answered', async () => {
    const { code, stdout, stderr } = await twamp(['sender', `127.0.0.1:${daemon.port('stamp-auth')}`, '--stamp', '--auth', '--user', KEY_ID, '--key-file', keyFile, ...SHORT_RUN]);
    expect(code, stderr).toBe(0);
    const json = JSON.parse(stdout) as RunJson & { readonly settings: { readonly stampSecurity: string } };
    expect(json.settings.stampSecurity).toBe('authenticated');
    expect(json.packets).toMatchObject({ sent: 20, received: 20, lost: 0 });
  });
});

interface WindowRecordJson {
  readonly record: string;
  readonly target: string;
  readonly mode: string;
  readonly packets: { readonly sent: number; readonly received: number; readonly lost: number };
}

function windows(): WindowRecordJson[] {
  let text = '';
  try {
    text = readFileSync(results, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as WindowRecordJson)
    .filter((record) => record.record === 'window');
}

async function waitForWindows(targets: readonly string[], timeoutMs: number): Promise<WindowRecordJson[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = windows().filter((record) => record.packets.received > 0);
    if (targets.every((target) => found.some((record) => record.target === target))) return found;
    if (Date.now() > deadline) throw new Error(`no window with replies for every target of ${targets.join(', ')} in ${timeoutMs} ms; have: ${JSON.stringify(windows())}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the agent measuring the same twampd', () => {
  it('writes windows for TWAMP, TWAMP Light and authenticated STAMP targets, with no loss', async () => {
    const found = await waitForWindows(['self-twamp', 'self-light', 'self-stamp-auth'], 30_000);
    for (const record of found) expect(record.packets.lost, JSON.stringify(record)).toBe(0);
    expect(found.find((record) => record.target === 'self-stamp-auth')?.mode).toBe('authenticated');
  });
});

describe('metrics over HTTP', () => {
  it('serves /healthz with every listener', async () => {
    const { status, body } = await httpGet(daemon.metricsPort ?? 0, '/healthz');
    expect(status).toBe(200);
    const report = JSON.parse(body) as { status: string; listeners: { name: string }[] };
    expect(report.status).toBe('ok');
    expect(report.listeners.map((listener) => listener.name).sort()).toEqual(['control', 'light', 'light-stateless', 'stamp', 'stamp-auth']);
  });

  it('passes promtool, counters move around a session, agent histograms are there', async () => {
    const port = daemon.metricsPort ?? 0;
    const before = await httpGet(port, '/metrics');
    expect(before.status).toBe(200);
    const check = await promtoolCheck(before.body);
    if (check !== undefined) expect(check.code, check.output).toBe(0);

    const stampBefore = sample(before.body, 'twampd_reflector_packets_received_total', { listener: 'stamp' }) ?? 0;
    const run = await twamp(['sender', `127.0.0.1:${daemon.port('stamp')}`, '--stamp', ...SHORT_RUN]);
    expect(run.code, run.stderr).toBe(0);
    await waitForWindows(['self-light'], 30_000);

    const after = await httpGet(port, '/metrics');
    const recheck = await promtoolCheck(after.body);
    if (recheck !== undefined) expect(recheck.code, recheck.output).toBe(0);
    expect(sample(after.body, 'twampd_reflector_packets_received_total', { listener: 'stamp' })).toBeGreaterThanOrEqual(stampBefore + 20);
    expect(sample(after.body, 'twampd_reflector_packets_sent_total', { listener: 'stamp' })).toBeGreaterThanOrEqual(stampBefore + 20);
    expect(sample(after.body, 'twampd_control_connections_total')).toBeGreaterThan(0);
    // Real histograms: buckets, a count and a sum per target.
    expect(sample(after.body, 'twampd_agent_rtt_seconds_count', { target: 'self-light' })).toBeGreaterThan(0);
    expect(sample(after.body, 'twampd_agent_rtt_seconds_bucket', { target: 'self-light', le: '+Inf' })).toBeGreaterThan(0);
    expect(sample(after.body, 'twampd_agent_rtt_seconds_count', { target: 'self-twamp' })).toBeGreaterThan(0);
  });
});
