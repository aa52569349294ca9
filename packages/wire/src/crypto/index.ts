export { type ControlKeys, ControlStreamDecryptor, ControlStreamEncryptor, HMAC_LENGTH } from './control-stream.js';
