// The values derived from one counted reply, passed between the accumulators through one Float64Array
// instead of as arguments. Why: V8 boxes a floating-point argument into a fresh heap object whenever
// it does not inline the callee, and nanosecond times are never small integers, so passing seven
// delays to seven distributions would allocate per packet. Reading them from a typed array does not.

/** Slot of each value in the array. */
export const PV = {
  rtt: 0,
  forward: 1,
  backward: 2,
  processing: 3,
  /** IPDV of the pair being added (round trip, forward, backward). */
  ipdvRtt: 4,
  ipdvForward: 5,
  ipdvBackward: 6,
  /** T2 of the reply (reflector restart detection). */
  t2: 7,
} as const;

export const PACKET_VALUES_LENGTH = 8;

export function createPacketValues(): Float64Array {
  return new Float64Array(PACKET_VALUES_LENGTH);
}
