export * from './constants.js';
export * from './values/index.js';
export * from './crypto/index.js';
export * from './control/index.js';
export * from './packets/index.js';
