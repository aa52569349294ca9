// A small NTP timestamp writer for send stamping. @twamp/wire has the full codec, but it is a
// sibling layer (L1 like this package), so this layer carries the few lines it needs itself.

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch). */
export const NTP_UNIX_OFFSET_SECONDS = 2_208_988_800;

const TWO_POW_32 = 4_294_967_296;

/**
 * The 32-bit NTP fraction (units of 2^-32 s) of `nanos` nanoseconds, rounded down.
 *
 * fraction = floor(nanos × 2^32 / 10^9) = floor(nanos × 2^23 / 5^9): with 10^9 = 2^9 × 5^9 the
 * numerator stays below 2^53, so the product is exact in a double and only the division rounds;
 * the check after it undoes a quotient rounded up to the next integer.
 */
export function nanosToNtpFraction(nanos: number): number {
  const numerator = nanos * 8_388_608;
  let fraction = Math.floor(numerator / 1_953_125);
  if (fraction * 1_953_125 > numerator) fraction -= 1;
  return fraction;
}

/** NTP seconds (era-relative: they wrap in 2036) of a Unix time in seconds. */
export function unixToNtpSeconds(unixSeconds: number): number {
  return (unixSeconds + NTP_UNIX_OFFSET_SECONDS) % TWO_POW_32;
}

/**
 * Write the NTP timestamp of a Unix time (seconds + nanoseconds) big-endian at `offset` of
 * `target`, and leave [seconds, fraction] in `stamp`. The caller checks the bounds.
 */
export function writeNtpTimestamp(target: Uint8Array, offset: number, unixSeconds: number, nanos: number, stamp: Uint32Array): void {
  const seconds = unixToNtpSeconds(unixSeconds);
  const fraction = nanosToNtpFraction(nanos);
  stamp[0] = seconds;
  stamp[1] = fraction;
  target[offset] = seconds >>> 24;
  target[offset + 1] = (seconds >>> 16) & 0xff;
  target[offset + 2] = (seconds >>> 8) & 0xff;
  target[offset + 3] = seconds & 0xff;
  target[offset + 4] = fraction >>> 24;
  target[offset + 5] = (fraction >>> 16) & 0xff;
  target[offset + 6] = (fraction >>> 8) & 0xff;
  target[offset + 7] = fraction & 0xff;
}
