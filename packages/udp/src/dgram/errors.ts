// node:dgram reports system failures as ErrnoExceptions (`code` = 'EADDRINUSE', `errno` < 0) and
// its own checks as `ERR_SOCKET_*` errors, some of which wrap a system error in `info`. Both become
// the NetworkError of @twamp/errors, so callers of either implementation see one error type.

import { getSystemErrorMap } from 'node:util';
import { ConfigError, NetworkError, isTwampError } from '@twamp/errors';

interface NodeSystemError {
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly info?: { readonly code?: unknown; readonly errno?: unknown; readonly message?: unknown };
  readonly message?: unknown;
}

let systemErrors: Map<number, [string, string]> | undefined;

/** strerror() text of a (negative, libuv-style) errno, e.g. "address already in use". */
function describeErrno(errno: unknown): string | undefined {
  if (typeof errno !== 'number') return undefined;
  // Built lazily: the map holds every errno and is needed only when something failed.
  systemErrors ??= getSystemErrorMap();
  return systemErrors.get(errno < 0 ? errno : -errno)?.[1];
}

function isSystemCode(code: unknown): code is string {
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/** Map whatever node:dgram threw or emitted to a NetworkError (typed errors pass through). */
export function toNetworkError(error: unknown, operation: string, endpoint?: string): Error {
  if (isTwampError(error)) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as NodeSystemError;
  const info = failure.info;
  let systemCode = 'EUNKNOWN';
  let errno: unknown = failure.errno;
  if (isSystemCode(failure.code)) {
    systemCode = failure.code;
  } else if (info !== undefined && isSystemCode(info.code)) {
    // ERR_SOCKET_BUFFER_SIZE and friends carry the system error in `info`.
    systemCode = info.code;
    errno = info.errno;
  }
  const detail =
    describeErrno(errno) ??
    (typeof failure.message === 'string' ? failure.message : error instanceof Error ? error.message : String(error));
  return new NetworkError({ operation, systemCode, ...(endpoint === undefined ? {} : { endpoint }), detail });
}

/** The ConfigError for a feature node:dgram has no way to provide (`capability` names the flag). */
export function unsupported(path: string, feature: string, capability: string, received: string): ConfigError {
  return new ConfigError([
    {
      path,
      expected: `no value: the node:dgram fallback cannot ${feature} (capabilities.${capability} is false; the native implementation can)`,
      received,
    },
  ]);
}
