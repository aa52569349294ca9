// The daemon's listeners: the TWAMP-Control server with its session reflectors, and the Light/STAMP reflectors.
export { startListeners, type ListenerDeps } from './listener-set.js';
export { offeredModes } from './modes.js';
