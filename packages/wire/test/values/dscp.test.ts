import { ConfigError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import {
  describeDscp,
  Dscp,
  DSCP_TABLE,
  dscpName,
  dscpOfTos,
  Ecn,
  ECN_NAMES,
  ecnName,
  ecnOfTos,
  formatDscp,
  parseDscp,
  parseEcn,
  tosFrom,
} from '../../src/values/index.js';
import { thrown } from '../support/thrown.js';
import { bytes, toHex } from './helpers.js';

describe('DSCP table', () => {
  it('holds every named codepoint once, sorted by value', () => {
    expect(DSCP_TABLE.map((entry) => `${entry.name}=${entry.value}`)).toEqual([
      'CS0=0', 'LE=1', 'CS1=8', 'AF11=10', 'AF12=12', 'AF13=14', 'CS2=16', 'AF21=18', 'AF22=20', 'AF23=22', 'CS3=24',
      'AF31=26', 'AF32=28', 'AF33=30', 'CS4=32', 'AF41=34', 'AF42=36', 'AF43=38', 'CS5=40', 'VOICE-ADMIT=44', 'EF=46',
      'CS6=48', 'CS7=56',
    ]);
  });

  it('follows the codepoint rules of the defining RFCs', () => {
    for (const entry of DSCP_TABLE) {
      const cs = /^CS([0-7])$/.exec(entry.name);
      const af = /^AF([1-4])([1-3])$/.exec(entry.name);
      if (cs) {
        // RFC 2474 §4.2.2.1: class selectors are xxx000.
        expect(entry.value).toBe(Number(cs[1]) * 8);
        expect(entry.rfc).toBe('RFC 2474');
      } else if (af) {
        // RFC 2597 §6: AF class x, drop precedence y is 8x + 2y.
        expect(entry.value).toBe(Number(af[1]) * 8 + Number(af[2]) * 2);
        expect(entry.rfc).toBe('RFC 2597');
      }
      expect(entry.description.length).toBeGreaterThan(10);
    }
    expect(describeDscp(46)).toMatchObject({ name: 'EF', rfc: 'RFC 3246' });
    expect(describeDscp(44)).toMatchObject({ name: 'VOICE-ADMIT', rfc: 'RFC 5865' });
    expect(describeDscp(1)).toMatchObject({ name: 'LE', rfc: 'RFC 8622' });
    expect(describeDscp(13)).toBeUndefined();
  });

  it('agrees with the Dscp constants', () => {
    expect(Object.keys(Dscp)).toHaveLength(DSCP_TABLE.length);
    for (const [key, value] of Object.entries(Dscp)) {
      expect(dscpName(value)).toBe(key.replace('_', '-'));
    }
  });
});

describe('parseDscp and dscpName', () => {
  it('reads names case-insensitively, aliases of the default PHB, decimal and hex', () => {
    const good: readonly [string | number, number][] = [
      ['EF', 46], ['ef', 46], ['Af41', 34], ['voice-admit', 44], ['VOICE_ADMIT', 44], ['le', 1], ['cs6', 48],
      ['DF', 0], ['be', 0], ['default', 0], ['46', 46], [' 46 ', 46], ['0', 0], ['63', 63], ['0x2e', 46], ['0X2E', 46],
      ['0x3f', 63], [46, 46], [0, 0], [63, 63],
    ];
    for (const [input, value] of good) {
      expect(parseDscp(input), String(input)).toBe(value);
    }
  });

  it('reads every value back from its decimal, hex and (when it has one) name', () => {
    for (let value = 0; value <= 63; value += 1) {
      expect(parseDscp(String(value))).toBe(value);
      expect(parseDscp(`0x${value.toString(16)}`)).toBe(value);
      const name = dscpName(value);
      if (name !== undefined) expect(parseDscp(name.toLowerCase())).toBe(value);
    }
  });

  it('refuses anything else with a ConfigError naming the setting', () => {
    for (const bad of ['64', '-1', '0x40', '4.6', '', ' ', 'EF1', 'AF14', 'CS8', '1e1', '0x', '0b101', 64, -1, 1.5, Number.NaN]) {
      const error = thrown(() => parseDscp(bad, '--dscp'), ConfigError, String(bad));
      expect(error.issues[0]?.path).toBe('--dscp');
    }
  });

  it('names and formats values', () => {
    expect(dscpName(46)).toBe('EF');
    expect(dscpName(13)).toBeUndefined();
    expect(dscpName(64)).toBeUndefined();
    expect(formatDscp(46)).toBe('EF (46)');
    expect(formatDscp(13)).toBe('13');
  });
});

describe('ECN', () => {
  it('has the RFC 3168 codepoints and names', () => {
    expect(Ecn).toEqual({ NotEct: 0, Ect1: 1, Ect0: 2, Ce: 3 });
    expect(ECN_NAMES).toEqual({ 0: 'Not-ECT', 1: 'ECT(1)', 2: 'ECT(0)', 3: 'CE' });
    expect(ecnName(Ecn.Ect0)).toBe('ECT(0)');
  });

  it('parses names and numbers', () => {
    const good: readonly [string | number, number][] = [['Not-ECT', 0], ['ect(1)', 1], ['ECT1', 1], ['ECT(0)', 2], ['ect0', 2], ['ce', 3], ['2', 2], [3, 3]];
    for (const [input, value] of good) {
      expect(parseEcn(input), String(input)).toBe(value);
    }
    for (const bad of ['ect', '4', 4, -1, 0.5, '']) {
      expect(() => parseEcn(bad), String(bad)).toThrow(ConfigError);
    }
  });
});

describe('TOS / Traffic Class octet', () => {
  /* Each row: DSCP and ECN, and the octet: bits 7-2 DSCP (RFC 2474 §3), bits 1-0 ECN (RFC 3168 §5). */
  const VECTORS: readonly { name: string; value: { dscp: number; ecn: number }; bytes: string }[] = [
    { name: 'best effort, Not-ECT', value: { dscp: 0, ecn: Ecn.NotEct }, bytes: '00' },
    { name: 'best effort, ECT(1)', value: { dscp: 0, ecn: Ecn.Ect1 }, bytes: '01' },
    { name: 'EF, Not-ECT', value: { dscp: Dscp.EF, ecn: Ecn.NotEct }, bytes: 'b8' },
    { name: 'EF, CE', value: { dscp: Dscp.EF, ecn: Ecn.Ce }, bytes: 'bb' },
    { name: 'AF41, ECT(0)', value: { dscp: Dscp.AF41, ecn: Ecn.Ect0 }, bytes: '8a' },
    { name: 'CS7, Not-ECT', value: { dscp: Dscp.CS7, ecn: Ecn.NotEct }, bytes: 'e0' },
    { name: 'every bit', value: { dscp: 63, ecn: Ecn.Ce }, bytes: 'ff' },
  ];
  for (const vector of VECTORS) {
    it(`${vector.name}: decode, encode, round trip`, () => {
      const tos = bytes(vector.bytes).readUInt8(0);
      expect({ dscp: dscpOfTos(tos), ecn: ecnOfTos(tos) }).toEqual(vector.value);
      const encoded = Buffer.of(tosFrom(vector.value.dscp, vector.value.ecn));
      expect(toHex(encoded)).toBe(vector.bytes);
    });
  }

  it('splits and rebuilds every octet (exhaustive)', () => {
    for (let tos = 0; tos <= 0xff; tos += 1) {
      expect(tosFrom(dscpOfTos(tos), ecnOfTos(tos))).toBe(tos);
    }
  });

  it('defaults ECN to Not-ECT and refuses values out of range', () => {
    expect(tosFrom(Dscp.EF)).toBe(0xb8);
    expect(() => tosFrom(64, 0)).toThrow(ConfigError);
    expect(() => tosFrom(0, 4)).toThrow(ConfigError);
    expect(() => tosFrom(1.5, 0)).toThrow(ConfigError);
  });
});
