// One vocabulary for the security modes, with a function per purpose: securityModeName gives the RFC
// name (`unauthenticated`, as modeNames lists Modes values in logs), securityModeWord the operator's
// word (`open`, what --mode, twampd's config, summaries and JSON say); securityModeWordsOf names a
// mask's security modes, selectedSecurityModeWord the one a Set-Up-Response chose. Every word and
// name reads back to its mode through parseSecurityMode.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Mode,
  parseSecurityMode,
  type SecurityMode,
  securityModeName,
  securityModeWord,
  securityModeWordsOf,
  selectedSecurityModeWord,
} from '../../src/index.js';

const EVERY_MODE: readonly [SecurityMode, string, string][] = [
  [Mode.Unauthenticated, 'unauthenticated', 'open'],
  [Mode.Authenticated, 'authenticated', 'authenticated'],
  [Mode.Encrypted, 'encrypted', 'encrypted'],
  [Mode.Mixed, 'mixed', 'mixed'],
];

const FEATURES = Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize | Mode.PtpTimestamps;

describe('security mode vocabulary', () => {
  it.each(EVERY_MODE)('mode %i: RFC name %s, operator word %s, both read back', (mode, name, word) => {
    expect(securityModeName(mode)).toBe(name);
    expect(securityModeWord(mode)).toBe(word);
    expect(parseSecurityMode(name)).toBe(mode);
    expect(parseSecurityMode(word)).toBe(mode);
    expect(selectedSecurityModeWord(mode)).toBe(word);
    expect(selectedSecurityModeWord(mode | FEATURES)).toBe(word);
  });

  it('selectedSecurityModeWord is undefined when no or several security modes are set', () => {
    expect(selectedSecurityModeWord(0)).toBeUndefined();
    expect(selectedSecurityModeWord(FEATURES)).toBeUndefined();
    expect(selectedSecurityModeWord(Mode.Unauthenticated | Mode.Encrypted)).toBeUndefined();
  });

  it('securityModeWordsOf lists a mask in bit order, feature bits ignored, and reads back to the mask', () => {
    expect(securityModeWordsOf(0xf | FEATURES)).toEqual(['open', 'authenticated', 'encrypted', 'mixed']);
    expect(securityModeWordsOf(Mode.Mixed | Mode.Unauthenticated)).toEqual(['open', 'mixed']);
    expect(securityModeWordsOf(FEATURES)).toEqual([]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (mask) => {
        const words = securityModeWordsOf(mask);
        expect(words.reduce((bits, word) => bits | parseSecurityMode(word), 0)).toBe(mask & 0xf);
      }),
    );
  });
});
