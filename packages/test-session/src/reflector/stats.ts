// Reflector counters added up: a TWAMP server's many per-session reflectors, or the IPv4 and IPv6
// sockets of one dual-stack listener, reported as one set of counters.
import type { ReflectorStats } from '../types.js';
import { REFLECTOR_DROP_REASONS } from './reflector.js';

/** Counters of several reflectors as one (sessions active included: pass 0 for reflectors that ended). */
export function sumReflectorStats(all: Iterable<ReflectorStats>): ReflectorStats {
  const dropped = Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, 0])) as Record<(typeof REFLECTOR_DROP_REASONS)[number], number>;
  let packetsIn = 0;
  let packetsOut = 0;
  let sessionsActive = 0;
  let sessionsCreated = 0;
  let sessionsExpired = 0;
  let sessionsEvicted = 0;
  for (const stats of all) {
    packetsIn += stats.packetsIn;
    packetsOut += stats.packetsOut;
    sessionsActive += stats.sessionsActive;
    sessionsCreated += stats.sessionsCreated;
    sessionsExpired += stats.sessionsExpired;
    sessionsEvicted += stats.sessionsEvicted;
    for (const reason of REFLECTOR_DROP_REASONS) dropped[reason] += stats.dropped[reason];
  }
  return { packetsIn, packetsOut, dropped, sessionsActive, sessionsCreated, sessionsExpired, sessionsEvicted };
}
