// The capabilities of an implementation that lacks nothing (the native socket, the memory network):
// one list, so a capability added to UdpCapabilities is set for both at once.
import type { UdpCapabilities, UdpImplementation } from './types.js';

/** Every capability true, under `implementation`'s name; frozen. */
export function fullCapabilities(implementation: UdpImplementation): UdpCapabilities {
  return Object.freeze({
    implementation,
    setTtl: true,
    setTos: true,
    dontFragment: true,
    receiveTtl: true,
    receiveTos: true,
    localAddress: true,
    kernelTimestamps: true,
    stampOnSend: true,
    batching: true,
  });
}
