// Shared by the commands-*.test.ts files: an io that records what was written, a scripted measurement
// engine (senders answer with a fixed report, reflectors keep their options and event listener), and a
// scripted control engine (a client that accepts everything, a server that listens).
import { CONNECTION_REFUSAL_REASONS, type ControlClientApi, type ControlServerApi, type ControlServerStats, type KeyStore, SESSION_REFUSAL_REASONS, type SessionRequestOptions, zeroCounts } from '@twamp/control';
import { REFLECTOR_DROP_REASONS, type ReflectorDropReason, type ReflectorOptions, type ReflectorStats, type SenderOptions, type SenderReport, type SessionReflectorApi, type SessionSenderApi } from '@twamp/test-session';
import { Mode, TestSecurity, twampLayout } from '@twamp/wire';
import type { ControlEngine, ControlListenOptions } from '../src/control/engine.js';
import type { CliEngine } from '../src/engine.js';
import type { CliIo, CliSignal } from '../src/io.js';
import { DGRAM, fixedReport } from './report-fixture.js';

export interface TestIo extends CliIo {
  out(): string;
  err(): string;
  exits: number[];
  emit(signal: CliSignal): void;
}

export function testIo(clock?: () => number): TestIo {
  let out = '';
  let err = '';
  const handlers = new Set<(signal: CliSignal) => void>();
  const exits: number[] = [];
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    exit: (code) => exits.push(code),
    onSignal: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    ...(clock === undefined ? {} : { now: clock }),
    out: () => out,
    err: () => err,
    exits,
    emit: (signal) => {
      for (const handler of handlers) handler(signal);
    },
  };
}

/** Every drop reason at 0 (from @twamp/test-session's list, so a new reason needs no edit here), then `counts`. */
export function drops(counts: Partial<Record<ReflectorDropReason, number>> = {}): Record<ReflectorDropReason, number> {
  return { ...(Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, 0])) as Record<ReflectorDropReason, number>), ...counts };
}

export function emptyStats(overrides: Partial<ReflectorStats> = {}): ReflectorStats {
  return {
    packetsIn: 0,
    packetsOut: 0,
    dropped: drops(),
    sessionsActive: 0,
    sessionsCreated: 0,
    sessionsExpired: 0,
    sessionsEvicted: 0,
    ...overrides,
  };
}

/** A control server's counters, all 0 but `overrides`. */
export function serverStats(overrides: Partial<ControlServerStats> = {}): ControlServerStats {
  return {
    connectionsActive: 0,
    connectionsTotal: 0,
    connectionsRefused: 0,
    sessionsActive: 0,
    acceptsSent: {},
    timeouts: { handshake: 0, servwait: 0, message: 0, idle: 0 },
    authFailures: 0,
    authBackoffRefusals: 0,
    connectionsEvicted: 0,
    sessionsReleasedUnstarted: 0,
    connectionsRefusedByReason: zeroCounts(CONNECTION_REFUSAL_REASONS),
    sessionsRefusedByReason: zeroCounts(SESSION_REFUSAL_REASONS),
    ...overrides,
  };
}

export interface ScriptedReflector extends SessionReflectorApi {
  readonly options: ReflectorOptions;
  /** Counters the test moves forward. */
  stats: ReflectorStats;
  closed: number;
}

export interface ScriptedEngine extends CliEngine {
  readonly senders: SenderOptions[];
  readonly reflectors: ScriptedReflector[];
  /** Every call in order: `reflector`, `sender`, `reflector closed`. */
  readonly calls: string[];
}

export function scriptedEngine(report: (options: SenderOptions) => Promise<SenderReport> = () => Promise.resolve(fixedReport())): ScriptedEngine {
  const senders: SenderOptions[] = [];
  const reflectors: ScriptedReflector[] = [];
  const calls: string[] = [];
  return {
    senders,
    reflectors,
    calls,
    openSender: (options) => {
      senders.push(options);
      calls.push('sender');
      const sender: SessionSenderApi = {
        localAddress: options.family === 6 ? '::1' : '127.0.0.1',
        localPort: 40000,
        events: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) }),
        onEvent: () => undefined,
        done: report(options),
        stop: () => undefined,
      };
      return Promise.resolve(sender);
    },
    openReflector: (options) => {
      calls.push('reflector');
      const reflector: ScriptedReflector = {
        options,
        localAddress: options.address ?? '0.0.0.0',
        localPort: options.port === 0 ? 41000 : (options.port ?? 862),
        capabilities: DGRAM,
        register: (session) => ({ sid: session.sid, packets: 0, stop: () => undefined }),
        stats: emptyStats(),
        sessions: () => [],
        reconfigure: () => undefined,
        closed: 0,
        close: () => {
          reflector.closed++;
          calls.push('reflector closed');
        },
      };
      reflectors.push(reflector);
      return Promise.resolve(reflector);
    },
    resolve: (host, family) => (host === 'localhost' ? Promise.resolve(family === 4 ? '127.0.0.1' : '::1') : Promise.reject(new Error(`no ${host}`))),
  };
}

export interface ScriptedControl extends ControlEngine {
  readonly listens: ControlListenOptions[];
  readonly requests: SessionRequestOptions[];
  readonly calls: string[];
}

const SID = Uint8Array.from(Buffer.from('7f000001eeb2285b1d2f1a9fb8bf210a', 'hex'));

export function scriptedControl(): ScriptedControl {
  const listens: ControlListenOptions[] = [];
  const requests: SessionRequestOptions[] = [];
  const calls: string[] = [];
  return {
    listens,
    requests,
    calls,
    connect: (options) => {
      calls.push('connect');
      const mode = Mode.Unauthenticated;
      let closeConnection: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => {
        closeConnection = resolve;
      });
      const client: ControlClientApi = {
        mode,
        securityMode: mode,
        serverModes: 15,
        local: { address: '127.0.0.1', port: 50000 },
        server: options.server,
        requestSession: (request = {}) => {
          requests.push(request);
          calls.push('request');
          return Promise.resolve({
            sid: SID,
            mode,
            securityMode: mode,
            layout: twampLayout({ security: TestSecurity.Open }),
            createCrypto: () => undefined,
            sender: { address: request.sender?.address ?? '127.0.0.1', port: request.sender?.port ?? 0 },
            receiver: { address: '127.0.0.1', port: 8760 },
            paddingLength: request.paddingLength ?? 27,
            startTime: { seconds: 0, fraction: 0 },
            timeoutSeconds: request.timeoutSeconds ?? 2,
            dscp: request.dscp,
            octetsToBeReflected: 0,
            paddingToReflect: 0,
          });
        },
        startSessions: () => {
          calls.push('start');
          return Promise.resolve();
        },
        startSessionsN: () => Promise.resolve(),
        stopSessionsN: () => Promise.resolve(),
        stopSessions: () => {
          calls.push('stop');
          return Promise.resolve();
        },
        close: () => {
          closeConnection();
        },
        closed,
      };
      return Promise.resolve(client);
    },
    listen: (options) => {
      listens.push(options);
      calls.push('listen');
      const server: ControlServerApi = {
        address: options.address,
        port: options.port === 0 ? 40862 : options.port,
        stats: serverStats({ connectionsTotal: 2 }),
        reconfigure: () => undefined,
        close: () => Promise.resolve(),
      };
      return Promise.resolve(server);
    },
    loadKeys: () => {
      const store: KeyStore = { secret: () => undefined, size: 0 };
      return Promise.resolve(store);
    },
    env: () => undefined,
    promptSecret: () => Promise.resolve(undefined),
    reservePort: () => Promise.resolve(34567),
  };
}

/** Lets pending promise callbacks and zero-delay timers run. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
