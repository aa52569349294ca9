// DaemonMetrics fed pure, typed inputs: ListenersSnapshots as the listeners would give them, and the
// observer calls the agent makes, with window summaries computed by the real SessionStatistics.
import { type ClockClaim, SessionStatistics } from '@twamp/metrics';
import { type PacketResult, REFLECTOR_DROP_REASONS } from '@twamp/test-session';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonMetrics, DELAY_BUCKETS_SECONDS, type HttpServerHandle, startHttpServer } from '../src/metrics/index.js';
import type { AgentTargetInfo, AgentWindow, DaemonLog } from '../src/types.js';
import { promtoolCheck, promtoolMissing, samples, snapshot } from './metrics-support.js';

const TARGET: AgentTargetInfo = { name: 'paris', protocol: 'stamp', address: '192.0.2.1', port: 862, mode: 'open', dscp: 0, labels: {}, sharedClock: false };

const SYNCED: ClockClaim = { synchronized: true, errorSeconds: 0.000001 };
const UNSYNCED: ClockClaim = { synchronized: false, errorSeconds: 0.000001 };

/** A counted reply with these delays (ns); the reflector's clock is `offset` ns ahead of ours. */
function reply(sequence: number, forward: number, backward: number, clocks: { sender?: ClockClaim; reflector?: ClockClaim } = {}): PacketResult {
  const t1 = 1_000_000_000 + sequence * 1_000_000;
  const processing = 10_000;
  const t2 = t1 + forward;
  const t3 = t2 + processing;
  const t4 = t3 + backward;
  return {
    sequence,
    reflectorSequence: sequence,
    t1,
    t2,
    t3,
    t4,
    senderClock: clocks.sender ?? SYNCED,
    reflectorClock: clocks.reflector ?? SYNCED,
    disposition: 'counted',
    rtt: t4 - t1 - processing,
    forward,
    backward,
    processing,
  };
}

/** A window computed by the real SessionStatistics from these replies (and `lost` unanswered requests). */
function windowOf(target: AgentTargetInfo, replies: readonly PacketResult[], lost = 0): AgentWindow {
  const statistics = new SessionStatistics({ lossTimeout: 1_000_000_000, reflectorStateful: true });
  let sequence = 0;
  for (const r of replies) {
    statistics.recordSent(r.sequence, r.t1);
    statistics.recordReply(r);
    sequence = Math.max(sequence, r.sequence + 1);
  }
  for (let i = 0; i < lost; i++) statistics.recordSent(sequence + i, 1_000_000_000 + (sequence + i) * 1_000_000);
  statistics.expire(Number.MAX_SAFE_INTEGER);
  return {
    target,
    index: 0,
    startMs: 0,
    endMs: 60_000,
    summary: statistics.takeWindow(),
    timestamps: { t1: 'userspace', t4: 'userspace' },
    malformedReplies: 0,
    sendErrors: 0,
  };
}

describe('listener metrics, read at scrape time', () => {
  it('exports reflector and control counters from the snapshot, with every drop reason and Accept value', async () => {
    const metrics = new DaemonMetrics({ listeners: () => snapshot(100), agentHistograms: true });
    const s = samples(await metrics.text());
    expect(s.get('twampd_reflector_packets_received_total{listener="light",protocol="twamp-light"}')).toBe(100);
    expect(s.get('twampd_reflector_packets_sent_total{listener="light",protocol="twamp-light"}')).toBe(98);
    expect(s.get('twampd_reflector_packets_dropped_total{listener="light",reason="too-short"}')).toBe(2);
    expect(s.get('twampd_reflector_packets_dropped_total{listener="light",reason="session-rate"}')).toBe(0);
    expect(s.get('twampd_reflector_packets_received_total{listener="control",protocol="twamp"}')).toBe(10);
    expect(s.get('twampd_reflector_sessions_active{listener="light"}')).toBe(1);
    expect(s.get('twampd_reflector_sessions_created_total{listener="control"}')).toBe(1);
    expect(s.get('twampd_control_connections_active')).toBe(1);
    expect(s.get('twampd_control_connections_total')).toBe(3);
    expect(s.get('twampd_control_connections_refused_total{reason="not-allowed"}')).toBe(1);
    expect(s.get('twampd_control_connections_refused_total{reason="auth-backoff"}')).toBe(0);
    expect(s.get('twampd_control_sessions_refused_total{reason="rate"}')).toBe(2);
    expect(s.get('twampd_control_sessions_refused_total{reason="max-sessions-per-client"}')).toBe(0);
    expect(s.get('twampd_control_timeouts_total{kind="idle"}')).toBe(0);
    for (const name of ['connections_evicted', 'auth_failures', 'sessions_released_unstarted']) expect(s.get(`twampd_control_${name}_total`)).toBe(0);
    expect(s.get('twampd_reflector_sessions_evicted_total{listener="light"}')).toBe(0);
    // Every drop reason the reflector has, the loop defences' included, is a series from the start.
    for (const reason of REFLECTOR_DROP_REASONS) expect(s.get(`twampd_reflector_packets_dropped_total{listener="light",reason="${reason}"}`)).toBeDefined();
    expect(s.get('twampd_control_accept_sent_total{code="0",name="ok"}')).toBe(4);
    expect(s.get('twampd_control_accept_sent_total{code="4",name="permanent-resource-limitation"}')).toBe(0);
    expect(s.get('twampd_control_accept_sent_total{code="5",name="temporary-resource-limitation"}')).toBe(2);
    expect(s.get('twampd_control_timeouts_total{kind="handshake"}')).toBe(1);
    expect(s.get('twampd_control_sessions_active')).toBe(2);
    // prom-client's process metrics are there, in our own registry.
    expect([...s.keys()].some((key) => key.startsWith('process_cpu_user_seconds_total'))).toBe(true);
  });

  it('reads the listeners once per scrape, and shows their latest values', async () => {
    let reads = 0;
    let packets = 5;
    const metrics = new DaemonMetrics({
      listeners: () => {
        reads++;
        return snapshot(packets);
      },
      agentHistograms: false,
    });
    await metrics.text();
    expect(reads).toBe(1);
    packets = 50;
    const s = samples(await metrics.text());
    expect(reads).toBe(2);
    expect(s.get('twampd_reflector_packets_received_total{listener="light",protocol="twamp-light"}')).toBe(50);
  });

  it('keeps counters monotonic when a listener restarts with fresh stats (SIGHUP reopen)', async () => {
    let current = snapshot(100, 7);
    const metrics = new DaemonMetrics({ listeners: () => current, agentHistograms: false });
    const key = 'twampd_reflector_packets_received_total{listener="light",protocol="twamp-light"}';
    expect(samples(await metrics.text()).get(key)).toBe(100);
    // The listener was reopened: its stats start again from zero, the control server's too.
    current = snapshot(30, 2);
    const after = samples(await metrics.text());
    expect(after.get(key)).toBe(130);
    expect(after.get('twampd_reflector_packets_dropped_total{listener="light",reason="too-short"}')).toBe(4);
    expect(after.get('twampd_control_connections_total')).toBe(9);
    // The control server's session reflectors did not restart: no offset for them.
    expect(after.get('twampd_reflector_packets_received_total{listener="control",protocol="twamp"}')).toBe(10);
    // Gauges are not counters: they show the new value as it is.
    current = snapshot(45, 2);
    const later = samples(await metrics.text());
    expect(later.get(key)).toBe(145);
    expect(later.get('twampd_control_connections_active')).toBe(1);
  });

  it('has no listener series while there are no listeners', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const text = await metrics.text();
    expect(text).not.toMatch(/^twampd_reflector_packets_received_total\{/m);
    expect(text).toMatch(/^# TYPE twampd_reflector_packets_received_total counter$/m);
  });
});

describe('agent metrics', () => {
  it('puts each counted reply in the RTT histogram and, with synchronised clocks, the one-way ones', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    metrics.state(TARGET, 'running');
    // 300 µs forward, 200 µs backward (RTT 500 µs), clocks synchronised to 1 µs each.
    for (let i = 0; i < 10; i++) metrics.packet(TARGET, reply(i, 300_000, 200_000));
    const s = samples(await metrics.text());
    expect(s.get('twampd_agent_rtt_seconds_count{target="paris"}')).toBe(10);
    expect(s.get('twampd_agent_rtt_seconds_bucket{target="paris",le="0.00025"}')).toBe(0);
    expect(s.get('twampd_agent_rtt_seconds_bucket{target="paris",le="0.0005"}')).toBe(10);
    expect(s.get('twampd_agent_rtt_seconds_bucket{target="paris",le="+Inf"}')).toBe(10);
    expect(s.get('twampd_agent_rtt_seconds_sum{target="paris"}')).toBeCloseTo(0.005, 9);
    expect(s.get('twampd_agent_forward_delay_seconds_bucket{target="paris",le="0.00025"}')).toBe(0);
    expect(s.get('twampd_agent_forward_delay_seconds_bucket{target="paris",le="0.0005"}')).toBe(10);
    expect(s.get('twampd_agent_backward_delay_seconds_bucket{target="paris",le="0.00025"}')).toBe(10);
    expect(s.get('twampd_agent_oneway_unreliable_total{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_target_up{target="paris"}')).toBe(1);
    // Every bucket bound is exported, in order.
    const bounds = [...s.keys()].filter((k) => k.startsWith('twampd_agent_rtt_seconds_bucket')).map((k) => /le="([^"]+)"/.exec(k)?.[1]);
    expect(bounds).toEqual([...DELAY_BUCKETS_SECONDS.map(String), '+Inf']);
  });

  it('leaves one-way delays out (and counts them) when the clocks are not synchronised, and never clamps a negative one', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    metrics.packet(TARGET, reply(0, 300_000, 200_000, { reflector: UNSYNCED }));
    // The reflector's clock is 1 ms behind: forward −700 µs, backward 1.2 ms; both claim sync.
    metrics.packet(TARGET, reply(1, -700_000, 1_200_000));
    // Claimed errors of 1 ms each against a 500 µs RTT: more than 10 % of the RTT.
    metrics.packet(TARGET, reply(2, 300_000, 200_000, { sender: { synchronized: true, errorSeconds: 0.001 }, reflector: { synchronized: true, errorSeconds: 0.001 } }));
    const s = samples(await metrics.text());
    expect(s.get('twampd_agent_rtt_seconds_count{target="paris"}')).toBe(3);
    expect(s.get('twampd_agent_forward_delay_seconds_count{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_backward_delay_seconds_count{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_oneway_unreliable_total{target="paris"}')).toBe(3);
  });

  it('takes one-way delays of a local reflector (one clock) although neither clock is synchronised; a negative one still stays out', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const local: AgentTargetInfo = { ...TARGET, name: 'local', address: '127.0.0.1', sharedClock: true };
    metrics.packet(local, reply(0, 300_000, 200_000, { sender: UNSYNCED, reflector: UNSYNCED }));
    metrics.packet(local, reply(1, -100_000, 600_000, { sender: UNSYNCED, reflector: UNSYNCED }));
    const s = samples(await metrics.text());
    expect(s.get('twampd_agent_forward_delay_seconds_count{target="local"}')).toBe(1);
    expect(s.get('twampd_agent_backward_delay_seconds_count{target="local"}')).toBe(1);
    expect(s.get('twampd_agent_oneway_unreliable_total{target="local"}')).toBe(1);
  });

  it('follows the latest window verdict: an unreliable window stops one-way observations until a reliable one', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    // A window whose data contradicts the claims (offset from the data ≫ claimed error) says unreliable.
    const skewed = [reply(0, 400_000, 100_000), reply(1, 400_000, 100_000)];
    const bad = windowOf(TARGET, skewed);
    expect(bad.summary.clock.oneWayReliable).toBe(false);
    metrics.window(bad);
    metrics.packet(TARGET, reply(2, 250_000, 250_000));
    let s = samples(await metrics.text());
    expect(s.get('twampd_agent_oneway_reliable{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_clock_synchronized{target="paris"}')).toBe(1);
    expect(s.get('twampd_agent_forward_delay_seconds_count{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_oneway_unreliable_total{target="paris"}')).toBe(1);
    // A window without a counted reply says nothing about the clocks: the verdict stays.
    metrics.window(windowOf(TARGET, [], 3));
    metrics.packet(TARGET, reply(3, 250_000, 250_000));
    expect(samples(await metrics.text()).get('twampd_agent_forward_delay_seconds_count{target="paris"}')).toBe(0);
    // A reliable window lets them in again.
    const good = windowOf(TARGET, [reply(4, 250_000, 250_000), reply(5, 250_000, 250_000)]);
    expect(good.summary.clock.oneWayReliable).toBe(true);
    metrics.window(good);
    metrics.packet(TARGET, reply(6, 250_000, 250_000));
    s = samples(await metrics.text());
    expect(s.get('twampd_agent_forward_delay_seconds_count{target="paris"}')).toBe(1);
    expect(s.get('twampd_agent_oneway_reliable{target="paris"}')).toBe(1);
  });

  it('sets the window gauges and adds the window counts to the counters', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const replies = [reply(0, 300_000, 200_000), reply(1, 500_000, 200_000), reply(2, 300_000, 400_000)];
    metrics.window(windowOf(TARGET, replies, 1));
    metrics.window(windowOf(TARGET, replies, 0));
    const s = samples(await metrics.text());
    expect(s.get('twampd_agent_loss_ratio{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_packets_sent_total{target="paris"}')).toBe(7);
    expect(s.get('twampd_agent_packets_received_total{target="paris"}')).toBe(6);
    expect(s.get('twampd_agent_packets_lost_total{target="paris"}')).toBe(1);
    // RFC 3550 jitter of the round trip: |D| of 200 µs then 0 → 200/16 µs then (15/16)·12.5 µs.
    const jitter = s.get('twampd_agent_jitter_seconds{target="paris",direction="round-trip"}');
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(0.0002);
    expect(s.has('twampd_agent_jitter_seconds{target="paris",direction="forward"}')).toBe(true);
    metrics.window(windowOf(TARGET, [], 0));
    // A window that decided no request has no loss ratio: the series goes, nothing is invented.
    expect(samples(await metrics.text()).has('twampd_agent_loss_ratio{target="paris"}')).toBe(false);
  });

  it('reports the target state and failures', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: false });
    metrics.state(TARGET, 'running');
    expect(samples(await metrics.text()).get('twampd_agent_target_up{target="paris"}')).toBe(1);
    metrics.failure({ target: TARGET, message: 'Accept 5', code: 'PEER_REJECTED', accept: 5, attempt: 1, retryInMs: 1000 });
    metrics.state(TARGET, 'backoff');
    const s = samples(await metrics.text());
    expect(s.get('twampd_agent_target_up{target="paris"}')).toBe(0);
    expect(s.get('twampd_agent_failures_total{target="paris"}')).toBe(1);
  });

  it('forgets every series of a removed target', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const other = { ...TARGET, name: 'tokyo' };
    for (const target of [TARGET, other]) {
      metrics.state(target, 'running');
      metrics.packet(target, reply(0, 300_000, 200_000));
      metrics.window(windowOf(target, [reply(0, 300_000, 200_000), reply(1, 300_000, 250_000)], 1));
      metrics.failure({ target, message: 'x', code: undefined, accept: undefined, attempt: 1, retryInMs: 1 });
    }
    expect(await metrics.text()).toMatch(/target="paris"/);
    metrics.removed(TARGET);
    const text = await metrics.text();
    expect(text).not.toMatch(/target="paris"/);
    expect(text).toMatch(/twampd_agent_rtt_seconds_count\{target="tokyo"\} 1/);
    expect(text).toMatch(/twampd_agent_jitter_seconds\{target="tokyo",direction="round-trip"\}/);
  });

  it('agentHistograms false keeps no histogram series; turning them on and off at run time', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: false });
    metrics.packet(TARGET, reply(0, 300_000, 200_000));
    let text = await metrics.text();
    expect(text).not.toMatch(/^twampd_agent_rtt_seconds_bucket/m);
    expect(text).not.toMatch(/^twampd_agent_oneway_unreliable_total\{/m);
    metrics.setAgentHistograms(true);
    metrics.packet(TARGET, reply(1, 300_000, 200_000));
    text = await metrics.text();
    expect(text).toMatch(/^twampd_agent_rtt_seconds_count\{target="paris"\} 1$/m);
    metrics.setAgentHistograms(false);
    text = await metrics.text();
    expect(text).not.toMatch(/^twampd_agent_rtt_seconds_bucket/m);
    expect(metrics.agentHistograms).toBe(false);
  });

  it('ignores replies that were not counted (duplicates, late, unknown)', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    metrics.packet(TARGET, { ...reply(0, 300_000, 200_000), disposition: 'duplicate' });
    metrics.packet(TARGET, { ...reply(1, 300_000, 200_000), disposition: 'late' });
    expect(await metrics.text()).not.toMatch(/^twampd_agent_rtt_seconds_count\{target="paris"\}/m);
  });

  it('says the same through prom-client\'s Registry as through the fast path of text()', async () => {
    const metrics = new DaemonMetrics({ listeners: () => snapshot(3), agentHistograms: true });
    metrics.state(TARGET, 'running');
    metrics.packet(TARGET, reply(0, 300_000, 200_000));
    metrics.window(windowOf(TARGET, [reply(0, 300_000, 200_000), reply(1, 300_000, 250_000)], 1));
    const agentLines = (text: string): string[] =>
      text
        .split('\n')
        .filter((line) => line.startsWith('twampd_agent_'))
        .sort();
    const fast = agentLines(await metrics.text());
    expect(fast.length).toBeGreaterThan(60);
    expect(agentLines(await metrics.registry.metrics())).toEqual(fast);
    const json = await metrics.registry.getMetricsAsJSON();
    expect(json.find((metric) => metric.name === 'twampd_agent_rtt_seconds')?.values).toContainEqual(
      expect.objectContaining({ metricName: 'twampd_agent_rtt_seconds_count', labels: { target: 'paris' }, value: 1 }),
    );
  });

  it('escapes a target name that needs it, and the scrape stays valid', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const odd = { ...TARGET, name: 'a "quoted" \\ name\nwith a newline' };
    metrics.state(odd, 'running');
    metrics.packet(odd, reply(0, 300_000, 200_000));
    const text = await metrics.text();
    expect(text).toContain('twampd_agent_target_up{target="a \\"quoted\\" \\\\ name\\nwith a newline"} 1');
    if (!promtoolMissing) expect((await promtoolCheck(text)).code).toBe(0);
  });

  it('exports no twampd_control_* family while no control listener runs, and adds or drops them as it comes and goes', async () => {
    let control = false;
    const metrics = new DaemonMetrics({ listeners: () => (control ? snapshot(5) : { ...snapshot(5), control: undefined }), agentHistograms: true });
    const controlLines = (text: string): string[] => text.split('\n').filter((line) => line.includes('twampd_control_'));
    const off = await metrics.text();
    // Not even a HELP/TYPE pair or an unlabelled 0 (what prom-client writes for an idle Gauge or Counter).
    expect(controlLines(off)).toEqual([]);
    expect(off).toContain('twampd_reflector_packets_received_total{listener="light",protocol="twamp-light"} 5');
    control = true;
    const on = await metrics.text();
    expect(samples(on).get('twampd_control_connections_total')).toBe(3);
    expect(controlLines(on).filter((line) => line.startsWith('# TYPE')).length).toBe(10);
    // Off and on again (a reload each way): no "already registered" error, the counters carry on.
    control = false;
    expect(controlLines(await metrics.text())).toEqual([]);
    control = true;
    const again = await metrics.text();
    expect(samples(again).get('twampd_control_connections_total')).toBe(3);
    if (!promtoolMissing) {
      expect((await promtoolCheck(off)).code).toBe(0);
      expect((await promtoolCheck(again)).code).toBe(0);
    }
  });

  it('keeps two instances apart (own registries, not the global one)', async () => {
    const a = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    const b = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    a.packet(TARGET, reply(0, 300_000, 200_000));
    expect(await a.text()).toMatch(/twampd_agent_rtt_seconds_count\{target="paris"\} 1/);
    expect(await b.text()).not.toMatch(/target="paris"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Over real HTTP, validated by promtool
// ---------------------------------------------------------------------------------------------

const ignore = (): void => undefined;
const silent: DaemonLog = { error: ignore, warn: ignore, info: ignore, debug: ignore, child: () => silent };
const servers: HttpServerHandle[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function scrape(server: HttpServerHandle): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('/metrics over HTTP', () => {
  it.skipIf(promtoolMissing)('passes promtool check metrics, and counters and histogram buckets move between scrapes', async () => {
    let packetsIn = 100;
    const metrics = new DaemonMetrics({ listeners: () => snapshot(packetsIn), agentHistograms: true });
    const server = await startHttpServer({
      address: '127.0.0.1',
      port: 0,
      metrics,
      health: () => ({ status: 'ok', uptimeMs: 1, listeners: [], targets: { total: 1, running: 1, backoff: 0 } }),
      log: silent,
    });
    servers.push(server);
    metrics.state(TARGET, 'running');
    metrics.packet(TARGET, reply(0, 300_000, 200_000));
    metrics.window(windowOf(TARGET, [reply(0, 300_000, 200_000), reply(1, 320_000, 210_000)], 1));

    const first = await scrape(server);
    expect(first.status).toBe(200);
    expect(first.type).toBe(metrics.registry.contentType);
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const check = await promtoolCheck(first.text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);

    packetsIn = 250;
    for (let i = 1; i < 5; i++) metrics.packet(TARGET, reply(i, 30_000_000, 20_000_000));
    metrics.window(windowOf(TARGET, [reply(2, 300_000, 200_000)], 0));
    const second = await scrape(server);
    expect((await promtoolCheck(second.text)).code).toBe(0);
    const before = samples(first.text);
    const after = samples(second.text);
    const received = 'twampd_reflector_packets_received_total{listener="light",protocol="twamp-light"}';
    expect(after.get(received)).toBe(250);
    expect(after.get(received)).toBeGreaterThan(before.get(received) ?? Infinity);
    // The four 50 ms replies moved the 50 ms bucket (and every one above it), not the ones below.
    const bucket = (le: string): string => `twampd_agent_rtt_seconds_bucket{target="paris",le="${le}"}`;
    expect(after.get(bucket('0.025'))).toBe(before.get(bucket('0.025')));
    expect(after.get(bucket('0.05'))).toBe((before.get(bucket('0.05')) ?? NaN) + 4);
    expect(after.get('twampd_agent_packets_sent_total{target="paris"}')).toBe(4);
  });

  it('writes a large exposition (3000 targets: many slices) whole, with the right length', async () => {
    const metrics = new DaemonMetrics({ listeners: () => undefined, agentHistograms: true });
    for (let i = 0; i < 3000; i++) {
      const target = { ...TARGET, name: `t${i}` };
      metrics.state(target, 'running');
      metrics.packet(target, reply(0, 300_000, 200_000));
    }
    const server = await startHttpServer({
      address: '127.0.0.1',
      port: 0,
      metrics,
      health: () => ({ status: 'ok', uptimeMs: 1, listeners: [], targets: { total: 3000, running: 3000, backoff: 0 } }),
      log: silent,
    });
    servers.push(server);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    const body = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(body.length);
    const text = body.toString('utf8');
    expect(text.match(/^twampd_agent_target_up\{/gm)).toHaveLength(3000);
    expect(text.match(/^twampd_agent_rtt_seconds_count\{/gm)).toHaveLength(3000);
    const agentPart = (all: string): string => all.split('\n').filter((line) => line.includes('twampd_agent_')).join('\n');
    expect(agentPart(text)).toBe(agentPart(await metrics.text()));
    if (!promtoolMissing) expect((await promtoolCheck(text)).code).toBe(0);
  });

  it.skipIf(promtoolMissing)('a removed target\'s series vanish from the scrape, which stays valid', async () => {
    const metrics = new DaemonMetrics({ listeners: () => snapshot(1), agentHistograms: true });
    const server = await startHttpServer({
      address: '127.0.0.1',
      port: 0,
      metrics,
      health: () => ({ status: 'ok', uptimeMs: 1, listeners: [], targets: { total: 0, running: 0, backoff: 0 } }),
      log: silent,
    });
    servers.push(server);
    metrics.state(TARGET, 'running');
    metrics.packet(TARGET, reply(0, 300_000, 200_000));
    metrics.window(windowOf(TARGET, [reply(0, 300_000, 200_000), reply(1, 300_000, 200_000)]));
    expect((await scrape(server)).text).toContain('target="paris"');
    metrics.removed(TARGET);
    const { text } = await scrape(server);
    expect(text).not.toContain('target="paris"');
    expect((await promtoolCheck(text)).code).toBe(0);
  });
});
