// The responder's two kinds of lines: the status line that says it is listening (stderr: what a script
// waits for) and the statistics printed when it stops (stdout: its output).
import { formatEndpoint } from '@twamp/errors';
import type { ReflectorDropReason, ReflectorStats } from '@twamp/test-session';
import type { UdpCapabilities } from '@twamp/udp';
import { implementationDescription } from './names.js';
import { formatDuration } from './units.js';

export interface ListeningInfo {
  readonly address: string;
  readonly port: number;
  readonly protocol: 'twamp-light' | 'stamp';
  readonly stateful: boolean;
  readonly capabilities: UdpCapabilities;
  /** STAMP authenticated mode (RFC 8762 §4.3) with this key identity; open when undefined. */
  readonly authenticatedKeyId?: string;
}

function protocolDescription(info: ListeningInfo): string {
  if (info.protocol !== 'stamp') return 'TWAMP Light';
  // An authenticated reflector drops whatever lacks its HMAC: open STAMP and TWAMP Light alike.
  if (info.authenticatedKeyId !== undefined) return `STAMP, authenticated (key ${info.authenticatedKeyId}): requests without its HMAC are dropped`;
  return 'STAMP (also answers TWAMP Light)';
}

/** `twamp responder: listening on 0.0.0.0:862/udp, TWAMP Light, stateful, native socket`. */
export function formatListening(info: ListeningInfo): string {
  const protocol = protocolDescription(info);
  const state = info.stateful ? 'stateful' : 'stateless';
  return `twamp responder: listening on ${formatEndpoint(info.address, info.port)}/udp, ${protocol}, ${state}, ${implementationDescription(info.capabilities)}`;
}

/** The stop line: packets, sessions and every non-zero drop counter. */
export function formatResponderStats(stats: ReflectorStats, uptimeMs: number): string {
  const drops = (Object.entries(stats.dropped) as [ReflectorDropReason, number][])
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason}`);
  // Evictions only when there were some: they mean a table was full or a source at its cap.
  const evicted = stats.sessionsEvicted > 0 ? `, ${stats.sessionsEvicted} evicted` : '';
  const sessions = `${stats.sessionsCreated} ${stats.sessionsCreated === 1 ? 'session' : 'sessions'} (${stats.sessionsActive} active, ${stats.sessionsExpired} expired${evicted})`;
  return `twamp responder: stopped after ${formatDuration(uptimeMs)}: ${stats.packetsIn} packets in, ${stats.packetsOut} out, ${sessions}; dropped: ${drops.length === 0 ? 'none' : drops.join(', ')}`;
}
