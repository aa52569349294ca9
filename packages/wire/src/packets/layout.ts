import { Mode } from '../constants.js';

/**
 * How a TWAMP test session protects its packets. Mixed mode (RFC 5618) uses the open layouts,
 * so it maps to `open` here; only authenticated and encrypted change the offsets (RFC 5357 §4.1.2).
 */
export const TestSecurity = {
  Open: 'open',
  Authenticated: 'authenticated',
  Encrypted: 'encrypted',
} as const;

export type TestSecurity = (typeof TestSecurity)[keyof typeof TestSecurity];

/** What a TWAMP test session negotiated that changes where fields sit. */
export interface TwampLayoutOptions {
  readonly security: TestSecurity;
  /** RFC 6038 §5: the sender packet carries MBZ octets so that it is as long as the reflector's base. */
  readonly symmetricalSize?: boolean;
  /** RFC 7750: the reflector reports the received DSCP and ECN (S-DSCP-ECN) after Sender TTL. */
  readonly dscpEcnMonitoring?: boolean;
  /**
   * RFC 6038 §4: how many octets at the start of the sender padding the reflector must return verbatim
   * (Request-TW-Session octets 90-91, "Length of padding to reflect"). 0 when the feature is off.
   *
   * Decision (the reference marks the authenticated/encrypted case UNVERIFIED): RFC 6038 draws only the
   * open reflector, where the reflected octets follow Sender TTL, i.e. they open the reflector padding
   * at 41. We apply the same rule to every layout: the octets to reflect are the first octets of the
   * sender padding (14, 48, 41 or 112) and are returned as the first octets of the reflector padding
   * (41, 44 with RFC 7750, 112 authenticated/encrypted), because padding is the only part of those
   * packets that is neither encrypted nor covered by the HMAC, as reflected octets must be.
   */
  readonly reflectOctets?: number;
}

/**
 * Every offset of both TWAMP test packets for one negotiated combination, resolved once per session so
 * that codecs and the reflector fast path read plain numbers instead of branching per field.
 * `-1` marks a field absent from this layout.
 */
export interface TwampLayout {
  readonly security: TestSecurity;
  readonly symmetricalSize: boolean;
  readonly dscpEcnMonitoring: boolean;
  readonly reflectOctets: number;
  readonly sender: {
    readonly sequence: number;
    readonly timestamp: number;
    readonly errorEstimate: number;
    readonly hmac: number;
    /** Where the sender padding starts: the sender base length. */
    readonly padding: number;
  };
  readonly reflector: {
    readonly sequence: number;
    readonly timestamp: number;
    readonly errorEstimate: number;
    readonly receiveTimestamp: number;
    readonly senderSequence: number;
    readonly senderTimestamp: number;
    readonly senderErrorEstimate: number;
    readonly senderTtl: number;
    readonly senderDscpEcn: number;
    readonly hmac: number;
    /** Where the reflector padding starts: the reflector base length. */
    readonly padding: number;
  };
}

/** RFC 5357 §4.1.2: Seq(4) Timestamp(8) Error Estimate(2). */
export const TWAMP_SENDER_OPEN_BASE = 14;
/** RFC 5357 §4.1.2: Seq(4) MBZ(12) Timestamp(8) Error Estimate(2) MBZ(6) HMAC(16). */
export const TWAMP_SENDER_AUTH_BASE = 48;
/** RFC 5357 §4.2.1: up to and including Sender TTL at offset 40. */
export const TWAMP_REFLECTOR_OPEN_BASE = 41;
/** RFC 7750 §2.2: Sender TTL(40), S-DSCP-ECN(41), MBZ(42-43). */
export const TWAMP_REFLECTOR_DSCP_ECN_BASE = 44;
/** RFC 5357 §4.2.1 as corrected by erratum 5045 (the printed 104 omits the 8 MBZ octets at 40-47). */
export const TWAMP_REFLECTOR_AUTH_BASE = 112;
/**
 * RFC 6038 §5: the open Symmetrical Size sender: 14 header octets then 27 MBZ, so padding starts
 * where the open reflector's does (41).
 */
export const TWAMP_SENDER_SYMMETRICAL_OPEN_BASE = 41;
/**
 * Decision (the reference marks it UNVERIFIED): the authenticated/encrypted Symmetrical Size sender
 * keeps the RFC 5357 48-octet header unchanged (so the encrypted block 0-31 and the HMAC at 32-47 stay
 * where the test-packet crypto expects them) and appends MBZ up to offset 112. RFC 6038 §5 asks for
 * "56 MBZ octets", which is 104 − 48 and so inherits the 104-octet reflector base that erratum 5045
 * corrects to 112; with the corrected base the sender needs 112 − 48 = 64 MBZ octets to stay symmetrical.
 */
export const TWAMP_SENDER_SYMMETRICAL_AUTH_BASE = 112;
/**
 * twampy and other TWAMP Light reflectors send 38-octet replies without the MBZ(2) and Sender TTL
 * fields; 38 is the shortest reflector packet that still carries every timestamp.
 */
export const TWAMP_REFLECTOR_LEGACY_MIN = 38;

/** RFC 6038 §4: Request-TW-Session carries the reflect length in 2 octets. */
const MAX_REFLECT_OCTETS = 0xffff;

/** Resolve the offsets for one negotiated combination (see TwampLayout). */
export function twampLayout(options: TwampLayoutOptions): TwampLayout {
  const symmetricalSize = options.symmetricalSize ?? false;
  const dscpEcnMonitoring = options.dscpEcnMonitoring ?? false;
  const reflectOctets = options.reflectOctets ?? 0;
  if (!Number.isInteger(reflectOctets) || reflectOctets < 0 || reflectOctets > MAX_REFLECT_OCTETS) {
    throw new RangeError(`reflectOctets must be an integer from 0 to ${MAX_REFLECT_OCTETS}, got ${reflectOctets}`);
  }
  if (options.security === TestSecurity.Open) {
    return {
      security: options.security,
      symmetricalSize,
      dscpEcnMonitoring,
      reflectOctets,
      sender: {
        sequence: 0,
        timestamp: 4,
        errorEstimate: 12,
        hmac: -1,
        // Decision (UNVERIFIED in the reference: RFC 7750 asks for 28 octets of padding with
        // Symmetrical Size, while 44 − 14 = 30): the sender keeps RFC 6038's 27 MBZ octets (base 41) in
        // every case, since RFC 7750 redraws only the reflector packet; a reflector answering a 41-43
        // octet request pads its reply up to the 44-octet base, and senders wanting equal sizes pad to 44.
        padding: symmetricalSize ? TWAMP_SENDER_SYMMETRICAL_OPEN_BASE : TWAMP_SENDER_OPEN_BASE,
      },
      reflector: {
        sequence: 0,
        timestamp: 4,
        errorEstimate: 12,
        receiveTimestamp: 16,
        senderSequence: 24,
        senderTimestamp: 28,
        senderErrorEstimate: 36,
        senderTtl: 40,
        senderDscpEcn: dscpEcnMonitoring ? 41 : -1,
        hmac: -1,
        padding: dscpEcnMonitoring ? TWAMP_REFLECTOR_DSCP_ECN_BASE : TWAMP_REFLECTOR_OPEN_BASE,
      },
    };
  }
  return {
    security: options.security,
    symmetricalSize,
    dscpEcnMonitoring,
    reflectOctets,
    sender: {
      sequence: 0,
      timestamp: 16,
      errorEstimate: 24,
      hmac: 32,
      padding: symmetricalSize ? TWAMP_SENDER_SYMMETRICAL_AUTH_BASE : TWAMP_SENDER_AUTH_BASE,
    },
    reflector: {
      sequence: 0,
      timestamp: 16,
      errorEstimate: 24,
      receiveTimestamp: 32,
      senderSequence: 48,
      senderTimestamp: 64,
      senderErrorEstimate: 72,
      senderTtl: 80,
      // RFC 7750 §2.2 puts S-DSCP-ECN right after Sender TTL in the authenticated layout too; the base
      // stays 112 because octets 82-95 were MBZ already.
      senderDscpEcn: dscpEcnMonitoring ? 81 : -1,
      hmac: 96,
      padding: TWAMP_REFLECTOR_AUTH_BASE,
    },
  };
}

/**
 * The layout implied by a negotiated TWAMP-Modes value (the Set-Up-Response Mode): the security bit
 * picks the offsets, the feature bits switch on the RFC 6038 and RFC 7750 formats. Mixed (8) and
 * Unauthenticated (1) both use the open layouts.
 */
export function twampLayoutFromModes(mode: number, reflectOctets = 0): TwampLayout {
  let security: TestSecurity = TestSecurity.Open;
  if ((mode & Mode.Encrypted) !== 0) {
    security = TestSecurity.Encrypted;
  } else if ((mode & Mode.Authenticated) !== 0) {
    security = TestSecurity.Authenticated;
  }
  return twampLayout({
    security,
    symmetricalSize: (mode & Mode.SymmetricalSize) !== 0,
    dscpEcnMonitoring: (mode & Mode.DscpEcnMonitoring) !== 0,
    reflectOctets: (mode & Mode.ReflectOctets) !== 0 ? reflectOctets : 0,
  });
}

/** Security of a STAMP session: RFC 8762 §4.2 (open) or §4.3 (authenticated, HMAC-SHA-256). */
export const StampSecurity = {
  Open: 'open',
  Authenticated: 'authenticated',
} as const;

export type StampSecurity = (typeof StampSecurity)[keyof typeof StampSecurity];

/** RFC 8762 §4.2.1/§4.3.1: both open STAMP packets are 44 octets before any TLV. */
export const STAMP_OPEN_BASE = 44;
/** RFC 8762 §4.2.2/§4.3.2: both authenticated STAMP packets are 112 octets before any TLV. */
export const STAMP_AUTH_BASE = 112;

export function stampBase(security: StampSecurity): number {
  return security === StampSecurity.Open ? STAMP_OPEN_BASE : STAMP_AUTH_BASE;
}
