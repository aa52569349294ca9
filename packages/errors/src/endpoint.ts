// How every package writes a UDP/TCP endpoint: in NetworkError's `endpoint`, in log lines, in summaries
// and as the key of a reflector session. Here, in the lowest layer, because every package (udp and
// control included, which share no other dependency) writes one.

/** Anything with an address and a port (test-session's and control's Endpoint, a socket's remote). */
export interface EndpointLike {
  readonly address: string;
  readonly port: number;
}

/**
 * `192.0.2.1:862`, `[::1]:862`: an IPv6 address in brackets, so the port after the last colon is
 * unambiguous (RFC 3986 §3.2.2). Pass an address and a port, or an object holding both.
 */
export function formatEndpoint(address: string, port: number): string;
export function formatEndpoint(endpoint: EndpointLike): string;
export function formatEndpoint(addressOrEndpoint: string | EndpointLike, port?: number): string {
  if (typeof addressOrEndpoint !== 'string') return formatEndpoint(addressOrEndpoint.address, addressOrEndpoint.port);
  return addressOrEndpoint.includes(':') ? `[${addressOrEndpoint}]:${port ?? 0}` : `${addressOrEndpoint}:${port ?? 0}`;
}
