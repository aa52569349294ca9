// The TWAMP-Control listener: @twamp/control's ControlServer, with a test-session ReflectorPool as
// its session handler (one registered-only reflector per accepted session, on a port of
// listeners.control.reflectorPorts). Limits, access and keys come from the config and are reloadable;
// the Modes offered, the PBKDF2 count, the address and the port are read once, at open.
import { ControlServer, type KeyStore } from '@twamp/control';
import { ReflectorPool } from '@twamp/test-session';
import type { ControlListenerConfig, ControlListenerSnapshot, DaemonConfig, DaemonLog, ListenerEndpoint } from '../types.js';
import { addressesOverlap } from '../config/resolve.js';
import { listenerError } from './bind-error.js';
import { controlConfigError } from './config-paths.js';
import { controlLogger, dropReportLogger, poolEventLogger } from './log-events.js';
import { offeredModes } from './modes.js';
import { allowedFor, controlLimits, controlTimeouts, poolReconfiguration, sessionReflectorOptions } from './options.js';

interface OpenedWith {
  readonly daemon: DaemonConfig;
  readonly keys: KeyStore | undefined;
  readonly log: DaemonLog;
}

export class ControlListener {
  readonly config: ControlListenerConfig;
  readonly #server: ControlServer;
  readonly #pool: ReflectorPool;
  /** The security part of the config this listener was opened with (a change needs a reopen). */
  readonly #modes: number;
  readonly #pbkdf2Count: number;
  /** The bound port, kept: a closed server no longer has one, and logs name it after the close. */
  readonly #port: number;
  /** What it was opened with (limits, access and keys as last reconfigured): a reload whose replacement cannot bind opens it again as it was. */
  #opened: OpenedWith;
  #closing: Promise<void> | undefined;

  private constructor(config: ControlListenerConfig, server: ControlServer, pool: ReflectorPool, modes: number, opened: OpenedWith) {
    this.config = config;
    this.#server = server;
    this.#pool = pool;
    this.#modes = modes;
    this.#pbkdf2Count = opened.daemon.security.pbkdf2Count;
    this.#port = server.port;
    this.#opened = opened;
  }

  /** Listen. Throws a NetworkError naming the listener (port taken, address not local) or a ConfigError. */
  static async open(config: ControlListenerConfig, daemon: DaemonConfig, keys: KeyStore | undefined, log: DaemonLog): Promise<ControlListener> {
    const { limits, security } = daemon;
    const modes = offeredModes(security.modes, config.extensions);
    const pool = inConfigTerms(() => new ReflectorPool({
      portRange: config.reflectorPorts,
      // The pool's capacity is the server's session total, so both refuse with the same Accept 4.
      maxReflectors: limits.sessionsTotal,
      // A session accepted but never started is released after SERVWAIT, as an idle connection is.
      startTimeoutMs: limits.idleTimeoutMs,
      reflector: sessionReflectorOptions(limits, dropReportLogger(log, config.name)),
      onEvent: poolEventLogger(log),
    }));
    const allowedClients = allowedFor(daemon.access, config.name);
    let server: ControlServer;
    try {
      server = await ControlServer.listen({
        address: config.address,
        port: config.port,
        modes,
        ...(keys === undefined ? {} : { keys }),
        pbkdf2Count: security.pbkdf2Count,
        thirdPartySenders: config.thirdPartySenders,
        limits: controlLimits(limits),
        timeouts: controlTimeouts(limits),
        ...(allowedClients === undefined ? {} : { allowedClients }),
        handler: pool,
        logger: controlLogger(log),
      });
    } catch (error) {
      pool.close();
      throw listenerError(config.name, config.address, config.port, controlConfigError(error));
    }
    return new ControlListener(config, server, pool, modes, { daemon, keys, log });
  }

  /** The same listener opened again where it was (its bound port), with its last limits, access and keys. */
  reopen(): Promise<ControlListener> {
    const { daemon, keys, log } = this.#opened;
    return ControlListener.open({ ...this.config, port: this.#port }, daemon, keys, log);
  }

  /** Could this listener be what keeps `config` from binding (the same port on an overlapping address)? */
  holds(config: ControlListenerConfig): boolean {
    return this.#closing === undefined && config.port === this.#port && addressesOverlap(this.config.address, config.address);
  }

  get port(): number {
    return this.#port;
  }

  snapshot(): ControlListenerSnapshot {
    const pool = this.#pool.stats;
    return { name: 'control', address: this.config.address, port: this.#port, server: this.#server.stats, pool, reflectors: pool.reflectors };
  }

  endpoint(): ListenerEndpoint {
    return { name: 'control', kind: 'control', address: this.config.address, port: this.#port };
  }

  /** Can a reload keep this server? Not when it moves, or offers other Modes or another PBKDF2 count (read once, at listen). */
  keeps(config: ControlListenerConfig, daemon: DaemonConfig): boolean {
    if (config.address !== this.config.address) return false;
    if (config.port !== 0 && config.port !== this.#port) return false;
    return offeredModes(daemon.security.modes, config.extensions) === this.#modes && daemon.security.pbkdf2Count === this.#pbkdf2Count;
  }

  /**
   * New limits, timeouts, allowed clients and keys for new connections and requests; the pool's
   * new capacity, port range and reflector options for sessions opened afterwards. Running
   * sessions and connections are kept. Both parts check before they change anything.
   */
  reconfigure(config: ControlListenerConfig, daemon: DaemonConfig, keys: KeyStore | undefined): void {
    const allowedClients = allowedFor(daemon.access, config.name);
    inConfigTerms(() => {
      this.#server.reconfigure({
        limits: controlLimits(daemon.limits),
        timeouts: controlTimeouts(daemon.limits),
        allowedClients,
        keys,
        thirdPartySenders: config.thirdPartySenders,
      });
      this.#pool.reconfigure(poolReconfiguration(config, daemon.limits, dropReportLogger(this.#opened.log, config.name)));
    });
    this.#opened = { ...this.#opened, daemon, keys };
  }

  /**
   * Stop accepting at once; connections get `graceMs` to end (less when the last one ends sooner),
   * then every connection is closed and every reflector released. Calling again while closing may
   * shorten the grace (a reopened listener's grace is cut by the daemon's stop), never extend it.
   */
  close(graceMs: number): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = this.#server.close(graceMs).finally(() => {
        // Stopped sessions may still linger for their Timeout: the listener is going, they go now.
        this.#pool.close();
      });
    } else {
      void this.#server.close(graceMs);
    }
    return this.#closing;
  }
}

/** Run `step`; a ConfigError it throws names config keys instead of the libraries' options. */
function inConfigTerms<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw controlConfigError(error);
  }
}
