// @twamp/control's public entry: the contract (types.ts), key stores, the server and the client.
export type * from './types.js';
export * from './keys/index.js';
export * from './server/index.js';
export * from './client/index.js';
