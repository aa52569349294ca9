// No reflection loops ("Loop DoS"): one forged packet must never start a sustained exchange, neither
// of a reflector with itself nor between two reflectors (Light, STAMP, a TWAMP-Control server's
// session reflectors; in one process, or in two: bench/reflector.ts in a child process, and a plain
// reflector or echo service that shares no state with ours). Every case sends ONE forged datagram through
// @twamp/spoof (raw socket, root, loopback only) and checks that at most a couple of replies leave
// and the reflectors are quiet within a second, each refusal counted by reason. Before the source
// checks and the own-reply recognition, each of these ran until the reflectors were closed.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { canSpoof, sendSpoofed, spoofRequired } from '@twamp/spoof';
import { openUdpSocket, type UdpSocket } from '@twamp/udp';
import {
  createTwampReflectContext,
  encodeStampSender,
  encodeTwampSender,
  NTP_UNIX_OFFSET_SECONDS,
  reflectInto,
  StampSecurity,
  TestSecurity,
  twampLayout,
} from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { ReflectorPool } from '../../src/controlled/index.js';
import type { SessionReflector } from '../../src/reflector/index.js';
import type { ReflectorStats } from '../../src/types.js';
import { implementationUnderTest, nowTimestamp, openReflector, UNSYNCED, waitFor } from './harness.js';

const OPEN = twampLayout({ security: TestSecurity.Open });
const LOCALHOST = '127.0.0.1';

const lightRequest = (): Buffer => encodeTwampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(27) }, OPEN);
const stampRequest = (): Buffer =>
  encodeStampSender({ sequence: 1, timestamp: nowTimestamp(), errorEstimate: 0x3fff, ssid: 9, tlvs: new Uint8Array(0) }, StampSecurity.Open);

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function reflector(options: Parameters<typeof openReflector>[0] = {}): Promise<SessionReflector> {
  const r = await openReflector({ clock: () => UNSYNCED, ...options });
  cleanup.push(() => {
    r.close();
  });
  return r;
}

async function spoof(from: { address: string; port: number }, to: { address: string; port: number }, payload: Buffer): Promise<void> {
  expect(await sendSpoofed([{ source: from, destination: to, payload }])).toBe(1);
}

const endpoint = (r: { localAddress: string; localPort: number }): { address: string; port: number } => ({ address: r.localAddress, port: r.localPort });

/**
 * Wait 1 s after the forged packet, then 300 ms more: nothing may be sent in the second window, and
 * at most `maxReplies` replies in all (a loop on loopback turns tens of thousands of times a second).
 */
async function expectQuiet(stats: () => ReflectorStats[], maxReplies: number): Promise<void> {
  const out = (): number => stats().reduce((sum, s) => sum + s.packetsOut, 0);
  await sleep(1000);
  const settled = out();
  await sleep(300);
  expect(out()).toBe(settled);
  expect(settled).toBeLessThanOrEqual(maxReplies);
}

/**
 * A reflector that is not ours (another process, another implementation): it shares no memory with
 * ours and answers everything, writing its own T3, at most `limit` times so that a loop on the old
 * code stays bounded. `echo`: send the request back as it came (a UDP echo service).
 */
async function foreignReflector(limit: number, echo = false): Promise<{ socket: UdpSocket; replies: () => number }> {
  const socket = await openUdpSocket({ family: 4, address: LOCALHOST, port: 0, implementation: 'dgram' });
  cleanup.push(() => {
    socket.close();
  });
  const ctx = createTwampReflectContext({ layout: OPEN, stateful: true, errorEstimate: 0x3fff });
  const reply = Buffer.alloc(2048);
  let replies = 0;
  socket.onReceive((batch) => {
    for (let i = 0; i < batch.count && replies < limit; i++) {
      const data = batch.data(i);
      const length = batch.length(i);
      let n = length;
      if (echo) {
        data.copy(reply, 0, 0, length);
      } else {
        const ms = Date.now();
        ctx.receiveSeconds = (Math.floor(ms / 1000) + NTP_UNIX_OFFSET_SECONDS) >>> 0;
        ctx.receiveFraction = Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0;
        ctx.sendSeconds = ctx.receiveSeconds;
        ctx.sendFraction = (ctx.receiveFraction + 4096) >>> 0;
        ctx.receivedTtl = 255;
        ctx.receivedTos = 0;
        n = reflectInto(data, length, reply, ctx);
        if (n < 0) continue;
      }
      replies++;
      socket.send(reply, n, batch.address(i), batch.port(i));
    }
  });
  return { socket, replies: () => replies };
}

/** A SessionReflector in a process of its own (the benchmarks' `bench/reflector.ts`), bounded to 60 s. */
async function reflectorProcess(protocol: 'stamp' | 'twamp-light'): Promise<{ port: number; stats: () => Promise<ReflectorStats> }> {
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@twamp/source', '--import', 'tsx', 'bench/reflector.ts', '--port', '0', '--protocol', protocol, '--max-seconds', '60', '--implementation', implementationUnderTest()],
    { cwd, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanup.push(() => {
    child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  expect(await waitFor(() => /^listening \S+:(\d+)/m.test(out), 30_000)).toBe(true);
  const port = Number(/^listening \S+:(\d+)/m.exec(out)?.[1]);
  const stats = async (): Promise<ReflectorStats> => {
    child.kill('SIGTERM');
    expect(await waitFor(() => /^stats (\{.*\})$/m.test(out), 10_000)).toBe(true);
    return JSON.parse(/^stats (\{.*\})$/m.exec(out)?.[1] ?? '{}') as ReflectorStats;
  };
  return { port, stats };
}

describe.runIf(canSpoof() || spoofRequired)('no reflection loops (forged sources)', () => {
  it("a packet forged from the reflector's own address and port is not answered ('own-address')", async () => {
    const light = await reflector();
    await spoof(endpoint(light), endpoint(light), lightRequest());
    await expectQuiet(() => [light.stats], 0);
    expect(light.stats.dropped['own-address']).toBe(1);
    expect(light.stats.packetsIn).toBe(1);
  });

  it("bound to the wildcard: any local address with the reflector's port is the reflector itself", async () => {
    const wild = await reflector({ address: '0.0.0.0', protocol: 'stamp' });
    const port = wild.localPort;
    await spoof({ address: LOCALHOST, port }, { address: LOCALHOST, port }, stampRequest());
    await spoof({ address: '127.0.0.2', port }, { address: LOCALHOST, port }, stampRequest());
    await spoof({ address: LOCALHOST, port }, { address: '127.0.0.3', port }, lightRequest());
    await expectQuiet(() => [wild.stats], 0);
    expect(wild.stats.dropped['own-address']).toBe(3);
  });

  it('IPv6: its own address and port, and another reflector of the process, are recognised', async () => {
    const a = await reflector({ family: 6 });
    const b = await reflector({ family: 6, protocol: 'stamp' });
    await spoof(endpoint(a), endpoint(a), lightRequest());
    await spoof(endpoint(a), endpoint(b), stampRequest());
    await expectQuiet(() => [a.stats, b.stats], 1);
    expect(a.stats.dropped['own-address']).toBe(1);
    expect(a.stats.dropped['looped-reply']).toBe(1);
  });

  it("a reply to source port 0 is never sent nor counted as sent ('source-port-zero')", async () => {
    const light = await reflector();
    const stamp = await reflector({ protocol: 'stamp' });
    await spoof({ address: LOCALHOST, port: 0 }, endpoint(light), lightRequest());
    await spoof({ address: LOCALHOST, port: 0 }, endpoint(stamp), stampRequest());
    expect(await waitFor(() => light.stats.packetsIn === 1 && stamp.stats.packetsIn === 1, 2000)).toBe(true);
    for (const r of [light, stamp]) {
      expect(r.stats.packetsOut).toBe(0);
      expect(r.stats.dropped['source-port-zero']).toBe(1);
      expect(r.stats.sessionsActive).toBe(0);
    }
  });

  it('a STAMP and a Light reflector of one process: a packet forged from either to the other is answered once, then dropped', async () => {
    const stamp = await reflector({ protocol: 'stamp' });
    const light = await reflector({ protocol: 'twamp-light' });
    await spoof(endpoint(stamp), endpoint(light), lightRequest());
    await expectQuiet(() => [stamp.stats, light.stats], 1);
    expect(stamp.stats.dropped['looped-reply']).toBe(1);
    await spoof(endpoint(light), endpoint(stamp), stampRequest());
    await expectQuiet(() => [stamp.stats, light.stats], 2);
    expect(light.stats.dropped['looped-reply']).toBe(1);
  });

  it('two Light reflectors of one process: a packet forged from A to B is answered once, then dropped', async () => {
    const a = await reflector();
    const b = await reflector();
    await spoof(endpoint(a), endpoint(b), lightRequest());
    await expectQuiet(() => [a.stats, b.stats], 1);
    expect(b.stats.packetsOut).toBe(1);
    expect(a.stats.dropped['looped-reply']).toBe(1);
  });

  it("a TWAMP-Control server's session reflectors: forged from one session's reflector (or a Light reflector) to another, quiet", async () => {
    const pool = new ReflectorPool({ portRange: 'ephemeral', reflector: { implementation: implementationUnderTest() } });
    cleanup.push(() => {
      pool.close();
    });
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await pool.open({
        sid: Buffer.alloc(16, i + 1),
        layout: OPEN,
        createCrypto: () => undefined,
        sender: { address: LOCALHOST, port: 0 },
        receiver: { address: LOCALHOST, port: 0 },
        requestedReceiverPort: 0,
        timeoutSeconds: 0,
        dscp: undefined,
      });
      if (result.accept !== 0) throw new Error(result.reason);
      ports.push(result.port);
    }
    pool.start([Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(16, 3)]);
    const [p1, p2, p3] = ports as [number, number, number];
    // Its own address and port: never answered.
    await spoof({ address: LOCALHOST, port: p1 }, { address: LOCALHOST, port: p1 }, lightRequest());
    // From one session's reflector to another's: the second recognises the first's reply.
    await spoof({ address: LOCALHOST, port: p1 }, { address: LOCALHOST, port: p2 }, lightRequest());
    await expectQuiet(() => [pool.stats.reflectors], 1);
    const reflectors = pool.stats.reflectors;
    expect(reflectors.dropped['own-address']).toBe(1);
    expect(reflectors.dropped['looped-reply']).toBe(1);
    // From a Light reflector of the same process to a session reflector.
    const light = await reflector();
    await spoof(endpoint(light), { address: LOCALHOST, port: p3 }, lightRequest());
    await expectQuiet(() => [pool.stats.reflectors, light.stats], 2);
    expect(light.stats.dropped['looped-reply']).toBe(1);
  });

  it('with a reflector of another process (no shared memory): quiet at the second turn', async () => {
    for (const protocol of ['twamp-light', 'stamp'] as const) {
      const ours = await reflector({ protocol });
      const foreign = await foreignReflector(500);
      await spoof(endpoint(foreign.socket), endpoint(ours), protocol === 'stamp' ? stampRequest() : lightRequest());
      await expectQuiet(() => [ours.stats], 1);
      // Ours answered the forged packet; the other reflector answered that reply (copying our T3
      // where a reflector puts the sender's timestamp); ours recognised it.
      expect(foreign.replies()).toBe(1);
      expect(ours.stats.dropped['looped-reply']).toBe(1);
    }
  });

  it('two of our reflectors in two processes: quiet after at most two replies, whichever way the packet is forged', async () => {
    const ours = await reflector({ protocol: 'twamp-light' });
    const other = await reflectorProcess('stamp');
    const theirs = { address: LOCALHOST, port: other.port };
    // Forged from theirs to ours: ours answers, theirs answers that (copying our T3), ours drops it.
    await spoof(theirs, endpoint(ours), lightRequest());
    await expectQuiet(() => [ours.stats], 1);
    expect(ours.stats.dropped['looped-reply']).toBe(1);
    // Forged from ours to theirs: theirs answers, ours answers that, theirs recognises its T3.
    await spoof(endpoint(ours), theirs, stampRequest());
    await expectQuiet(() => [ours.stats], 2);
    const otherStats = await other.stats();
    expect(otherStats.packetsOut).toBe(2);
    expect(otherStats.dropped['looped-reply']).toBe(1);
  });

  it('with an echo service: our own reply sent back as it was is recognised', async () => {
    const ours = await reflector();
    const echo = await foreignReflector(500, true);
    await spoof(endpoint(echo.socket), endpoint(ours), lightRequest());
    await expectQuiet(() => [ours.stats], 1);
    expect(echo.replies()).toBe(1);
    expect(ours.stats.dropped['looped-reply']).toBe(1);
  });

  it("a multicast, broadcast or unspecified source is never answered ('bad-source-address')", async () => {
    const light = await reflector({ address: '0.0.0.0' });
    // Linux drops some martian sources itself (not all, on loopback); whatever it delivers is refused.
    for (const address of ['224.0.0.1', '255.255.255.255', '0.0.0.0', '240.0.0.1', '127.255.255.255']) {
      await sendSpoofed([{ source: { address, port: 5000 }, destination: { address: LOCALHOST, port: light.localPort }, payload: lightRequest() }]);
    }
    await sleep(300);
    expect(light.stats.packetsIn).toBeGreaterThan(0);
    expect(light.stats.packetsOut).toBe(0);
    expect(light.stats.dropped['bad-source-address']).toBe(light.stats.packetsIn);
  });
});

describe('SessionReflector with a real sender beside the loop defences', () => {
  it('answers a sender in one process whose requests carry nothing of ours', async () => {
    const a = await reflector();
    const b = await reflector({ protocol: 'stamp' });
    const socket = await openUdpSocket({ family: 4, address: LOCALHOST, port: 0, implementation: implementationUnderTest() });
    cleanup.push(() => {
      socket.close();
    });
    for (let i = 0; i < 200; i++) {
      socket.send(lightRequest(), 41, LOCALHOST, a.localPort);
      socket.send(stampRequest(), 44, LOCALHOST, b.localPort);
    }
    expect(await waitFor(() => a.stats.packetsIn === 200 && b.stats.packetsIn === 200, 3000)).toBe(true);
    expect([a.stats.packetsOut, b.stats.packetsOut]).toEqual([200, 200]);
    expect(a.stats.dropped['looped-reply'] + b.stats.dropped['looped-reply']).toBe(0);
  });
});
