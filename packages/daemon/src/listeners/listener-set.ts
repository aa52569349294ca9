// Every listener of the config in one process: the TWAMP-Control server and the Light/STAMP
// reflectors. Started together (all or nothing), reloaded in place, closed with a grace period.
import type { KeyStore } from '@twamp/control';
import type { DaemonConfig, DaemonLog, ListenerEndpoint, ListenersSnapshot, ListenerSetApi, ReflectorListenerConfig } from '../types.js';
import { ControlListener } from './control-listener.js';
import { ReflectorListener } from './reflector-listener.js';

export interface ListenerDeps {
  readonly log: DaemonLog;
  readonly keys: KeyStore | undefined;
}

/**
 * Open every listener of `config`. When one cannot open (a port taken, an address not on this
 * host), those already open are closed and the error is thrown: a NetworkError that names the
 * listener and its address, or a ConfigError (an authenticated STAMP listener without its key).
 */
export async function startListeners(config: DaemonConfig, deps: ListenerDeps): Promise<ListenerSetApi> {
  const set = new ListenerSet(deps.log);
  try {
    await set.open(config, deps.keys);
  } catch (error) {
    await set.close(0);
    throw error;
  }
  return set;
}

class ListenerSet implements ListenerSetApi {
  readonly #log: DaemonLog;
  #control: ControlListener | undefined;
  /** By name, in config order. */
  #reflectors = new Map<string, ReflectorListener>();
  /** Control listeners replaced by a reload, still closing (their connections get the grace). */
  readonly #retiring = new Set<ControlListener>();
  #graceMs = 0;
  #closing: Promise<void> | undefined;
  /** The reload in progress, if any: reloads run one at a time, and close() waits for one to finish. */
  #reloading: Promise<void> = Promise.resolve();

  constructor(log: DaemonLog) {
    this.#log = log;
  }

  async open(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    this.#graceMs = config.shutdownGraceMs;
    if (config.listeners.control !== undefined) {
      this.#control = await ControlListener.open(config.listeners.control, config, keys, this.#log);
      this.#started(this.#control.endpoint());
    }
    for (const reflector of config.listeners.reflectors) {
      const listener = await this.#openReflector(reflector, config, keys);
      this.#reflectors.set(reflector.name, listener);
    }
  }

  snapshot(): ListenersSnapshot {
    return {
      control: this.#control?.snapshot(),
      reflectors: [...this.#reflectors.values()].map((listener) => listener.snapshot()),
    };
  }

  endpoints(): readonly ListenerEndpoint[] {
    const out: ListenerEndpoint[] = [];
    if (this.#control !== undefined) out.push(this.#control.endpoint());
    for (const listener of this.#reflectors.values()) out.push(listener.endpoint());
    return out;
  }

  reconfigure(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    const run = this.#reloading.then(() => this.#reconfigure(config, keys));
    // The next reload waits for this one whether it succeeded or not.
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  close(graceMs: number): Promise<void> {
    this.#closing ??= this.#reloading.then(() => this.#closeAll(graceMs));
    return this.#closing;
  }

  // ---- internals

  async #reconfigure(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    if (this.#closing !== undefined) return;
    this.#graceMs = config.shutdownGraceMs;
    // Each part is tried even when the other failed; the first failure is thrown at the end.
    let failure: Error | undefined;
    try {
      await this.#reconfigureControl(config, keys);
    } catch (error) {
      const want = config.listeners.control;
      this.#log.error({ event: 'listener-failed', name: 'control', address: want?.address, port: want?.port, error: String(error) }, 'listener could not be (re)configured');
      failure = error instanceof Error ? error : new Error(String(error));
    }
    try {
      await this.#reconfigureReflectors(config, keys);
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
    }
    this.#log.info({ event: 'listeners-reconfigured', listeners: this.endpoints().map((endpoint) => endpoint.name) }, 'listeners reconfigured');
    if (failure !== undefined) throw failure;
  }

  async #closeAll(graceMs: number): Promise<void> {
    const control = this.#control;
    // The control side stops accepting at once and gets the grace (replaced control listeners get
    // no more than this grace either). The Light/STAMP reflectors, whose sessions have no end
    // message, answer as long as packets keep coming, within the same grace.
    await Promise.all([
      control?.close(graceMs),
      ...[...this.#retiring].map((retired) => retired.close(graceMs)),
      ...[...this.#reflectors.values()].map((listener) => listener.drain(graceMs)),
    ]);
    for (const listener of this.#reflectors.values()) listener.close();
    for (const endpoint of this.endpoints()) this.#log.info({ event: 'listener-closed', ...endpoint }, 'listener closed');
  }

  #started(endpoint: ListenerEndpoint): void {
    this.#log.info({ event: 'listener-started', ...endpoint }, 'listener started');
  }

  async #openReflector(config: ReflectorListenerConfig, daemon: DaemonConfig, keys: KeyStore | undefined): Promise<ReflectorListener> {
    const listener = await ReflectorListener.open(config, { access: daemon.access, limits: daemon.limits, keys, log: this.#log });
    this.#started(listener.endpoint());
    return listener;
  }

  async #reconfigureControl(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    const wanted = config.listeners.control;
    const current = this.#control;
    if (current !== undefined && wanted !== undefined && current.keeps(wanted, config)) {
      current.reconfigure(wanted, config, keys);
      return;
    }
    if (current !== undefined) {
      if (wanted !== undefined) {
        this.#log.warn(
          { event: 'listener-reopened', name: 'control', address: wanted.address, port: wanted.port },
          'control listener moved or offers other modes: reopened; its connections get the shutdown grace, then close',
        );
      }
      this.#control = undefined;
      this.#retire(current);
    }
    if (wanted !== undefined) {
      this.#control = await ControlListener.open(wanted, config, keys, this.#log);
      this.#started(this.#control.endpoint());
    }
  }

  /** Stop a replaced control listener accepting at once; its running connections get the grace. */
  #retire(listener: ControlListener): void {
    this.#retiring.add(listener);
    const closed = (error?: unknown): void => {
      this.#retiring.delete(listener);
      if (error === undefined) this.#log.info({ event: 'listener-closed', ...listener.endpoint() }, 'listener closed');
      else this.#log.warn({ event: 'listener-closed', ...listener.endpoint(), error: error instanceof Error ? error.message : 'unknown' }, 'listener closed with an error');
    };
    listener.close(this.#graceMs).then(() => {
      closed();
    }, closed);
  }

  async #reconfigureReflectors(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    const wanted = new Map(config.listeners.reflectors.map((reflector) => [reflector.name, reflector]));
    const kept = new Map<string, ReflectorListener>();
    // Removed and changed ones close first, so a listener moving to another's old port finds it free.
    for (const [name, listener] of this.#reflectors) {
      const want = wanted.get(name);
      if (want !== undefined && keepable(listener, want, keys)) {
        kept.set(name, listener);
        continue;
      }
      listener.close();
      if (want === undefined) {
        this.#log.info({ event: 'listener-closed', ...listener.endpoint() }, 'listener removed from the config: closed');
      } else {
        this.#log.warn(
          { event: 'listener-reopened', name, address: want.address, port: want.port, protocol: want.protocol },
          'reflector listener changed address, port, protocol or key: reopened; its running sessions start again',
        );
      }
    }
    const next = new Map<string, ReflectorListener>();
    let failure: Error | undefined;
    for (const want of config.listeners.reflectors) {
      const listener = kept.get(want.name);
      try {
        if (listener === undefined) {
          next.set(want.name, await this.#openReflector(want, config, keys));
        } else {
          listener.reconfigure(config.access, config.limits);
          next.set(want.name, listener);
        }
      } catch (error) {
        // The other listeners carry on; the reload reports the first one that failed.
        if (listener !== undefined) next.set(want.name, listener);
        this.#log.error({ event: 'listener-failed', name: want.name, address: want.address, port: want.port, error: String(error) }, 'listener could not be (re)configured');
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    this.#reflectors = next;
    if (failure !== undefined) throw failure;
  }
}

/** keeps(), where a key the new config cannot supply means "cannot keep" (opening then reports it). */
function keepable(listener: ReflectorListener, config: ReflectorListenerConfig, keys: KeyStore | undefined): boolean {
  try {
    return listener.keeps(config, keys);
  } catch {
    return false;
  }
}
