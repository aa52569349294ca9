// The libraries under the listeners check their own options and name them in their terms
// (`timeouts.servwaitMs`, `maxReflectors`). An operator wrote a twampd config: a ConfigError that
// reaches them names the config key instead (`limits.idleTimeout`), so they know what to change.
import { ConfigError, type ConfigIssue } from '@twamp/errors';

const CONTROL_PATHS: Readonly<Record<string, string>> = {
  'limits.maxConnections': 'limits.controlConnections',
  'limits.maxConnectionsPerClient': 'limits.controlConnectionsPerClient',
  'limits.maxSessionsPerConnection': 'limits.sessionsPerConnection',
  'limits.maxSessionsTotal': 'limits.sessionsTotal',
  'limits.sessionRequestsPerSecond': 'limits.sessionRequestsPerSecond',
  'limits.maxSessionsPerClient': 'limits.sessionsPerClient',
  'limits.authFailuresPerMinute': 'limits.authFailuresPerMinute',
  'timeouts.handshakeMs': 'limits.handshakeTimeout',
  'timeouts.servwaitMs': 'limits.idleTimeout',
  'timeouts.idleWithoutSessionsMs': 'limits.idleWithoutSessionsTimeout',
  'timeouts.unstartedSessionMs': 'limits.unstartedSessionTimeout',
  modes: 'security.modes',
  keys: 'security.keyFile',
  pbkdf2Count: 'security.pbkdf2Count',
  // The reflector pool behind the control server.
  maxReflectors: 'limits.sessionsTotal',
  startTimeoutMs: 'limits.idleTimeout',
  portRange: 'listeners.control.reflectorPorts',
  idleTimeoutMs: 'limits.idleTimeout',
  perSessionRate: 'limits.packetsPerSecondPerSession',
  perSourceRate: 'limits.packetsPerSecondPerSource',
};

const REFLECTOR_PATHS: Readonly<Record<string, string>> = {
  maxSessions: 'limits.reflectorSessions',
  maxSessionsPerSource: 'limits.reflectorSessionsPerSource',
  idleTimeoutMs: 'limits.idleTimeout',
  perSessionRate: 'limits.packetsPerSecondPerSession',
  perSourceRate: 'limits.packetsPerSecondPerSource',
};

function translate(path: string, table: Readonly<Record<string, string>>, list: { readonly from: string; readonly to: string }): string {
  const direct = table[path];
  if (direct !== undefined) return direct;
  // `allowedClients[2]` → `access.control[2]`
  if (path.startsWith(`${list.from}[`)) return `${list.to}${path.slice(list.from.length)}`;
  return path;
}

function rename(error: unknown, rewrite: (issue: ConfigIssue) => ConfigIssue): unknown {
  if (!(error instanceof ConfigError)) return error;
  return new ConfigError(error.issues.map(rewrite));
}

/** A ConfigError of the control server or its reflector pool, in the config's terms; anything else unchanged. */
export function controlConfigError(error: unknown): unknown {
  return rename(error, (issue) => ({ ...issue, path: translate(issue.path, CONTROL_PATHS, { from: 'allowedClients', to: 'access.control' }) }));
}

/** A ConfigError of a Light/STAMP listener's reflector, in the config's terms; anything else unchanged. */
export function reflectorConfigError(error: unknown, listener: string): unknown {
  return rename(error, (issue) => ({ ...issue, path: translate(issue.path, REFLECTOR_PATHS, { from: 'allowedSources', to: `access.${listener}` }) }));
}
