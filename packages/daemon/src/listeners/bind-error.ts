// A listener that cannot bind: one NetworkError that names the listener and where it wanted to be,
// whether the failure came from node:net (control) or @twamp/udp (reflectors).
import { isTwampError, NetworkError } from '@twamp/errors';
import { endpointText } from './log-events.js';

function systemCode(error: unknown): string {
  if (error instanceof NetworkError) return error.systemCode;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return 'EUNKNOWN';
}

/**
 * The error startListeners and reconfigure throw when `listener` cannot open on address:port. Typed
 * errors other than NetworkError (a ConfigError from options) are returned unchanged: they say more.
 */
export function listenerError(listener: string, address: string, port: number, error: unknown): Error {
  if (isTwampError(error) && !(error instanceof NetworkError)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new NetworkError({ operation: `listener ${listener}: bind`, systemCode: systemCode(error), endpoint: endpointText({ address, port }), detail });
}
