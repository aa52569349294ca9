import { type Cipher, createHmac, type Decipher, timingSafeEqual } from 'node:crypto';
import { checkTarget, need } from '../bytes.js';
import { BLOCK, HMAC_LENGTH, Mode, SECURITY_MODE_MASK } from '../constants.js';
import { copyOctets } from '../octets.js';
import { TestSecurity, twampLayout } from '../packets/layout.js';
import { aesCbcDecryptor, aesCbcEncryptor, ZERO_IV } from './aes.js';
import type { ControlKeys } from './control-stream.js';
import { deriveTestKeys, type TestSessionKeys } from './test-keys.js';

/** How a TWAMP test session protects its packets; unauthenticated and mixed sessions use neither. */
export const TestPacketProtection = {
  /** RFC 4656 §4.1.2: block 0 AES-ECB encrypted, HMAC over block 0. */
  Authenticated: 'authenticated',
  /** RFC 4656 §4.1.2, RFC 5357 §4.2.1: the fixed fields AES-CBC encrypted, HMAC over them. */
  Encrypted: 'encrypted',
} as const;

export type TestPacketProtection = (typeof TestPacketProtection)[keyof typeof TestPacketProtection];

const PROTECTIONS: ReadonlySet<string> = new Set(Object.values(TestPacketProtection));

/** Which of the two TWAMP-Test packet formats a buffer holds. */
export const TestPacketKind = {
  /** Session-Sender packet (RFC 4656 §4.1.2 / RFC 5357 §4.1.2): HMAC at 32. */
  Sender: 'sender',
  /** Session-Reflector packet (RFC 5357 §4.2.1): HMAC at 96. */
  Reflector: 'reflector',
} as const;

export type TestPacketKind = (typeof TestPacketKind)[keyof typeof TestPacketKind];

/** Error-message names, built once: a template string per call would allocate on every packet. */
const PACKET_NAMES: Readonly<Record<TestPacketKind, string>> = {
  sender: 'TWAMP-Test Session-Sender packet',
  reflector: 'TWAMP-Test Session-Reflector packet',
};

/**
 * Where the HMAC fields sit comes from the packet layout, the one place that knows the offsets:
 * 32 (sender) and 96 (reflector), the same in the authenticated and encrypted layouts, whatever
 * feature bits (Symmetrical Size, RFC 7750) are on.
 */
const { sender: SENDER_LAYOUT, reflector: REFLECTOR_LAYOUT } = twampLayout({ security: TestSecurity.Authenticated });

/** target[at..at+16) ^= source[from..from+16). */
function xorBlock(target: Uint8Array, at: number, source: Uint8Array, from: number): void {
  for (let i = 0; i < BLOCK; i += 1) {
    target[at + i] = (target[at + i] ?? 0) ^ (source[from + i] ?? 0);
  }
}

/**
 * The part of a packet that is encrypted, which is also exactly the part the HMAC covers
 * (RFC 4656 §4.1.2: the test HMAC covers only what is encrypted):
 * - authenticated: block 0 only (Sequence Number and MBZ), both packet kinds;
 * - encrypted: everything before the HMAC field: 32 octets for the sender, 96 for the reflector.
 * Timestamps are therefore in clear and unauthenticated in authenticated mode, and padding is
 * never encrypted nor authenticated in either mode.
 */
export function testProtectedLength(protection: TestPacketProtection, kind: TestPacketKind): number {
  if (protection === TestPacketProtection.Authenticated) return BLOCK;
  return testHmacOffset(kind);
}

/** Where the HMAC field sits for this packet kind. */
export function testHmacOffset(kind: TestPacketKind): number {
  return kind === TestPacketKind.Sender ? SENDER_LAYOUT.hmac : REFLECTOR_LAYOUT.hmac;
}

/**
 * The test-packet protection a negotiated Mode implies, or undefined when test packets travel in
 * clear: unauthenticated mode, and mixed mode (RFC 5618: encrypted control, unauthenticated test).
 * Feature bits above the security nibble are ignored.
 */
export function testPacketProtectionForMode(mode: number): TestPacketProtection | undefined {
  switch (mode & SECURITY_MODE_MASK) {
    case Mode.Authenticated:
      return TestPacketProtection.Authenticated;
    case Mode.Encrypted:
      return TestPacketProtection.Encrypted;
    default:
      return undefined;
  }
}

/**
 * Protection of one test session's packets, in place on the caller's buffers.
 *
 * Encrypted mode is AES-CBC with an IV of zero restarted for every packet (RFC 4656 §4.1.2), and
 * authenticated mode is its one-block case (CBC with a zero IV over one block is ECB). A Node
 * Cipheriv cannot be rewound to a new IV, and creating one per packet costs more than the
 * encryption itself, so each direction keeps one long-lived AES-128-CBC cipher (padding off, whole
 * blocks only) and cancels the chain it carries over from the previous packet: that cipher XORs
 * the first block with the last ciphertext block it handled, so XORing that same block in first
 * (encrypt) or out afterwards (decrypt) leaves exactly E(P0) / D(C0), as with a zero IV. The rest
 * of the packet then chains as CBC does, and the whole encrypted part costs one native call.
 *
 * Order (RFC 4656 §4.1.2): send = fill fields, HMAC over the plaintext, then encrypt (the HMAC
 * field itself is never encrypted); receive = decrypt, then verify.
 */
export class TestPacketCrypto {
  readonly protection: TestPacketProtection;
  readonly #encryptor: Cipher;
  readonly #decryptor: Decipher;
  /** The last ciphertext block #encryptor produced: its chaining value for the next packet. */
  readonly #encryptChain = Buffer.alloc(BLOCK);
  /** The last ciphertext block #decryptor consumed: its chaining value for the next packet. */
  readonly #decryptChain = Buffer.alloc(BLOCK);
  readonly #hmacKey: Buffer;

  constructor(keys: TestSessionKeys, protection: TestPacketProtection) {
    // The type already excludes other values; this guards plain-JavaScript callers.
    if (!PROTECTIONS.has(protection)) throw new RangeError(`unknown test packet protection ${protection}`);
    this.protection = protection;
    this.#encryptor = aesCbcEncryptor(keys.aesKey, ZERO_IV);
    this.#decryptor = aesCbcDecryptor(keys.aesKey, ZERO_IV);
    // Keep our own copy: the caller may reuse or wipe its key buffer.
    this.#hmacKey = Buffer.from(keys.hmacKey);
  }

  /**
   * Fill the HMAC field and encrypt, in place. `packet` holds the plaintext packet, padding
   * included; the padding is left untouched.
   *
   * @throws RangeError when the buffer is shorter than the packet kind's base (48 or 112 octets).
   */
  protect(packet: Uint8Array, kind: TestPacketKind): void {
    const macAt = testHmacOffset(kind);
    checkTarget(packet, 0, macAt + HMAC_LENGTH, PACKET_NAMES[kind]);
    // One view of the part that is both authenticated and encrypted serves the HMAC and the cipher
    // (it sees the chain cancelling below, which happens in place).
    const covered = packet.subarray(0, testProtectedLength(this.protection, kind));
    copyOctets(this.#digest(covered), 0, packet, macAt, HMAC_LENGTH);

    // Pre-cancel the carried-over chain so block 0 is encrypted as if the IV were zero.
    xorBlock(packet, 0, this.#encryptChain, 0);
    const cipher = this.#encryptor.update(covered);
    packet.set(cipher, 0);
    copyOctets(cipher, cipher.length - BLOCK, this.#encryptChain, 0, BLOCK);
  }

  /**
   * Decrypt in place and check the HMAC. Returns false when the HMAC does not match: the caller
   * counts and drops the packet (malformed test packets are counted and dropped, as perfSONAR
   * ignores them too), so a forged or corrupted packet costs no exception. The buffer is decrypted
   * either way.
   *
   * @throws MalformedInputError when the buffer is too short to hold the HMAC field.
   */
  unprotect(packet: Uint8Array, kind: TestPacketKind): boolean {
    const macAt = testHmacOffset(kind);
    need(packet, macAt, HMAC_LENGTH, PACKET_NAMES[kind], 'HMAC');
    const covered = packet.subarray(0, testProtectedLength(this.protection, kind));

    const plain = this.#decryptor.update(covered);
    // Undo the carried-over chain on block 0, then remember this packet's last ciphertext block
    // (the decipher's chaining value now) before the plaintext overwrites it.
    xorBlock(plain, 0, this.#decryptChain, 0);
    copyOctets(packet, covered.length - BLOCK, this.#decryptChain, 0, BLOCK);
    packet.set(plain, 0);

    const expected = this.#digest(covered).subarray(0, HMAC_LENGTH);
    return timingSafeEqual(expected, packet.subarray(macAt, macAt + HMAC_LENGTH));
  }

  /** The untruncated HMAC-SHA1 (20 octets) of `covered`; callers use its first 16. */
  #digest(covered: Uint8Array): Buffer {
    return createHmac('sha1', this.#hmacKey).update(covered).digest();
  }
}

/**
 * The packet protection for one session of a control connection, or undefined when the mode
 * sends test packets in clear (unauthenticated, mixed). Derives the session's keys from the
 * control keys and the SID.
 */
export function createTestPacketCrypto(mode: number, control: ControlKeys, sid: Uint8Array): TestPacketCrypto | undefined {
  const protection = testPacketProtectionForMode(mode);
  if (protection === undefined) return undefined;
  return new TestPacketCrypto(deriveTestKeys(control, sid), protection);
}
