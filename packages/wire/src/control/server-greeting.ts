import { asBuffer, checkTarget, copyBytes, writeBytes } from '../bytes.js';
import { SALT_LENGTH } from '../crypto/kdf.js';
import { CHALLENGE_LENGTH } from '../crypto/token.js';
import { needMessage } from './layout.js';

/** Server Greeting: the server's first 64 octets, always in clear (RFC 4656 §3.1, RFC 5357 §3.1). */
export const SERVER_GREETING_LENGTH = 64;

export const ServerGreetingOffset = {
  /** 12 unused octets, sent as zeros. */
  Unused: 0,
  /** The TWAMP-Modes the server offers (bitmask). */
  Modes: 12,
  Challenge: 16,
  Salt: 32,
  /** PBKDF2 iteration count. */
  Count: 48,
  /** 12 octets MBZ. */
  Mbz: 52,
} as const;

const WHAT = 'Server Greeting';

const FIELDS = [
  { name: 'Unused', offset: ServerGreetingOffset.Unused },
  { name: 'Modes', offset: ServerGreetingOffset.Modes },
  { name: 'Challenge', offset: ServerGreetingOffset.Challenge },
  { name: 'Salt', offset: ServerGreetingOffset.Salt },
  { name: 'Count', offset: ServerGreetingOffset.Count },
  { name: 'MBZ', offset: ServerGreetingOffset.Mbz },
] as const;

export interface ServerGreetingFields {
  /** Every mode the server offers, ORed; 0 means the server will not serve this client. */
  readonly modes: number;
  /** 16 random octets the client returns inside its Token. */
  readonly challenge: Uint8Array;
  /** 16 random octets for PBKDF2. */
  readonly salt: Uint8Array;
  /** PBKDF2 iterations; kept as received so the client can apply its own cap. */
  readonly count: number;
}

export interface ServerGreeting extends ServerGreetingFields {
  readonly type: 'server-greeting';
}

export function decodeServerGreeting(input: Uint8Array, offset = 0): ServerGreeting {
  needMessage(input, offset, SERVER_GREETING_LENGTH, WHAT, FIELDS);
  const buf = asBuffer(input);
  return {
    type: 'server-greeting',
    modes: buf.readUInt32BE(offset + ServerGreetingOffset.Modes),
    challenge: copyBytes(buf, offset + ServerGreetingOffset.Challenge, CHALLENGE_LENGTH),
    salt: copyBytes(buf, offset + ServerGreetingOffset.Salt, SALT_LENGTH),
    count: buf.readUInt32BE(offset + ServerGreetingOffset.Count),
  };
}

/** Write a Server Greeting at `offset`; returns the offset just past it. */
export function writeServerGreeting(target: Uint8Array, offset: number, value: ServerGreetingFields): number {
  checkTarget(target, offset, SERVER_GREETING_LENGTH, WHAT);
  const buf = asBuffer(target);
  // The target may be a reused buffer: zero the Unused and MBZ octets explicitly.
  buf.fill(0, offset, offset + SERVER_GREETING_LENGTH);
  buf.writeUInt32BE(value.modes, offset + ServerGreetingOffset.Modes);
  writeBytes(buf, offset + ServerGreetingOffset.Challenge, CHALLENGE_LENGTH, value.challenge, 'Challenge');
  writeBytes(buf, offset + ServerGreetingOffset.Salt, SALT_LENGTH, value.salt, 'Salt');
  buf.writeUInt32BE(value.count, offset + ServerGreetingOffset.Count);
  return offset + SERVER_GREETING_LENGTH;
}

export function encodeServerGreeting(value: ServerGreetingFields): Buffer {
  const out = Buffer.alloc(SERVER_GREETING_LENGTH);
  writeServerGreeting(out, 0, value);
  return out;
}
