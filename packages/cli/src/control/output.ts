// Text and JSON for the control commands: the facts of a negotiated session (mode, what the server
// offered, SID, endpoints), the server's listening line and per-session lines. Pure.
import { formatEndpoint } from '@twamp/errors';
import type { ControlClientApi, ControlServerStats, NegotiatedSession } from '@twamp/control';
import type { ControlledSessionEvent, ReflectorPoolStats } from '@twamp/test-session';
import { modeNames, SECURITY_MODE_MASK } from '@twamp/wire';
import { formatDuration } from '../output/units.js';
import { modeList } from './options.js';

export interface EndpointJson {
  readonly address: string;
  readonly port: number;
}

/** What a control client learned about one session. */
export interface ControlFacts {
  readonly server: EndpointJson;
  /** The selected Modes value. */
  readonly mode: number;
  readonly serverModes: number;
  readonly sid: Uint8Array;
  readonly sender: EndpointJson;
  readonly receiver: EndpointJson;
  /** The receiver port asked for (0 = the server's choice). */
  readonly requestedReceiverPort: number;
  readonly paddingLength: number;
  readonly timeoutSeconds: number;
  readonly dscp: number | undefined;
}

export interface ControlJson {
  readonly server: EndpointJson;
  readonly mode: number;
  readonly modeNames: readonly (string | number)[];
  readonly securityMode: string | number;
  readonly serverModes: number;
  readonly serverModeNames: readonly (string | number)[];
  readonly sid: string;
  readonly sender: EndpointJson;
  readonly receiver: EndpointJson;
  readonly requestedReceiverPort: number;
  readonly paddingLength: number;
  readonly timeoutSeconds: number;
  readonly dscp: number | null;
}

export function sidText(sid: Uint8Array): string {
  return Buffer.from(sid.buffer, sid.byteOffset, sid.byteLength).toString('hex');
}

/** Facts of one negotiated session, for the summary and the JSON of controller and controlclient. */
export function controlFacts(client: ControlClientApi, session: NegotiatedSession, requestedReceiverPort: number): ControlFacts {
  return {
    server: client.server,
    mode: client.mode,
    serverModes: client.serverModes,
    sid: session.sid,
    sender: session.sender,
    receiver: session.receiver,
    requestedReceiverPort,
    paddingLength: session.paddingLength,
    timeoutSeconds: session.timeoutSeconds,
    dscp: session.dscp,
  };
}

export function controlJson(facts: ControlFacts): ControlJson {
  return {
    server: { address: facts.server.address, port: facts.server.port },
    mode: facts.mode,
    modeNames: modeNames(facts.mode),
    securityMode: modeNames(facts.mode & SECURITY_MODE_MASK)[0] ?? 0,
    serverModes: facts.serverModes,
    serverModeNames: modeNames(facts.serverModes),
    sid: sidText(facts.sid),
    sender: { address: facts.sender.address, port: facts.sender.port },
    receiver: { address: facts.receiver.address, port: facts.receiver.port },
    requestedReceiverPort: facts.requestedReceiverPort,
    paddingLength: facts.paddingLength,
    timeoutSeconds: facts.timeoutSeconds,
    dscp: facts.dscp ?? null,
  };
}

/** `control:    server 127.0.0.1:862, mode encrypted (server offers ...), SID ..., reflector port 8760 (asked for any), Timeout 2 s`. */
export function formatControlFacts(facts: ControlFacts): string {
  const asked = facts.requestedReceiverPort === 0 ? 'any' : String(facts.requestedReceiverPort);
  const moved = facts.requestedReceiverPort !== 0 && facts.requestedReceiverPort !== facts.receiver.port ? ', the server chose another' : '';
  return [
    `${'control:'.padEnd(12)}server ${formatEndpoint(facts.server.address, facts.server.port)}/tcp, mode ${modeList(facts.mode)} (server offers ${modeList(facts.serverModes)})`,
    `${''.padEnd(12)}SID ${sidText(facts.sid)}, reflector port ${facts.receiver.port} (asked for ${asked}${moved}), padding ${facts.paddingLength} octets, Timeout ${facts.timeoutSeconds} s, DSCP ${facts.dscp ?? 0}`,
  ].join('\n');
}

/** A server's per-session line for a ReflectorPool event. */
export function formatSessionEvent(event: ControlledSessionEvent): string {
  const prefix = 'twamp server:';
  switch (event.type) {
    case 'opened':
      return `${prefix} session ${event.session.sid} opened: ${formatEndpoint(event.session.sender.address, event.session.sender.port)} -> ${formatEndpoint(event.session.reflector.address, event.session.reflector.port)}/udp`;
    case 'refused':
      return `${prefix} session ${event.sid} refused with Accept ${event.accept}: ${event.reason}`;
    case 'started':
      return `${prefix} session ${event.session.sid} started`;
    case 'stopping':
      return `${prefix} session ${event.session.sid} stopping: reflecting for ${event.lingerMs} ms more (${event.session.packets} packets so far)`;
    case 'ended':
      return `${prefix} session ${event.session.sid} ended (${event.why}): ${event.session.packets} packets reflected`;
  }
}

export interface ServerListening {
  readonly address: string;
  readonly port: number;
  readonly modes: number;
  readonly reflectorPorts: string;
  readonly keys: number | undefined;
}

/** `twamp server: listening on 0.0.0.0:862/tcp, modes ..., reflector ports 8760-9960/udp`: what a script waits for. */
export function formatServerListening(info: ServerListening): string {
  const keys = info.keys === undefined ? '' : `, ${info.keys} key ${info.keys === 1 ? 'identity' : 'identities'}`;
  return `twamp server: listening on ${formatEndpoint(info.address, info.port)}/tcp, modes ${modeList(info.modes)}, reflector ports ${info.reflectorPorts}/udp${keys}`;
}

/** The stop line of a server. */
/** `3 max-sessions-per-client, 1 rate` from a counter record: the non-zero ones, or undefined. */
function countsByName(counts: Readonly<Record<string, number>>): string | undefined {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${count} ${name}`);
  return parts.length === 0 ? undefined : parts.join(', ');
}

/**
 * The stop line: connections, sessions, packets, sessions the pool refused by Accept code, then (only
 * when there were some) the control server's refusals by reason, failed authentications, connections
 * evicted or timed out, and the reflectors' drops by reason.
 */
export function formatServerStopped(stats: ReflectorPoolStats, control: ControlServerStats, uptimeMs: number): string {
  const connections = control.connectionsTotal;
  const refused = Object.entries(stats.refused)
    .filter(([, count]) => count > 0)
    .map(([code, count]) => `${count} with Accept ${code}`);
  const extra = [
    ['requests refused by control', countsByName(control.sessionsRefusedByReason)],
    ['connections refused', countsByName(control.connectionsRefusedByReason)],
    ['connections closed', countsByName({ ...control.timeouts, evicted: control.connectionsEvicted })],
    ['failed authentications', control.authFailures > 0 ? String(control.authFailures) : undefined],
    ['unstarted sessions released', control.sessionsReleasedUnstarted > 0 ? String(control.sessionsReleasedUnstarted) : undefined],
    ['dropped', countsByName(stats.reflectors.dropped)],
  ]
    .filter(([, text]) => text !== undefined)
    .map(([label, text]) => `; ${label ?? ''}: ${text ?? ''}`)
    .join('');
  return `twamp server: stopped after ${formatDuration(uptimeMs)}: ${connections} control ${connections === 1 ? 'connection' : 'connections'}, ${stats.sessionsOpened} ${stats.sessionsOpened === 1 ? 'session' : 'sessions'}, ${stats.packetsReflected} packets reflected; sessions refused: ${refused.length === 0 ? 'none' : refused.join(', ')}${extra}`;
}
