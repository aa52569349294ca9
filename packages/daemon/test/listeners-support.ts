// Shared pieces of the listener suites: a complete DaemonConfig for loopback and ephemeral ports, a
// log that records every line, and the real clients (@twamp/control's ControlClient and
// test-session's SessionSender) that measure against the listeners.
import { createSocket } from 'node:dgram';
import { ControlClient, createKeyStore, type KeyStore, type NegotiatedSession } from '@twamp/control';
import { type SenderOptions, type SenderReport, SessionSender } from '@twamp/test-session';
import { parseSecurityMode } from '@twamp/wire';
import { DEFAULT_DAEMON_LIMITS } from '../src/config/index.js';
import type {
  ControlListenerConfig,
  DaemonConfig,
  DaemonLog,
  LimitsConfig,
  ListenerEndpoint,
  ListenerSetApi,
  ReflectorListenerConfig,
  SecurityModeWord,
} from '../src/types.js';

export const KEY_ID = 'alice';
export const PASSPHRASE = 'a passphrase nobody logs';
export const STAMP_KEY_ID = 'stamp-key';
export const STAMP_SECRET = 'stamp hmac secret';

export function testKeys(): KeyStore {
  return createKeyStore([
    [KEY_ID, PASSPHRASE],
    [STAMP_KEY_ID, STAMP_SECRET],
  ]);
}

export const LIMITS: LimitsConfig = {
  controlConnections: 100,
  controlConnectionsPerClient: 16,
  sessionsPerConnection: 16,
  sessionsTotal: 64,
  sessionRequestsPerSecond: undefined,
  reflectorSessions: 1000,
  packetsPerSecondPerSession: undefined,
  packetsPerSecondPerSource: undefined,
  idleTimeoutMs: 900_000,
  handshakeTimeoutMs: 30_000,
  sessionsPerClient: DEFAULT_DAEMON_LIMITS.sessionsPerClient,
  authFailuresPerMinute: DEFAULT_DAEMON_LIMITS.authFailuresPerMinute,
  reflectorSessionsPerSource: DEFAULT_DAEMON_LIMITS.reflectorSessionsPerSource,
  idleWithoutSessionsTimeoutMs: DEFAULT_DAEMON_LIMITS.idleWithoutSessionsTimeoutMs,
  unstartedSessionTimeoutMs: DEFAULT_DAEMON_LIMITS.unstartedSessionTimeoutMs,
};

export function controlListener(overrides: Partial<ControlListenerConfig> = {}): ControlListenerConfig {
  return { name: 'control', address: '127.0.0.1', port: 0, reflectorPorts: 'ephemeral', extensions: true, thirdPartySenders: false, ...overrides };
}

export function reflectorListener(name: string, overrides: Partial<ReflectorListenerConfig> = {}): ReflectorListenerConfig {
  return { name, protocol: 'twamp-light', address: '127.0.0.1', port: 0, stateful: true, stampSecurity: 'open', keyId: undefined, ...overrides };
}

export interface ConfigParts {
  readonly control?: ControlListenerConfig | undefined;
  readonly reflectors?: readonly ReflectorListenerConfig[];
  readonly modes?: readonly SecurityModeWord[];
  readonly keyFile?: string;
  readonly access?: Readonly<Record<string, readonly string[]>>;
  readonly limits?: Partial<LimitsConfig>;
  readonly shutdownGraceMs?: number;
}

/** A whole DaemonConfig (as config/ would hand it over): control on 127.0.0.1:0 unless told otherwise. */
export function testConfig(parts: ConfigParts = {}): DaemonConfig {
  return {
    listeners: { control: 'control' in parts ? parts.control : controlListener(), reflectors: parts.reflectors ?? [] },
    security: { modes: parts.modes ?? ['open'], keyFile: parts.keyFile, pbkdf2Count: 1024 },
    access: parts.access ?? {},
    limits: { ...LIMITS, ...parts.limits },
    agent: { targets: [], output: undefined, retryInitialMs: 1000, retryMaxMs: 300_000, startSpreadMs: undefined },
    logging: { level: 'info', destination: 'stderr' },
    metrics: { enabled: false, address: '127.0.0.1', port: 0, agentHistograms: false },
    shutdownGraceMs: parts.shutdownGraceMs ?? 1000,
  };
}

export interface LogRecord {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}

/** A DaemonLog that keeps every line (children share the list and add their bindings). */
export class RecordingLog implements DaemonLog {
  readonly records: LogRecord[];
  readonly #bindings: Readonly<Record<string, unknown>>;

  constructor(records: LogRecord[] = [], bindings: Readonly<Record<string, unknown>> = {}) {
    this.records = records;
    this.#bindings = bindings;
  }

  error(fields: object, message: string): void {
    this.#add('error', fields, message);
  }
  warn(fields: object, message: string): void {
    this.#add('warn', fields, message);
  }
  info(fields: object, message: string): void {
    this.#add('info', fields, message);
  }
  debug(fields: object, message: string): void {
    this.#add('debug', fields, message);
  }
  child(bindings: Readonly<Record<string, unknown>>): DaemonLog {
    return new RecordingLog(this.records, { ...this.#bindings, ...bindings });
  }

  /** Fields of every line with this `event`. */
  events(name: string): Readonly<Record<string, unknown>>[] {
    return this.records.filter((record) => record.fields['event'] === name).map((record) => record.fields);
  }

  #add(level: LogRecord['level'], fields: object, message: string): void {
    this.records.push({ level, fields: { ...this.#bindings, ...(fields as Record<string, unknown>) }, message });
  }
}

export function endpointOf(set: ListenerSetApi, name: string): ListenerEndpoint {
  const endpoint = set.endpoints().find((candidate) => candidate.name === name);
  if (endpoint === undefined) throw new Error(`no listener ${name}`);
  return endpoint;
}

export interface ClientOptions {
  readonly address?: string;
  readonly mode?: SecurityModeWord;
  readonly passphrase?: string;
}

/** A ControlClient for the listener at `port`, in `mode` (default open) with the test key when it needs one. */
export function connect(port: number, options: ClientOptions = {}): Promise<ControlClient> {
  const mode = options.mode ?? 'open';
  return ControlClient.connect({
    server: { address: options.address ?? '127.0.0.1', port },
    allowedModes: parseSecurityMode(mode),
    ...(mode === 'open' ? {} : { keyId: KEY_ID, secret: Buffer.from(options.passphrase ?? PASSPHRASE) }),
    timeoutMs: 20_000,
  });
}

/** A UDP port free right now on `address` (the sender binds it next; the request must name it). */
export async function freeUdpPort(address: string): Promise<number> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      resolve();
    });
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => {
    socket.close(() => {
      resolve();
    });
  });
  return port;
}

/** Request-TW-Session from the control connection's own address and a free UDP port there. */
export async function requestSession(client: ControlClient, timeoutSeconds = 1): Promise<NegotiatedSession> {
  const port = await freeUdpPort(client.local.address);
  return client.requestSession({ sender: { port }, timeoutSeconds });
}

/** Measure a negotiated session with a SessionSender: `count` packets `intervalMs` apart. */
export async function measure(session: NegotiatedSession, count: number, intervalMs = 10, extra: Partial<SenderOptions> = {}): Promise<SenderReport> {
  const crypto = session.createCrypto();
  const sender = await SessionSender.open({
    target: session.receiver,
    local: { address: session.sender.address, port: session.sender.port },
    family: session.receiver.address.includes(':') ? 6 : 4,
    protocol: 'twamp',
    layout: session.layout,
    ...(crypto === undefined ? {} : { crypto }),
    padding: session.paddingLength,
    schedule: { kind: 'periodic', intervalMs },
    count,
    lossTimeoutMs: 2000,
    ...extra,
  });
  return sender.done;
}

/** A whole TWAMP run: connect, request, start, measure, stop, close. */
export async function twampRun(port: number, options: ClientOptions & { count?: number } = {}): Promise<{ report: SenderReport; session: NegotiatedSession; client: ControlClient }> {
  const client = await connect(port, options);
  try {
    const session = await requestSession(client);
    await client.startSessions();
    const report = await measure(session, options.count ?? 5);
    await client.stopSessions();
    return { report, session, client };
  } finally {
    client.close();
  }
}

/** Light or STAMP packets to a reflector listener. */
export async function probe(endpoint: { address: string; port: number }, options: Partial<SenderOptions> & { protocol: 'twamp-light' | 'stamp' }): Promise<SenderReport> {
  const sender = await SessionSender.open({
    target: { address: endpoint.address, port: endpoint.port },
    family: endpoint.address.includes(':') ? 6 : 4,
    schedule: { kind: 'periodic', intervalMs: 10 },
    count: 5,
    lossTimeoutMs: 1500,
    ...options,
  });
  return sender.done;
}

/** Wait for a condition (polling), bounded. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
