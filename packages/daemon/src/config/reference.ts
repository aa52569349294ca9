// THE table of twampd's configuration keys: what each accepts, its default and what it does. The
// schema takes the words of a mistake from here (the `type` column is the `expected` of a ConfigIssue),
// scripts/gen-config-doc.ts renders it into docs/daemon.md, and a test holds it to the schema's keys,
// so the reference, the messages and the parser cannot drift apart.
import { MAX_TIMEOUT_MS } from '@twamp/control';
import { MAX_REFLECTORS } from '@twamp/test-session';
import { SECURITY_MODE_WORDS } from '@twamp/wire';
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
  MAX_INTERVAL_MS,
  MAX_LOSS_TIMEOUT_MS,
  MAX_TARGET_PADDING,
} from './defaults.js';
import { DURATION_WORDS, formatDuration } from './duration.js';

export interface ConfigKeyDoc {
  /** The key as written in YAML, dotted; `[]` marks an item of a list, `<name>` a key the user chooses. */
  readonly key: string;
  /** What the key accepts, in words: also the `expected` of a mistake at this key. */
  readonly type: string;
  /** The default: YAML in backticks, or words (`required` when there is none). */
  readonly default: string;
  /** What it does. */
  readonly meaning: string;
}

/** Listener and target names: metric label values and `access` keys, so kept plain. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const NAME_WORDS = 'a name of 1 to 63 letters, digits, `.`, `_` or `-`, starting with a letter or digit';
const PORT_OR_ANY = 'a port number from 1 to 65535, or 0 for any free port';
const PORT = 'a port number from 1 to 65535';
const COUNT = 'a positive integer';
/** Timers: more than 0 and at most what setTimeout can wait. */
const TIMER_RANGE = `more than 0, at most ${MAX_TIMEOUT_MS} ms (24.8 days)`;
const RATE = 'a positive number, or unlimited';
const COUNT_OR_UNLIMITED = 'a positive integer, or unlimited';
/** A limit's default as YAML: undefined is `unlimited`. */
const limitText = (value: number | undefined): string => (value === undefined ? 'unlimited' : String(value));
const IP = 'an IP address (IPv4 or IPv6 literal)';
const BOOLEAN = 'true or false';
const MODE_WORDS = SECURITY_MODE_WORDS.join(', ');
const none = 'none';
/** Said of every key that names a file (paths.ts resolves them so). */
const RELATIVE = 'A relative path is read from the config file\'s directory, not the working directory.';

const duration = (range: string): string => `${DURATION_WORDS}, ${range}`;
/** A default written as YAML (shown as code in the docs), as opposed to one described in words. */
const lit = (value: string): string => `\`${value}\``;

export const CONFIG_REFERENCE: readonly ConfigKeyDoc[] = Object.freeze([
  // --- listeners --------------------------------------------------------------------------------
  { key: 'listeners', type: 'a map with control and reflectors', default: 'the control listener only', meaning: 'What twampd answers: the TWAMP-Control server and the TWAMP Light / STAMP reflectors.' },
  { key: 'listeners.control', type: 'a map', default: 'enabled', meaning: 'The TWAMP-Control server (RFC 5357): clients negotiate sessions over TCP, each session gets its own UDP reflector. On unless `enabled: false`.' },
  { key: 'listeners.control.enabled', type: BOOLEAN, default: lit('true'), meaning: 'Run the TWAMP-Control server. `false` for a reflector-only or agent-only node.' },
  { key: 'listeners.control.address', type: IP, default: lit(`"${DEFAULT_CONTROL_ADDRESS}"`), meaning: 'Address the server listens on; `::` is dual-stack, `0.0.0.0` IPv4 only.' },
  { key: 'listeners.control.port', type: PORT_OR_ANY, default: lit(String(DEFAULT_CONTROL_PORT)), meaning: 'TCP port of TWAMP-Control (IANA twamp-control). Below 1024 twampd needs CAP_NET_BIND_SERVICE.' },
  { key: 'listeners.control.reflectorPorts', type: 'a port range "A-B" with 1 ≤ A ≤ B ≤ 65535, or ephemeral', default: lit(`"${DEFAULT_REFLECTOR_PORTS.first}-${DEFAULT_REFLECTOR_PORTS.last}"`), meaning: 'UDP ports the per-session reflectors bind (open them in the firewall); `ephemeral` lets the system pick.' },
  { key: 'listeners.control.extensions', type: BOOLEAN, default: lit('true'), meaning: 'Offer the RFC 5938 individual session control, RFC 6038 reflect octets / symmetrical size and RFC 7750 DSCP-ECN monitoring extensions.' },
  { key: 'listeners.control.thirdPartySenders', type: BOOLEAN, default: lit('false'), meaning: 'Accept sessions whose Sender Address is another host than the control client (RFC 5357 third-party sessions). Off: such a request gets Accept 3, so no client can aim a reflector at someone else. Multicast and broadcast senders are refused either way. A reload applies it to new connections.' },
  { key: 'listeners.reflectors', type: 'a list of reflector maps', default: none, meaning: 'TWAMP Light and STAMP reflectors: sessions start with the first test packet, no control connection.' },
  { key: 'listeners.reflectors[]', type: 'a map with name, protocol, address, port, stateful, security, keyId', default: '', meaning: 'One reflector.' },
  { key: 'listeners.reflectors[].name', type: NAME_WORDS, default: 'required', meaning: 'Unique name (not `control`): the `listener` label in metrics, the key in `access`.' },
  { key: 'listeners.reflectors[].protocol', type: 'twamp-light or stamp', default: 'required', meaning: 'Reply format for new sessions. A STAMP reflector also answers TWAMP Light requests (RFC 8762 §4.6).' },
  { key: 'listeners.reflectors[].address', type: IP, default: lit(`"${DEFAULT_REFLECTOR_ADDRESS}"`), meaning: 'Address the reflector binds.' },
  { key: 'listeners.reflectors[].port', type: PORT_OR_ANY, default: lit(String(DEFAULT_REFLECTOR_PORT)), meaning: 'UDP port (twamp-test; RFC 8762 §4.1 for STAMP). Two reflectors on one address need different ports.' },
  { key: 'listeners.reflectors[].stateful', type: BOOLEAN, default: lit('true'), meaning: 'Stateful: the reflector keeps its own sequence number per session, so senders can tell forward from backward loss. Stateless copies the sender\'s (RFC 8762 §4.2).' },
  { key: 'listeners.reflectors[].security', type: 'open or authenticated (authenticated for stamp only)', default: lit('open'), meaning: 'STAMP authenticated mode (RFC 8762 §4.3, HMAC-SHA-256 with the key of `keyId`). TWAMP Light reflectors are open.' },
  { key: 'listeners.reflectors[].keyId', type: 'a key identity of 1 to 80 octets of UTF-8 (no NUL)', default: none, meaning: 'Identity in `security.keyFile` whose secret is the STAMP HMAC key; required with `security: authenticated`.' },
  // --- security ---------------------------------------------------------------------------------
  { key: 'security', type: 'a map with modes, keyFile, pbkdf2Count', default: 'open mode only', meaning: 'What the TWAMP-Control server offers, and the key file every secured listener and target reads its secrets from.' },
  { key: 'security.modes', type: `a list of security modes (${MODE_WORDS})`, default: 'open; all four with a keyFile', meaning: 'Modes the control server offers in its Server Greeting. authenticated, encrypted and mixed need `keyFile`.' },
  { key: 'security.keyFile', type: 'a file path', default: none, meaning: `Key file: perfSONAR format (\`identity hexsecret\` per line) or \`identity: passphrase\` per line. Read at start and on SIGHUP; keep it mode 0600. ${RELATIVE}` },
  { key: 'security.pbkdf2Count', type: 'a power of 2 of at least 1024', default: lit(String(DEFAULT_PBKDF2)), meaning: 'PBKDF2 iterations asked of clients in the Server Greeting (RFC 4656 §3.1). Most clients refuse more than 32768.' },
  // --- access -----------------------------------------------------------------------------------
  { key: 'access', type: 'a map from listener name to a list of CIDRs', default: 'everyone everywhere', meaning: 'Which clients each listener serves. A listener without an entry serves everyone; a refused control client gets a Server Greeting with Modes 0, a refused Light/STAMP packet is dropped and counted.' },
  { key: 'access.<listener>', type: 'a list of IPv4 or IPv6 addresses with an optional /prefix', default: none, meaning: '`control` or a reflector\'s name: the client addresses it answers. IPv4 prefixes also match IPv4-mapped IPv6 clients.' },
  { key: 'access.<listener>[]', type: 'an IPv4 or IPv6 address with an optional /prefix, such as 192.0.2.0/24 or 2001:db8::/32', default: '', meaning: 'One address or prefix.' },
  // --- limits -----------------------------------------------------------------------------------
  { key: 'limits', type: 'a map', default: 'the defaults below', meaning: 'Resource limits; refusals are answered with the Accept code the error reference gives (4 permanent, 5 temporary). Changed limits apply to new sessions on SIGHUP.' },
  { key: 'limits.controlConnections', type: COUNT, default: lit(String(DEFAULT_DAEMON_LIMITS.controlConnections)), meaning: 'Control connections at once, all clients; beyond it a client gets a Server Greeting with Modes 0.' },
  { key: 'limits.controlConnectionsPerClient', type: COUNT, default: lit(String(DEFAULT_DAEMON_LIMITS.controlConnectionsPerClient)), meaning: 'Control connections at once from one client address.' },
  { key: 'limits.sessionsPerConnection', type: COUNT, default: lit(String(DEFAULT_DAEMON_LIMITS.sessionsPerConnection)), meaning: 'TWAMP sessions one control connection may hold (beyond: Accept 4).' },
  { key: 'limits.sessionsTotal', type: `an integer from 1 to ${MAX_REFLECTORS}`, default: lit(String(DEFAULT_DAEMON_LIMITS.sessionsTotal)), meaning: 'TWAMP sessions at once across all connections (beyond: Accept 4, permanent).' },
  { key: 'limits.sessionRequestsPerSecond', type: RATE, default: lit('unlimited'), meaning: 'Request-TW-Session messages per second across the server (beyond: Accept 5, temporary).' },
  { key: 'limits.sessionsPerClient', type: COUNT_OR_UNLIMITED, default: lit(limitText(DEFAULT_DAEMON_LIMITS.sessionsPerClient)), meaning: 'TWAMP sessions at once from one client address, over all its connections (beyond: Accept 4, as for the other session caps: retrying will not help until that client ends sessions of its own), so one address cannot take every session.' },
  { key: 'limits.authFailuresPerMinute', type: COUNT_OR_UNLIMITED, default: lit(limitText(DEFAULT_DAEMON_LIMITS.authFailuresPerMinute)), meaning: 'Failed authentications (authenticated, encrypted, mixed) from one client address per minute before it is backed off: its new connections get a Server Greeting with Modes 0 for 1 s, doubling with each further failure up to 5 min, until it authenticates or stays quiet.' },
  { key: 'limits.reflectorSessions', type: COUNT, default: lit(String(DEFAULT_DAEMON_LIMITS.reflectorSessions)), meaning: 'TWAMP Light / STAMP sessions at once per reflector. When full, a new session takes the place of one (of the source holding the most, a one-packet session, the longest idle first), counted in `twampd_reflector_sessions_evicted_total`.' },
  { key: 'limits.reflectorSessionsPerSource', type: COUNT, default: lit(String(DEFAULT_DAEMON_LIMITS.reflectorSessionsPerSource)), meaning: 'TWAMP Light / STAMP sessions one source address may hold per reflector; a source at its share that starts another evicts its own longest idle one, so 10 000 SSIDs from one socket cannot fill the table.' },
  { key: 'limits.packetsPerSecondPerSession', type: RATE, default: lit('unlimited'), meaning: 'Test packets answered per second per session (token bucket, one second of burst).' },
  { key: 'limits.packetsPerSecondPerSource', type: RATE, default: lit('unlimited'), meaning: 'Test packets answered per second per source address.' },
  { key: 'limits.idleTimeout', type: duration(TIMER_RANGE), default: lit(formatDuration(DEFAULT_DAEMON_LIMITS.idleTimeoutMs)), meaning: 'REFWAIT for Light/STAMP sessions and SERVWAIT for idle control connections that hold sessions (RFC 5357 recommends 900 s).' },
  { key: 'limits.handshakeTimeout', type: duration(TIMER_RANGE), default: lit(formatDuration(DEFAULT_DAEMON_LIMITS.handshakeTimeoutMs)), meaning: 'From accepting a control connection to its Set-Up-Response.' },
  { key: 'limits.idleWithoutSessionsTimeout', type: duration(TIMER_RANGE), default: lit(formatDuration(DEFAULT_DAEMON_LIMITS.idleWithoutSessionsTimeoutMs)), meaning: 'A control connection that holds no session and sends nothing for this long is closed (SERVWAIT, `idleTimeout`, still covers connections with sessions). When the connection limits are reached, such connections are closed first to make room.' },
  { key: 'limits.unstartedSessionTimeout', type: duration(TIMER_RANGE), default: lit(formatDuration(DEFAULT_DAEMON_LIMITS.unstartedSessionTimeoutMs)), meaning: 'A TWAMP session accepted but not started (no Start-Sessions naming it) is released after this, with its UDP port.' },
  // --- agent ------------------------------------------------------------------------------------
  { key: 'agent', type: 'a map with output, retry, startSpread, defaults, targets', default: 'no targets', meaning: 'Continuous measurement of many peers from this node.' },
  { key: 'agent.output', type: 'a file path, or - for standard output', default: none, meaning: `JSON Lines results, one record per target and window (appended; reopened on SIGHUP for logrotate). ${RELATIVE}` },
  { key: 'agent.retry', type: 'a map with initial and max', default: '', meaning: 'Backoff after a target fails: the delay doubles from `initial` up to `max`, ±20 % jitter.' },
  { key: 'agent.retry.initial', type: duration('more than 0'), default: lit(formatDuration(DEFAULT_RETRY_INITIAL_MS)), meaning: 'First delay; at most `max`.' },
  { key: 'agent.retry.max', type: duration('more than 0'), default: lit(formatDuration(DEFAULT_RETRY_MAX_MS)), meaning: 'Longest delay between attempts.' },
  { key: 'agent.startSpread', type: duration('0 or more'), default: 'the smaller of the interval and 1s', meaning: 'Targets start spread over this time, so thousands do not send in the same tick.' },
  { key: 'agent.defaults', type: 'a map of target keys (all but name and address)', default: none, meaning: 'Values every target takes unless it sets its own (labels are merged, the target\'s winning).' },
  { key: 'agent.targets', type: 'a list of target maps', default: none, meaning: 'The peers to measure.' },
  { key: 'agent.targets[]', type: 'a map with name, protocol, address and the keys below', default: '', meaning: 'One peer.' },
  { key: 'agent.targets[].name', type: NAME_WORDS, default: 'required', meaning: 'Unique name: the `target` label in metrics and in every result record.' },
  { key: 'agent.targets[].protocol', type: 'twamp, twamp-light or stamp', default: 'required', meaning: 'twamp: a TWAMP-Control session to the peer\'s server; twamp-light / stamp: test packets straight to a reflector.' },
  { key: 'agent.targets[].address', type: 'an IP address or a host name', default: 'required', meaning: 'The peer; a host name is resolved when the target starts.' },
  { key: 'agent.targets[].port', type: PORT, default: lit(String(DEFAULT_TARGET_PORT)), meaning: 'twamp: the TCP control port; twamp-light and stamp: the reflector\'s UDP port.' },
  { key: 'agent.targets[].localAddress', type: IP, default: 'the wildcard', meaning: 'Address to send from.' },
  { key: 'agent.targets[].modes', type: `a list of security modes (${MODE_WORDS})`, default: 'open; with a keyId: all four (twamp) or authenticated (stamp)', meaning: 'twamp: modes the agent accepts, the strongest the server offers is used; stamp: exactly one of open, authenticated; twamp-light: open.' },
  { key: 'agent.targets[].keyId', type: 'a key identity of 1 to 80 octets of UTF-8 (no NUL)', default: none, meaning: 'Identity in `security.keyFile` for the authenticated, encrypted and mixed modes.' },
  { key: 'agent.targets[].ssid', type: 'an integer from 1 to 65535', default: 'random', meaning: 'STAMP Session-Sender Identifier (RFC 8972 §3).' },
  { key: 'agent.targets[].schedule', type: 'periodic or poisson', default: lit('periodic'), meaning: 'periodic: a packet every `interval`; poisson: random gaps averaging `interval` (RFC 3432-style).' },
  { key: 'agent.targets[].interval', type: duration(`more than 0, at most ${formatDuration(MAX_INTERVAL_MS)}`), default: lit(formatDuration(DEFAULT_TARGET_INTERVAL_MS)), meaning: 'Time between test packets (their mean with poisson).' },
  { key: 'agent.targets[].padding', type: `an integer from 0 to ${MAX_TARGET_PADDING} octets (stamp: 0 or at least 4), symmetric, or imix (not twamp)`, default: lit('symmetric'), meaning: 'Padding of the test request: symmetric makes it as long as the reply; imix cycles 64, 576 and 1500-octet packets 7:4:1.' },
  { key: 'agent.targets[].dscp', type: 'a DSCP name (CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE) or a number from 0 to 63', default: lit('0'), meaning: 'DSCP of the test packets (twamp: also asked of the reflector through Type-P).' },
  { key: 'agent.targets[].ttl', type: 'an integer from 1 to 255', default: lit(String(DEFAULT_TARGET_TTL)), meaning: 'TTL / Hop Limit of the test packets.' },
  { key: 'agent.targets[].window', type: duration(`at least the interval, at most ${formatDuration(MAX_INTERVAL_MS)}`), default: lit(formatDuration(DEFAULT_TARGET_WINDOW_MS)), meaning: 'Reporting window: one result record and one set of gauges per window.' },
  { key: 'agent.targets[].lossTimeout', type: duration(`more than 0, at most ${formatDuration(MAX_LOSS_TIMEOUT_MS)}`), default: lit(formatDuration(DEFAULT_TARGET_LOSS_TIMEOUT_MS)), meaning: 'A reply later than this counts as lost.' },
  { key: 'agent.targets[].reflectorStateful', type: BOOLEAN, default: lit('true'), meaning: 'Is the peer\'s reflector stateful? Then loss is also split into forward and backward.' },
  { key: 'agent.targets[].labels', type: 'a map of label names to strings', default: none, meaning: 'Free-form labels copied into every result record (not into Prometheus labels: cardinality).' },
  { key: 'agent.targets[].labels.<label>', type: 'a string, number or boolean', default: '', meaning: 'One label; numbers and booleans are written as text.' },
  // --- logging, metrics, shutdown ---------------------------------------------------------------
  { key: 'logging', type: 'a map with level, destination', default: '', meaning: 'pino JSON lines; never secrets.' },
  { key: 'logging.level', type: 'fatal, error, warn, info, debug, trace or silent', default: lit(DEFAULT_LOG_LEVEL), meaning: 'Least severe level written; SIGHUP applies a change.' },
  { key: 'logging.destination', type: 'stderr, stdout or a file path', default: lit(DEFAULT_LOG_DESTINATION), meaning: `Where log lines go; a file is appended to and reopened on SIGHUP. ${RELATIVE}` },
  { key: 'metrics', type: 'a map with enabled, address, port, agentHistograms', default: '', meaning: 'The HTTP endpoint with Prometheus `/metrics` and `/healthz`.' },
  { key: 'metrics.enabled', type: BOOLEAN, default: lit('true'), meaning: 'Serve `/metrics` and `/healthz`.' },
  { key: 'metrics.address', type: IP, default: lit(DEFAULT_METRICS_ADDRESS), meaning: 'Address of the HTTP endpoint; loopback unless you mean to expose it.' },
  { key: 'metrics.port', type: PORT_OR_ANY, default: lit(String(DEFAULT_METRICS_PORT)), meaning: 'TCP port of the HTTP endpoint.' },
  { key: 'metrics.agentHistograms', type: BOOLEAN, default: lit('true'), meaning: 'RTT and one-way delay histograms per target (about 40 series per target: turn off for very large agents).' },
  { key: 'shutdownGrace', type: duration('0 or more'), default: lit(formatDuration(DEFAULT_SHUTDOWN_GRACE_MS)), meaning: 'On SIGTERM: how long running sessions get to end before they are closed and results flushed.' },
].map((entry) => Object.freeze(entry)));

const BY_KEY: ReadonlyMap<string, ConfigKeyDoc> = new Map(CONFIG_REFERENCE.map((entry) => [entry.key, entry]));

/** The table key for a path into the YAML (`agent.targets[3].port` → `agent.targets[].port`). */
export function referenceKeyOf(path: readonly PropertyKey[]): string {
  let key = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      key += '[]';
      continue;
    }
    const parent = BY_KEY.get(key);
    // A segment under a map of user-chosen names (`access`, `labels`) is one of those names.
    const wildcard = parent === undefined ? undefined : CONFIG_REFERENCE.find((entry) => entry.key.startsWith(`${key}.<`) && !entry.key.slice(key.length + 2).includes('.'));
    key = wildcard === undefined ? (key === '' ? String(segment) : `${key}.${String(segment)}`) : wildcard.key;
  }
  return key;
}

/** The entry for a path, or that of its nearest documented parent (list items take their list's words). */
export function referenceFor(path: readonly PropertyKey[]): ConfigKeyDoc | undefined {
  for (let length = path.length; length >= 0; length -= 1) {
    const entry = BY_KEY.get(referenceKeyOf(path.slice(0, length)));
    if (entry !== undefined) return entry;
  }
  return undefined;
}

/** `agent.defaults.x` takes the words of `agent.targets[].x`. */
export function documentedPath(path: readonly PropertyKey[]): readonly PropertyKey[] {
  return path[0] === 'agent' && path[1] === 'defaults' ? ['agent', 'targets', 0, ...path.slice(2)] : path;
}
