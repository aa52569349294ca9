import { argumentError } from './argument-error.js';

/**
 * Both 64-bit timestamp formats carry 32-bit seconds with no era number: NTP wraps every 2^32 s from 1900
 * (next in 2036), PTPv2 truncated every 2^32 s from 1970 (next in 2106).
 */
export const ERA_SECONDS = 4_294_967_296;

/** Nanoseconds per second, for the BigInt instants both formats convert from and to. */
export const NANOS_PER_SECOND_BIG = 1_000_000_000n;

/**
 * A signed count of nanoseconds since a format's epoch as the wire carries it: whole seconds, floored
 * (BigInt division truncates toward zero, so instants before the epoch need the correction) and
 * wrapped into the 32-bit field, and the nanoseconds (0 to 999 999 999) left over.
 */
export function splitEpochNanos(epochNanos: bigint): { readonly seconds: number; readonly nanos: number } {
  let seconds = epochNanos / NANOS_PER_SECOND_BIG;
  let nanos = epochNanos % NANOS_PER_SECOND_BIG;
  if (nanos < 0n) {
    nanos += NANOS_PER_SECOND_BIG;
    seconds -= 1n;
  }
  return { seconds: Number(BigInt.asUintN(32, seconds)), nanos: Number(nanos) };
}

/** Beyond this, seconds plus an era offset are no longer exact in double arithmetic. */
export const MAX_UNIX_SECONDS = 2 ** 52;

export function checkUnixSeconds(value: number, path: string, integer: boolean): void {
  const ok = integer ? Number.isInteger(value) : Number.isFinite(value);
  if (!(ok && Math.abs(value) < MAX_UNIX_SECONDS)) {
    const kind = integer ? 'an integer number' : 'a finite number';
    throw argumentError(path, `${kind} of seconds since 1970 (magnitude below 2^52)`, value);
  }
}

/**
 * Unix seconds of a 32-bit seconds field whose era is unknown: of all instants that differ from
 * `eraZeroUnixSeconds` by whole eras, the one nearest the pivot (ties go to the later era). Any pivot
 * within 68 years (2^31 s) of the true instant therefore finds it.
 */
export function unixSecondsNearestPivot(eraZeroUnixSeconds: number, pivotUnixSeconds: number): number {
  checkUnixSeconds(pivotUnixSeconds, 'pivotUnixSeconds', false);
  const era = Math.round((pivotUnixSeconds - eraZeroUnixSeconds) / ERA_SECONDS);
  return eraZeroUnixSeconds + era * ERA_SECONDS;
}

/** The default pivot: the wall clock now, since most timestamps being decoded are recent. */
export function nowUnixSeconds(): number {
  return Date.now() / 1000;
}
