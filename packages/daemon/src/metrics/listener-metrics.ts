// The listeners' metrics, read at scrape time from a ListenersSnapshot: the data path keeps its own
// plain counters (ReflectorStats, ControlServerStats) and pays nothing for Prometheus; each scrape
// copies them into prom-client metrics through `collect` callbacks. The `twampd_control_*` families
// are in the registry only while a control listener runs (so a reflector-only or agent-only twampd does
// not export a server's zeros, and a reload that turns the listener on or off adds or removes them).
import { ACCEPT_CODES, isKnownAcceptCode } from '@twamp/errors';
import type { ReflectorStats } from '@twamp/test-session';
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { ControlListenerSnapshot, ListenersSnapshot } from '../types.js';
import { CumulativeGroups } from './cumulative.js';

/** The `protocol` label of the TWAMP-Control server's session reflectors. */
export const CONTROL_PROTOCOL = 'twamp';

/** Accept values always exported (zero until sent) so that dashboards see every one a server sends. */
const ACCEPTS_SENT_ALWAYS = [0, 1, 2, 3, 4, 5] as const;

export class ListenerMetrics {
  readonly #source: () => ListenersSnapshot | undefined;
  readonly #registry: Registry;
  /** Whether the `twampd_control_*` families are in the registry now. */
  #controlRegistered = false;
  /** The control families, added to and removed from the registry together. */
  readonly #control: readonly { readonly name: string; readonly metric: Metric }[];
  readonly #groups = new CumulativeGroups();
  #fresh = false;

  readonly #packetsReceived: Counter<'listener' | 'protocol'>;
  readonly #packetsSent: Counter<'listener' | 'protocol'>;
  readonly #dropped: Counter<'listener' | 'reason'>;
  readonly #sessionsActive: Gauge<'listener'>;
  readonly #sessionsCreated: Counter<'listener'>;
  readonly #sessionsEvicted: Counter<'listener'>;
  readonly #connectionsActive: Gauge;
  readonly #connectionsTotal: Counter;
  readonly #connectionsRefused: Counter<'reason'>;
  readonly #connectionsEvicted: Counter;
  readonly #authFailures: Counter;
  readonly #sessionsRefused: Counter<'reason'>;
  readonly #sessionsReleasedUnstarted: Counter;
  readonly #acceptsSent: Counter<'code' | 'name'>;
  readonly #timeouts: Counter<'kind'>;
  readonly #controlSessionsActive: Gauge;

  constructor(registry: Registry, source: () => ListenersSnapshot | undefined) {
    this.#source = source;
    this.#registry = registry;
    const registers = [registry];
    // The control families join the registry when a snapshot shows a control listener (#registerControl).
    const unregistered = { registers: [] };
    const collect = (): void => {
      this.#refresh();
    };
    this.#packetsReceived = new Counter({
      name: 'twampd_reflector_packets_received_total',
      help: 'Test packets received by a reflector listener (the control server\'s session reflectors are listener "control").',
      labelNames: ['listener', 'protocol'],
      registers,
      collect,
    });
    this.#packetsSent = new Counter({
      name: 'twampd_reflector_packets_sent_total',
      help: 'Test packets a reflector listener answered.',
      labelNames: ['listener', 'protocol'],
      registers,
      collect,
    });
    this.#dropped = new Counter({
      name: 'twampd_reflector_packets_dropped_total',
      help: 'Test packets a reflector listener dropped, by reason.',
      labelNames: ['listener', 'reason'],
      registers,
      collect,
    });
    this.#sessionsActive = new Gauge({
      name: 'twampd_reflector_sessions_active',
      help: 'Test sessions a reflector listener holds now.',
      labelNames: ['listener'],
      registers,
      collect,
    });
    this.#sessionsCreated = new Counter({
      name: 'twampd_reflector_sessions_created_total',
      help: 'Test sessions a reflector listener created.',
      labelNames: ['listener'],
      registers,
      collect,
    });
    this.#sessionsEvicted = new Counter({
      name: 'twampd_reflector_sessions_evicted_total',
      help: 'Test sessions a reflector listener forgot to make room for new ones (a source at its share, or a full table).',
      labelNames: ['listener'],
      registers,
      collect,
    });
    this.#connectionsActive = new Gauge({
      name: 'twampd_control_connections_active',
      help: 'TWAMP-Control connections open now.',
      ...unregistered,
      collect,
    });
    this.#connectionsTotal = new Counter({
      name: 'twampd_control_connections_total',
      help: 'TWAMP-Control connections accepted.',
      ...unregistered,
      collect,
    });
    this.#connectionsRefused = new Counter({
      name: 'twampd_control_connections_refused_total',
      help: 'TWAMP-Control connections refused before the handshake (a Server Greeting with Modes 0), by reason.',
      labelNames: ['reason'],
      ...unregistered,
      collect,
    });
    this.#connectionsEvicted = new Counter({
      name: 'twampd_control_connections_evicted_total',
      help: 'TWAMP-Control connections without sessions closed to make room for a new one at a connection limit.',
      ...unregistered,
      collect,
    });
    this.#authFailures = new Counter({
      name: 'twampd_control_auth_failures_total',
      help: 'Failed authentications (a Set-Up-Response refused in a secured mode).',
      ...unregistered,
      collect,
    });
    this.#sessionsRefused = new Counter({
      name: 'twampd_control_sessions_refused_total',
      help: 'Request-TW-Session refused by the control server, by reason.',
      labelNames: ['reason'],
      ...unregistered,
      collect,
    });
    this.#sessionsReleasedUnstarted = new Counter({
      name: 'twampd_control_sessions_released_unstarted_total',
      help: 'TWAMP sessions released because they were not started in time (limits.unstartedSessionTimeout).',
      ...unregistered,
      collect,
    });
    this.#acceptsSent = new Counter({
      name: 'twampd_control_accept_sent_total',
      help: 'Accept values the control server sent (Server-Start and Accept-Session), by value.',
      labelNames: ['code', 'name'],
      ...unregistered,
      collect,
    });
    this.#timeouts = new Counter({
      name: 'twampd_control_timeouts_total',
      help: 'TWAMP-Control connections closed by a timeout, by which one (handshake, servwait, message, idle).',
      labelNames: ['kind'],
      ...unregistered,
      collect,
    });
    this.#controlSessionsActive = new Gauge({
      name: 'twampd_control_sessions_active',
      help: 'TWAMP test sessions the control server holds now.',
      ...unregistered,
      collect,
    });
    this.#control = [
      this.#connectionsActive,
      this.#connectionsTotal,
      this.#connectionsRefused,
      this.#connectionsEvicted,
      this.#authFailures,
      this.#sessionsRefused,
      this.#sessionsReleasedUnstarted,
      this.#acceptsSent,
      this.#timeouts,
      this.#controlSessionsActive,
    ].map((metric) => ({ name: nameOf(metric), metric }));
  }

  /**
   * Reads the listeners before the registry is listed for a scrape, so the control families are in it
   * exactly when a control listener runs. The rest of the scrape's synchronous pass reuses the snapshot.
   */
  prepare(): void {
    this.#refresh();
  }

  /**
   * Copies one snapshot into every listener metric. The Registry calls each metric's collect() in
   * one synchronous pass per scrape; the first call takes the snapshot and the rest of the pass
   * reuses it (the flag clears in the next microtask), so a scrape reads the listeners once and every
   * metric shows the same instant.
   */
  #refresh(): void {
    if (this.#fresh) return;
    this.#fresh = true;
    queueMicrotask(() => {
      this.#fresh = false;
    });
    for (const metric of this.#all()) metric.reset();
    const snapshot = this.#source();
    this.#registerControl(snapshot?.control !== undefined);
    if (snapshot === undefined) return;
    for (const reflector of snapshot.reflectors) {
      this.#reflectorSeries(`reflector:${reflector.name}`, reflector.name, reflector.protocol, reflector.stats);
    }
    if (snapshot.control !== undefined) {
      this.#reflectorSeries('control:reflectors', snapshot.control.name, CONTROL_PROTOCOL, snapshot.control.reflectors);
      this.#controlSeries(snapshot.control);
    }
  }

  /** Adds or removes the control families; tracked, so a metric is never registered twice. */
  #registerControl(running: boolean): void {
    if (running === this.#controlRegistered) return;
    this.#controlRegistered = running;
    for (const { name, metric } of this.#control) {
      if (running) this.#registry.registerMetric(metric);
      else this.#registry.removeSingleMetric(name);
    }
  }

  #all(): readonly { reset(): void }[] {
    return [
      this.#packetsReceived,
      this.#packetsSent,
      this.#dropped,
      this.#sessionsActive,
      this.#sessionsCreated,
      this.#sessionsEvicted,
      ...this.#control.map(({ metric }) => metric),
    ];
  }

  #reflectorSeries(source: string, listener: string, protocol: string, stats: ReflectorStats): void {
    const reasons = Object.keys(stats.dropped) as (keyof ReflectorStats['dropped'])[];
    const readings: [string, number][] = [
      ['in', stats.packetsIn],
      ['out', stats.packetsOut],
      ['created', stats.sessionsCreated],
      ['evicted', stats.sessionsEvicted],
      ...reasons.map((reason): [string, number] => [`dropped:${reason}`, stats.dropped[reason]]),
    ];
    const [packetsIn = 0, packetsOut = 0, created = 0, evicted = 0, ...dropped] = this.#groups.group(source).read(readings);
    this.#packetsReceived.inc({ listener, protocol }, packetsIn);
    this.#packetsSent.inc({ listener, protocol }, packetsOut);
    this.#sessionsCreated.inc({ listener }, created);
    this.#sessionsEvicted.inc({ listener }, evicted);
    reasons.forEach((reason, i) => {
      this.#dropped.inc({ listener, reason }, dropped[i] ?? 0);
    });
    this.#sessionsActive.set({ listener }, stats.sessionsActive);
  }

  #controlSeries(control: ControlListenerSnapshot): void {
    const server = control.server;
    const codes = new Set<number>(ACCEPTS_SENT_ALWAYS);
    for (const key of Object.keys(server.acceptsSent)) codes.add(Number(key));
    const sortedCodes = [...codes].filter((code) => Number.isInteger(code) && code >= 0).sort((a, b) => a - b);
    // Every reason the server counts is exported (0 until it happens): the keys of its own records.
    const kinds = Object.keys(server.timeouts) as (keyof typeof server.timeouts)[];
    const connectionReasons = Object.keys(server.connectionsRefusedByReason) as (keyof typeof server.connectionsRefusedByReason)[];
    const sessionReasons = Object.keys(server.sessionsRefusedByReason) as (keyof typeof server.sessionsRefusedByReason)[];
    const readings: [string, number][] = [
      ['total', server.connectionsTotal],
      ['evicted', server.connectionsEvicted],
      ['auth-failures', server.authFailures],
      ['released-unstarted', server.sessionsReleasedUnstarted],
      ...sortedCodes.map((code): [string, number] => [`accept:${code}`, server.acceptsSent[code] ?? 0]),
      ...kinds.map((kind): [string, number] => [`timeout:${kind}`, server.timeouts[kind]]),
      ...connectionReasons.map((reason): [string, number] => [`refused:${reason}`, server.connectionsRefusedByReason[reason]]),
      ...sessionReasons.map((reason): [string, number] => [`session-refused:${reason}`, server.sessionsRefusedByReason[reason]]),
    ];
    const [total = 0, evicted = 0, authFailures = 0, releasedUnstarted = 0, ...rest] = this.#groups.group('control:server').read(readings);
    this.#connectionsTotal.inc(total);
    this.#connectionsEvicted.inc(evicted);
    this.#authFailures.inc(authFailures);
    this.#sessionsReleasedUnstarted.inc(releasedUnstarted);
    let at = 0;
    const next = (): number => rest[at++] ?? 0;
    for (const code of sortedCodes) this.#acceptsSent.inc({ code: String(code), name: acceptName(code) }, next());
    for (const kind of kinds) this.#timeouts.inc({ kind }, next());
    for (const reason of connectionReasons) this.#connectionsRefused.inc({ reason }, next());
    for (const reason of sessionReasons) this.#sessionsRefused.inc({ reason }, next());
    this.#connectionsActive.set(server.connectionsActive);
    this.#controlSessionsActive.set(server.sessionsActive);
  }
}

/** A metric's name (prom-client keeps it on the object; its typings leave it out). */
function nameOf(metric: Metric): string {
  const { name } = metric as unknown as { name?: unknown };
  if (typeof name !== 'string') throw new Error('prom-client metric without a name');
  return name;
}

/** The stable identifier of an Accept value (@twamp/errors), `unknown` for values it does not know. */
function acceptName(code: number): string {
  return isKnownAcceptCode(code) ? (ACCEPT_CODES[code]?.id ?? 'unknown') : 'unknown';
}
