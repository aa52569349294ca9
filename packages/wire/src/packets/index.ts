// Test packets: TWAMP (RFC 5357, 6038, 7750), STAMP (RFC 8762, 8972) and the reflector fast path.
export * from './layout.js';
export * from './twamp.js';
export * from './stamp.js';
export * from './tlv.js';
export * from './tlvs.js';
export * from './reflect.js';
