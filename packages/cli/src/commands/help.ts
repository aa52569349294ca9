// What `--help` adds after the options of each command: examples and the exit codes that command can
// end with. The exit codes' words come from EXIT_CODES, so the help, the failure text and the docs
// (generated from the same list) say the same thing.
import { EXIT_CODES } from '../errors/exit-codes.js';

/**
 * Every exit code of `twamp` as `--help` words it: `<name>: <brief>`, read from EXIT_CODES
 * (errors/exit-codes.ts), the one definition, so the help cannot say what the exit code does not.
 */
export const EXIT_CODE_HELP: Readonly<Record<number, string>> = Object.fromEntries(EXIT_CODES.map((info) => [info.code, `${info.name}: ${info.brief}`]));

export interface CommandHelp {
  /** `[command line, what it does]` pairs. */
  readonly examples: readonly (readonly [string, string])[];
  /** The exit codes this command can end with. */
  readonly exitCodes: readonly number[];
  /** Extra words about an exit code for this command, e.g. that SIGINT is its normal stop. */
  readonly exitNotes?: Readonly<Record<number, string>>;
}

/** Per command, in the order `twamp --help` lists the commands. */
export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  responder: {
    examples: [
      ['twamp responder', 'TWAMP Light reflector on every IPv4 address, UDP 862'],
      ['twamp responder :20001', "take nokia/twampy's reflector port"],
      ['twamp responder 127.0.0.1:0 --stamp -v', 'STAMP on a free loopback port; a line per session and per second'],
      ['twamp responder -6 [::]:862 --allow 2001:db8::/32', 'IPv6, answering only one prefix'],
      ['twamp responder -q -l responder.log --interval-report 60', 'quiet, a statistics line a minute in the log file'],
    ],
    exitCodes: [0, 1, 2],
    exitNotes: { 0: 'stopped by SIGINT/SIGTERM, its normal end; statistics printed' },
  },
  sender: {
    examples: [
      ['twamp sender 192.0.2.7', '100 packets, 100 ms apart, to a reflector on UDP 862'],
      ['twamp sender 192.0.2.7:20001 -c 1000 -i 10 --dscp ef', "1000 packets 10 ms apart to twampy's reflector port, DSCP EF"],
      ['twamp sender [2001:db8::7] --stamp --json', 'STAMP over IPv6, one JSON object'],
      ['twamp sender 127.0.0.1:8620 -c 50 --percentiles 90,99', 'extra delay percentiles in the table'],
    ],
    exitCodes: [0, 1, 2, 4, 130, 143],
  },
  controller: {
    examples: [
      ['twamp controller 192.0.2.7', 'TWAMP-Control to 192.0.2.7:862 (open mode), one session, 100 packets'],
      ['twamp controller 192.0.2.7 --mode encrypted --user alice --key-file keys.txt', 'encrypted mode with a shared secret from a key file'],
      ['twamp controller 192.0.2.7 -c 1000 -i 10 --json', 'a longer run, one JSON object with the control facts'],
    ],
    exitCodes: [0, 1, 2, 3, 4, 130, 143],
  },
  controlclient: {
    examples: [
      ['twamp controlclient 192.0.2.10:20000 192.0.2.7', 'a session for the sender at 192.0.2.10:20000; Ctrl-C stops it'],
      ['twamp controlclient :20000 192.0.2.7 --duration 60 --json', 'for a sender on this host, for 60 s, the sessions as JSON'],
      ['twamp controlclient :20000 --sessions 4 --jsonl', 'four sessions with the local server, a JSON record per event'],
    ],
    exitCodes: [0, 1, 2, 3, 4, 130, 143],
    exitNotes: { 0: 'sessions stopped after --duration or on Ctrl-C (its normal end)', 130: 'interrupted while setting up (before the sessions started)' },
  },
  server: {
    examples: [
      ['twamp server', 'TWAMP server on TCP 862 (open mode), reflectors on UDP 8760-9960'],
      ['twamp server 127.0.0.1:0 --port-range ephemeral -v', 'on a free loopback port; a packet-rate line every second'],
      ['twamp server --key-file /etc/twamp/keys --mode auth,encrypted', 'authenticated and encrypted modes only'],
      ['twamp server --jsonl -l server.log', 'a JSON record per session event on stdout, a log file'],
    ],
    exitCodes: [0, 1, 2],
    exitNotes: { 0: 'stopped by SIGINT/SIGTERM, its normal end; statistics printed' },
  },
  demo: {
    examples: [
      ['twamp demo', 'a TWAMP Light reflector and a sender on 127.0.0.1: 200 packets, 5 ms apart'],
      ['twamp demo --stamp -c 1000 -i 1', 'STAMP, 1000 packets 1 ms apart'],
      ['twamp demo -6 --json', 'over ::1, the summary as JSON'],
    ],
    exitCodes: [0, 1, 2, 130, 143],
  },
  dscptable: {
    examples: [
      ['twamp dscptable', 'every named DSCP with its TOS byte'],
      ['twamp dscptable ef', 'one entry: by name or number (0-63, or 0x hex)'],
      ['twamp dscptable --json', 'the table as JSON'],
    ],
    exitCodes: [0, 2],
  },
  keygen: {
    examples: [
      ['twamp keygen --user alice --out keys.txt', 'a random secret for alice in keys.txt (created with mode 0600, or appended)'],
      ['twamp keygen --user alice --out keys.txt --force', 'replace alice\'s secret in keys.txt, keeping the other identities'],
      ['twamp keygen --user bob', 'print the line (bob<TAB>hex) on stdout'],
    ],
    exitCodes: [0, 1, 2],
    exitNotes: { 2: 'a bad --user, a file that cannot be used, or an identity the file holds already (without --force)' },
  },
};

function indentedPairs(pairs: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...pairs.map(([left]) => left.length));
  return pairs.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** `Exit codes:` with one line per code; a command's note replaces the generic brief, never the name. */
export function exitCodesHelp(codes: readonly number[], notes: Readonly<Record<number, string>> = {}): string {
  const rows = codes.map((code): [string, string] => {
    const note = notes[code];
    const name = EXIT_CODES.find((info) => info.code === code)?.name;
    if (note === undefined || name === undefined) return [String(code), EXIT_CODE_HELP[code] ?? ''];
    return [String(code), `${name}: ${note}`];
  });
  return ['Exit codes:', ...indentedPairs(rows)].join('\n');
}

/** The text after a command's options: examples, then exit codes. */
export function commandHelpFooter(help: CommandHelp): string {
  return ['', 'Examples:', ...indentedPairs(help.examples), '', exitCodesHelp(help.exitCodes, help.exitNotes)].join('\n');
}

/** The text after `twamp --help`'s command list. */
export function programHelpFooter(): string {
  const examples: (readonly [string, string])[] = [
    ['twamp demo', 'a reflector and a sender on loopback: the quickest check that everything works'],
    ['twamp responder &', 'a TWAMP Light reflector on UDP 862'],
    ['twamp sender 192.0.2.7', 'measure against it: per-direction delay, jitter, loss'],
    ['twamp controller 192.0.2.7', 'a full TWAMP run with TWAMP-Control'],
    ['twamp dscptable', 'DSCP names, numbers and TOS bytes'],
    ['twamp keygen --user alice --out keys.txt', 'a shared secret for the authenticated and encrypted modes'],
    ['twamp <command> --help', 'the options and examples of a command'],
  ];
  const all = EXIT_CODES.map((info) => info.code);
  return [
    '',
    'Examples:',
    ...indentedPairs(examples),
    '',
    '-d/--debug and -V/--version work before or after the command name. NO_COLOR=1 turns colour off like --no-color.',
    '',
    exitCodesHelp(all),
  ].join('\n');
}
