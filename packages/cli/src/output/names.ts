// How protocols, capabilities and timestamp sources are named in text output.
import type { ReflectorDropReason, TestProtocol, TimestampSource } from '@twamp/test-session';
import type { UdpCapabilities } from '@twamp/udp';

export function protocolName(protocol: TestProtocol): string {
  switch (protocol) {
    case 'twamp-light':
      return 'TWAMP Light';
    case 'stamp':
      return 'STAMP';
    case 'twamp':
      return 'TWAMP';
  }
}

export function timestampSourceName(source: TimestampSource): string {
  switch (source) {
    case 'kernel':
      return 'kernel (SO_TIMESTAMPNS)';
    case 'stamp-on-send':
      return 'written just before sendmsg()';
    case 'userspace':
      return 'userspace (read by the program, not at the system call)';
  }
}

// What each missing capability costs the measurement, in the words an operator needs.
const MISSING: readonly (readonly [keyof UdpCapabilities, string])[] = [
  ['kernelTimestamps', 'kernel receive timestamps'],
  ['stampOnSend', 'send timestamps at sendmsg()'],
  ['receiveTtl', 'received TTL'],
  ['receiveTos', 'received TOS'],
  ['setTtl', 'setting TTL'],
  ['setTos', 'setting TOS/DSCP'],
  ['dontFragment', 'setting don\'t-fragment'],
  ['localAddress', 'the local address of each packet'],
  ['batching', 'recvmmsg/sendmmsg batching'],
];

/** The capabilities an implementation lacks, as phrases (empty for a complete native socket). */
export function missingCapabilities(capabilities: UdpCapabilities): string[] {
  return MISSING.filter(([key]) => capabilities[key] === false).map(([, phrase]) => phrase);
}

/** What each UDP implementation is called in output; a Record, so a new one fails the type check here. */
const IMPLEMENTATION_NAME: Readonly<Record<UdpCapabilities['implementation'], string>> = {
  native: 'native socket',
  dgram: 'node:dgram fallback',
  memory: 'in-memory network (tests)',
};

/** `native socket` or `node:dgram fallback (missing: kernel receive timestamps, ...)`. */
export function implementationDescription(capabilities: UdpCapabilities): string {
  const missing = missingCapabilities(capabilities);
  const name = IMPLEMENTATION_NAME[capabilities.implementation];
  return missing.length === 0 ? name : `${name} (missing: ${missing.join(', ')})`;
}

/**
 * What each reflector drop reason means, for the rate-limited drop report lines. A Record over the
 * union, so a reason added to @twamp/test-session fails the type check here until it has words.
 */
export const DROP_REASON_MEANING: Readonly<Record<ReflectorDropReason, string>> = {
  'too-short': 'shorter than a test request',
  truncated: 'longer than the receive buffer',
  'source-not-allowed': 'source outside --allow',
  'unknown-session': 'no session for this source',
  'session-limit': 'the session table is full',
  'source-rate': 'over the per-source packet rate',
  'session-rate': 'over the per-session packet rate',
  'bad-hmac': 'HMAC missing or wrong',
  'bad-reflect-octets': 'reflect-octets request that cannot be honoured',
  'send-failed': 'the reply could not be sent',
  'own-address': 'source is this reflector\'s own address and port (a forged loop)',
  'source-port-zero': 'source port 0, nowhere to reply',
  'bad-source-address': 'multicast, broadcast or unspecified source',
  'looped-reply': 'one of our own replies came back (a loop)',
};
