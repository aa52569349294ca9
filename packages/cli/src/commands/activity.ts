// What the long-running commands (responder, server) say while they run: session events and
// periodic packet counts, as text lines and as JSON records. Pure formatting plus one timer helper.
import { formatEndpoint } from '@twamp/errors';
import type { ReflectorDropReport, ReflectorSessionEvent, ReflectorStats } from '@twamp/test-session';
import { DROP_REASON_MEANING, protocolName } from '../output/names.js';
import type { CommandLog } from './log.js';

/** `twamp responder: session 192.0.2.7:20000 created (TWAMP Light)`. */
export function formatReflectorSessionEvent(command: string, event: ReflectorSessionEvent): string {
  const ssid = event.ssid === undefined ? '' : `, SSID ${event.ssid}`;
  const packets = event.type === 'created' ? '' : ` after ${event.packets} ${event.packets === 1 ? 'packet' : 'packets'}`;
  return `twamp ${command}: session ${formatEndpoint(event.peer.address, event.peer.port)} ${event.type} (${protocolName(event.protocol)}${ssid})${packets}`;
}

export function reflectorSessionEventJson(event: ReflectorSessionEvent, time: number): Record<string, unknown> {
  return {
    type: 'session',
    time: new Date(time).toISOString(),
    event: event.type,
    peer: { address: event.peer.address, port: event.peer.port },
    protocol: event.protocol,
    ssid: event.ssid ?? null,
    packets: event.packets,
  };
}

/** Reflector counters as JSON (a copy: the engine's object keeps changing). */
export function reflectorStatsJson(stats: ReflectorStats): Record<string, unknown> {
  return {
    packetsIn: stats.packetsIn,
    packetsOut: stats.packetsOut,
    sessionsActive: stats.sessionsActive,
    sessionsCreated: stats.sessionsCreated,
    sessionsExpired: stats.sessionsExpired,
    sessionsEvicted: stats.sessionsEvicted,
    dropped: { ...stats.dropped },
  };
}

export function totalDropped(stats: ReflectorStats): number {
  return Object.values(stats.dropped).reduce((sum, count) => sum + count, 0);
}

/** Packets per second over `ms`, one decimal. */
export function perSecond(packets: number, ms: number): number {
  return ms <= 0 ? 0 : Math.round((packets * 10_000) / ms) / 10;
}

/** `twamp responder: 10.0 s: 2000 packets in (200.0/s), 2000 out (200.0/s), 1 session active, 0 dropped`. */
export function formatReflectorActivity(command: string, elapsedMs: number, periodMs: number, now: ReflectorStats, before: ReflectorStats): string {
  const packetsIn = now.packetsIn - before.packetsIn;
  const packetsOut = now.packetsOut - before.packetsOut;
  const dropped = totalDropped(now) - totalDropped(before);
  const active = `${now.sessionsActive} ${now.sessionsActive === 1 ? 'session' : 'sessions'} active`;
  return `twamp ${command}: ${(elapsedMs / 1000).toFixed(1)} s: ${packetsIn} packets in (${perSecond(packetsIn, periodMs)}/s), ${packetsOut} out (${perSecond(packetsOut, periodMs)}/s), ${active}, ${dropped} dropped`;
}

export function reflectorActivityJson(time: number, elapsedMs: number, periodMs: number, now: ReflectorStats, before: ReflectorStats): Record<string, unknown> {
  const packetsIn = now.packetsIn - before.packetsIn;
  const packetsOut = now.packetsOut - before.packetsOut;
  return {
    type: 'interval',
    time: new Date(time).toISOString(),
    elapsedMs,
    periodMs,
    packetsIn,
    packetsOut,
    packetsInPerSecond: perSecond(packetsIn, periodMs),
    packetsOutPerSecond: perSecond(packetsOut, periodMs),
    dropped: totalDropped(now) - totalDropped(before),
    totals: reflectorStatsJson(now),
  };
}

/** Calls `tick` every `periodMs` until the returned stop is called; nothing when `periodMs` is undefined. */
export function every(periodMs: number | undefined, tick: () => void): () => void {
  if (periodMs === undefined) return () => undefined;
  const timer = setInterval(() => {
    try {
      tick();
    } catch {
      // A report line must never stop the service it reports on.
    }
  }, periodMs);
  return () => {
    clearInterval(timer);
  };
}

/**
 * `twamp responder: dropped 1523 packets (own-address: ...) since the last report, 1530 in all; latest
 * from 127.0.0.1:862`. The reflector calls this at most once per reason per interval (10 s by default),
 * never per packet, so a flood costs one line per reason. An info line: on stderr unless -q, always in
 * the log file; and a `drops` record with --jsonl.
 */
export function formatDropReport(command: string, report: ReflectorDropReport): string {
  const packets = `${report.count} ${report.count === 1 ? 'packet' : 'packets'}`;
  return `twamp ${command}: dropped ${packets} (${report.reason}: ${DROP_REASON_MEANING[report.reason]}) since the last report, ${report.total} in all; latest from ${formatEndpoint(report.source.address, report.source.port)}`;
}

export function logDropReport(log: CommandLog, command: string, report: ReflectorDropReport, time: number): void {
  log.info(formatDropReport(command, report));
  log.record({
    type: 'drops',
    time: new Date(time).toISOString(),
    reason: report.reason,
    count: report.count,
    total: report.total,
    source: { address: report.source.address, port: report.source.port },
  });
}
