// @twamp/daemon's public entry: the contract (types.ts) and twampd's parts.
export type * from './types.js';
