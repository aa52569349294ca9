// The listeners' log lines: @twamp/control's ControlLogger events and test-session's session events
// as pino-style records with an `event` field. Peers are `address:port` ([v6]:port), modes by the
// config's names, Accept codes by value and identifier. Neither library logs secrets (keys, tokens,
// passphrases); nothing here adds one.
import { type ControlLogger, DEFAULT_LINE_BURST, LineBudget } from '@twamp/control';
import { describeAcceptCode, formatEndpoint } from '@twamp/errors';
import type { ControlledSessionEvent, ControlledSessionInfo, ReflectorDropReport, ReflectorSessionEvent } from '@twamp/test-session';
import { selectedSecurityModeWord } from '@twamp/wire';
import type { DaemonLog } from '../types.js';

/** Control's names → the daemon's (the rest keep control's name). */
const CONTROL_EVENTS: Readonly<Record<string, string>> = {
  'connection-accepted': 'control-connection-accepted',
  'connection-refused': 'control-connection-refused',
  'connection-closed': 'control-connection-closed',
  'connection-error': 'control-connection-error',
  'session-accepted': 'session-opened',
  'session-refused': 'session-refused',
};

/**
 * Said better elsewhere, so only at debug: the listener set logs `listener-started`, and the pool
 * logs each session's start and stop (control's lines list a connection's SIDs together).
 */
const CONTROL_DEBUG: ReadonlySet<string> = new Set(['server-listening', 'sessions-started', 'sessions-stopped']);

/** Control writes `address:port` without brackets; the port is after the last colon. */
function rebracket(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) return value;
  return formatEndpoint({ address: value.slice(0, at), port });
}

function acceptFields(accept: number): { accept: number; acceptName: string } {
  return { accept, acceptName: describeAcceptCode(accept).id };
}

function controlFields(event: string, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'client') out['peer'] = rebracket(value);
    else if (key === 'sender') out['sender'] = rebracket(value);
    else if (key === 'mode' && typeof value === 'number') out['mode'] = selectedSecurityModeWord(value) ?? value;
    else if (key === 'accept' && typeof value === 'number') Object.assign(out, acceptFields(value));
    else out[key] = value;
  }
  // A refused connection was sent a Server Greeting with Modes 0 (RFC 4656 §3.1).
  if (event === 'connection-refused') out['modes'] = 0;
  return out;
}

/** `session-refused` → `session refused`. */
function sentence(event: string): string {
  return event.replaceAll('-', ' ');
}

/** @twamp/control's logger, writing to the daemon's log. */
export function controlLogger(log: DaemonLog): ControlLogger {
  const write = (level: 'info' | 'warn', event: string, fields: Readonly<Record<string, unknown>>): void => {
    const name = CONTROL_EVENTS[event] ?? event;
    const record = { event: name, ...controlFields(event, fields) };
    if (CONTROL_DEBUG.has(event)) log.debug(record, sentence(name));
    else if (level === 'warn') log.warn(record, sentence(name));
    else log.info(record, sentence(name));
  };
  return {
    info: (event, fields) => {
      write('info', event, fields);
    },
    warn: (event, fields) => {
      write('warn', event, fields);
    },
  };
}

function sessionFields(session: ControlledSessionInfo): Record<string, unknown> {
  return { sid: session.sid, peer: formatEndpoint(session.sender), reflector: formatEndpoint(session.reflector), packets: session.packets };
}

/** The TWAMP sessions' lifecycle from the ReflectorPool (opened and refused are control's lines, with the mode). */
export function poolEventLogger(log: DaemonLog): (event: ControlledSessionEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'opened':
        log.debug({ event: 'session-reflector-opened', ...sessionFields(event.session) }, 'session reflector opened');
        break;
      case 'refused':
        log.debug({ event: 'session-reflector-refused', sid: event.sid, ...acceptFields(event.accept), reason: event.reason }, 'session reflector refused');
        break;
      case 'started':
        log.info({ event: 'session-started', ...sessionFields(event.session) }, 'session started');
        break;
      case 'stopping':
        log.info({ event: 'session-stopped', ...sessionFields(event.session), lingerMs: event.lingerMs }, 'session stopped');
        break;
      case 'ended':
        log.info({ event: 'session-ended', ...sessionFields(event.session), why: event.why }, 'session ended');
        break;
    }
  };
}

/**
 * Info lines about Light/STAMP sessions a listener writes in a burst, then one a second (control's
 * LineBudget): a session is made by any packet from a new source or SSID, so a spray of forged
 * packets would otherwise be one log line each (a few hundred bytes of disk per 44-byte packet).
 * Lines over the budget are not written; the next one written says how many were left out
 * (`suppressed`), and the metrics still count every session.
 */
export const SESSION_LINE_BURST = DEFAULT_LINE_BURST;

/** A Light/STAMP listener's sessions (made on first packet, forgotten after the idle timeout). */
export function reflectorEventLogger(log: DaemonLog, listener: string): (event: ReflectorSessionEvent) => void {
  const budget = new LineBudget();
  return (event) => {
    const fields = {
      listener,
      peer: formatEndpoint(event.peer),
      protocol: event.protocol,
      ...(event.ssid === undefined ? {} : { ssid: event.ssid }),
      packets: event.packets,
    };
    if (event.type === 'created' || event.type === 'expired') {
      const allowed = budget.take();
      if (allowed === undefined) return;
      if (event.type === 'created') log.info({ event: 'reflector-session-created', ...fields, ...allowed }, 'reflector session created');
      else log.info({ event: 'reflector-session-expired', ...fields, ...allowed }, 'reflector session expired');
    }
    // Evictions come in floods when a source fills the table: counted in metrics, one line each at debug only.
    else if (event.type === 'evicted') log.debug({ event: 'reflector-session-evicted', ...fields }, 'reflector session evicted to make room');
    else log.debug({ event: 'reflector-session-stopped', ...fields }, 'reflector session stopped');
  };
}

/**
 * Drops of one reason as a warning: the reflector calls this at most once per reason per report
 * interval (from its sweep timer, never per packet), so a flood of forged packets is a few lines a
 * minute, each with how many were dropped since the last one and the latest source.
 */
export function dropReportLogger(log: DaemonLog, listener: string): (report: ReflectorDropReport) => void {
  return (report) => {
    log.warn(
      { event: 'reflector-drops', listener, reason: report.reason, count: report.count, total: report.total, source: formatEndpoint(report.source) },
      `reflector dropped ${report.count} packet(s): ${report.reason}`,
    );
  };
}
