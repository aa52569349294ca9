// A KeyStore over a fixed map, so tests do not depend on the package's own key-file parser.
import type { KeyStore } from '../../src/index.js';

export const KEY_ID = 'integration';
export const SECRET = 'integration shared secret';

export function memoryKeys(entries: Readonly<Record<string, string>> = { [KEY_ID]: SECRET }): KeyStore {
  const map = new Map(Object.entries(entries).map(([id, secret]) => [id, new TextEncoder().encode(secret)]));
  return {
    secret: (keyId) => map.get(keyId),
    size: map.size,
  };
}

export function secretBytes(secret: string = SECRET): Uint8Array {
  return new TextEncoder().encode(secret);
}
