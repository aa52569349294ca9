// twampd's defaults. Where a lower layer owns a default (the control server's limits and timeouts, the
// reflector's session cap and REFWAIT, the PBKDF2 count, the TWAMP ports), it is read from there so
// the daemon and the libraries cannot disagree.
import { DEFAULT_PBKDF2_COUNT, DEFAULT_SERVER_LIMITS, DEFAULT_SERVER_TIMEOUTS } from '@twamp/control';
import { DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSIONS_PER_SOURCE, DEFAULT_REFLECTOR_PORT_RANGE, DEFAULT_REFWAIT_MS } from '@twamp/test-session';
import { Port } from '@twamp/wire';

/** Where twampd looks for its configuration when no file is named. */
export const DEFAULT_CONFIG_PATH = '/etc/twampd/twampd.yaml';

export const DEFAULT_CONTROL_ADDRESS = '::';
export const DEFAULT_CONTROL_PORT: number = Port.TwampControl;
/**
 * The per-session reflectors' UDP ports: the library's (and \`twamp server\`'s) default, perfSONAR's
 * 8760-9960, read from there so twampd and the CLI open the same firewall hole and cannot drift apart.
 */
export const DEFAULT_REFLECTOR_PORTS = DEFAULT_REFLECTOR_PORT_RANGE;
export const DEFAULT_REFLECTOR_ADDRESS = '::';
/** UDP 862 (twamp-test) for TWAMP Light and STAMP alike (RFC 8762 §4.1). */
export const DEFAULT_REFLECTOR_PORT: number = Port.TwampTest;
export const DEFAULT_PBKDF2 = DEFAULT_PBKDF2_COUNT;

/** An unlimited library default (Infinity) is the config's `unlimited` (undefined). */
function limitOrUnlimited(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}

export const DEFAULT_DAEMON_LIMITS = Object.freeze({
  controlConnections: DEFAULT_SERVER_LIMITS.maxConnections,
  controlConnectionsPerClient: DEFAULT_SERVER_LIMITS.maxConnectionsPerClient,
  sessionsPerConnection: DEFAULT_SERVER_LIMITS.maxSessionsPerConnection,
  sessionsTotal: DEFAULT_SERVER_LIMITS.maxSessionsTotal,
  sessionsPerClient: limitOrUnlimited(DEFAULT_SERVER_LIMITS.maxSessionsPerClient),
  authFailuresPerMinute: limitOrUnlimited(DEFAULT_SERVER_LIMITS.authFailuresPerMinute),
  reflectorSessions: DEFAULT_MAX_SESSIONS,
  reflectorSessionsPerSource: DEFAULT_MAX_SESSIONS_PER_SOURCE,
  idleTimeoutMs: DEFAULT_REFWAIT_MS,
  handshakeTimeoutMs: DEFAULT_SERVER_TIMEOUTS.handshakeMs,
  idleWithoutSessionsTimeoutMs: DEFAULT_SERVER_TIMEOUTS.idleWithoutSessionsMs,
  unstartedSessionTimeoutMs: DEFAULT_SERVER_TIMEOUTS.unstartedSessionMs,
});

export const DEFAULT_TARGET_PORT: number = Port.TwampControl;
export const DEFAULT_TARGET_INTERVAL_MS = 1000;
export const DEFAULT_TARGET_WINDOW_MS = 60_000;
export const DEFAULT_TARGET_LOSS_TIMEOUT_MS = 2000;
/** RFC 5357 §4.1.2: the sender's TTL is 255, so the reflector can tell the hops taken. */
export const DEFAULT_TARGET_TTL = 255;
export const DEFAULT_RETRY_INITIAL_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 300_000;

export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_LOG_DESTINATION = 'stderr';

export const DEFAULT_METRICS_ADDRESS = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9862;

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/**
 * The largest padding a target may ask for: a jumbo frame's payload. Our reflectors take packets up
 * to REFLECTOR_MAX_PACKET (9216 octets), which leaves room for the largest test-packet base.
 */
export const MAX_TARGET_PADDING = 9000;
/** Longest interval, window and loss timeout test-session accepts: a day, an hour. */
export const MAX_INTERVAL_MS = 86_400_000;
export const MAX_LOSS_TIMEOUT_MS = 3_600_000;
