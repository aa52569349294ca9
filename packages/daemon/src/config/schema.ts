// The YAML shape of twampd's config as zod schemas: strict maps (an unknown key is a mistake), the
// leaf values of values.ts. What these produce is still the file's shape (camelCase YAML keys, values
// checked and converted); resolve.ts applies defaults and cross-field checks and builds DaemonConfig.
import { MAX_TIMEOUT_MS } from '@twamp/control';
import { MAX_REFLECTORS } from '@twamp/test-session';
import { z } from 'zod';
import { MAX_INTERVAL_MS, MAX_LOSS_TIMEOUT_MS, MAX_TARGET_PADDING } from './defaults.js';
import {
  boolean,
  cidr,
  count,
  countOrUnlimited,
  dscp,
  duration,
  host,
  ipAddress,
  keyId,
  labelName,
  labelValue,
  modes,
  name,
  nonEmptyText,
  padding,
  pbkdf2Count,
  port,
  rate,
  reflectorPorts,
} from './values.js';

const positiveDuration = duration({ min: 0, minExclusive: true });
const anyDuration = duration({ min: 0, minExclusive: false });
/** What a Node timer can wait (longer ones would fire after 1 ms): control's bound. */
const timerDuration = duration({ min: 0, minExclusive: true, max: MAX_TIMEOUT_MS });

export const controlListenerSchema = z.strictObject({
  enabled: boolean.optional(),
  address: ipAddress.optional(),
  port: port(true).optional(),
  reflectorPorts: reflectorPorts.optional(),
  extensions: boolean.optional(),
  thirdPartySenders: boolean.optional(),
});

export const reflectorListenerSchema = z.strictObject({
  name,
  protocol: z.enum(['twamp-light', 'stamp']),
  address: ipAddress.optional(),
  port: port(true).optional(),
  stateful: boolean.optional(),
  security: z.enum(['open', 'authenticated']).optional(),
  keyId: keyId.optional(),
});

export const listenersSchema = z.strictObject({
  control: controlListenerSchema.optional(),
  reflectors: z.array(reflectorListenerSchema).optional(),
});

export const securitySchema = z.strictObject({
  modes: modes.optional(),
  keyFile: nonEmptyText.optional(),
  pbkdf2Count: pbkdf2Count.optional(),
});

export const accessSchema = z.record(z.string(), z.array(cidr));

export const limitsSchema = z.strictObject({
  controlConnections: count.optional(),
  controlConnectionsPerClient: count.optional(),
  sessionsPerConnection: count.optional(),
  sessionsTotal: z.int().min(1).max(MAX_REFLECTORS).optional(),
  sessionRequestsPerSecond: rate.optional(),
  sessionsPerClient: countOrUnlimited.optional(),
  authFailuresPerMinute: countOrUnlimited.optional(),
  reflectorSessions: count.optional(),
  reflectorSessionsPerSource: count.optional(),
  packetsPerSecondPerSession: rate.optional(),
  packetsPerSecondPerSource: rate.optional(),
  idleTimeout: timerDuration.optional(),
  handshakeTimeout: timerDuration.optional(),
  idleWithoutSessionsTimeout: timerDuration.optional(),
  unstartedSessionTimeout: timerDuration.optional(),
});

/** Every key a target may set; `agent.defaults` takes them all but name and address. */
const targetSettings = {
  protocol: z.enum(['twamp', 'twamp-light', 'stamp']),
  port: port(false).optional(),
  localAddress: ipAddress.optional(),
  modes: modes.optional(),
  keyId: keyId.optional(),
  ssid: z.int().min(1).max(65535).optional(),
  schedule: z.enum(['periodic', 'poisson']).optional(),
  interval: duration({ min: 0, minExclusive: true, max: MAX_INTERVAL_MS }).optional(),
  padding: padding(MAX_TARGET_PADDING).optional(),
  dscp: dscp.optional(),
  ttl: z.int().min(1).max(255).optional(),
  window: duration({ min: 0, minExclusive: true, max: MAX_INTERVAL_MS }).optional(),
  lossTimeout: duration({ min: 0, minExclusive: true, max: MAX_LOSS_TIMEOUT_MS }).optional(),
  reflectorStateful: boolean.optional(),
  labels: z.record(labelName, labelValue).optional(),
};

export const targetSchema = z.strictObject({ name, address: host, ...targetSettings });

export const targetDefaultsSchema = z.strictObject(targetSettings).partial();

const retrySchema = z.strictObject({
  initial: positiveDuration.optional(),
  max: positiveDuration.optional(),
});

/** The agent section as parsed: targets are parsed one by one (after `defaults` is merged into each). */
export const agentSectionSchema = z.strictObject({
  output: nonEmptyText.optional(),
  retry: retrySchema.optional(),
  startSpread: anyDuration.optional(),
  defaults: targetDefaultsSchema.optional(),
  targets: z.array(z.unknown()).optional(),
});

export const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  destination: nonEmptyText.optional(),
});

export const metricsSchema = z.strictObject({
  enabled: boolean.optional(),
  address: ipAddress.optional(),
  port: port(true).optional(),
  agentHistograms: boolean.optional(),
});

/** The sections, each parsed on its own so that a mistake in one does not hide those in another. */
export const SECTION_SCHEMAS = {
  listeners: listenersSchema.optional(),
  security: securitySchema.optional(),
  access: accessSchema.optional(),
  limits: limitsSchema.optional(),
  agent: agentSectionSchema.optional(),
  logging: loggingSchema.optional(),
  metrics: metricsSchema.optional(),
  shutdownGrace: anyDuration.optional(),
} as const;

export type SectionName = keyof typeof SECTION_SCHEMAS;
export type RawSections = { -readonly [K in SectionName]?: z.output<(typeof SECTION_SCHEMAS)[K]> };
export type RawTarget = z.output<typeof targetSchema>;

/** The whole file as one schema (what a full parse would be); the reference test walks it. */
export const configSchema = z.strictObject({
  ...SECTION_SCHEMAS,
  agent: agentSectionSchema.extend({ targets: z.array(targetSchema).optional() }).optional(),
});
