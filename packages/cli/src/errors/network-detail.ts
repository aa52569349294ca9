// A socket failure said once. A NetworkError reads `<operation> failed with <code> (<endpoint>): <detail>`;
// when the detail is itself such a text (an error wrapped in another) or node's own message
// (`listen EADDRINUSE: address already in use 127.0.0.1:862`), the head came out twice:
// "bind failed with EADDRINUSE (…): bind failed with EADDRINUSE (…)". The same idea as twampd's
// listeners/bind-error.ts: keep the head once and only the words that add something.
import type { NetworkError } from '@twamp/errors';

/** `<operation> failed with <code> (<endpoint>)`: what a NetworkError's message starts with. */
function head(error: NetworkError): string {
  return `${error.operation} failed with ${error.systemCode}${error.endpoint === undefined ? '' : ` (${error.endpoint})`}`;
}

/** Codes are `EADDRINUSE`-like; escaped anyway, so an odd one cannot break the pattern. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The words of `detail` that its code and address do not already say: every repeated
 * `… failed with <code> (…)` head removed, and node's `<syscall> <code>: <words> <address:port>`
 * reduced to its words (`connect ECONNREFUSED 127.0.0.1:862` to none). Empty when nothing is left.
 */
export function ownDetail(detail: string, systemCode: string): string {
  const code = escaped(systemCode);
  const wrapped = new RegExp(`^[^:]*? failed with ${code}(?: \\([^)]*\\))?(?:: |$)`);
  let words = detail.trim();
  for (let match = wrapped.exec(words); match !== null && match[0].length > 0; match = wrapped.exec(words)) words = words.slice(match[0].length);
  // node's `<syscall> <code>[: <words>][ <address:port>]`: only the words, if any.
  const node = new RegExp(`^\\S+ ${code}(?:: (.*?))?(?: \\S+:\\d+)?$`).exec(words);
  return (node === null ? words : (node[1] ?? '')).trim();
}

/** A node system error's own words, for the detail of a new NetworkError: `address already in use`. */
export function systemDetail(error: Error, systemCode: string): string {
  return ownDetail(error.message, systemCode) || systemCode;
}

/** The NetworkError's message with its head said once. */
export function networkHeadline(error: NetworkError): string {
  const start = head(error);
  if (!error.message.startsWith(start)) return error.message;
  const words = ownDetail(error.message.slice(start.length).replace(/^: /, ''), error.systemCode);
  return words === '' ? start : `${start}: ${words}`;
}
