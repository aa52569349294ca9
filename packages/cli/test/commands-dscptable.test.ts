// `twamp dscptable`: every named codepoint of @twamp/wire's DSCP_TABLE with its numbers and TOS byte,
// one entry by name or number, JSON, and the names in it are the ones --dscp accepts.
import { DSCP_TABLE, parseDscp } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { DSCP_ALIASES, dscpRow, type DscpTableJson } from '../src/commands/dscptable.js';
import { main } from '../src/main.js';
import { scriptedEngine, testIo } from './commands-support.js';

async function run(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = testIo();
  const code = await main(argv, io, { engine: scriptedEngine() });
  return { code, out: io.out(), err: io.err() };
}

describe('twamp dscptable', () => {
  it('prints a header and one row per named DSCP, with decimal, hex, binary, TOS and meaning', async () => {
    const { code, out, err } = await run(['dscptable']);
    expect(code).toBe(0);
    expect(err).toBe('');
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^NAME +DSCP +HEX +BINARY +TOS +TOS HEX +RFC +MEANING$/);
    for (const entry of DSCP_TABLE) {
      expect(out).toContain(`${entry.name} `);
      expect(out).toContain(entry.description);
    }
    expect(lines.find((line) => line.startsWith('EF '))).toMatch(/^EF +46 +0x2e +101110 +184 +0xb8 +RFC 3246 +Expedited Forwarding/);
    expect(lines.find((line) => line.startsWith('AF41 '))).toMatch(/^AF41 +34 +0x22 +100010 +136 +0x88 +RFC 2597/);
    expect(lines.find((line) => line.startsWith('CS0 '))).toMatch(/^CS0 +0 +0x00 +000000 +0 +0x00 /);
    expect(out).toContain('DF, BE, DEFAULT also mean CS0');
  });

  it('shows one codepoint by name (any case) or number, unnamed ones too', async () => {
    const byName = await run(['dscptable', 'ef']);
    expect(byName.code).toBe(0);
    expect(byName.out.split('\n')[1]).toMatch(/^EF +46 +0x2e +101110 +184 +0xb8/);
    const byHex = await run(['dscptable', '0x22']);
    expect(byHex.out.split('\n')[1]).toMatch(/^AF41 +34 /);
    const unnamed = await run(['dscptable', '13']);
    expect(unnamed.out.split('\n')[1]).toMatch(/^- +13 +0x0d +001101 +52 +0x34 +- +no standard name/);
  });

  it('prints JSON with --json (schema version 1): every entry, and the aliases', async () => {
    const { code, out } = await run(['dscptable', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out) as DscpTableJson;
    expect(json.schemaVersion).toBe(1);
    expect(json.command).toBe('dscptable');
    expect(json.entries).toHaveLength(DSCP_TABLE.length);
    expect(json.entries.find((row) => row.name === 'EF')).toEqual({
      name: 'EF',
      dscp: 46,
      hex: '0x2e',
      binary: '101110',
      tos: 184,
      tosHex: '0xb8',
      rfc: 'RFC 3246',
      meaning: 'Expedited Forwarding: low loss, low latency, low jitter',
    });
    expect(json.aliases).toEqual({ DF: 'CS0', BE: 'CS0', DEFAULT: 'CS0' });
    const one = JSON.parse((await run(['dscptable', 'cs6', '--json'])).out) as DscpTableJson;
    expect(one.entries.map((row) => row.name)).toEqual(['CS6']);
  });

  it('lists only names --dscp accepts, and the aliases it prints are accepted too', () => {
    for (const entry of DSCP_TABLE) {
      expect(parseDscp(entry.name.toLowerCase())).toBe(entry.value);
      expect(dscpRow(entry.value).tos).toBe(entry.value * 4);
    }
    for (const [alias, name] of Object.entries(DSCP_ALIASES)) expect(parseDscp(alias)).toBe(parseDscp(name));
  });

  it.each([
    [['dscptable', 'af44'], 'dscp: expected a DSCP name'],
    [['dscptable', '64'], 'dscp: expected a DSCP name (CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE) or a number from 0 to 63'],
    [['dscptable', '--csv'], "--csv: expected an option that 'twamp dscptable --help' lists"],
    [['dscptable', 'ef', 'af41'], 'arguments: expected at most the arguments'],
  ])('%j exits 2 naming the argument', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(`error: invalid configuration: ${message}`);
  });
});
