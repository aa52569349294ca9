// errno from the addon → NetworkError. The name comes from Node's own errno table (the one
// libuv uses), the words from the addon's strerror.

import { getSystemErrorName } from 'node:util';
import { NetworkError } from '@twamp/errors';
import type { NativeBinding } from './binding.js';

export function errnoName(errno: number): string {
  const code = Math.abs(errno);
  try {
    return getSystemErrorName(-code);
  } catch {
    return `E${code}`;
  }
}

export function networkError(binding: NativeBinding, errno: number, operation: string, endpoint: string | undefined): NetworkError {
  const code = Math.abs(errno);
  const detail = binding.strerror(code);
  return new NetworkError(
    endpoint === undefined
      ? { operation, systemCode: errnoName(code), detail }
      : { operation, systemCode: errnoName(code), endpoint, detail },
  );
}
