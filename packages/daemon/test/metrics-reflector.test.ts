// The metrics of a REAL reflector: a SessionReflector on loopback answers a real SessionSender; the
// snapshot is built from `reflector.stats` the way the listeners build it, the sender's counted
// replies go to DaemonMetrics as the agent would pass them, and /metrics is scraped over HTTP.
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { type PacketResult, SessionReflector, SessionSender } from '@twamp/test-session';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonMetrics, type HttpServerHandle, startHttpServer } from '../src/metrics/index.js';
import type { AgentTargetInfo, DaemonLog, ListenersSnapshot } from '../src/types.js';

const ignore = (): void => undefined;
const silent: DaemonLog = { error: ignore, warn: ignore, info: ignore, debug: ignore, child: () => silent };

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** One UDP datagram to the reflector (a malformed one: too short for any test packet). */
function sendGarbage(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.send(Buffer.from([1, 2, 3]), port, '127.0.0.1', (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

describe('a real STAMP reflector and sender on loopback', () => {
  it('reflector counters and the agent RTT histogram move as packets flow; the scrape passes promtool', async () => {
    const reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0, protocol: 'stamp' });
    closers.push(() => {
      reflector.close();
    });
    const snapshot = (): ListenersSnapshot => ({
      control: undefined,
      reflectors: [{ name: 'stamp-main', protocol: 'stamp', address: reflector.localAddress, port: reflector.localPort, stats: reflector.stats }],
    });
    const metrics = new DaemonMetrics({ listeners: snapshot, agentHistograms: true });
    const server: HttpServerHandle = await startHttpServer({
      address: '127.0.0.1',
      port: 0,
      metrics,
      health: () => ({ status: 'ok', uptimeMs: 0, listeners: [], targets: { total: 1, running: 1, backoff: 0 } }),
      log: silent,
    });
    closers.push(() => server.close());
    const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();

    const received = 'twampd_reflector_packets_received_total{listener="stamp-main",protocol="stamp"}';
    const sent = 'twampd_reflector_packets_sent_total{listener="stamp-main",protocol="stamp"}';
    const before = await scrape();
    expect(value(before, received)).toBe(0);

    const target: AgentTargetInfo = { name: 'loopback', protocol: 'stamp', address: '127.0.0.1', port: reflector.localPort, mode: 'open', dscp: 0, labels: {}, sharedClock: false };
    const sender = await SessionSender.open({
      target: { address: '127.0.0.1', port: reflector.localPort },
      protocol: 'stamp',
      ssid: 7,
      count: 40,
      schedule: { kind: 'periodic', intervalMs: 2 },
      lossTimeoutMs: 1000,
    });
    closers.push(() => {
      sender.stop();
    });
    const counted: PacketResult[] = [];
    sender.onEvent((event) => {
      if (event.type === 'packet') {
        metrics.packet(target, event.result);
        if (event.result.disposition === 'counted') counted.push(event.result);
      }
    });
    const report = await sender.done;
    await sendGarbage(reflector.localPort);
    // The garbage datagram is counted when the reflector reads it: wait for it (bounded).
    for (let i = 0; i < 100 && reflector.stats.dropped['too-short'] === 0; i++) await new Promise((r) => setTimeout(r, 20));

    const after = await scrape();
    expect(report.summary.loss.sent).toBe(40);
    expect(value(after, received)).toBe(reflector.stats.packetsIn);
    expect(value(after, received)).toBeGreaterThanOrEqual(41);
    expect(value(after, sent)).toBe(reflector.stats.packetsOut);
    expect(value(after, sent)).toBe(report.summary.loss.received);
    expect(value(after, 'twampd_reflector_packets_dropped_total{listener="stamp-main",reason="too-short"}')).toBe(1);
    expect(value(after, 'twampd_reflector_sessions_created_total{listener="stamp-main"}')).toBe(1);
    expect(value(after, 'twampd_reflector_sessions_active{listener="stamp-main"}')).toBe(1);
    // Every counted reply is in the RTT histogram.
    expect(counted.length).toBe(report.summary.loss.received);
    expect(value(after, 'twampd_agent_rtt_seconds_count{target="loopback"}')).toBe(counted.length);
    expect(value(after, 'twampd_agent_rtt_seconds_bucket{target="loopback",le="+Inf"}')).toBe(counted.length);

    if (existsSync('/usr/bin/promtool') || process.env['TWAMP_REQUIRE_PROMTOOL'] === '1') {
      expect(() => execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: after, timeout: 30_000 })).not.toThrow();
    }
  });
});
