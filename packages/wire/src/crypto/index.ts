// Layout lengths (Token, SID, IVs, STAMP offsets) belong to the control and packet codecs, which
// export them; only crypto-specific names are re-exported here, so `export *` in the package
// entry never sees two modules export the same name.
export { type ControlKeys, ControlStreamDecryptor, ControlStreamEncryptor, HMAC_LENGTH } from './control-stream.js';
export {
  checkPbkdf2Count,
  DERIVED_KEY_LENGTH,
  deriveKey,
  PBKDF2_DEFAULT_MAX_COUNT,
  PBKDF2_MIN_COUNT,
  type SharedSecret,
  secretOctets,
} from './kdf.js';
export {
  acceptToken,
  AES_KEY_LENGTH,
  challengeMatches,
  decryptToken,
  encryptToken,
  generateChallenge,
  generateClientIv,
  generateControlKeys,
  generateIv,
  generateSalt,
  generateServerIv,
  HMAC_KEY_LENGTH,
  type RandomBytes,
  type TokenContents,
} from './token.js';
export { deriveTestKeys, type TestSessionKeys } from './test-keys.js';
export {
  createTestPacketCrypto,
  TEST_HMAC_LENGTH,
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
