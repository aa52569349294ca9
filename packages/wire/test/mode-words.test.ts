// The security-mode words shared by the CLI's --mode and twampd's config: every word maps to the bits
// it names, case and blanks do not matter, `all` is the four modes, and anything else is undefined
// (including names inherited from Object.prototype, which a plain-object table would have returned).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mode } from '../src/constants.js';
import { parseSecurityMode, SECURITY_MODE_WORDS, securityModeWordBits } from '../src/index.js';

describe('securityModeWordBits', () => {
  it.each([
    ['open', Mode.Unauthenticated],
    ['unauthenticated', Mode.Unauthenticated],
    ['auth', Mode.Authenticated],
    ['authenticated', Mode.Authenticated],
    ['encrypted', Mode.Encrypted],
    ['mixed', Mode.Mixed],
    ['all', Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed],
  ])('%s → %i', (word, bits) => {
    expect(securityModeWordBits(word)).toBe(bits);
    expect(securityModeWordBits(` ${word.toUpperCase()}\t`)).toBe(bits);
  });

  it('lists exactly the words it accepts', () => {
    expect([...SECURITY_MODE_WORDS].sort()).toEqual(['all', 'auth', 'authenticated', 'encrypted', 'mixed', 'open', 'unauthenticated']);
  });

  it('agrees with parseSecurityMode on every single-mode name', () => {
    for (const word of SECURITY_MODE_WORDS.filter((w) => w !== 'auth' && w !== 'all')) {
      expect(securityModeWordBits(word)).toBe(parseSecurityMode(word));
    }
  });

  it.each(['', 'none', 'opne', 'constructor', '__proto__', 'toString', 'open,auth', '1'])('%j is not a mode word', (word) => {
    expect(securityModeWordBits(word)).toBeUndefined();
  });

  it('never throws, and answers only with the security bits', () => {
    fc.assert(
      fc.property(fc.string(), (word) => {
        const bits = securityModeWordBits(word);
        return bits === undefined || (bits > 0 && (bits & ~0xf) === 0);
      }),
    );
  });
});
