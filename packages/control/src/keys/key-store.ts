// Shared secrets by KeyID for the authenticated, encrypted and mixed modes (RFC 4656 §3.1).
import { ConfigError } from '@twamp/errors';
import { KEY_ID_LENGTH } from '@twamp/wire';
import type { KeyStore } from '../types.js';

/** The UTF-8 length limit of a KeyID: the Set-Up-Response field is 80 octets, zero-padded. */
export const MAX_KEY_ID_OCTETS = KEY_ID_LENGTH;

/** Why a KeyID cannot be used, or undefined when it can (shared by the store and the key-file parser). */
export function keyIdProblem(keyId: string): string | undefined {
  if (keyId.length === 0) return 'a non-empty identity';
  const octets = Buffer.byteLength(keyId, 'utf8');
  if (octets > MAX_KEY_ID_OCTETS) return `an identity of at most ${MAX_KEY_ID_OCTETS} UTF-8 octets (this one has ${octets})`;
  // A NUL would be read back as the end of the zero-padded field, so the identity could never match.
  if (keyId.includes('\0')) return 'an identity without NUL characters';
  return undefined;
}

/**
 * An in-memory KeyStore. Secrets are copied, so a caller that wipes or reuses its buffers later
 * does not change the store; the store hands out copies for the same reason.
 */
export function createKeyStore(entries: Iterable<readonly [keyId: string, secret: Uint8Array | string]>): KeyStore {
  const secrets = new Map<string, Uint8Array>();
  for (const [keyId, secret] of entries) {
    const problem = keyIdProblem(keyId);
    if (problem !== undefined) {
      // The identity is not secret, but a long one is cut so the error stays readable.
      throw new ConfigError([{ path: 'keys', expected: problem, received: JSON.stringify(keyId.slice(0, 100)) }]);
    }
    if (secrets.has(keyId)) {
      throw new ConfigError([{ path: `keys[${JSON.stringify(keyId)}]`, expected: 'each identity once', received: 'a duplicate' }]);
    }
    const octets = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Uint8Array.from(secret);
    if (octets.length === 0) {
      throw new ConfigError([{ path: `keys[${JSON.stringify(keyId)}]`, expected: 'a non-empty secret' }]);
    }
    secrets.set(keyId, octets);
  }
  return {
    secret: (keyId: string): Uint8Array | undefined => {
      const found = secrets.get(keyId);
      return found === undefined ? undefined : Uint8Array.from(found);
    },
    size: secrets.size,
  };
}

/**
 * The identity a Set-Up-Response carries: UTF-8, zero-padded to 80 octets (RFC 4656 §3.1). Trailing
 * zeros are padding; an identity that is not valid UTF-8 decodes with replacement characters and so
 * matches no stored identity.
 */
export function keyIdFromField(field: Uint8Array): string {
  let end = field.length;
  while (end > 0 && field[end - 1] === 0) end -= 1;
  return Buffer.from(field.buffer, field.byteOffset, end).toString('utf8');
}
