import { ConfigError } from '@twamp/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mode, type SecurityMode } from '../../src/constants.js';
import {
  chooseSecurityMode,
  DEFAULT_SECURITY_PREFERENCE,
  isSecurityMode,
  isServiceRefused,
  isSingleSecurityMode,
  type ModeName,
  modeNames,
  modesFromNames,
  parseSecurityMode,
  parseSecurityModes,
  securityModeName,
  securityModesOffered,
} from '../../src/values/index.js';
import { bytes, toHex } from './helpers.js';

/*
 * Each row: the Modes field (4 octets, big-endian, in Server Greeting and Set-Up-Response; RFC 4656 §3.1
 * and the IANA TWAMP-Modes registry) and the names it reads as, lowest bit first.
 */
const VECTORS: readonly { name: string; value: (ModeName | number)[]; bytes: string }[] = [
  { name: 'refusal (no modes)', value: [], bytes: '00000000' },
  { name: 'open only', value: ['unauthenticated'], bytes: '00000001' },
  { name: 'the three RFC 4656 modes', value: ['unauthenticated', 'authenticated', 'encrypted'], bytes: '00000007' },
  { name: 'mixed with individual session control', value: ['mixed', 'individual-session-control'], bytes: '00000018' },
  {
    name: 'every assigned bit',
    value: [
      'unauthenticated',
      'authenticated',
      'encrypted',
      'mixed',
      'individual-session-control',
      'reflect-octets',
      'symmetrical-size',
      'ikev2',
      'dscp-ecn-monitoring',
      'ptp-timestamps',
    ],
    bytes: '000003ff',
  },
  { name: 'unassigned bits come out as numbers', value: ['encrypted', 1024, 2 ** 31], bytes: '80000404' },
];

describe('Modes names', () => {
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const modes = bytes(vector.bytes).readUInt32BE(0);
      expect(modeNames(modes)).toEqual(vector.value);
      const encoded = Buffer.alloc(4);
      encoded.writeUInt32BE(modesFromNames(vector.value));
      expect(toHex(encoded)).toBe(vector.bytes);
      expect(modeNames(modesFromNames(modeNames(modes)))).toEqual(vector.value);
    });
  }

  it('round-trips every 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (modes) => modesFromNames(modeNames(modes)) === modes),
      { numRuns: 20_000 },
    );
  });

  it('refuses unknown names and numbers that are not one bit', () => {
    for (const bad of ['bogus', 3, 0, 2 ** 32, 1.5, -1]) {
      expect(() => modesFromNames(['encrypted', bad])).toThrow(ConfigError);
    }
  });

  it('treats Modes = 0 as a refusal of service', () => {
    expect(isServiceRefused(0)).toBe(true);
    expect(isServiceRefused(1)).toBe(false);
    expect(isServiceRefused(0x8000_0000)).toBe(false);
  });
});

describe('security modes', () => {
  it('lists the security modes offered, ignoring feature bits', () => {
    expect(securityModesOffered(0xf)).toEqual([1, 2, 4, 8]);
    expect(securityModesOffered(0x3f5)).toEqual([1, 4]);
    expect(securityModesOffered(0x10)).toEqual([]);
    expect(securityModesOffered(0xffff_ffff)).toEqual([1, 2, 4, 8]);
  });

  it('knows a single security mode, with or without feature bits', () => {
    for (const modes of [1, 2, 4, 8, 1 | 16, 4 | 0x200, 0x8000_0004]) {
      expect(isSingleSecurityMode(modes), String(modes)).toBe(true);
    }
    for (const modes of [0, 3, 5, 0xf, 16, 0x8000_0000]) {
      expect(isSingleSecurityMode(modes), String(modes)).toBe(false);
    }
    expect(isSecurityMode(8)).toBe(true);
    expect(isSecurityMode(8 | 16)).toBe(false);
  });

  const choices: readonly { name: string; offered: number; allowed: number; preference?: SecurityMode[]; chosen: SecurityMode | undefined }[] = [
    { name: 'encrypted first by default', offered: 0x7, allowed: 0xf, chosen: Mode.Encrypted },
    { name: 'authenticated over open', offered: 0x3, allowed: 0xf, chosen: Mode.Authenticated },
    { name: 'mixed over open', offered: 0x9, allowed: 0xf, chosen: Mode.Mixed },
    { name: 'only what the caller allows', offered: 0x7, allowed: 0x1, chosen: Mode.Unauthenticated },
    { name: 'nothing in common', offered: 0x1, allowed: 0x6, chosen: undefined },
    { name: 'a refusing server', offered: 0, allowed: 0xf, chosen: undefined },
    { name: 'feature bits alone', offered: 0x3f0, allowed: 0xf, chosen: undefined },
    { name: 'a caller preference', offered: 0x7, allowed: 0xf, preference: [Mode.Unauthenticated, Mode.Encrypted], chosen: Mode.Unauthenticated },
    { name: 'every bit offered', offered: 0xffff_ffff, allowed: 0xf, chosen: Mode.Encrypted },
  ];
  for (const choice of choices) {
    it(`chooses: ${choice.name}`, () => {
      expect(chooseSecurityMode(choice.offered, choice.allowed, choice.preference)).toBe(choice.chosen);
    });
  }

  it('always chooses the most preferred mode both sides accept', () => {
    const security = fc.constantFrom<SecurityMode>(1, 2, 4, 8);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xf }),
        fc.uniqueArray(security, { minLength: 1, maxLength: 4 }),
        (offered, allowed, preference) => {
          const chosen = chooseSecurityMode(offered, allowed, preference);
          const acceptable = preference.filter((mode) => (offered & allowed & mode) !== 0);
          return chosen === acceptable[0];
        },
      ),
      { numRuns: 20_000 },
    );
    expect(DEFAULT_SECURITY_PREFERENCE).toEqual([4, 2, 8, 1]);
  });
});

describe('parsing security mode names', () => {
  it('reads each name, case-insensitively, with open meaning unauthenticated', () => {
    expect(parseSecurityMode('open')).toBe(1);
    expect(parseSecurityMode('Unauthenticated')).toBe(1);
    expect(parseSecurityMode(' AUTHENTICATED ')).toBe(2);
    expect(parseSecurityMode('encrypted')).toBe(4);
    expect(parseSecurityMode('mixed')).toBe(8);
    expect(securityModeName(Mode.Mixed)).toBe('mixed');
  });

  it('reads lists and comma or space separated text into a mask', () => {
    expect(parseSecurityModes('encrypted,authenticated')).toBe(6);
    expect(parseSecurityModes('open  encrypted')).toBe(5);
    expect(parseSecurityModes(' mixed , open ')).toBe(9);
    expect(parseSecurityModes(['open', 'mixed'])).toBe(9);
  });

  it('round-trips every non-empty set of security modes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xf }), (mask) => parseSecurityModes(securityModesOffered(mask).map(securityModeName)) === mask),
    );
  });

  it('refuses unknown or missing names with a ConfigError that says where', () => {
    const issuesOf = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).issues.map((issue) => [issue.path, issue.received]);
      }
      return expect.fail('no error');
    };
    expect(issuesOf(() => parseSecurityMode('auth', '--mode'))).toEqual([['--mode', '"auth"']]);
    expect(issuesOf(() => parseSecurityMode(''))).toEqual([['mode', '""']]);
    expect(issuesOf(() => parseSecurityModes(['open', 'none']))).toEqual([['modes[1]', '"none"']]);
    expect(issuesOf(() => parseSecurityModes(' , '))).toEqual([['modes', '" , "']]);
    expect(issuesOf(() => parseSecurityModes([]))).toEqual([['modes', '""']]);
  });
});
