// STAMP TLVs (RFC 8972, RFC 9503, RFC 9534): one module per type, one table, one walker.
export * from './area.js';
export {
  NO_ADDRESS,
  ReflectorSupport,
  ReflectorTlvContext,
  type SenderTlvOptions,
  type TlvFill,
  type TlvSpec,
  type TypedTlv,
} from './spec.js';
export * from './table.js';
export * from './codec.js';
export * from './flags.js';
export { type ExtraPaddingTlv, extraPaddingSpec } from './extra-padding.js';
export * from './location.js';
export * from './timestamp-information.js';
export * from './class-of-service.js';
export * from './direct-measurement.js';
export * from './access-report.js';
export * from './follow-up-telemetry.js';
export * from './hmac.js';
export * from './destination-node-address.js';
export * from './return-path.js';
export * from './micro-session-id.js';
