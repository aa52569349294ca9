// From the checked YAML sections to DaemonConfig: defaults applied, and the mistakes no single value
// shows (duplicate names, two listeners on one port, secured modes without keys, a window shorter
// than its interval...). Each check runs when the sections it reads were parsed, so a type mistake in
// one section does not hide a conflict in another.
import { DEFAULT_SECURITY_PREFERENCE, isUnspecifiedAddress, securityModeWord, securityModeWordsOf, tryParseIpAddress } from '@twamp/wire';
import type {
  AgentConfig,
  AgentTargetConfig,
  ControlListenerConfig,
  DaemonConfig,
  LimitsConfig,
  ListenersConfig,
  LoggingConfig,
  MetricsConfig,
  ReflectorListenerConfig,
  SecurityConfig,
  SecurityModeWord,
} from '../types.js';
import {
  DEFAULT_CONTROL_ADDRESS,
  DEFAULT_CONTROL_PORT,
  DEFAULT_DAEMON_LIMITS,
  DEFAULT_LOG_DESTINATION,
  DEFAULT_LOG_LEVEL,
  DEFAULT_METRICS_ADDRESS,
  DEFAULT_METRICS_PORT,
  DEFAULT_PBKDF2,
  DEFAULT_REFLECTOR_ADDRESS,
  DEFAULT_REFLECTOR_PORT,
  DEFAULT_REFLECTOR_PORTS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_TARGET_INTERVAL_MS,
  DEFAULT_TARGET_LOSS_TIMEOUT_MS,
  DEFAULT_TARGET_PORT,
  DEFAULT_TARGET_TTL,
  DEFAULT_TARGET_WINDOW_MS,
} from './defaults.js';
import { formatDuration } from './duration.js';
import { formatPath, inheritedIssue, type PendingIssue } from './issues.js';
import type { RawSections, RawTarget } from './schema.js';

const OPEN = 1;
const AUTHENTICATED = 2;
const ALL_MODES = 0xf;
const SECURED = 0xe;

type Path = readonly PropertyKey[];

/** What parse.ts hands over: the sections that parsed, and the targets that did (by index). */
export interface ParsedConfig {
  readonly sections: RawSections;
  /** Sections with a mistake: checks reading them are skipped (their mistakes are already reported). */
  readonly failed: ReadonlySet<keyof RawSections>;
  readonly targets: readonly (ParsedTarget | undefined)[];
}

/** A target as parsed (with `agent.defaults` merged in), and which of its keys came from the defaults. */
export interface ParsedTarget {
  readonly value: RawTarget;
  readonly inherited: ReadonlySet<string>;
}

/** Whoever needs a secret from the key file, for the "keyFile missing" and "keyId unknown" checks. */
export interface KeyUser {
  readonly path: Path;
  readonly keyId: string;
}

export function resolveConfig(parsed: ParsedConfig, issues: PendingIssue[]): DaemonConfig {
  const { sections, failed } = parsed;
  const listeners = resolveListeners(sections.listeners, issues);
  const security = resolveSecurity(sections.security, issues);
  const limits = resolveLimits(sections.limits);
  const agent = resolveAgent(sections.agent, parsed.targets, issues);
  const logging: LoggingConfig = {
    level: sections.logging?.level ?? DEFAULT_LOG_LEVEL,
    destination: sections.logging?.destination ?? DEFAULT_LOG_DESTINATION,
  };
  const metrics: MetricsConfig = {
    enabled: sections.metrics?.enabled ?? true,
    address: sections.metrics?.address ?? DEFAULT_METRICS_ADDRESS,
    port: sections.metrics?.port ?? DEFAULT_METRICS_PORT,
    agentHistograms: sections.metrics?.agentHistograms ?? true,
  };
  // A section with a mistake resolves to its defaults; checks that would compare against those
  // defaults (rather than what the user wrote) are skipped.
  if (!failed.has('listeners')) checkPorts(listeners, failed.has('metrics') ? undefined : metrics, issues);
  if (!failed.has('listeners') && !failed.has('access')) checkAccess(sections.access ?? {}, listeners, issues);
  if (!failed.has('security')) checkKeyFile(security, keyUsers(listeners, agent), issues);
  return {
    listeners,
    security,
    access: sections.access ?? {},
    limits,
    agent,
    logging,
    metrics,
    shutdownGraceMs: sections.shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE_MS,
  };
}

/** Every reflector and target that reads a secret from the key file, with the identity it reads. */
export function keyUsers(listeners: ListenersConfig, agent: AgentConfig): KeyUser[] {
  const users: KeyUser[] = [];
  listeners.reflectors.forEach((reflector, index) => {
    if (reflector.keyId !== undefined) users.push({ path: ['listeners', 'reflectors', index, 'keyId'], keyId: reflector.keyId });
  });
  agent.targets.forEach((target, index) => {
    if (target.keyId !== undefined) users.push({ path: ['agent', 'targets', index, 'keyId'], keyId: target.keyId });
  });
  return users;
}

// --- listeners ----------------------------------------------------------------------------------

function resolveListeners(raw: RawSections['listeners'], issues: PendingIssue[]): ListenersConfig {
  const control = raw?.control;
  const controlConfig: ControlListenerConfig | undefined =
    control?.enabled === false
      ? undefined
      : {
          name: 'control',
          address: control?.address ?? DEFAULT_CONTROL_ADDRESS,
          port: control?.port ?? DEFAULT_CONTROL_PORT,
          reflectorPorts: control?.reflectorPorts ?? DEFAULT_REFLECTOR_PORTS,
          extensions: control?.extensions ?? true,
          thirdPartySenders: control?.thirdPartySenders ?? false,
        };
  const seen = new Map<string, number>();
  const reflectors = (raw?.reflectors ?? []).map((reflector, index): ReflectorListenerConfig => {
    const at = (key: string): Path => ['listeners', 'reflectors', index, key];
    if (reflector.name === 'control') {
      issues.push({ path: at('name'), expected: 'a name other than control (the TWAMP-Control listener has it)', received: '"control"' });
    }
    const earlier = seen.get(reflector.name);
    if (earlier !== undefined) {
      issues.push({ path: at('name'), expected: `a name no other reflector has (listeners.reflectors[${earlier}] is also "${reflector.name}")`, received: JSON.stringify(reflector.name) });
    } else {
      seen.set(reflector.name, index);
    }
    const security = reflector.security ?? 'open';
    if (security === 'authenticated' && reflector.protocol !== 'stamp') {
      issues.push({ path: at('security'), expected: 'open (authenticated is for stamp reflectors; TWAMP Light reflectors are open)', received: '"authenticated"' });
    }
    if (security === 'authenticated' && reflector.keyId === undefined) {
      issues.push({ path: at('keyId'), expected: 'the key identity in security.keyFile whose secret is the HMAC key (required with security: authenticated)', received: 'nothing', at: at('security') });
    }
    if (security === 'open' && reflector.keyId !== undefined) {
      issues.push({ path: at('keyId'), expected: 'no keyId with security: open (set security: authenticated to use the key)', received: JSON.stringify(reflector.keyId) });
    }
    return {
      name: reflector.name,
      protocol: reflector.protocol,
      address: reflector.address ?? DEFAULT_REFLECTOR_ADDRESS,
      port: reflector.port ?? DEFAULT_REFLECTOR_PORT,
      stateful: reflector.stateful ?? true,
      stampSecurity: security,
      keyId: security === 'authenticated' ? reflector.keyId : undefined,
    };
  });
  return { control: controlConfig, reflectors };
}

interface Endpoint {
  readonly path: Path;
  readonly transport: 'tcp' | 'udp';
  readonly address: string;
  readonly port: number;
}

/**
 * Whether two bound addresses collide on one port: the same address, or a wildcard covering the
 * other (`::` is dual-stack, so it covers IPv4 too; `0.0.0.0` covers IPv4 addresses).
 */
export function addressesOverlap(a: string, b: string): boolean {
  const left = tryParseIpAddress(a);
  const right = tryParseIpAddress(b);
  if (left === undefined || right === undefined) return a === b;
  const covers = (wide: string, family: number, otherFamily: number): boolean => isUnspecifiedAddress(wide) && (family === 6 || otherFamily === 4);
  if (covers(a, left.family, right.family) || covers(b, right.family, left.family)) return true;
  return left.family === right.family && left.octets.every((octet, index) => octet === right.octets[index]);
}

function checkPorts(listeners: ListenersConfig, metrics: MetricsConfig | undefined, issues: PendingIssue[]): void {
  const endpoints: Endpoint[] = [];
  if (listeners.control !== undefined) {
    endpoints.push({ path: ['listeners', 'control', 'port'], transport: 'tcp', address: listeners.control.address, port: listeners.control.port });
  }
  listeners.reflectors.forEach((reflector, index) => {
    endpoints.push({ path: ['listeners', 'reflectors', index, 'port'], transport: 'udp', address: reflector.address, port: reflector.port });
  });
  if (metrics?.enabled === true) endpoints.push({ path: ['metrics', 'port'], transport: 'tcp', address: metrics.address, port: metrics.port });
  endpoints.forEach((endpoint, index) => {
    // Port 0 asks the system for a free port: never a collision.
    if (endpoint.port === 0) return;
    const clash = endpoints
      .slice(0, index)
      .find((other) => other.transport === endpoint.transport && other.port === endpoint.port && addressesOverlap(other.address, endpoint.address));
    if (clash !== undefined) {
      issues.push({
        path: endpoint.path,
        expected: `a ${endpoint.transport.toUpperCase()} port not already used on this address (${formatPath(clash.path)} has ${clash.address} port ${clash.port})`,
        received: String(endpoint.port),
      });
    }
  });
}

function checkAccess(access: Readonly<Record<string, readonly string[]>>, listeners: ListenersConfig, issues: PendingIssue[]): void {
  const names = [...new Set([...(listeners.control === undefined ? [] : ['control']), ...listeners.reflectors.map((reflector) => reflector.name)])];
  for (const key of Object.keys(access)) {
    if (names.includes(key)) continue;
    const why = key === 'control' ? ' (listeners.control is disabled)' : '';
    issues.push({
      path: ['access', key],
      expected: names.length === 0 ? `the name of a listener, but none is configured${why}` : `the name of a listener: ${names.join(', ')}${why}`,
      received: JSON.stringify(key),
      atKey: true,
    });
  }
}

// --- security -----------------------------------------------------------------------------------

function resolveSecurity(raw: RawSections['security'], issues: PendingIssue[]): SecurityConfig {
  const keyFile = raw?.keyFile;
  const mask = raw?.modes ?? (keyFile === undefined ? OPEN : ALL_MODES);
  if ((mask & SECURED) !== 0 && keyFile === undefined) {
    issues.push({
      path: ['security', 'keyFile'],
      expected: `a key file for the ${securityModeWordsOf(mask & SECURED).join(', ')} mode(s) security.modes offers`,
      received: 'nothing',
      at: ['security', 'modes'],
    });
  }
  return { modes: securityModeWordsOf(mask), keyFile, pbkdf2Count: raw?.pbkdf2Count ?? DEFAULT_PBKDF2 };
}

/** Reflectors and targets with secrets need the key file; one mistake, shown at the first of them. */
function checkKeyFile(security: SecurityConfig, users: readonly KeyUser[], issues: PendingIssue[]): void {
  const first = users[0];
  // Secured modes without a key file are already reported at security.keyFile: once is enough.
  const reported = issues.some((issue) => issue.path.join('.') === 'security.keyFile');
  if (security.keyFile !== undefined || first === undefined || reported) return;
  const others = users.length > 1 ? ` and ${users.length - 1} more` : '';
  issues.push({
    path: ['security', 'keyFile'],
    expected: `a key file holding the secret of "${first.keyId}" (${formatPath(first.path)}${others} use keys)`,
    received: 'nothing',
    at: first.path,
  });
}

// --- limits -------------------------------------------------------------------------------------

function resolveLimits(raw: RawSections['limits']): LimitsConfig {
  return {
    controlConnections: raw?.controlConnections ?? DEFAULT_DAEMON_LIMITS.controlConnections,
    controlConnectionsPerClient: raw?.controlConnectionsPerClient ?? DEFAULT_DAEMON_LIMITS.controlConnectionsPerClient,
    sessionsPerConnection: raw?.sessionsPerConnection ?? DEFAULT_DAEMON_LIMITS.sessionsPerConnection,
    sessionsTotal: raw?.sessionsTotal ?? DEFAULT_DAEMON_LIMITS.sessionsTotal,
    sessionRequestsPerSecond: raw?.sessionRequestsPerSecond,
    // `unlimited` parses to undefined: only a key left out takes the default.
    sessionsPerClient: raw !== undefined && 'sessionsPerClient' in raw ? raw.sessionsPerClient : DEFAULT_DAEMON_LIMITS.sessionsPerClient,
    authFailuresPerMinute: raw !== undefined && 'authFailuresPerMinute' in raw ? raw.authFailuresPerMinute : DEFAULT_DAEMON_LIMITS.authFailuresPerMinute,
    reflectorSessions: raw?.reflectorSessions ?? DEFAULT_DAEMON_LIMITS.reflectorSessions,
    reflectorSessionsPerSource: raw?.reflectorSessionsPerSource ?? DEFAULT_DAEMON_LIMITS.reflectorSessionsPerSource,
    packetsPerSecondPerSession: raw?.packetsPerSecondPerSession,
    packetsPerSecondPerSource: raw?.packetsPerSecondPerSource,
    idleTimeoutMs: raw?.idleTimeout ?? DEFAULT_DAEMON_LIMITS.idleTimeoutMs,
    handshakeTimeoutMs: raw?.handshakeTimeout ?? DEFAULT_DAEMON_LIMITS.handshakeTimeoutMs,
    idleWithoutSessionsTimeoutMs: raw?.idleWithoutSessionsTimeout ?? DEFAULT_DAEMON_LIMITS.idleWithoutSessionsTimeoutMs,
    unstartedSessionTimeoutMs: raw?.unstartedSessionTimeout ?? DEFAULT_DAEMON_LIMITS.unstartedSessionTimeoutMs,
  };
}

// --- agent --------------------------------------------------------------------------------------

function resolveAgent(raw: RawSections['agent'], targets: readonly (ParsedTarget | undefined)[], issues: PendingIssue[]): AgentConfig {
  const retryInitialMs = raw?.retry?.initial ?? DEFAULT_RETRY_INITIAL_MS;
  const retryMaxMs = raw?.retry?.max ?? DEFAULT_RETRY_MAX_MS;
  if (retryInitialMs > retryMaxMs) {
    issues.push({
      path: ['agent', 'retry', 'initial'],
      expected: `a delay of at most agent.retry.max (${formatDuration(retryMaxMs)})`,
      received: formatDuration(retryInitialMs),
    });
  }
  const seen = new Map<string, number>();
  const resolved: AgentTargetConfig[] = [];
  targets.forEach((parsed, index) => {
    if (parsed === undefined) return;
    const target = parsed.value;
    const earlier = seen.get(target.name);
    if (earlier !== undefined) {
      issues.push({
        path: ['agent', 'targets', index, 'name'],
        expected: `a name no other target has (agent.targets[${earlier}] is also "${target.name}")`,
        received: JSON.stringify(target.name),
      });
    } else {
      seen.set(target.name, index);
    }
    const own: PendingIssue[] = [];
    resolved.push(resolveTarget(target, index, own));
    for (const issue of own) issues.push(inheritedIssue(issue, parsed.inherited));
  });
  return { targets: resolved, output: raw?.output, retryInitialMs, retryMaxMs, startSpreadMs: raw?.startSpread };
}

/** Modes in the order a client prefers them (strongest first, as wire's default preference). */
/** Mode lists by mask, made once each: a config of 10 000 targets shares a handful of lists. */
const preferenceOrders = new Map<number, readonly SecurityModeWord[]>();

function preferenceOrder(mask: number): readonly SecurityModeWord[] {
  let order = preferenceOrders.get(mask);
  if (order === undefined) {
    order = Object.freeze(DEFAULT_SECURITY_PREFERENCE.filter((mode) => (mask & mode) !== 0).map(securityModeWord));
    preferenceOrders.set(mask, order);
  }
  return order;
}

function defaultTargetModes(target: RawTarget): number {
  if (target.keyId === undefined || target.protocol === 'twamp-light') return OPEN;
  return target.protocol === 'stamp' ? AUTHENTICATED : ALL_MODES;
}

function resolveTarget(target: RawTarget, index: number, issues: PendingIssue[]): AgentTargetConfig {
  const at = (key: string): Path => ['agent', 'targets', index, key];
  const mask = target.modes ?? defaultTargetModes(target);
  if (target.protocol === 'twamp-light' && mask !== OPEN) {
    issues.push({ path: at('modes'), expected: 'open (TWAMP Light targets send open test packets)', received: securityModeWordsOf(mask).join(', ') });
  }
  if (target.protocol === 'stamp' && mask !== OPEN && mask !== AUTHENTICATED) {
    issues.push({ path: at('modes'), expected: 'one of open, authenticated (STAMP has no encrypted or mixed mode)', received: securityModeWordsOf(mask).join(', ') });
  }
  const secured = (mask & SECURED) !== 0;
  if (secured && target.keyId === undefined) {
    issues.push({
      path: at('keyId'),
      expected: `the key identity in security.keyFile (required for the ${securityModeWordsOf(mask & SECURED).join(', ')} mode(s))`,
      received: 'nothing',
      at: target.modes === undefined ? ['agent', 'targets', index] : at('modes'),
    });
  }
  if (target.ssid !== undefined && target.protocol !== 'stamp') {
    issues.push({ path: at('ssid'), expected: 'no ssid (only STAMP packets carry a Session-Sender Identifier)', received: String(target.ssid) });
  }
  if (target.padding === 'imix' && target.protocol === 'twamp') {
    issues.push({ path: at('padding'), expected: 'a number of octets or symmetric (a TWAMP session has one Padding Length)', received: '"imix"' });
  }
  if (target.protocol === 'stamp' && typeof target.padding === 'number' && target.padding > 0 && target.padding < 4) {
    issues.push({ path: at('padding'), expected: '0, or at least 4 octets (STAMP pads with an Extra Padding TLV)', received: String(target.padding) });
  }
  const intervalMs = target.interval ?? DEFAULT_TARGET_INTERVAL_MS;
  const windowMs = target.window ?? DEFAULT_TARGET_WINDOW_MS;
  if (windowMs < intervalMs) {
    issues.push({
      path: at(target.window === undefined ? 'interval' : 'window'),
      expected: target.window === undefined ? `an interval of at most the window (${formatDuration(windowMs)})` : `a window of at least the interval (${formatDuration(intervalMs)})`,
      received: formatDuration(target.window === undefined ? intervalMs : windowMs),
    });
  }
  return {
    name: target.name,
    protocol: target.protocol,
    address: target.address,
    port: target.port ?? DEFAULT_TARGET_PORT,
    localAddress: target.localAddress,
    modes: preferenceOrder(mask),
    // An identity with open mode only is never used; leaving it out keeps key checks to real uses.
    keyId: secured ? target.keyId : undefined,
    ssid: target.ssid,
    schedule: target.schedule ?? 'periodic',
    intervalMs,
    padding: target.padding ?? 'symmetric',
    dscp: target.dscp ?? 0,
    ttl: target.ttl ?? DEFAULT_TARGET_TTL,
    windowMs,
    lossTimeoutMs: target.lossTimeout ?? DEFAULT_TARGET_LOSS_TIMEOUT_MS,
    reflectorStateful: target.reflectorStateful ?? true,
    labels: target.labels ?? {},
  };
}
