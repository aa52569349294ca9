// One Light/STAMP listener of the config: a SessionReflector on its address and port. `::` means
// dual-stack, as for the control listener; @twamp/udp sockets are one family each (IPv6 ones are
// IPV6_V6ONLY), so `::` opens two reflectors on the same port, `::` and `0.0.0.0`, read as one.
import type { KeyStore } from '@twamp/control';
import { ConfigError, NetworkError } from '@twamp/errors';
import { type ReflectorOptions, type ReflectorStats, SessionReflector, sumReflectorStats } from '@twamp/test-session';
import { isUnspecifiedAddress, StampSecurity } from '@twamp/wire';
import type { AccessConfig, DaemonLog, LimitsConfig, ListenerEndpoint, ReflectorListenerConfig, ReflectorListenerSnapshot } from '../types.js';
import { addressesOverlap } from '../config/resolve.js';
import { listenerError } from './bind-error.js';
import { reflectorConfigError } from './config-paths.js';
import { dropReportLogger, reflectorEventLogger } from './log-events.js';
import { reflectorReconfiguration } from './options.js';

/** With port 0 and two families, the IPv4 bind may find the IPv6 socket's port taken: try again this often. */
const DUAL_STACK_ATTEMPTS = 8;
/**
 * At a graceful stop, a Light/STAMP listener whose packet counter has not moved for this long has
 * no sender left mid-run (their sessions have no end message: silence is the end).
 */
export const DRAIN_QUIET_MS = 1000;
const DRAIN_POLL_MS = 100;

export interface ReflectorListenerContext {
  readonly access: AccessConfig;
  readonly limits: LimitsConfig;
  readonly keys: KeyStore | undefined;
  readonly log: DaemonLog;
}

/** The STAMP HMAC key a listener uses, or undefined (open, or TWAMP Light). */
export function stampKeyFor(config: ReflectorListenerConfig, keys: KeyStore | undefined): Uint8Array | undefined {
  if (config.protocol !== 'stamp' || config.stampSecurity !== 'authenticated') return undefined;
  const key = config.keyId === undefined ? undefined : keys?.secret(config.keyId);
  if (key === undefined || key.length === 0) {
    throw new ConfigError([
      {
        path: `listeners.reflectors.${config.name}.keyId`,
        expected: 'the identity of a key in security.keyFile (authenticated STAMP)',
        received: config.keyId === undefined ? 'none' : JSON.stringify(config.keyId),
      },
    ]);
  }
  return key;
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export class ReflectorListener {
  readonly config: ReflectorListenerConfig;
  readonly #sockets: readonly SessionReflector[];
  readonly #stampKey: Uint8Array | undefined;
  readonly #port: number;
  /** What it was opened with: a reload whose replacement cannot bind opens it again as it was. */
  #context: ReflectorListenerContext;
  #closed = false;

  private constructor(config: ReflectorListenerConfig, sockets: readonly SessionReflector[], stampKey: Uint8Array | undefined, context: ReflectorListenerContext) {
    this.config = config;
    this.#sockets = sockets;
    this.#stampKey = stampKey;
    this.#port = sockets[0]?.localPort ?? config.port;
    this.#context = context;
  }

  /** Bind the listener (both families for `::`). Throws a NetworkError naming it, or a ConfigError. */
  static async open(config: ReflectorListenerConfig, context: ReflectorListenerContext): Promise<ReflectorListener> {
    const stampKey = stampKeyFor(config, context.keys);
    const reload = reflectorReconfiguration(config.name, context.access, context.limits);
    const base: ReflectorOptions = {
      protocol: config.protocol,
      stateful: config.stateful,
      stampSecurity: stampKey === undefined ? StampSecurity.Open : StampSecurity.Authenticated,
      ...(stampKey === undefined ? {} : { stampKey }),
      ...(reload.allowedSources === undefined ? {} : { allowedSources: reload.allowedSources }),
      ...(reload.maxSessions === undefined ? {} : { maxSessions: reload.maxSessions }),
      ...(reload.maxSessionsPerSource === undefined ? {} : { maxSessionsPerSource: reload.maxSessionsPerSource }),
      ...(reload.perSourceRate === undefined ? {} : { perSourceRate: reload.perSourceRate }),
      ...(reload.perSessionRate === undefined ? {} : { perSessionRate: reload.perSessionRate }),
      ...(reload.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: reload.idleTimeoutMs }),
      onSessionEvent: reflectorEventLogger(context.log, config.name),
      onDropReport: dropReportLogger(context.log, config.name),
    };
    let sockets: SessionReflector[];
    try {
      sockets = await openSockets(config, base);
    } catch (error) {
      throw listenerError(config.name, config.address, config.port, reflectorConfigError(error, config.name));
    }
    return new ReflectorListener(config, sockets, stampKey, context);
  }

  /** The same listener opened again where it was (its bound port, its last access list and limits). */
  reopen(): Promise<ReflectorListener> {
    return ReflectorListener.open({ ...this.config, port: this.#port }, this.#context);
  }

  /** Could this listener's sockets be what keeps `config` from binding (the same port on an overlapping address)? */
  holds(config: ReflectorListenerConfig): boolean {
    return !this.#closed && config.port === this.#port && addressesOverlap(this.config.address, config.address);
  }

  get port(): number {
    return this.#port;
  }

  get stats(): ReflectorStats {
    return sumReflectorStats(this.#sockets.map((socket) => socket.stats));
  }

  snapshot(): ReflectorListenerSnapshot {
    return { name: this.config.name, protocol: this.config.protocol, address: this.config.address, port: this.#port, stats: this.stats };
  }

  endpoint(): ListenerEndpoint {
    return { name: this.config.name, kind: this.config.protocol, address: this.config.address, port: this.#port };
  }

  /**
   * Can a reload keep this listener's sockets for `config`? Not when it moves (address, port),
   * changes what it answers (protocol, stateful, STAMP security) or its STAMP key changed: the
   * reflector reads those once, when it opens.
   */
  keeps(config: ReflectorListenerConfig, keys: KeyStore | undefined): boolean {
    const old = this.config;
    if (old.address !== config.address || old.protocol !== config.protocol || old.stateful !== config.stateful) return false;
    // Port 0 (tests) asks for any port: the one we have is one.
    if (config.port !== 0 && config.port !== this.#port) return false;
    if (old.stampSecurity !== config.stampSecurity || old.keyId !== config.keyId) return false;
    return sameKey(this.#stampKey, stampKeyFor(config, keys));
  }

  /** New access list and limits for new sessions (running sessions are kept). */
  reconfigure(access: AccessConfig, limits: LimitsConfig): void {
    const changes = reflectorReconfiguration(this.config.name, access, limits);
    try {
      for (const socket of this.#sockets) socket.reconfigure(changes);
    } catch (error) {
      // Every socket checks the same values first, so the first one refused them and none changed.
      throw reflectorConfigError(error, this.config.name);
    }
    this.#context = { ...this.#context, access, limits };
  }

  /**
   * Keep answering while senders are still sending: resolves once no packet has arrived for
   * DRAIN_QUIET_MS, or when `graceMs` has passed. The caller closes the listener afterwards.
   */
  async drain(graceMs: number): Promise<void> {
    const started = Date.now();
    let seen = this.stats.packetsIn;
    // Quiet since the last packet any session saw (a listener idle for long closes at once).
    let quietSince = Number.NEGATIVE_INFINITY;
    for (const socket of this.#sockets) {
      for (const session of socket.sessions()) quietSince = Math.max(quietSince, session.lastSeenMs);
    }
    while (!this.#closed) {
      const now = Date.now();
      if (now - started >= graceMs || now - quietSince >= DRAIN_QUIET_MS) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, graceMs - (now - started))));
      const packets = this.stats.packetsIn;
      if (packets !== seen) {
        seen = packets;
        quietSince = Date.now();
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets) socket.close();
  }
}

async function openSockets(config: ReflectorListenerConfig, base: ReflectorOptions): Promise<SessionReflector[]> {
  const family = config.address.includes(':') ? 6 : 4;
  const dualStack = family === 6 && isUnspecifiedAddress(config.address);
  if (!dualStack) return [await SessionReflector.open({ ...base, family, address: config.address, port: config.port })];
  for (let attempt = 1; ; attempt++) {
    const v6 = await SessionReflector.open({ ...base, family: 6, address: config.address, port: config.port });
    try {
      const v4 = await SessionReflector.open({ ...base, family: 4, address: '0.0.0.0', port: v6.localPort });
      return [v6, v4];
    } catch (error) {
      v6.close();
      const retry = config.port === 0 && attempt < DUAL_STACK_ATTEMPTS && error instanceof NetworkError && error.systemCode === 'EADDRINUSE';
      if (!retry) throw error;
    }
  }
}
