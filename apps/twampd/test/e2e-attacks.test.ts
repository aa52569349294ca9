// Forged packets against the real twampd listeners (issue 13, "Loop DoS"): one spoofed TWAMP Light
// request whose source is twampd's own Light reflector, and one whose source is its STAMP reflector
// (a cross-loop between two listeners of one process). With the default limits neither starts a
// sustained exchange: the counters go quiet within a second, the drop is counted by reason in
// /metrics and logged (rate-limited), and SIGTERM does not wait the whole shutdown grace (a looping
// listener never goes quiet, so its drain used to last the full grace).
//
// Needs raw sockets (root): skipped where they cannot be opened, required in CI (TWAMP_REQUIRE_RAW=1).
// Every packet goes to 127.0.0.1; each test sends exactly one forged datagram.
import { performance } from 'node:perf_hooks';
import { canSpoof, sendSpoofed, spoofRequired } from '@twamp/spoof';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, httpGet, killAll, sample, scratchDir, startTwampd, type Twampd } from './support.js';

const scratch = scratchDir();

afterAll(() => {
  killAll();
  scratch.remove();
});

/** Long, so that a stop that waits for it is plain to see (and the test's bound is far below it). */
const GRACE_S = 30;

/**
 * A TWAMP Light request (RFC 5357 §4.1.2, unauthenticated): Sequence Number, Timestamp, Error
 * Estimate, and padding to the length of the reply, as a sender makes it.
 */
function lightRequest(): Uint8Array {
  const packet = new Uint8Array(41);
  const view = new DataView(packet.buffer);
  view.setUint32(0, 7);
  // An NTP timestamp of now (seconds since 1900), so it looks like any honest request.
  view.setUint32(4, Math.floor(Date.now() / 1000) + 2_208_988_800);
  view.setUint32(8, 0x8000_0000);
  view.setUint16(12, 0x8001);
  return packet;
}

async function scrape(daemon: Twampd): Promise<string> {
  const { status, body } = await httpGet(daemon.metricsPort ?? 0, '/metrics');
  expect(status).toBe(200);
  return body;
}

/** Packets received by every reflector listener of the scrape, summed. */
function received(text: string, listeners: readonly string[]): number {
  return listeners.reduce((sum, listener) => sum + (sample(text, 'twampd_reflector_packets_received_total', { listener }) ?? 0), 0);
}

async function startReflectors(name: string): Promise<Twampd> {
  const [light, stamp] = await Promise.all([freePort('udp'), freePort('udp')]);
  const path = scratch.write(
    `${name}.yaml`,
    `listeners:
  control: { enabled: false }
  reflectors:
    - { name: light, protocol: twamp-light, address: 127.0.0.1, port: ${light} }
    - { name: stamp, protocol: stamp, address: 127.0.0.1, port: ${stamp} }
metrics: { address: 127.0.0.1, port: 0 }
logging: { level: info, destination: stderr }
shutdownGrace: ${GRACE_S}s
`,
  );
  return startTwampd(path);
}

/**
 * After the one forged packet: within 1 s the listeners are quiet (two scrapes 1 s apart see the
 * same count) and what they exchanged is a handful of packets, not thousands.
 */
async function expectQuiet(daemon: Twampd): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const first = await scrape(daemon);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const second = await scrape(daemon);
  const listeners = ['light', 'stamp'];
  expect(received(second, listeners)).toBe(received(first, listeners));
  expect(received(second, listeners)).toBeLessThanOrEqual(4);
  return second;
}

/** SIGTERM: exit 0, and well before the grace (nothing is still sending to the listeners). */
async function expectPromptStop(daemon: Twampd): Promise<void> {
  const started = performance.now();
  expect(await daemon.stop(GRACE_S * 2000)).toBe(0);
  expect(performance.now() - started).toBeLessThan((GRACE_S * 1000) / 2);
}

describe.runIf(canSpoof() || spoofRequired)('forged packets against twampd\'s own reflectors', () => {
  it('a Light request forged from the Light reflector\'s own address and port: dropped as own-address, no loop, prompt stop', async () => {
    const daemon = await startReflectors('self');
    const light = daemon.listeners.get('light');
    if (light === undefined) throw new Error('no light listener');
    const endpoint = { address: light.address, port: light.port };
    expect(await sendSpoofed([{ source: endpoint, destination: endpoint, payload: lightRequest() }])).toBe(1);

    const text = await expectQuiet(daemon);
    expect(sample(text, 'twampd_reflector_packets_dropped_total', { listener: 'light', reason: 'own-address' })).toBe(1);
    expect(sample(text, 'twampd_reflector_packets_sent_total', { listener: 'light' })).toBe(0);
    // One rate-limited warning says what was dropped and from where.
    const warning = await daemon.waitForEvent('reflector-drops', 1, 5_000);
    expect(warning).toMatchObject({ level: 'warn', listener: 'light', reason: 'own-address', count: 1, source: `${light.address}:${light.port}` });
    await expectPromptStop(daemon);
  });

  it('a Light request forged from the STAMP reflector of the same twampd: at most a reply or two, then quiet; the loop is dropped and counted', async () => {
    const daemon = await startReflectors('cross');
    const light = daemon.listeners.get('light');
    const stamp = daemon.listeners.get('stamp');
    if (light === undefined || stamp === undefined) throw new Error('listeners missing');
    const sent = await sendSpoofed([
      { source: { address: stamp.address, port: stamp.port }, destination: { address: light.address, port: light.port }, payload: lightRequest() },
    ]);
    expect(sent).toBe(1);

    const text = await expectQuiet(daemon);
    // Whichever defence caught it (our own reply coming back, or the source being a local listener), it was counted.
    const dropped = ['light', 'stamp'].reduce(
      (sum, listener) =>
        sum +
        (['own-address', 'looped-reply'] as const).reduce(
          (inner, reason) => inner + (sample(text, 'twampd_reflector_packets_dropped_total', { listener, reason }) ?? 0),
          0,
        ),
      0,
    );
    expect(dropped).toBeGreaterThanOrEqual(1);
    await expectPromptStop(daemon);
  });
});
