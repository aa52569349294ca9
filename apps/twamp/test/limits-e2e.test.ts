// The limit options with the real executable on loopback, one behaviour each: a responder's
// --max-sessions-per-source (one socket cycling SSIDs evicts its own sessions, another address still
// gets in), and a server's --handshake-timeout, --idle-without-sessions-timeout, --max-sessions-per-client
// and --third-party-senders (off by default: a sender address other than the client's gets Accept 3).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runTwamp, startServer, startTwamp, type TwampProcess } from './support.js';

/** A 44-octet open STAMP request (RFC 8762 §4.2.1) with this sequence number and SSID. */
function stampRequest(sequence: number, ssid: number): Buffer {
  const packet = Buffer.alloc(44);
  packet.writeUInt32BE(sequence, 0);
  packet.writeUInt32BE(Math.floor(Date.now() / 1000) + 2_208_988_800, 4);
  packet.writeUInt16BE(0x0001, 12);
  packet.writeUInt16BE(ssid, 14);
  return packet;
}

function bindUdp(address: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, address, () => {
      resolve(socket);
    });
  });
}

/** Sends one request and resolves with whether a reply came within `ms`. */
function exchange(socket: UdpSocket, port: number, packet: Buffer, ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(false);
    }, ms);
    const onMessage = (): void => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(true);
    };
    socket.on('message', onMessage);
    socket.send(packet, port, '127.0.0.1');
  });
}

async function stopped(process: TwampProcess): Promise<Record<string, unknown>> {
  process.child.kill('SIGTERM');
  expect(await process.exited(20_000)).toBe(0);
  const last = process.stdout().trimEnd().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
}

describe('twamp responder --max-sessions-per-source', () => {
  it('one socket cycling six SSIDs keeps two sessions (four evicted), every packet answered; another address still gets in', async () => {
    const responder = startTwamp(['responder', '127.0.0.1:0', '--stamp', '--max-sessions-per-source', '2', '--jsonl']);
    const port = Number((await responder.waitFor('stdout', /"type":"listening".*?"port":(\d+)/))[1]);
    const attacker = await bindUdp('127.0.0.1');
    const other = await bindUdp('127.0.0.2');
    try {
      for (let ssid = 1; ssid <= 6; ssid++) expect(await exchange(attacker, port, stampRequest(0, ssid)), `SSID ${ssid}`).toBe(true);
      expect(await exchange(other, port, stampRequest(0, 1))).toBe(true);
    } finally {
      attacker.close();
      other.close();
    }
    const record = await stopped(responder);
    // Without the cap all seven sessions stay (none evicted).
    expect(record).toMatchObject({ type: 'stopped', stats: { packetsIn: 7, packetsOut: 7, sessionsCreated: 7, sessionsActive: 3, sessionsEvicted: 4 } });
  }, 60_000);
});


/** A TCP connection that collects what the server sends and notes when it closes. */
function controlConnection(port: number): Promise<{ socket: Socket; received: () => number; closedAfter: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    const openedAt = Date.now();
    const closedAfter = new Promise<number>((done) => {
      socket.on('close', () => {
        done(Date.now() - openedAt);
      });
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.once('error', reject);
    socket.once('connect', () => {
      resolve({ socket, received: () => received, closedAfter });
    });
  });
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('twamp server limits', () => {
  it('--handshake-timeout, --idle-without-sessions-timeout and --max-sessions-per-client, each as set', async () => {
    const server = await startServer('127.0.0.1', ['--handshake-timeout', '0.5', '--idle-without-sessions-timeout', '0.5', '--max-sessions-per-client', '1']);
    try {
      // Silent after the greeting: closed after the handshake timeout (default 30 s).
      const silent = await controlConnection(server.port);
      expect(await silent.closedAfter).toBeLessThan(10_000);

      // Open mode set up, then no request: closed after --idle-without-sessions-timeout (default 30 s).
      const idle = await controlConnection(server.port);
      await until(() => idle.received() >= 64, 10_000);
      const setUp = Buffer.alloc(164);
      setUp.writeUInt32BE(1, 0); // Mode 1: unauthenticated
      idle.socket.write(setUp);
      await until(() => idle.received() >= 64 + 48, 10_000);
      expect(await idle.closedAfter).toBeLessThan(10_000);

      // Two sessions asked from one address with a per-client share of one: the second is refused.
      const { code, stderr } = await runTwamp(['controlclient', '127.0.0.1:20000', '127.0.0.1', '--control-port', String(server.port), '--sessions', '2', '--duration', '1']);
      expect(code, stderr).toBe(3);
      expect(stderr).toMatch(/Accept [45]/);
    } finally {
      const record = server.process;
      record.child.kill('SIGTERM');
      expect(await record.exited(20_000)).toBe(0);
    }
    expect(server.process.stdout()).toMatch(/requests refused by control: [^;]*1 max-sessions-per-client/);
    expect(server.process.stdout()).toMatch(/connections closed: [^;]*1 handshake[^;]*1 idle/);
  }, 90_000);

  it.each([
    ['without --third-party-senders: Accept 3', [], 3],
    ['with --third-party-senders: accepted', ['--third-party-senders'], 0],
  ] as const)('a sender address other than the client\'s, %s', async (_name, extra, expected) => {
    const server = await startServer('127.0.0.1', extra);
    try {
      const client = startTwamp(['controlclient', '127.0.0.2:20000', '127.0.0.1', '--control-port', String(server.port), '--duration', '60']);
      if (expected === 0) {
        await client.waitFor('stdout', /the sender sends from 127\.0\.0\.2:20000 to 127\.0\.0\.1:\d+\/udp/);
        client.child.kill('SIGINT');
      }
      expect(await client.exited(30_000)).toBe(expected);
      if (expected === 3) expect(client.stderr()).toContain('Accept 3');
    } finally {
      server.process.child.kill('SIGTERM');
      await server.process.exited(20_000).catch(() => undefined);
    }
  }, 90_000);
});
