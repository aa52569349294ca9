// A target's failure in words: what failed, the error's stable code, and the Accept value with its
// name and meaning when a TWAMP server refused (from @twamp/errors, the one source of that text).
import { describeAcceptCode, isTwampError, NetworkError, PeerRejectedError, renderError } from '@twamp/errors';

export interface FailureFacts {
  readonly message: string;
  readonly code: string | undefined;
  readonly accept: number | undefined;
}

export function failureFacts(error: unknown): FailureFacts {
  const headline = renderError(error).headline;
  if (error instanceof PeerRejectedError) {
    const info = describeAcceptCode(error.acceptCode);
    return { message: `${headline}: ${info.meaning}`, code: error.code, accept: error.acceptCode };
  }
  return { message: headline, code: isTwampError(error) ? error.code : undefined, accept: undefined };
}

/**
 * Why a running target's control connection ended: the connection's own error when it failed, or,
 * for a clean close by the server, a NetworkError with libuv's name for end-of-stream (EOF).
 */
export function controlClosedError(server: string, cause: unknown): unknown {
  if (cause !== undefined) return cause;
  return new NetworkError({
    operation: 'read (TWAMP-Control)',
    systemCode: 'EOF',
    endpoint: server,
    detail: 'the server closed the control connection during the test session',
  });
}
