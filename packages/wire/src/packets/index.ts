// Test packets: TWAMP (RFC 5357, 6038, 7750), STAMP (RFC 8762, 8972) and the reflector fast path.
//
// Decoders return VIEWS (subarray) into the input, never copies: padding, the TLV area, TLV and
// sub-TLV values and HMAC fields share memory with the packet, because test packets are decoded once
// per packet at line rate and then dropped. Copy what you keep before the receive buffer is reused.
// (The control-message decoders copy instead; see control/index.ts.)
export * from './layout.js';
export * from './twamp.js';
export * from './stamp.js';
export * from './tlv/index.js';
export * from './reflect.js';
