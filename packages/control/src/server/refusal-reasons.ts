// Why the server refused a connection or a session request: one list each, the keys of
// ControlServerStats' counters by reason (the server, the CLI's stop line and twampd's metrics all
// walk these lists rather than spell the reasons again).

/** Why a connection got a Greeting with Modes 0. */
export const CONNECTION_REFUSAL_REASONS = Object.freeze(['not-allowed', 'max-connections', 'max-connections-per-client', 'auth-backoff', 'closing'] as const);

/**
 * Why a Request-TW-Session was refused: 'invalid' (a field this server cannot honour, Accept 3),
 * 'receiver-address' / 'sender-address' (Accept 3), 'max-sessions-per-connection',
 * 'max-sessions-total' and 'max-sessions-per-client' (Accept 4), 'rate' (Accept 5), 'handler' (the
 * owner refused or failed, with the owner's Accept value).
 */
export const SESSION_REFUSAL_REASONS = Object.freeze([
  'invalid',
  'receiver-address',
  'sender-address',
  'max-sessions-per-connection',
  'max-sessions-total',
  'max-sessions-per-client',
  'rate',
  'handler',
] as const);

/** A counter per reason, every one at 0. */
export function zeroCounts<Reason extends string>(reasons: readonly Reason[]): Record<Reason, number> {
  return Object.fromEntries(reasons.map((reason) => [reason, 0])) as Record<Reason, number>;
}
