// The size and TTL limits every layer shares, defined once here: control checks a Padding Length
// against MAX_UDP_PAYLOAD, the sender sizes its padding against it, and reflectors and senders write
// and read TTL_UNKNOWN for a TTL they could not learn.
import { describe, expect, it } from 'vitest';
import { MAX_UDP_PAYLOAD, TTL_UNKNOWN } from '../src/index.js';

describe('shared limits', () => {
  it('MAX_UDP_PAYLOAD is the IPv4 datagram limit: 65535 − 20 (IPv4 header) − 8 (UDP header)', () => {
    expect(MAX_UDP_PAYLOAD).toBe(65_535 - 20 - 8);
  });

  it('TTL_UNKNOWN is 255 (RFC 5357 §4.2.1)', () => {
    expect(TTL_UNKNOWN).toBe(255);
  });
});
