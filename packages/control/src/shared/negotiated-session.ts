// One accepted Request-TW-Session as both ends describe it: built by the server when it accepts a
// request and by the client when Accept-Session arrives, from the same fields, so the two sides can
// never disagree about the layout, the keys or the timeout.
import {
  type ControlKeys,
  createTestPacketCrypto,
  decodeTypeP,
  Mode,
  ntpIntervalToSeconds,
  type SecurityMode,
  SECURITY_MODE_MASK,
  type TestPacketCrypto,
  twampLayoutFromModes,
  type WireTimestamp,
} from '@twamp/wire';
import type { Endpoint, NegotiatedSession } from '../types.js';

export interface NegotiatedSessionInput {
  readonly sid: Uint8Array;
  /** The connection's selected Modes value. */
  readonly mode: number;
  /** The connection's control keys (authenticated, encrypted, mixed); undefined when open. */
  readonly controlKeys: ControlKeys | undefined;
  /** Zero addresses already replaced with the control connection's. */
  readonly sender: Endpoint;
  readonly receiver: Endpoint;
  readonly paddingLength: number;
  readonly startTime: WireTimestamp;
  readonly timeout: WireTimestamp;
  /** The raw 32-bit Type-P Descriptor. */
  readonly typeP: number;
  readonly octetsToBeReflected: number;
  readonly lengthOfPaddingToReflect: number;
}

/** The security part of a selected Modes value (exactly one bit once a mode is selected). */
export function securityModeOf(mode: number): SecurityMode {
  const security = mode & SECURITY_MODE_MASK;
  if (security === Mode.Unauthenticated || security === Mode.Authenticated || security === Mode.Encrypted || security === Mode.Mixed) {
    return security;
  }
  throw new RangeError(`Modes ${mode} does not select exactly one security mode`);
}

export function negotiatedSession(input: NegotiatedSessionInput): NegotiatedSession {
  const sid = Uint8Array.from(input.sid);
  const reflectOctets = (input.mode & Mode.ReflectOctets) !== 0;
  const typeP = decodeTypeP(input.typeP);
  const { controlKeys, mode } = input;
  return {
    sid,
    mode,
    securityMode: securityModeOf(mode),
    layout: twampLayoutFromModes(mode, reflectOctets ? input.lengthOfPaddingToReflect : 0),
    // A fresh crypto per call: the sender and the reflector each keep their own chaining state.
    createCrypto: (): TestPacketCrypto | undefined =>
      controlKeys === undefined ? undefined : createTestPacketCrypto(mode, controlKeys, sid),
    sender: input.sender,
    receiver: input.receiver,
    paddingLength: input.paddingLength,
    startTime: input.startTime,
    timeoutSeconds: ntpIntervalToSeconds(input.timeout),
    dscp: typeP.kind === 'dscp' ? typeP.dscp : undefined,
    octetsToBeReflected: reflectOctets ? input.octetsToBeReflected : 0,
    paddingToReflect: reflectOctets ? input.lengthOfPaddingToReflect : 0,
  };
}
