export { type WireTimestamp, readTimestamp, writeTimestamp, ZERO_TIMESTAMP } from './timestamp.js';
export {
  isSubSecondNanos,
  NANOS_PER_SECOND,
  nanosFromNtpFraction,
  NTP_ERA_SECONDS,
  NTP_FRACTION_UNITS_PER_SECOND,
  NTP_INTERVAL_MAX,
  NTP_UNIX_OFFSET_SECONDS,
  ntpDifferenceNanos,
  ntpFractionFromNanos,
  ntpFromUnixNanos,
  ntpIntervalFromSeconds,
  ntpIntervalToSeconds,
  ntpToUnixNanos,
  writeNtpFromUnix,
} from './ntp.js';
export {
  DEFAULT_TAI_MINUS_UTC_SECONDS,
  isValidPtpTimestamp,
  ptpDifferenceNanos,
  ptpFromUnixNanos,
  ptpToUnixNanos,
  readPtpTimestamp,
  writePtpFromUnix,
} from './ptp.js';
export { type TimestampConversionOptions, timestampFromUnixNanos, timestampToUnixNanos } from './timestamp-format.js';
export {
  ADDRESS_FIELD_LENGTH,
  addressFamilyOf,
  formatIpAddress,
  formatIpv6,
  type IpFamily,
  isUnspecifiedAddress,
  parseIpAddress,
  type ParsedIpAddress,
  readAddress,
  tryParseIpAddress,
  writeAddress,
} from './address.js';
