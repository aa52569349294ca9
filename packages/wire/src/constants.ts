/** Well-known ports (RFC 8545 §7, RFC 8762 §4.1). */
export const Port = {
  OwampControl: 861,
  TwampControl: 862,
  /** UDP 862 (`twamp-test`) is also STAMP's default reflector port. */
  TwampTest: 862,
} as const;

/**
 * The largest UDP payload over IPv4 (65535 − 20 − 8). IPv6 allows 65527, but one limit keeps test
 * packet sizes portable: a Padding Length (control) or padding option (sender) that cannot fit is unusable.
 */
export const MAX_UDP_PAYLOAD = 65_507;

/** Octets per AES block; control messages after Server-Start are whole blocks. */
export const BLOCK = 16;

/**
 * Every TWAMP HMAC field, control (RFC 4656 §3.2) and test (RFC 4656 §4.1.2), is HMAC-SHA1 truncated
 * to 16 octets. Defined once here because the control codecs, the control-stream crypto, the test
 * packet codecs and the test-packet crypto all size the same field.
 */
export const HMAC_LENGTH = 16;

/** Octets in a Session Identifier (RFC 4656 §3.5): address (4) ‖ timestamp (8) ‖ random (4). */
export const SID_LENGTH = 16;

/**
 * TWAMP-Modes bits (RFC 4656, 5357, 5618, 5938, 6038, 7717, 7750, 8186; IANA twamp-parameters).
 * The first four are security modes: Set-Up-Response carries exactly one of them.
 */
export const Mode = {
  Unauthenticated: 1,
  Authenticated: 2,
  Encrypted: 4,
  /** RFC 5618: unauthenticated test packets, encrypted control. */
  Mixed: 8,
  /** RFC 5938: Start-N-Sessions / Stop-N-Sessions. */
  IndividualSessionControl: 16,
  /** RFC 6038 §4. */
  ReflectOctets: 32,
  /** RFC 6038 §5. */
  SymmetricalSize: 64,
  /** RFC 7717: shared secret derived from an IKEv2 SA. */
  IkeV2: 128,
  /** RFC 7750: S-DSCP-ECN in reflected packets. */
  DscpEcnMonitoring: 256,
  /** RFC 8186: PTPv2 truncated timestamps (Z bit). */
  PtpTimestamps: 512,
} as const;

export type ModeBit = (typeof Mode)[keyof typeof Mode];

/** The security part of a Modes value. */
export type SecurityMode = typeof Mode.Unauthenticated | typeof Mode.Authenticated | typeof Mode.Encrypted | typeof Mode.Mixed;

/** Every bit of Modes that selects security (as opposed to a feature). */
export const SECURITY_MODE_MASK = 0x0f;

/** TWAMP-Control command numbers (IANA twamp-parameters; RFC 5357 §3.5, RFC 5938, RFC 9533). */
export const Command = {
  Forbidden: 1,
  StartSessions: 2,
  StopSessions: 3,
  RequestTwSession: 5,
  Experimentation: 6,
  StartNSessions: 7,
  StartNAck: 8,
  StopNSessions: 9,
  StopNAck: 10,
  RequestTwMicroSessions: 11,
} as const;

export type Command = (typeof Command)[keyof typeof Command];
