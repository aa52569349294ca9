// Every listener of the config in one process: the TWAMP-Control server and the Light/STAMP
// reflectors. Started together (all or nothing), reloaded in place, closed with a grace period.
import type { KeyStore } from '@twamp/control';
import { formatEndpoint, NetworkError } from '@twamp/errors';
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
  /** The listeners the config in force asks for (some may be down after a failed reload). */
  #wanted: readonly string[] = [];
  #closing: Promise<void> | undefined;
  /** The reload in progress, if any: reloads run one at a time, and close() waits for one to finish. */
  #reloading: Promise<void> = Promise.resolve();

  constructor(log: DaemonLog) {
    this.#log = log;
  }

  async open(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    this.#graceMs = config.shutdownGraceMs;
    this.#wanted = wantedNames(config);
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

  missing(): readonly string[] {
    const running = new Set(this.endpoints().map((endpoint) => endpoint.name));
    return this.#wanted.filter((name) => !running.has(name));
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
    this.#wanted = wantedNames(config);
    // Each part is tried even when the other failed; each failure is logged once (reload-failed),
    // and the first is thrown at the end.
    let failure: Error | undefined;
    try {
      await this.#reconfigureControl(config, keys);
    } catch (error) {
      const want = config.listeners.control;
      failure = this.#failed('control', want ?? { address: undefined, port: undefined }, error, this.#control?.endpoint());
    }
    try {
      await this.#reconfigureReflectors(config, keys);
    } catch (error) {
      failure ??= asError(error);
    }
    this.#log.info({ event: 'listeners-reconfigured', listeners: this.endpoints().map((endpoint) => endpoint.name) }, 'listeners reconfigured');
    if (failure !== undefined) throw failure;
  }

  /**
   * The one line that says a listener could not take its new settings, and where it still serves
   * (the old address and port) or that it is down; returns the error to throw.
   */
  #failed(name: string, want: { readonly address: string | undefined; readonly port: number | undefined }, error: unknown, running: ListenerEndpoint | undefined): Error {
    const message = error instanceof Error ? error.message : String(error);
    const fields = { event: 'reload-failed', stage: 'listeners', name, address: want.address, port: want.port, running: running ?? null, error: message };
    if (running === undefined) this.#log.error(fields, `listener ${name} is down: it could not be opened`);
    else this.#log.error(fields, `listener ${name} could not take its new settings: it keeps serving at ${formatEndpoint(running)} as before`);
    return asError(error);
  }

  #started(endpoint: ListenerEndpoint): void {
    this.#log.info({ event: 'listener-started', ...endpoint }, 'listener started');
  }

  async #openReflector(config: ReflectorListenerConfig, daemon: DaemonConfig, keys: KeyStore | undefined): Promise<ReflectorListener> {
    const listener = await ReflectorListener.open(config, { access: daemon.access, limits: daemon.limits, keys, log: this.#log });
    this.#started(listener.endpoint());
    return listener;
  }

  /**
   * The control listener kept (new limits, access, keys), removed, or replaced. A replacement opens
   * beside the old one, which keeps serving when it cannot; only when the old one holds the very
   * port it wants (other modes offered on the same port, or an overlapping address) does the old one
   * stop accepting first, and it opens again where it was if the new one still cannot bind.
   */
  async #reconfigureControl(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    const wanted = config.listeners.control;
    const current = this.#control;
    if (current !== undefined && wanted !== undefined && current.keeps(wanted, config)) {
      current.reconfigure(wanted, config, keys);
      return;
    }
    if (wanted === undefined) {
      if (current !== undefined) {
        this.#control = undefined;
        this.#retire(current);
      }
      return;
    }
    try {
      this.#controlOpened(await ControlListener.open(wanted, config, keys, this.#log), current, current !== undefined);
      return;
    } catch (error) {
      if (current === undefined || !current.holds(wanted) || !addressInUse(error)) throw error;
    }
    this.#control = undefined;
    this.#retire(current);
    try {
      this.#controlOpened(await ControlListener.open(wanted, config, keys, this.#log), undefined, true);
    } catch (error) {
      this.#control = await current.reopen().catch(() => undefined);
      throw error;
    }
  }

  /** `opened` serves now; `retire` (when not retired already) stops accepting, its connections get the grace. */
  #controlOpened(opened: ControlListener, retire: ControlListener | undefined, replaced: boolean): void {
    this.#control = opened;
    if (replaced) {
      this.#log.warn(
        { event: 'listener-reopened', name: 'control', address: opened.config.address, port: opened.port },
        'control listener moved or offers other modes: reopened; the old one\'s connections get the shutdown grace, then close',
      );
    }
    if (retire !== undefined) this.#retire(retire);
    this.#started(opened.endpoint());
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

  /**
   * Reflector listeners removed (closed first, so another may move to their port), kept (new access
   * list and limits), added, or replaced. As for control, a replacement opens beside the old one,
   * which keeps serving when it cannot. A replacement whose port an old listener of ours still holds
   * tries again once the first pass has closed the old listeners it replaced, and, when the old one
   * is its own (same port, overlapping address), with that one closed first and opened again where it
   * was if even then the new one cannot bind. (Two listeners trading ports need two reloads.)
   */
  async #reconfigureReflectors(config: DaemonConfig, keys: KeyStore | undefined): Promise<void> {
    const wanted = new Map(config.listeners.reflectors.map((reflector) => [reflector.name, reflector]));
    for (const [name, listener] of this.#reflectors) {
      if (wanted.has(name)) continue;
      listener.close();
      this.#log.info({ event: 'listener-closed', ...listener.endpoint() }, 'listener removed from the config: closed');
    }
    const next = new Map<string, ReflectorListener>();
    const blocked: { readonly want: ReflectorListenerConfig; readonly old: ReflectorListener }[] = [];
    let failure: Error | undefined;
    for (const want of config.listeners.reflectors) {
      const old = this.#reflectors.get(want.name);
      if (old !== undefined && keepable(old, want, keys)) {
        next.set(want.name, old);
        try {
          old.reconfigure(config.access, config.limits);
        } catch (error) {
          failure ??= this.#failed(want.name, want, error, old.endpoint());
        }
        continue;
      }
      try {
        next.set(want.name, await this.#replaceReflector(want, config, keys, old));
      } catch (error) {
        if (old !== undefined) next.set(want.name, old);
        if (old !== undefined && addressInUse(error)) blocked.push({ want, old });
        else failure ??= this.#failed(want.name, want, error, old?.endpoint());
      }
    }
    for (const { want, old } of blocked) {
      try {
        next.set(want.name, await this.#replaceReflector(want, config, keys, old));
        continue;
      } catch (error) {
        if (!old.holds(want) || !addressInUse(error)) {
          failure ??= this.#failed(want.name, want, error, old.endpoint());
          continue;
        }
      }
      old.close();
      try {
        next.set(want.name, await this.#replaceReflector(want, config, keys, old));
      } catch (error) {
        const again = await old.reopen().catch(() => undefined);
        if (again === undefined) next.delete(want.name);
        else next.set(want.name, again);
        failure ??= this.#failed(want.name, want, error, again?.endpoint());
      }
    }
    // In config order.
    this.#reflectors = new Map(config.listeners.reflectors.flatMap((want) => {
      const listener = next.get(want.name);
      return listener === undefined ? [] : [[want.name, listener] as const];
    }));
    if (failure !== undefined) throw failure;
  }

  /** Open `want`; once it is bound, the listener it replaces (if any) closes. */
  async #replaceReflector(want: ReflectorListenerConfig, config: DaemonConfig, keys: KeyStore | undefined, old: ReflectorListener | undefined): Promise<ReflectorListener> {
    const opened = await this.#openReflector(want, config, keys);
    if (old !== undefined) {
      old.close();
      this.#log.warn(
        { event: 'listener-reopened', name: want.name, address: want.address, port: opened.port, protocol: want.protocol },
        'reflector listener changed address, port, protocol or key: reopened; its running sessions start again',
      );
    }
    return opened;
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
}

/** The listeners a config asks for, by name. */
function wantedNames(config: DaemonConfig): readonly string[] {
  return [...(config.listeners.control === undefined ? [] : ['control']), ...config.listeners.reflectors.map((reflector) => reflector.name)];
}

/** The port is taken (perhaps by an old listener of ours), as opposed to an address not on this host or a config mistake. */
function addressInUse(error: unknown): boolean {
  return error instanceof NetworkError && error.systemCode === 'EADDRINUSE';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** keeps(), where a key the new config cannot supply means "cannot keep" (opening then reports it). */
function keepable(listener: ReflectorListener, config: ReflectorListenerConfig, keys: KeyStore | undefined): boolean {
  try {
    return listener.keeps(config, keys);
  } catch {
    return false;
  }
}
