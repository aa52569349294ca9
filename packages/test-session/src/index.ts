// @twamp/test-session's public entry: the contract (types.ts), the Session-Reflector and the
// Session-Sender, and the Error Estimate helpers both use.
export type * from './types.js';
export { clockClaimFromErrorEstimate, errorEstimateForClock } from './shared/clock.js';
export * from './reflector/index.js';
export * from './sender/index.js';
export * from './controlled/index.js';
export { parseCidr } from './reflector/cidr.js';
