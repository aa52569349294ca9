/**
 * twampd benchmarks (issue 7), each beside a reference measured in the same run:
 *
 *   agent      twampd with N TWAMP Light targets at 1 packet/s (JSON Lines on, Prometheus histograms
 *              on) against `blast reflect` (C): RSS and CPU of the twampd process once every target
 *              runs, targets up (scraped from /metrics), scrape size and time. Reference: the same N
 *              bare SessionSenders in one process (packages/test-session/bench/many-senders.mjs, built):
 *              what the agent adds over the engine.
 *   control    TWAMP-Control sessions per minute a twampd control listener completes (connect,
 *              Request-TW-Session, Start-Sessions, Stop-Sessions, close; K clients in parallel), open
 *              and encrypted; reference: the same loop against `twamp server` (the CLI's server, the
 *              same ControlServer + ReflectorPool without the daemon's logging and metrics).
 *   reflector  highest rate at ≤ 0.1 % loss of a twampd TWAMP Light listener with metrics enabled
 *              and with metrics disabled (`blast send`, 41 octets, doubling then bisecting), with
 *              `blast reflect` (C) as the reference, rounds interleaved.
 *   auth-flood a running encrypted TWAMP session (`twamp controller`, 1 packet per 2 ms) on a twampd
 *              control listener: the reflector's processing time (T3 − T2) median and p99 with no
 *              flood (the reference), then while FLOOD_WORKERS clients from 200 loopback addresses
 *              send Set-Up-Responses guessing the session's KeyID's secret (a known KeyID, random
 *              Tokens) at FLOOD_RATE per second (the rate the
 *              issue-13 probe used), from a process at nice 19 (a remote attacker's CPU is not
 *              the server's), with the default failure backoff
 *              and with it off (every flood connection costs a PBKDF2), and the same connections
 *              leaving at once (Set-Up-Response Mode 0: no authentication at all).
 *
 *   pnpm --filter @twamp/daemon bench [-- --only agent,control,reflector,auth-flood --rounds 3 --targets 10000 --pbkdf2-count 2048 --quick]
 *
 * Prints a markdown table, the exact commands, the machine, and one JSON line.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  type BlastResult,
  blastSend,
  type Child,
  compileBlast,
  compileCommand,
  cpuShareOver,
  HOST,
  interpreterCommand,
  kpps,
  median,
  memory,
  mib,
  positiveNumber,
  probe,
  ratio,
  repoRoot,
  resultTable,
  type ResultRow,
  searchRate,
  start,
  startBlastReflector,
  stop,
  waitFor,
} from '@twamp/bench-kit';
import { ControlClient } from '@twamp/control';
import { Mode } from '@twamp/wire';

const SECTIONS = ['agent', 'control', 'reflector', 'auth-flood'] as const;
type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const { values: opts } = parseArgs({
  args: argv,
  options: {
    only: { type: 'string', default: SECTIONS.join(',') },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    targets: { type: 'string' },
    'agent-seconds': { type: 'string' },
    'control-seconds': { type: 'string' },
    'control-clients': { type: 'string', default: '4' },
    'step-seconds': { type: 'string' },
    'loss-pct': { type: 'string', default: '0.1' },
    /** auth-flood: the PBKDF2 Count twampd's greeting asks for (RFC 4656: a power of 2, at least 1024). */
    'pbkdf2-count': { type: 'string', default: '2048' },
    /** Run twampd from src through tsx even when apps/twampd/dist/bin.js is built. */
    source: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opts.help) {
  process.stdout.write(`usage: pnpm --filter @twamp/daemon bench [-- --only ${SECTIONS.join(',')} --rounds N --targets N --quick]\n`);
  process.exit(0);
}
const quick = opts.quick;
const pick = (value: string | undefined, full: number, smoke: number, name: string): number =>
  value === undefined ? (quick ? smoke : full) : positiveNumber(value, name);
const ROUNDS = pick(opts.rounds, 3, 1, 'rounds');
const TARGETS = Math.floor(pick(opts.targets, 10_000, 500, 'targets'));
const AGENT_SECONDS = pick(opts['agent-seconds'], 20, 6, 'agent-seconds');
const CONTROL_SECONDS = pick(opts['control-seconds'], 15, 4, 'control-seconds');
const CONTROL_CLIENTS = Math.floor(positiveNumber(opts['control-clients'], 'control-clients'));
const STEP_SECONDS = pick(opts['step-seconds'], 2, 1, 'step-seconds');
const LOSS_PCT = Number(opts['loss-pct']);
const SIZE = 41;
const OFFERED_SHARE = 0.95;
const SEARCH = { start: 10_000, max: 400_000, bisections: quick ? 1 : 3, settleMs: 300 };

const wanted = new Set(opts.only.split(',').map((s) => s.trim()));
for (const name of wanted) if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section ${name} (${SECTIONS.join(', ')})`);

const startedAt = Date.now();
const log = (line: string): void => {
  process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

// ------------------------------------------------------------------------------ processes

const workDir = mkdtempSync(join(tmpdir(), 'twampd-bench-'));
const tsx: readonly string[] = [process.execPath, '--conditions=@twamp/source', '--import', 'tsx'];
// The built twampd is what operators run (no transpiler in memory); from source only when asked or not built.
const builtTwampd = resolve(repoRoot, 'apps/twampd/dist/bin.js');
const TWAMPD_BUILT = !opts.source && existsSync(builtTwampd);
// Built, it runs as its installed bin does: with the V8 options of its interpreter line.
const twampdCommand = (configPath: string): string[] =>
  TWAMPD_BUILT ? [...interpreterCommand(builtTwampd), '--config', configPath] : [...tsx, resolve(repoRoot, 'apps/twampd/src/bin.ts'), '--config', configPath];
// The reference CLI runs the same way as twampd (built when built), so neither pays for tsx alone.
const builtTwamp = resolve(repoRoot, 'apps/twamp/dist/bin.js');
const twampCommand = (args: readonly string[]): string[] =>
  TWAMPD_BUILT && existsSync(builtTwamp) ? [process.execPath, builtTwamp, ...args] : [...tsx, resolve(repoRoot, 'apps/twamp/src/bin.ts'), ...args];
const KEY_ID = 'bench';
const KEY_SECRET = 'a bench passphrase, not a secret';
const keyFile = join(workDir, 'keys.txt');
writeFileSync(keyFile, `${KEY_ID}: ${KEY_SECRET}\n`, { mode: 0o600 });

interface ReadyLine {
  readonly listeners: readonly { readonly name: string; readonly kind: string; readonly port: number }[];
  readonly metrics?: { readonly address: string; readonly port: number };
}

interface Twampd {
  readonly child: Child;
  readonly ready: ReadyLine;
}

/** Writes the config (YAML is a superset of JSON) and starts twampd from source; resolves on its `ready` line. */
async function startTwampd(name: string, config: Record<string, unknown>): Promise<Twampd> {
  const path = join(workDir, `${name}.yaml`);
  writeFileSync(path, JSON.stringify({ logging: { level: 'info', destination: 'stdout' }, ...config }, null, 2));
  const child = start(twampdCommand(path));
  try {
    const match = await waitFor(child, /^(\{.*"event":"ready".*\})$/m, 180_000);
    return { child, ready: JSON.parse(match[1] ?? '{}') as ReadyLine };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

function listenerPort(twampd: Twampd, name: string): number {
  const port = twampd.ready.listeners.find((listener) => listener.name === name)?.port;
  if (port === undefined) throw new Error(`twampd has no listener ${name}: ${JSON.stringify(twampd.ready)}`);
  return port;
}

async function scrape(metrics: { readonly address: string; readonly port: number }): Promise<{ readonly text: string; readonly ms: number }> {
  const t0 = performance.now();
  const response = await fetch(`http://${metrics.address.includes(':') ? `[${metrics.address}]` : metrics.address}:${metrics.port}/metrics`);
  const text = await response.text();
  return { text, ms: performance.now() - t0 };
}

/** Sum of a metric's samples in a Prometheus text exposition. */
function sumOf(text: string, metric: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) || line.startsWith(`${metric} `)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

// ------------------------------------------------------------------------------ results

const rows: ResultRow<Section>[] = [];
const json: Record<string, unknown> = {};
const errors: string[] = [];
const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(1)} %`);

async function guarded(section: Section, body: () => Promise<void>): Promise<void> {
  if (!wanted.has(section)) return;
  log(`${section} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  try {
    await body();
  } catch (error) {
    const message = `${section}: ${error instanceof Error ? error.message : String(error)}`;
    errors.push(message);
    log(`  failed: ${message}`);
  }
}

// ------------------------------------------------------------------------------ (a) agent

interface Footprint {
  readonly rss: number;
  readonly peak: number;
  readonly cpuShare: number;
}

function agentConfig(port: number, output: string): Record<string, unknown> {
  const targets = Array.from({ length: TARGETS }, (_, i) => ({ name: `t${i}`, address: HOST, port }));
  return {
    listeners: { control: { enabled: false } },
    metrics: { enabled: true, address: HOST, port: 0, agentHistograms: true },
    agent: { output, defaults: { protocol: 'twamp-light', interval: '1s', window: '10s', lossTimeout: '2s' }, startSpread: '1s', targets },
  };
}

async function agentRun(reflectorPort: number): Promise<Footprint & { readonly up: number; readonly scrapeMs: number; readonly scrapeBytes: number; readonly windows: number; readonly startMs: number }> {
  const output = join(workDir, 'agent.jsonl');
  const t0 = performance.now();
  const twampd = await startTwampd('agent', agentConfig(reflectorPort, output));
  const startMs = performance.now() - t0;
  try {
    const pid = twampd.child.process.pid;
    await sleep(3000);
    const cpuShare = await cpuShareOver(pid, AGENT_SECONDS * 1000);
    const mem = memory(pid);
    if (twampd.ready.metrics === undefined) throw new Error('twampd serves no /metrics');
    const scraped = await scrape(twampd.ready.metrics);
    const up = sumOf(scraped.text, 'twampd_agent_target_up');
    await stop(twampd.child);
    const windows = readFileSync(output, 'utf8').split('\n').filter((line) => line.includes('"record":"window"')).length;
    return { ...mem, cpuShare, up, scrapeMs: scraped.ms, scrapeBytes: scraped.text.length, windows, startMs };
  } finally {
    await stop(twampd.child);
  }
}

async function bareSenders(reflectorPort: number): Promise<Footprint> {
  const senders = start([process.execPath, resolve(repoRoot, 'packages/test-session/bench/many-senders.mjs'), '--port', String(reflectorPort), '--sessions', String(TARGETS), '--seconds', String(AGENT_SECONDS + 8)]);
  try {
    await waitFor(senders, /^ready /m, 180_000);
    const pid = senders.process.pid;
    await sleep(3000);
    const cpuShare = await cpuShareOver(pid, AGENT_SECONDS * 1000);
    return { ...memory(pid), cpuShare };
  } finally {
    await stop(senders);
  }
}

async function agentSection(): Promise<void> {
  const reflector = await startBlastReflector();
  try {
    const agent = await agentRun(reflector.port);
    log(`  twampd agent, ${TARGETS} targets: RSS ${mib(agent.rss)} (peak ${mib(agent.peak)}), CPU ${pct(agent.cpuShare)}, ${agent.up} up, scrape ${agent.scrapeMs.toFixed(0)} ms / ${(agent.scrapeBytes / 1048576).toFixed(1)} MiB, ${agent.windows} windows`);
    const bare = await bareSenders(reflector.port);
    log(`  bare SessionSenders, ${TARGETS}: RSS ${mib(bare.rss)} (peak ${mib(bare.peak)}), CPU ${pct(bare.cpuShare)}`);
    rows.push({
      section: 'agent',
      measure: `${TARGETS} Light targets at 1 packet/s against blast reflect (10-s windows to JSON Lines, histograms on), ${AGENT_SECONDS} s: RSS / CPU`,
      ours: `${mib(agent.rss)} (peak ${mib(agent.peak)}) / ${pct(agent.cpuShare)}`,
      reference: `${mib(bare.rss)} / ${pct(bare.cpuShare)} (bare SessionSenders)`,
      ratio: `RSS ${ratio(agent.rss, bare.rss)}, CPU ${ratio(agent.cpuShare, bare.cpuShare)}`,
      target: `RSS ≤ 300 MB: ${agent.rss <= 300e6 ? 'met' : 'not met'}`,
    });
    rows.push({
      section: 'agent',
      measure: `targets up (twampd_agent_target_up), /metrics scrape, start-up to ready`,
      ours: `${agent.up} of ${TARGETS}; scrape ${agent.scrapeMs.toFixed(0)} ms, ${(agent.scrapeBytes / 1048576).toFixed(1)} MiB; ready in ${(agent.startMs / 1000).toFixed(1)} s`,
      reference: '—',
      ratio: '—',
      target: '—',
    });
    json['agent'] = { targets: TARGETS, agent, bare };
  } finally {
    await stop(reflector.child);
  }
}

// ------------------------------------------------------------------------------ (b) control sessions

/** One complete control session: connect, request, start, stop, close. */
async function oneSession(port: number, encrypted: boolean): Promise<void> {
  const client = await ControlClient.connect({
    server: { address: HOST, port },
    allowedModes: encrypted ? Mode.Encrypted : Mode.Unauthenticated,
    ...(encrypted ? { keyId: KEY_ID, secret: new TextEncoder().encode(KEY_SECRET) } : {}),
  });
  try {
    // No test packets flow: the sender port only has to be a valid one.
    await client.requestSession({ sender: { port: 50_000 }, timeoutSeconds: 0 });
    await client.startSessions();
    await client.stopSessions();
  } finally {
    client.close();
  }
}

async function sessionsPerMinute(port: number, encrypted: boolean): Promise<{ readonly perMinute: number; readonly failures: number }> {
  const deadline = performance.now() + CONTROL_SECONDS * 1000;
  let done = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && failures < 100) {
      try {
        await oneSession(port, encrypted);
        done += 1;
      } catch (error) {
        if (failures === 0) log(`  first failure: ${error instanceof Error ? error.message : String(error)}`);
        failures += 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONTROL_CLIENTS }, worker));
  return { perMinute: (done * 60_000) / (performance.now() - t0), failures };
}

async function startCliServer(): Promise<{ readonly child: Child; readonly port: number }> {
  const child = start(twampCommand(['server', `${HOST}:0`, '--mode', 'open,encrypted', '--key-file', keyFile, '--max-sessions', '100000', '--jsonl']));
  try {
    const match = await waitFor(child, /^(\{"type":"listening".*\})$/m, 60_000);
    const port = (JSON.parse(match[1] ?? '{}') as { port?: number }).port;
    if (port === undefined) throw new Error(`no port in ${match[1]}`);
    return { child, port };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function controlSection(): Promise<void> {
  const results: Record<string, { ours: number[]; cli: number[]; failures: number }> = { open: { ours: [], cli: [], failures: 0 }, encrypted: { ours: [], cli: [], failures: 0 } };
  for (let round = 1; round <= ROUNDS; round += 1) {
    const twampd = await startTwampd('control', {
      listeners: { control: { address: HOST, port: 0, reflectorPorts: 'ephemeral' } },
      security: { modes: ['open', 'encrypted'], keyFile },
      limits: { sessionsTotal: 100_000, controlConnectionsPerClient: 1000 },
      metrics: { enabled: true, address: HOST, port: 0 },
    });
    const cli = await startCliServer();
    try {
      for (const mode of ['open', 'encrypted'] as const) {
        const ours = await sessionsPerMinute(listenerPort(twampd, 'control'), mode === 'encrypted');
        const reference = await sessionsPerMinute(cli.port, mode === 'encrypted');
        const entry = results[mode];
        if (entry === undefined) continue;
        entry.ours.push(ours.perMinute);
        entry.cli.push(reference.perMinute);
        entry.failures += ours.failures + reference.failures;
        log(`  round ${round} ${mode}: twampd ${ours.perMinute.toFixed(0)}/min (${ours.failures} failed), twamp server ${reference.perMinute.toFixed(0)}/min (${reference.failures} failed)`);
      }
    } finally {
      await stop(twampd.child);
      await stop(cli.child);
    }
  }
  for (const [mode, entry] of Object.entries(results)) {
    const ours = median(entry.ours);
    const cli = median(entry.cli);
    rows.push({
      section: 'control',
      measure: `${mode} control sessions per minute (connect, request, start, stop, close; ${CONTROL_CLIENTS} clients, ${CONTROL_SECONDS} s; rounds twampd ${entry.ours.map((x) => x.toFixed(0)).join('/')})`,
      ours: `${(ours ?? 0).toFixed(0)}/min`,
      reference: `${(cli ?? 0).toFixed(0)}/min (twamp server)`,
      ratio: ratio(ours, cli),
      target: entry.failures === 0 ? '—' : `${entry.failures} failed sessions`,
    });
  }
  json['control'] = results;
}

// ------------------------------------------------------------------------------ (c) reflector rate, metrics on/off

type ReflectorKey = 'metrics-on' | 'metrics-off' | 'c';

async function startReflectorUnderTest(key: ReflectorKey): Promise<{ readonly child: Child; readonly port: number }> {
  if (key === 'c') return startBlastReflector();
  const twampd = await startTwampd(key, {
    listeners: { control: { enabled: false }, reflectors: [{ name: 'light', protocol: 'twamp-light', address: HOST, port: 0 }] },
    metrics: { enabled: key === 'metrics-on', address: HOST, port: 0 },
    logging: { level: 'info', destination: 'stdout' },
  });
  const port = listenerPort(twampd, 'light');
  await probe(port);
  if (key === 'metrics-on' && twampd.ready.metrics !== undefined) {
    // A scraper every second during the search, as Prometheus would (every 15 s) but harder.
    const metrics = twampd.ready.metrics;
    const timer = setInterval(() => {
      scrape(metrics).catch(() => undefined);
    }, 1000);
    void twampd.child.exited.then(() => {
      clearInterval(timer);
    });
  }
  return { child: twampd.child, port };
}

const blastPasses = (rate: number, r: BlastResult): boolean => r.loss_pct <= LOSS_PCT && r.offered_pps >= rate * OFFERED_SHARE && r.short_replies === 0;

async function reflectorSection(): Promise<void> {
  const best: Record<ReflectorKey, number[]> = { 'metrics-on': [], 'metrics-off': [], c: [] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const key of ['c', 'metrics-on', 'metrics-off'] as const) {
      const reflector = await startReflectorUnderTest(key);
      try {
        const { best: rate, steps } = await searchRate(SEARCH, async (rate) => {
          const result = await blastSend(reflector.port, rate, STEP_SECONDS, SIZE);
          const pass = blastPasses(rate, result);
          log(`  round ${round} ${key.padEnd(11)} ${String(rate).padStart(6)} pps → offered ${result.offered_pps.toFixed(0)}, loss ${result.loss_pct.toFixed(3)} % ${pass ? 'ok' : 'FAIL'}`);
          return { pass, result };
        });
        const passing = steps.find((s) => s.pass && s.rate === rate);
        best[key].push(passing === undefined ? 0 : passing.result.offered_pps);
      } finally {
        await stop(reflector.child);
      }
    }
  }
  const on = median(best['metrics-on']);
  const off = median(best['metrics-off']);
  const c = median(best.c);
  const rounds = (key: ReflectorKey): string => best[key].map((x) => (x / 1000).toFixed(0)).join('/');
  rows.push({
    section: 'reflector',
    measure: `twampd Light listener, max rate at ≤ ${LOSS_PCT} % loss, ${SIZE}-octet, ${STEP_SECONDS}-s steps, metrics on (scraped every second) (rounds on ${rounds('metrics-on')}, C ${rounds('c')} kpps)`,
    ours: kpps(on),
    reference: `${kpps(c)} (blast reflect)`,
    ratio: ratio(on, c),
    target: '—',
  });
  rows.push({
    section: 'reflector',
    measure: `the same with metrics disabled (rounds ${rounds('metrics-off')} kpps); ratio = on / off`,
    ours: kpps(off),
    reference: kpps(on),
    ratio: ratio(on, off),
    target: 'metrics cost nothing per packet (read at scrape time)',
  });
  json['reflector'] = best;
}

// ------------------------------------------------------------------------------ (d) authentication flood

const FLOOD_WORKERS = 16;
const FLOOD_ADDRESSES = 200;
const FLOOD_RATE = 1200;
const PBKDF2_COUNT = Math.floor(positiveNumber(opts['pbkdf2-count'], 'pbkdf2-count'));
const MEASURE_PACKETS = quick ? 1500 : 3000;
const MEASURE_INTERVAL_MS = 2;

interface Processing {
  readonly median: number;
  readonly p99: number;
}

/** One encrypted session through the built CLI; the reflector's processing time from its JSON summary (ms). */
async function measureProcessing(port: number): Promise<Processing> {
  const child = start(
    twampCommand(['controller', HOST, '--control-port', String(port), '--mode', 'encrypted', '--user', KEY_ID, '--key-file', keyFile, '-c', String(MEASURE_PACKETS), '-i', String(MEASURE_INTERVAL_MS), '--percentiles', '50,99', '--json']),
  );
  const { code } = await child.exited;
  const summary = JSON.parse(child.stdout()) as { delayMs?: { processing?: { median: number | null; percentiles: Record<string, number | null> } } };
  const processing = summary.delayMs?.processing;
  if (code !== 0 || processing?.median == null) throw new Error(`twamp controller exited ${String(code)}: ${child.output().slice(-300)}`);
  return { median: processing.median, p99: processing.percentiles['99'] ?? Number.NaN };
}

/**
 * The flood runs in its own process at nice 19 (bench/auth-flood.ts): a remote attacker's CPU is not
 * the server's, and on a small machine a flooder at normal priority would measure the scheduler.
 */
function authFlood(port: number, seconds: number, keyId: string): Child {
  return start(['nice', '-n', '19', ...tsx, resolve(repoRoot, 'packages/daemon/bench/auth-flood.ts'), String(port), String(FLOOD_RATE), String(FLOOD_WORKERS), String(FLOOD_ADDRESSES), String(seconds), keyId]);
}

async function authFloodSection(): Promise<void> {
  // 'connections only': the same connections leaving at once (Set-Up-Response Mode 0), no authentication:
  // what a flood costs before any key is derived.
  const variants = ['no flood', 'connections only', 'flood, default backoff', 'flood, backoff off'] as const;
  const results: Record<(typeof variants)[number], { median: number[]; p99: number[]; floodPerSecond: number[]; refusedPerSecond: number[] }> = {
    'no flood': { median: [], p99: [], floodPerSecond: [], refusedPerSecond: [] },
    'connections only': { median: [], p99: [], floodPerSecond: [], refusedPerSecond: [] },
    'flood, default backoff': { median: [], p99: [], floodPerSecond: [], refusedPerSecond: [] },
    'flood, backoff off': { median: [], p99: [], floodPerSecond: [], refusedPerSecond: [] },
  };
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const variant of variants) {
      const twampd = await startTwampd(`auth-${round}`, {
        listeners: { control: { address: HOST, port: 0, reflectorPorts: 'ephemeral' } },
        security: { modes: ['encrypted'], keyFile, pbkdf2Count: PBKDF2_COUNT },
        ...(variant === 'flood, backoff off' ? { limits: { authFailuresPerMinute: 'unlimited' } } : {}),
      });
      const port = listenerPort(twampd, 'control');
      try {
        // The flood outlasts the measured session (its start-up and the session's own control exchange included).
        const flood = variant === 'no flood' ? undefined : authFlood(port, (MEASURE_PACKETS * MEASURE_INTERVAL_MS) / 1000 + 3, variant === 'connections only' ? '-' : KEY_ID);
        if (flood !== undefined) await waitFor(flood, /^flooding$/m, 60_000);
        const measured = await measureProcessing(port);
        const done = flood === undefined ? undefined : (JSON.parse((await waitFor(flood, /^(\{.*\})$/m, 30_000))[1] ?? '{}') as { answered: number; refused: number; seconds: number });
        const entry = results[variant];
        entry.median.push(measured.median);
        entry.p99.push(measured.p99);
        entry.floodPerSecond.push(done === undefined ? 0 : done.answered / done.seconds);
        entry.refusedPerSecond.push(done === undefined ? 0 : done.refused / done.seconds);
        const floodText = done === undefined ? '' : `; flood ${(done.answered / done.seconds).toFixed(0)} Set-Up-Responses/s answered, ${(done.refused / done.seconds).toFixed(0)}/s refused with Modes 0`;
        log(`  round ${round} ${variant}: processing median ${measured.median.toFixed(3)} ms, p99 ${measured.p99.toFixed(3)} ms${floodText}`);
      } finally {
        await stop(twampd.child);
      }
    }
  }
  const base = median(results['no flood'].p99);
  for (const variant of variants) {
    const entry = results[variant];
    const p99 = median(entry.p99);
    rows.push({
      section: 'auth-flood',
      measure: `encrypted session's reflector processing time p99 (median), ${MEASURE_PACKETS} packets every ${MEASURE_INTERVAL_MS} ms, PBKDF2 Count ${PBKDF2_COUNT}, ${variant}${variant === 'no flood' ? '' : ` (${FLOOD_RATE}/s offered by ${FLOOD_WORKERS} clients from ${FLOOD_ADDRESSES} addresses; ${(median(entry.floodPerSecond) ?? 0).toFixed(0)}/s ${variant === 'connections only' ? 'closed by the client' : 'answered after a derivation'}, ${(median(entry.refusedPerSecond) ?? 0).toFixed(0)}/s refused by the backoff)`} (rounds p99 ${entry.p99.map((x) => x.toFixed(3)).join('/')} ms)`,
      ours: `${(p99 ?? Number.NaN).toFixed(3)} ms (${(median(entry.median) ?? Number.NaN).toFixed(3)} ms)`,
      reference: variant === 'no flood' ? '—' : `${(base ?? Number.NaN).toFixed(3)} ms (no flood)`,
      ratio: variant === 'no flood' ? '—' : ratio(p99, base),
      target: variant === 'no flood' ? '—' : 'unaffected by the flood',
    });
  }
  json['authFlood'] = results;
}

// ------------------------------------------------------------------------------ main

const loadBefore = loadavg();
log(`compiling: ${compileCommand.join(' ')}`);
await compileBlast();
await guarded('agent', agentSection);
await guarded('control', controlSection);
await guarded('reflector', reflectorSection);
await guarded('auth-flood', authFloodSection);
const loadAfter = loadavg();

const cpu = cpus();
process.stdout.write(`\n## twampd benchmarks (${new Date().toISOString()})\n\n`);
process.stdout.write(`Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}.\n\n`);
process.stdout.write(`Command: pnpm --filter @twamp/daemon bench -- ${argv.join(' ')} (twampd and twamp server ${TWAMPD_BUILT ? 'built (apps/*/dist/bin.js)' : 'from source through tsx'}; the bare-sender reference runs packages/test-session/bench/many-senders.mjs on the built package)\n\n`);
process.stdout.write(`${resultTable(rows, 'ours', 'reference').join('\n')}\n`);
if (errors.length > 0) process.stdout.write(`\nErrors:\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
process.stdout.write(`\n${JSON.stringify({ bench: 'twampd', rows: rows.length, ...json, errors })}\n`);
process.exit(errors.length === 0 ? 0 : 1);
