// The four values every matched reply yields (RFC 5357 §4.1.2 / RFC 8762 §4.1.1 timestamps). One place
// for the arithmetic so that the sender's per-packet results and the statistics cannot disagree.

/** The four timestamps of one exchange, ns relative to one epoch (T1/T4 sender clock, T2/T3 reflector clock). */
export interface ExchangeTimes {
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
  readonly t4: number;
}

export interface PacketDelays {
  /** Round-trip delay without the reflector's processing: (T4 − T1) − (T3 − T2). Clock-offset free. */
  readonly rtt: number;
  /** Forward one-way delay T2 − T1: includes the clock offset (reflector − sender). */
  readonly forward: number;
  /** Backward one-way delay T4 − T3: includes minus the clock offset. */
  readonly backward: number;
  /** Reflector processing (residence) time T3 − T2, reflector clock only. */
  readonly processing: number;
}

/** (T4 − T1) − (T3 − T2), ns: the network round trip without the time the reflector held the packet. */
export function roundTripTime(t1: number, t2: number, t3: number, t4: number): number {
  return t4 - t1 - (t3 - t2);
}

/** Every derived value of one exchange. Allocates one small object; the statistics use the scalar helpers. */
export function packetDelays(times: ExchangeTimes): PacketDelays {
  const { t1, t2, t3, t4 } = times;
  return { rtt: roundTripTime(t1, t2, t3, t4), forward: t2 - t1, backward: t4 - t3, processing: t3 - t2 };
}
