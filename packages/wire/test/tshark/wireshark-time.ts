/**
 * How tshark prints the 8-octet timestamps of TWAMP, computed independently of our codec so a test
 * can say "tshark shows exactly the instant we encoded". The rules are Wireshark's, from
 * epan/proto.c get_time_value() and packet-twamp.c (both checked against tshark 4.0.17 output):
 *
 * - ENC_TIME_NTP (absolute): if the top bit of the seconds is set, the era-0 epoch 1900-01-01 applies;
 *   if it is clear, Wireshark assumes NTP era 1 and counts from 2036-02-07T06:28:16Z (RFC 4330 §3).
 *   An all-zero value is special-cased as the "NULL" time and shown as the Unix epoch.
 *   Fraction to nanoseconds: (int)(1000000000 * (fraction / 4294967296.0)), i.e. truncated.
 * - ENC_TIME_SECS_NSECS (absolute): seconds since 1970 and nanoseconds, taken as they are. A
 *   nanoseconds value of 10^9 or more is neither rejected nor normalised: it is printed with %09d,
 *   so it shows as a ten-digit fraction, or as "-0000000n" once it no longer fits an int.
 * - The Request-TW-Session Timeout is a relative time whose "nanoseconds" packet-twamp.c computes as
 *   (int)(fraction / 4294.967296). 4294.967296 is 2^32 / 10^6, so that is the fraction in
 *   microseconds, truncated, stored where nanoseconds belong: the sub-second part shows 1000× too small.
 *
 * Absolute times are printed in local time; the harness runs tshark with TZ=UTC, which prints as
 * "Jan  1, 2024 00:00:00.500000000 UTC" (month, day padded to two columns, year, time, zone).
 */

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_ERA0_TO_UNIX = 2_208_988_800;
/** Seconds from 1970-01-01 to 2036-02-07T06:28:16Z, the start of NTP era 1. */
const UNIX_TO_NTP_ERA1 = 2_085_978_496;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function pad(value: number, width: number, fill = '0'): string {
  return String(value).padStart(width, fill);
}

/** Wireshark's absolute-time display for Unix seconds and nanoseconds (TZ=UTC). */
export function wiresharkAbsolute(unixSeconds: number, nanoseconds: number): string {
  const date = new Date(unixSeconds * 1000);
  const month = MONTHS[date.getUTCMonth()] ?? '???';
  // Wireshark prints nanoseconds as a signed %09d, which is how an out-of-range value shows up.
  const nanos = nanoseconds < 0 ? `-${pad(-nanoseconds, 8)}` : pad(nanoseconds, 9);
  return (
    `${month} ${pad(date.getUTCDate(), 2, ' ')}, ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${nanos} UTC`
  );
}

/** Nanoseconds exactly as proto.c derives them from an NTP fraction (double arithmetic, truncated). */
export function ntpFractionToNanos(fraction: number): number {
  return Math.trunc(1_000_000_000 * (fraction / 4_294_967_296.0));
}

/** How tshark shows an NTP-format timestamp field (ENC_TIME_NTP). */
export function wiresharkNtp(seconds: number, fraction: number): string {
  const nanos = ntpFractionToNanos(fraction);
  if (seconds === 0 && nanos === 0) return wiresharkAbsolute(0, 0);
  const unix = (seconds & 0x8000_0000) !== 0 ? seconds - NTP_ERA0_TO_UNIX : seconds + UNIX_TO_NTP_ERA1;
  return wiresharkAbsolute(unix, nanos);
}

/** How tshark shows a seconds + nanoseconds timestamp field (ENC_TIME_SECS_NSECS; PTPv2 truncated). */
export function wiresharkSecsNsecs(seconds: number, nanoseconds: number): string {
  // The C code stores the 32-bit nanoseconds in an int: values of 2^31 and up go negative.
  return wiresharkAbsolute(seconds, nanoseconds | 0);
}

/** How tshark shows the Request-TW-Session Timeout (packet-twamp.c: relative time, µs taken for ns). */
export function wiresharkTimeout(seconds: number, fraction: number): string {
  return `${seconds}.${pad(Math.trunc(fraction / 4294.967296), 9)}`;
}

/** RFC 8186: the Z bit (0x4000) of an Error Estimate says the timestamp is PTPv2 (1) or NTP (0). */
export const Z_BIT = 0x4000;

/**
 * How tshark shows a Timestamp or Receive Timestamp: packet-twamp.c picks the format from the Z bit
 * of the Error Estimate that belongs to it, as RFC 8186 says.
 */
export function wiresharkByZ(errorEstimate: number, seconds: number, fraction: number): string {
  return (errorEstimate & Z_BIT) !== 0 ? wiresharkSecsNsecs(seconds, fraction) : wiresharkNtp(seconds, fraction);
}

/**
 * How tshark shows a reflector packet's Sender Timestamp. packet-twamp.c tests Z_BIT against the
 * first two octets of the Sender Timestamp itself (offset 28), not the Sender Error Estimate (36),
 * and takes a set bit to mean NTP, the opposite of RFC 8186. So the format depends on bit 30 of the
 * seconds: NTP seconds from 0xC0000000 (2002-01-28) to the 2036 wrap have it set and happen to
 * decode right, older NTP values decode as seconds + nanoseconds, and PTP seconds from 0x40000000
 * (2004-01-10) on, such as 0x6592xxxx in 2024, decode as NTP.
 */
export function wiresharkSenderTimestamp(seconds: number, fraction: number): string {
  return ((seconds >>> 16) & Z_BIT) !== 0 ? wiresharkNtp(seconds, fraction) : wiresharkSecsNsecs(seconds, fraction);
}
