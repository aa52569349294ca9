// A listener that cannot bind: one NetworkError that names the listener and where it wanted to be,
// whether the failure came from node:net (control) or @twamp/udp (reflectors).
import { formatEndpoint, isTwampError, NetworkError } from '@twamp/errors';

function systemCode(error: unknown): string {
  if (error instanceof NetworkError) return error.systemCode;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return 'EUNKNOWN';
}

/**
 * What a NetworkError adds after its `<operation> failed with <code> (<endpoint>)` head: wrapped, the
 * head would be said twice ("bind failed with EADDRINUSE (…): bind failed with EADDRINUSE (…)").
 */
function ownDetail(error: NetworkError): string {
  const head = `${error.operation} failed with ${error.systemCode}${error.endpoint === undefined ? '' : ` (${error.endpoint})`}`;
  if (!error.message.startsWith(head)) return error.message;
  return error.message.slice(head.length).replace(/^: /, '') || error.systemCode;
}

/** node:net's `listen EADDRINUSE: address already in use 127.0.0.1:862` → `address already in use` (the rest is in the head). */
function systemDetail(error: Error): string {
  const words = /^\S+ [A-Z0-9_]+: (.*?)(?: \S+:\d+)?$/.exec(error.message)?.[1];
  return words ?? error.message;
}

/**
 * The error startListeners and reconfigure throw when `listener` cannot open on address:port. Typed
 * errors other than NetworkError (a ConfigError from options) are returned unchanged: they say more.
 */
export function listenerError(listener: string, address: string, port: number, error: unknown): Error {
  if (isTwampError(error) && !(error instanceof NetworkError)) return error;
  const detail = error instanceof NetworkError ? ownDetail(error) : error instanceof Error ? systemDetail(error) : String(error);
  return new NetworkError({ operation: `listener ${listener}: bind`, systemCode: systemCode(error), endpoint: formatEndpoint({ address, port }), detail });
}
