// Key stores: in memory, or read from a perfSONAR or plain key file.
export { createKeyStore, keyIdFromField, MAX_KEY_ID_OCTETS } from './key-store.js';
export {
  formatKeyFileLine,
  keyFileIdentityProblem,
  type KeyFileFormat,
  type KeyFileOptions,
  type KeyFileWarning,
  loadKeyFile,
  MIN_SECRET_OCTETS,
  type ParsedKeyFile,
  parseKeyFile,
  requireIdentities,
} from './key-file.js';
