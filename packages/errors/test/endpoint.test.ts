// formatEndpoint is the one `address:port` writer of the tree (udp's errors, control's client, the
// CLI's summaries, the daemon's logs, the reflector's session keys): IPv6 in brackets, IPv4 and host
// names as they are, and the same text from an address and port as from an endpoint object.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatEndpoint } from '../src/index.js';

describe('formatEndpoint', () => {
  it.each([
    ['192.0.2.1', 862, '192.0.2.1:862'],
    ['::1', 862, '[::1]:862'],
    ['2001:db8::1', 0, '[2001:db8::1]:0'],
    ['::ffff:192.0.2.1', 65535, '[::ffff:192.0.2.1]:65535'],
    ['fe80::1%eth0', 5000, '[fe80::1%eth0]:5000'],
    ['reflector.example', 4000, 'reflector.example:4000'],
  ])('%s port %i → %s', (address, port, text) => {
    expect(formatEndpoint(address, port)).toBe(text);
    expect(formatEndpoint({ address, port })).toBe(text);
  });

  it('the port after the last colon and the address before it read back what was written', () => {
    const address = fc.oneof(fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(address, fc.integer({ min: 0, max: 65535 }), (host, port) => {
        const text = formatEndpoint(host, port);
        const at = text.lastIndexOf(':');
        const written = text.slice(0, at);
        expect(Number(text.slice(at + 1))).toBe(port);
        expect(host.includes(':') ? written === `[${host}]` : written === host).toBe(true);
      }),
    );
  });
});
