import type { ClockClaim, PacketSample } from '../src/index.js';

export const SYNCED: ClockClaim = { synchronized: true, errorSeconds: 1e-6 };
export const UNSYNCED: ClockClaim = { synchronized: false, errorSeconds: 1e-3 };

/** A reply sample with sensible defaults: T2 = T1 + forward, T3 = T2 + processing, T4 = T3 + backward. */
export function sample(
  sequence: number,
  t1: number,
  forward: number,
  backward: number,
  extra: Partial<PacketSample> & { processing?: number } = {},
): PacketSample {
  const processing = extra.processing ?? 0;
  const t2 = t1 + forward;
  const t3 = t2 + processing;
  return {
    sequence,
    reflectorSequence: sequence,
    t1,
    t2,
    t3,
    t4: t3 + backward,
    senderClock: SYNCED,
    reflectorClock: SYNCED,
    ...extra,
  };
}
