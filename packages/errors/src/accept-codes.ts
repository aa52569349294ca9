/**
 * The Accept field of OWAMP/TWAMP-Control (RFC 4656 §3.3, RFC 5357 §3) and value 6 of RFC 7717.
 * Each code carries what a user needs: a one-line meaning, likely causes, what to do, and whether
 * a retry may help (as data, so a client or agent can decide without parsing prose).
 */
export const AcceptCode = {
  Ok: 0,
  Failure: 1,
  InternalError: 2,
  NotSupported: 3,
  PermanentResourceLimitation: 4,
  TemporaryResourceLimitation: 5,
  IkeSaNotFound: 6,
} as const;

export type AcceptCode = (typeof AcceptCode)[keyof typeof AcceptCode];

export interface AcceptCodeInfo {
  readonly code: AcceptCode;
  /** Stable identifier, e.g. `temporary-resource-limitation`. */
  readonly id: string;
  /** The RFC's name for the value. */
  readonly name: string;
  /** One line: what the peer is telling us. */
  readonly meaning: string;
  readonly likelyCauses: readonly string[];
  /** Steps for the user, most useful first. */
  readonly whatToDo: readonly string[];
  /** True when the same request may succeed later without any change. */
  readonly retryable: boolean;
  /** Suggested wait before a retry, in milliseconds, when retryable. */
  readonly retryAfterMs?: number;
  readonly reference: string;
}

const CODES = [
  {
    code: 0,
    id: 'ok',
    name: 'OK',
    meaning: 'The peer accepted the request.',
    likelyCauses: [],
    whatToDo: [],
    retryable: false,
    reference: 'RFC 4656 §3.3',
  },
  {
    code: 1,
    id: 'failure',
    name: 'Failure, reason unspecified',
    meaning: 'The peer refused without saying why; this is also what any unknown value means.',
    likelyCauses: [
      'wrong shared secret or unknown key identity (servers answer 1 for a failed authentication)',
      'no TWAMP service where we connected, or a firewall or middlebox in the path',
      'a protocol step the peer did not expect, or a peer speaking a different TWAMP revision',
    ],
    whatToDo: [
      'check that the server is running and reachable on the control port (TCP 862 unless configured otherwise)',
      'check that firewalls allow the control port and the UDP test ports in both directions',
      'if you use authentication, check the key identity and the shared secret on both sides',
      'run again with -d (debug) and read the peer\'s logs for the reason it did not send',
    ],
    retryable: false,
    reference: 'RFC 4656 §3.3',
  },
  {
    code: 2,
    id: 'internal-error',
    name: 'Internal error',
    meaning: 'The peer hit a fault of its own while handling the request.',
    likelyCauses: [
      'a bug in the peer\'s implementation',
      'the peer ran out of memory, file descriptors or another system resource',
    ],
    whatToDo: [
      'look at the peer\'s system and service logs',
      'check the peer\'s memory, CPU and open-file limits',
      'restart the peer\'s TWAMP service; if the error comes back, report it to its vendor with the request that caused it',
    ],
    retryable: false,
    reference: 'RFC 4656 §3.3',
  },
  {
    code: 3,
    id: 'not-supported',
    name: 'Some aspect of the request is not supported',
    meaning: 'The peer does not support something we asked for.',
    likelyCauses: [
      'a security mode the peer does not offer (authenticated or encrypted on an open-only server)',
      'an option the peer does not implement: DSCP/Type-P, RFC 5938 per-session control, RFC 6038 reflect octets or symmetrical size, RFC 7750 DSCP/ECN monitoring',
      'a field outside what the peer accepts, such as a non-zero Conf-Sender/Conf-Receiver, schedule slots or packet count',
      'a Sender or Receiver Address other than the two ends of the control connection: servers safe on an open network refuse third-party and multicast or broadcast endpoints',
    ],
    whatToDo: [
      'use a mode the server offers (see its greeting with -d), or leave --mode unset to let the client choose',
      'leave the sender and receiver addresses unset (zero) so the server uses the control connection\'s; for a third-party sender, the server\'s operator must allow it (twamp server --third-party-senders, twampd listeners.control.thirdPartySenders)',
      'remove optional features one at a time (DSCP, padding options, extensions) to find the one refused',
      'check the peer\'s documentation for the features it implements',
    ],
    retryable: false,
    reference: 'RFC 4656 §3.3',
  },
  {
    code: 4,
    id: 'permanent-resource-limitation',
    name: 'Cannot perform request due to permanent resource limitations',
    meaning: 'The peer is at a configured limit that will not clear by itself.',
    likelyCauses: [
      'the peer\'s maximum number of sessions or control connections is reached, in all or for your address alone (a per-client share)',
      'no free UDP port in the peer\'s configured test-port range',
      'a licence or hardware limit on the peer',
    ],
    whatToDo: [
      'ask for fewer sessions, or end sessions you no longer need',
      'raise the limit in the peer\'s configuration, or widen its test-port range',
      'retrying the same request unchanged will not help',
    ],
    retryable: false,
    reference: 'RFC 4656 §3.3',
  },
  {
    code: 5,
    id: 'temporary-resource-limitation',
    name: 'Cannot perform request due to temporary resource limitations',
    meaning: 'The peer is busy right now; the same request may succeed later.',
    likelyCauses: [
      'the peer is rate-limiting new sessions or packets',
      'the peer is short of CPU, memory or socket buffers for the moment',
    ],
    whatToDo: [
      'retry after a pause, backing off exponentially between attempts',
      'lower the packet rate or the number of sessions started at once',
      'check the peer\'s load',
    ],
    retryable: true,
    retryAfterMs: 1000,
    reference: 'RFC 4656 §3.3',
  },
  {
    code: 6,
    id: 'ike-sa-not-found',
    name: 'IKEv2 SA not found',
    meaning: 'The server found no IKEv2 security association for the SPIs in our KeyID (RFC 7717).',
    likelyCauses: [
      'the IPsec SA between the hosts expired or was never set up',
      'client and server use different SAs (SPI mismatch)',
    ],
    whatToDo: [
      'check that an IKEv2 SA is up between the two hosts (for example with your IPsec daemon\'s status command)',
      're-establish the SA, then connect again',
    ],
    retryable: false,
    reference: 'RFC 7717 §5.3',
  },
] as const satisfies readonly AcceptCodeInfo[];

/** Every Accept value we know, indexed by its number. */
export const ACCEPT_CODES: readonly AcceptCodeInfo[] = CODES;

export function isKnownAcceptCode(value: number): value is AcceptCode {
  return Number.isInteger(value) && value >= 0 && value < CODES.length;
}

/** RFC 4656 §3.3: a receiver treats any value it does not know as 1 (Failure). */
export function normalizeAcceptCode(value: number): AcceptCode {
  return isKnownAcceptCode(value) ? value : AcceptCode.Failure;
}

/** Meaning, causes and remedies for a received Accept value (unknown values describe code 1). */
export function describeAcceptCode(value: number): AcceptCodeInfo {
  return CODES[normalizeAcceptCode(value)];
}
