// The config's limits and access lists, as the options of the libraries the listeners are made of:
// @twamp/control's ServerLimits/ServerTimeouts, test-session's ReflectorPool and SessionReflector.
import type { ServerLimits, ServerTimeouts } from '@twamp/control';
import type { ControlledReflectorOptions, ReflectorDropReport, ReflectorPoolReconfiguration, ReflectorReconfiguration } from '@twamp/test-session';
import type { AccessConfig, ControlListenerConfig, LimitsConfig } from '../types.js';

const UNLIMITED = Number.POSITIVE_INFINITY;

/**
 * Control limits. Every member is given (unlimited as Infinity), so a reload that drops a rate
 * limit really removes it: the server merges what it is given over its defaults.
 */
export function controlLimits(limits: LimitsConfig): Required<ServerLimits> {
  return {
    maxConnections: limits.controlConnections,
    maxConnectionsPerClient: limits.controlConnectionsPerClient,
    maxSessionsPerConnection: limits.sessionsPerConnection,
    maxSessionsTotal: limits.sessionsTotal,
    // The config has no per-connection rate: the server-wide one covers floods from one connection too.
    requestsPerSecond: UNLIMITED,
    sessionRequestsPerSecond: limits.sessionRequestsPerSecond ?? UNLIMITED,
    maxSessionsPerClient: limits.sessionsPerClient ?? UNLIMITED,
    authFailuresPerMinute: limits.authFailuresPerMinute ?? UNLIMITED,
  };
}

/**
 * Handshake timeout; SERVWAIT = the config's idle timeout (RFC 5357 uses 900 s for both SERVWAIT and
 * REFWAIT); the much shorter idle time of a connection without sessions; unstarted sessions' release.
 */
export function controlTimeouts(limits: LimitsConfig): ServerTimeouts {
  return {
    handshakeMs: limits.handshakeTimeoutMs,
    servwaitMs: limits.idleTimeoutMs,
    idleWithoutSessionsMs: limits.idleWithoutSessionsTimeoutMs,
    unstartedSessionMs: limits.unstartedSessionTimeoutMs,
  };
}

/** Options of each TWAMP session's reflector (the pool sets address, port and family itself). */
export function sessionReflectorOptions(limits: LimitsConfig, onDropReport: (report: ReflectorDropReport) => void): ControlledReflectorOptions {
  return {
    onDropReport,
    idleTimeoutMs: limits.idleTimeoutMs,
    ...(limits.packetsPerSecondPerSession === undefined ? {} : { perSessionRate: limits.packetsPerSecondPerSession }),
    ...(limits.packetsPerSecondPerSource === undefined ? {} : { perSourceRate: limits.packetsPerSecondPerSource }),
  };
}

/** The pool's share of a reload: its capacity is the server's session total, so both refuse with the same Accept 4. */
export function poolReconfiguration(control: ControlListenerConfig, limits: LimitsConfig, onDropReport: (report: ReflectorDropReport) => void): ReflectorPoolReconfiguration {
  return { maxReflectors: limits.sessionsTotal, portRange: control.reflectorPorts, reflector: sessionReflectorOptions(limits, onDropReport) };
}

/** A Light/STAMP listener's reloadable settings; undefined members reset (everyone allowed, no rate cap). */
export function reflectorReconfiguration(name: string, access: AccessConfig, limits: LimitsConfig): ReflectorReconfiguration {
  return {
    allowedSources: allowedFor(access, name),
    maxSessions: limits.reflectorSessions,
    maxSessionsPerSource: limits.reflectorSessionsPerSource,
    perSourceRate: limits.packetsPerSecondPerSource,
    perSessionRate: limits.packetsPerSecondPerSession,
    idleTimeoutMs: limits.idleTimeoutMs,
  };
}

/** The CIDRs allowed on this listener; undefined when the config has no list for it (everyone). */
export function allowedFor(access: AccessConfig, name: string): readonly string[] | undefined {
  return Object.hasOwn(access, name) ? access[name] : undefined;
}
