import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { IV_LENGTH, TOKEN_LENGTH } from '../crypto/token.js';
import { needMessage } from './layout.js';

/**
 * Set-Up-Response: the client's answer to the greeting, always in clear. 164 octets, so it is
 * not a whole number of blocks; the client-to-server cipher chain starts right after it.
 */
export const SET_UP_RESPONSE_LENGTH = 164;

export const SetUpResponseOffset = {
  /** The chosen mode: exactly one security bit plus any feature bits. */
  Mode: 0,
  /** 80 octets: identity, UTF-8 zero-padded (RFC 7717: SPIi ‖ SPIr). */
  KeyId: 4,
  /** 64 octets: AES-CBC(dk, IV 0) of Challenge ‖ AES Session-key ‖ HMAC Session-key. */
  Token: 84,
  ClientIv: 148,
} as const;

export const KEY_ID_LENGTH = 80;
/** The Token's length is the crypto module's (it builds the Token); re-exported as the field length. */
export { TOKEN_LENGTH };
export const CLIENT_IV_LENGTH = IV_LENGTH;
const WHAT = 'Set-Up-Response';

const FIELDS = [
  { name: 'Mode', offset: SetUpResponseOffset.Mode },
  { name: 'KeyID', offset: SetUpResponseOffset.KeyId },
  { name: 'Token', offset: SetUpResponseOffset.Token },
  { name: 'Client-IV', offset: SetUpResponseOffset.ClientIv },
] as const;

export interface SetUpResponseFields {
  /** The client's choice; 0 means the client is leaving. Kept as received for the server to check. */
  readonly mode: number;
  /** 80 octets; zeros when omitted (unauthenticated mode sends zeros). */
  readonly keyId?: Uint8Array;
  /** 64 octets; zeros when omitted. */
  readonly token?: Uint8Array;
  /** 16 octets; zeros when omitted. */
  readonly clientIv?: Uint8Array;
}

export interface SetUpResponse extends Required<SetUpResponseFields> {
  readonly type: 'set-up-response';
}

export function decodeSetUpResponse(input: Uint8Array, offset = 0): SetUpResponse {
  needMessage(input, offset, SET_UP_RESPONSE_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  return {
    type: 'set-up-response',
    mode: buf.readUInt32BE(offset + SetUpResponseOffset.Mode),
    keyId: copyBytes(buf, offset + SetUpResponseOffset.KeyId, KEY_ID_LENGTH),
    token: copyBytes(buf, offset + SetUpResponseOffset.Token, TOKEN_LENGTH),
    clientIv: copyBytes(buf, offset + SetUpResponseOffset.ClientIv, CLIENT_IV_LENGTH),
  };
}

/** Write a Set-Up-Response at `offset`; returns the offset just past it. */
export function writeSetUpResponse(target: Uint8Array, offset: number, value: SetUpResponseFields): number {
  checkTarget(target, offset, SET_UP_RESPONSE_LENGTH, WHAT);
  const buf = asBuffer(target);
  buf.writeUInt32BE(value.mode, offset + SetUpResponseOffset.Mode);
  writeBytes(buf, offset + SetUpResponseOffset.KeyId, KEY_ID_LENGTH, value.keyId, 'KeyID');
  writeBytes(buf, offset + SetUpResponseOffset.Token, TOKEN_LENGTH, value.token, 'Token');
  writeBytes(buf, offset + SetUpResponseOffset.ClientIv, CLIENT_IV_LENGTH, value.clientIv, 'Client-IV');
  return offset + SET_UP_RESPONSE_LENGTH;
}

export function encodeSetUpResponse(value: SetUpResponseFields): Buffer {
  const out = Buffer.alloc(SET_UP_RESPONSE_LENGTH);
  writeSetUpResponse(out, 0, value);
  return out;
}
