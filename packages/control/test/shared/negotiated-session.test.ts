import { generateControlKeys, Mode, ntpIntervalFromSeconds, TestPacketKind, TestSecurity, ZERO_TIMESTAMP } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { negotiatedSession, type NegotiatedSessionInput, securityModeOf } from '../../src/shared/negotiated-session.js';

const base: NegotiatedSessionInput = {
  sid: new Uint8Array(16).fill(7),
  mode: Mode.Unauthenticated,
  controlKeys: undefined,
  sender: { address: '127.0.0.1', port: 20000 },
  receiver: { address: '127.0.0.1', port: 20001 },
  paddingLength: 27,
  startTime: ZERO_TIMESTAMP,
  timeout: ntpIntervalFromSeconds(2.5),
  typeP: 46 << 24,
  octetsToBeReflected: 0x1234,
  lengthOfPaddingToReflect: 8,
};

describe('negotiatedSession', () => {
  it('open mode: clear test packets, DSCP from Type-P, Timeout in seconds, RFC 6038 fields only when negotiated', () => {
    const session = negotiatedSession(base);
    expect(session.securityMode).toBe(Mode.Unauthenticated);
    expect(session.layout.security).toBe(TestSecurity.Open);
    expect(session.createCrypto()).toBeUndefined();
    expect(session.dscp).toBe(46);
    expect(session.timeoutSeconds).toBeCloseTo(2.5, 9);
    expect(session.octetsToBeReflected).toBe(0);
    expect(session.paddingToReflect).toBe(0);
    expect(session.layout.reflectOctets).toBe(0);
  });

  it('reflect octets negotiated: the layout reflects the requested padding length', () => {
    const session = negotiatedSession({ ...base, mode: Mode.Unauthenticated | Mode.ReflectOctets });
    expect(session.octetsToBeReflected).toBe(0x1234);
    expect(session.paddingToReflect).toBe(8);
    expect(session.layout.reflectOctets).toBe(8);
  });

  it('encrypted: each createCrypto() is a fresh instance and both ends derive the same keys', () => {
    const keys = generateControlKeys();
    const a = negotiatedSession({ ...base, mode: Mode.Encrypted, controlKeys: keys });
    const b = negotiatedSession({ ...base, mode: Mode.Encrypted, controlKeys: keys });
    const sender = a.createCrypto();
    const reflector = b.createCrypto();
    expect(sender).toBeDefined();
    expect(sender).not.toBe(a.createCrypto());
    const packet = new Uint8Array(112).fill(1);
    sender?.protect(packet, TestPacketKind.Sender);
    expect(reflector?.unprotect(packet, TestPacketKind.Sender)).toBe(true);
    expect(a.layout.security).toBe(TestSecurity.Encrypted);
  });

  it('copies the SID, and a Type-P that is not a DSCP leaves dscp undefined', () => {
    const sid = new Uint8Array(16).fill(1);
    const session = negotiatedSession({ ...base, sid, typeP: 0x4000_0000 | (5 << 14) });
    sid.fill(9);
    expect(session.sid[0]).toBe(1);
    expect(session.dscp).toBeUndefined();
  });

  it('securityModeOf rejects a Modes value without exactly one security mode', () => {
    expect(securityModeOf(Mode.Mixed | Mode.IndividualSessionControl)).toBe(Mode.Mixed);
    expect(() => securityModeOf(Mode.Unauthenticated | Mode.Encrypted)).toThrow(RangeError);
    expect(() => securityModeOf(Mode.IndividualSessionControl)).toThrow(RangeError);
  });
});
