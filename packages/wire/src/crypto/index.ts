// Layout lengths and offsets (HMAC, SID, Token, IVs, where the HMAC fields sit) belong to
// constants.ts and the control and packet codecs, which export them; the crypto modules import
// them from there rather than keep their own copies. Only crypto-specific names are re-exported
// here, so `export *` in the package entry never sees two modules export the same name.
export {
  AES_KEY_LENGTH,
  type ControlKeys,
  ControlStreamDecryptor,
  ControlStreamEncryptor,
  HMAC_KEY_LENGTH,
} from './control-stream.js';
export {
  checkPbkdf2Count,
  DERIVED_KEY_LENGTH,
  deriveKey,
  deriveKeyAsync,
  PBKDF2_DEFAULT_MAX_COUNT,
  PBKDF2_MIN_COUNT,
  type SharedSecret,
  secretOctets,
} from './kdf.js';
export {
  acceptToken,
  challengeMatches,
  decryptToken,
  encryptToken,
  generateChallenge,
  generateClientIv,
  generateControlKeys,
  generateIv,
  generateSalt,
  generateServerIv,
  type RandomBytes,
  type TokenContents,
} from './token.js';
export { deriveTestKeys, type TestSessionKeys } from './test-keys.js';
export {
  createTestPacketCrypto,
  TestPacketCrypto,
  TestPacketKind,
  TestPacketProtection,
  testHmacOffset,
  testPacketProtectionForMode,
  testProtectedLength,
} from './test-packet-crypto.js';
export {
  signStampPacket,
  stampPacketHmac,
  stampTlvHmac,
  type StampTlvRange,
  verifyStampPacket,
  verifyStampTlvHmac,
  writeStampTlvHmac,
} from './stamp-hmac.js';
