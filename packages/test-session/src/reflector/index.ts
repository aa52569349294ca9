// The Session-Reflector: TWAMP Light and STAMP sessions made on first packet, TWAMP sessions handed
// over by a control server, answered through @twamp/wire's allocation-free reflectInto.
export {
  DEFAULT_DROP_REPORT_INTERVAL_MS,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_SOURCE,
  DEFAULT_REFWAIT_MS,
  REFLECTOR_DROP_REASONS,
  REFLECTOR_MAX_PACKET,
  SessionReflector,
} from './reflector.js';
export { sumReflectorStats } from './stats.js';
