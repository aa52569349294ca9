// @twamp/wire's public entry. Inside the package the folders are layered too, each importing only
// from those before it: bytes.ts, octets.ts, constants.ts → values/ → packets/ → crypto/ → control/.
// (crypto/ reads field offsets and lengths from the packet layouts; control/ uses the crypto for its
// stream and the Token lengths.) A module that needs a length or offset imports it from the layer
// that owns it rather than defining its own copy.
export * from './constants.js';
export * from './values/index.js';
export * from './crypto/index.js';
export * from './control/index.js';
export * from './packets/index.js';
