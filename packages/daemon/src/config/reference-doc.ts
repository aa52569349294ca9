// The config reference of docs/daemon.md, rendered from CONFIG_REFERENCE (scripts/gen-config-doc.ts
// writes it; test/config-doc.test.ts fails when the file differs).
import { DEFAULT_REFLECTOR_PORTS } from './defaults.js';
import { CONFIG_REFERENCE, type ConfigKeyDoc } from './reference.js';

export const SECTION_START = '<!-- section:config-reference';
export const SECTION_END = '<!-- end:config-reference -->';

const INTRO = `## Configuration reference

twampd reads one YAML file (default \`/etc/twampd/twampd.yaml\`; check one with \`twampd --check-config FILE\`).
A documented example with every option is \`packaging/twampd.example.yaml\`.

- **Keys are camelCase** and checked strictly: an unknown key is a mistake (\`lmits\` is reported as
  "did you mean limits?"), never ignored.
- **An empty file is a valid config**: the TWAMP-Control server on \`[::]:862\` (open mode, session
  reflectors on UDP ${DEFAULT_REFLECTOR_PORTS.first}-${DEFAULT_REFLECTOR_PORTS.last}, the range \`twamp server\` and perfSONAR use) and the
  metrics endpoint on \`127.0.0.1:9862\`; no Light/STAMP reflector, no agent target.
- **An empty value is the default**: \`port:\` with nothing after it reads as if the key were absent.
- **File paths** (\`security.keyFile\`, \`agent.output\`, \`logging.destination\`) may be relative: they are
  read from the directory of the config file, never from the working directory (which is \`/\` under
  systemd), at start, on SIGHUP and by \`--check-config\` alike. \`keyFile: twampd.keys\` is the file
  beside the config. A file that cannot be read or written is reported with the absolute path tried, at
  the \`file:line:column\` of its key.
- **Durations** are seconds as a number (\`30\`, \`0.5\`) or a number with a unit: \`250ms\`, \`30s\`, \`15m\`, \`1h\`.
- **DSCP** is a number 0-63 or a name (\`EF\`, \`AF41\`, \`CS5\`, ...).
- **Security modes** are \`open\` (also \`unauthenticated\`), \`authenticated\` (also \`auth\`), \`encrypted\`,
  \`mixed\`, or \`all\`; one word or a list.
- **Every mistake is reported**, all at once, one per line as \`file:line:column: path: expected X, got Y\`
  (\`agent.targets[3].port\`); nothing is started. Besides single values, twampd checks that listener and
  target names are unique, that no two listeners share an address and port on one transport (\`::\`
  covers IPv4 too), that \`access\` names existing listeners, that secured modes and \`keyId\`s have a
  \`security.keyFile\` holding them, that a target's window is at least its interval and that
  \`agent.retry.initial\` is at most \`agent.retry.max\`.
- TWAMP Light targets and reflectors are open: keys for Light test packets would have to be agreed
  outside any standard, so twampd does not offer it.

In the tables, \`[]\` marks an item of a list and \`<name>\` a key you choose.`;

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function row(entry: ConfigKeyDoc): string {
  const shown = entry.default === 'required' ? '**required**' : entry.default;
  return `| \`${entry.key}\` | ${cell(entry.type)} | ${cell(shown)} | ${cell(entry.meaning)} |`;
}

/** The markdown between the config-reference markers. */
export function renderConfigReference(): string {
  const sections = new Map<string, ConfigKeyDoc[]>();
  for (const entry of CONFIG_REFERENCE) {
    const section = entry.key.split(/[.[]/, 1)[0] ?? entry.key;
    sections.set(section, [...(sections.get(section) ?? []), entry]);
  }
  const parts = [INTRO];
  for (const [section, entries] of sections) {
    parts.push(`### \`${section}\`\n\n| Key | Accepts | Default | Meaning |\n| --- | --- | --- | --- |\n${entries.map(row).join('\n')}`);
  }
  return `${parts.join('\n\n')}\n`;
}

/**
 * docs/daemon.md with the config reference replaced; the rest of the file (other owners' sections)
 * is kept byte for byte. Undefined when the markers are missing.
 */
export function withConfigReference(document: string): string | undefined {
  const start = document.indexOf(SECTION_START);
  if (start < 0) return undefined;
  const startEnd = document.indexOf('-->', start);
  const end = document.indexOf(SECTION_END, startEnd);
  if (startEnd < 0 || end < 0) return undefined;
  const head = document.slice(0, startEnd + '-->'.length);
  return `${head}\n${renderConfigReference()}${document.slice(end)}`;
}
