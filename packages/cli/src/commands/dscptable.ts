// `twamp dscptable [dscp]`: the DSCP names --dscp accepts, with each value in decimal, hex and binary,
// the TOS / Traffic Class byte it makes (ECN 0) and what the codepoint is for. From @twamp/wire's
// DSCP_TABLE, so the table and the parser cannot disagree.
import type { Command } from 'commander';
import { DSCP_TABLE, describeDscp, type DscpInfo, parseDscp, tosFrom } from '@twamp/wire';
import { ExitCode } from '../io.js';
import { type CommandContext, writeLine } from './context.js';

export const DSCPTABLE_JSON_SCHEMA_VERSION = 1;

/** Other names parseDscp takes for codepoint 0 (RFC 2474 §4.1's Default PHB). */
export const DSCP_ALIASES: Readonly<Record<string, string>> = { DF: 'CS0', BE: 'CS0', DEFAULT: 'CS0' };

export interface DscpRow {
  /** The RFC's name, or null for a codepoint without one. */
  readonly name: string | null;
  readonly dscp: number;
  readonly hex: string;
  readonly binary: string;
  /** The TOS / Traffic Class octet with this DSCP and ECN 0 (Not-ECT). */
  readonly tos: number;
  readonly tosHex: string;
  readonly rfc: string | null;
  readonly meaning: string;
}

export interface DscpTableJson {
  readonly schemaVersion: number;
  readonly command: 'dscptable';
  readonly entries: readonly DscpRow[];
  readonly aliases: Readonly<Record<string, string>>;
}

function hexByte(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`;
}

export function dscpRow(dscp: number): DscpRow {
  const info: DscpInfo | undefined = describeDscp(dscp);
  const tos = tosFrom(dscp);
  return {
    name: info?.name ?? null,
    dscp,
    hex: hexByte(dscp),
    binary: dscp.toString(2).padStart(6, '0'),
    tos,
    tosHex: hexByte(tos),
    rfc: info?.rfc ?? null,
    meaning: info?.description ?? 'no standard name (a local or experimental codepoint)',
  };
}

/** The rows `twamp dscptable` shows: every named codepoint, or the one asked for. */
export function dscpRows(selected: number | undefined): DscpRow[] {
  return selected === undefined ? DSCP_TABLE.map((entry) => dscpRow(entry.value)) : [dscpRow(selected)];
}

/** The table as aligned text, with a header row and a note on the aliases and how TOS is made. */
export function formatDscpTable(rows: readonly DscpRow[]): string {
  const header = ['NAME', 'DSCP', 'HEX', 'BINARY', 'TOS', 'TOS HEX', 'RFC', 'MEANING'];
  const cells = rows.map((row) => [row.name ?? '-', String(row.dscp), row.hex, row.binary, String(row.tos), row.tosHex, row.rfc ?? '-', row.meaning]);
  const table = [header, ...cells];
  // Numbers right-aligned, words left-aligned; the last column is not padded.
  const numeric = new Set([1, 4]);
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  const lines = table.map((row) =>
    row
      .map((cell, column) => {
        if (column === row.length - 1) return cell;
        const width = widths[column] ?? 0;
        return numeric.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  '),
  );
  const aliases = Object.keys(DSCP_ALIASES).join(', ');
  return [
    ...lines,
    '',
    `TOS = DSCP × 4 + ECN (ECN 0 here). Names are case-insensitive; ${aliases} also mean CS0. --dscp takes a name or 0-63, --tos the whole byte 0-255.`,
  ].join('\n');
}

export function dscpTableJson(rows: readonly DscpRow[]): DscpTableJson {
  return { schemaVersion: DSCPTABLE_JSON_SCHEMA_VERSION, command: 'dscptable', entries: rows, aliases: DSCP_ALIASES };
}

export interface RawDscpTableOptions {
  readonly json?: boolean;
}

export function registerDscpTable(program: Command, context: CommandContext): void {
  program
    .command('dscptable')
    .description('print the DSCP names with their values (decimal, hex, binary), the TOS byte and their meaning')
    .argument('[dscp]', 'show one codepoint: a name (ef, af41, cs1, ...) or a number 0-63 (decimal or 0x hex)')
    .option('--json', `print the table as one JSON object (schema version ${DSCPTABLE_JSON_SCHEMA_VERSION})`)
    .option('--no-color', 'accepted for scripts that pass it to every command (the table has no colour)')
    .action((dscpText: string | undefined, raw: RawDscpTableOptions) => {
      const selected = dscpText === undefined ? undefined : parseDscp(dscpText, 'dscp');
      const rows = dscpRows(selected);
      writeLine(context.io.stdout, raw.json === true ? JSON.stringify(dscpTableJson(rows)) : formatDscpTable(rows));
      context.exitCode = ExitCode.Ok;
    });
}
