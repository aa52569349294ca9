// End to end over loopback: a real responder process and a real sender process, IPv4 and IPv6,
// TWAMP Light and STAMP, text and --json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTwamp, startResponder, type TwampProcess } from './support.js';

interface SenderJsonShape {
  schemaVersion: number;
  protocol: string;
  target: { address: string; port: number };
  packets: { sent: number; received: number; lost: number; outboundLost: number | null; inboundLost: number | null };
  delayMs: { roundTrip: { count: number; min: number; max: number }; outbound: { reliable: boolean } };
  jitterMs: { definition: string };
  timestamps: { t1: string; t4: string };
  clock: { oneWayReliable: boolean };
}

// Each case runs --json; the text table is checked on IPv6 STAMP here and on IPv4 TWAMP Light by the
// SIGINT test in exit-codes.test.ts (each process costs a second or two of loading, so fewer is better).
const CASES = [
  { family: 'IPv4', address: '127.0.0.1', protocol: 'twamp-light', flags: [] as string[], text: false },
  { family: 'IPv4', address: '127.0.0.1', protocol: 'stamp', flags: ['--stamp'], text: false },
  { family: 'IPv6', address: '::1', protocol: 'twamp-light', flags: [] as string[], text: false },
  { family: 'IPv6', address: '::1', protocol: 'stamp', flags: ['--stamp'], text: true },
] as const;

const responders: { responder: TwampProcess; port: number }[] = [];

beforeAll(async () => {
  // One responder per case, started together (each process spends most of a second loading).
  responders.push(...(await Promise.all(CASES.map((c) => startResponder(c.address, c.flags)))));
}, 60_000);

afterAll(async () => {
  await Promise.all(
    responders.map(async ({ responder }) => {
      responder.child.kill('SIGINT');
      await responder.exited().catch(() => undefined);
    }),
  );
});

// Concurrent: every run is a separate pair of processes on its own ephemeral port.
describe.concurrent.each(CASES.map((c, i) => [c.family, c.protocol, c, i] as const))('%s %s', (_family, _protocol, testCase, index) => {
  const remote = (): string => {
    const port = responders[index]?.port ?? 0;
    return testCase.address.includes(':') ? `[${testCase.address}]:${port}` : `${testCase.address}:${port}`;
  };

  if (testCase.text) it('prints the summary table and exits 0', async () => {
    const { code, stdout, stderr } = await runTwamp(['sender', remote(), ...testCase.flags, '-c', '5', '-i', '2', '--dscp', 'af41', '--percentiles', '99']);
    expect(stderr).toContain('twamp sender: ');
    expect(code).toBe(0);
    expect(stdout).toContain(`-> ${remote()}: 5 sent, 5 received`);
    expect(stdout).toMatch(/^ +min +median +mean +max +stddev +p99 +jitter +loss$/m);
    expect(stdout).toMatch(/^round trip( +\d+\.\d{3}){7} +0\/5 \(0\.00%\)$/m);
    expect(stdout).toMatch(/^outbound\*? /m);
    expect(stdout).toContain('jitter: RFC 3550 interarrival jitter');
    expect(stdout).toMatch(/^timestamps: T1 .+, T4 /m);
  });

  it('prints one JSON object with --json', async () => {
    const { code, stdout } = await runTwamp(['sender', remote(), ...testCase.flags, '-c', '5', '-i', '2', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as SenderJsonShape;
    expect(json.schemaVersion).toBe(1);
    expect(json.protocol).toBe(testCase.protocol);
    expect(json.target).toEqual({ address: testCase.address, port: responders[index]?.port });
    expect(json.packets).toMatchObject({ sent: 5, received: 5, lost: 0, outboundLost: 0, inboundLost: 0 });
    expect(json.delayMs.roundTrip.count).toBe(5);
    expect(json.delayMs.roundTrip.min).toBeGreaterThan(0);
    expect(json.delayMs.roundTrip.max).toBeLessThan(1000);
    expect(json.delayMs.outbound.reliable).toBe(json.clock.oneWayReliable);
    expect(json.jitterMs.definition).toBe('rfc3550');
  });
});

describe('sender on the node:dgram fallback', () => {
  it('runs and says what its socket lacks', async () => {
    const port = responders[0]?.port ?? 0;
    const { code, stdout, stderr } = await runTwamp(['sender', `127.0.0.1:${port}`, '-c', '3', '-i', '2', '--json'], { env: { TWAMP_UDP_IMPL: 'dgram' } });
    expect(stderr).toContain('twamp sender: ');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as SenderJsonShape & { socket: { implementation: string; missing: string[] } };
    expect(json.packets).toMatchObject({ sent: 3, received: 3 });
    expect(json.socket.implementation).toBe('dgram');
    expect(json.socket.missing).toContain('kernel receive timestamps');
    expect(json.timestamps.t4).toBe('userspace');
  });
});

describe('responders', () => {
  it('print their statistics on SIGINT and exit 0', async () => {
    const stopping = responders.splice(0);
    for (const { responder } of stopping) responder.child.kill('SIGINT');
    for (const { responder } of stopping) {
      expect(await responder.exited()).toBe(0);
      expect(responder.stdout()).toMatch(/twamp responder: stopped after .+: [1-9]\d* packets in, [1-9]\d* out, .+; dropped: none\n$/);
    }
  });
});
