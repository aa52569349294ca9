// `twamp keygen --user NAME [--out FILE] [--force]`: a random shared secret for the authenticated,
// encrypted and mixed modes (and authenticated STAMP), as the perfSONAR key-file line `identity<TAB>hex`
// that `twamp server`, `twamp controller`, twampd and perfSONAR's twping/twampd all read. The line is
// made and the identity checked by @twamp/control's key-file code, the same that reads it back.
//
// What an operator expects of --out: a new file is created with mode 0600 whatever the umask; an
// existing key file gets the new identity appended (that overwrites nothing); an identity the file
// already holds is refused unless --force, which replaces that one line and keeps every other line.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { formatKeyFileLine, keyFileIdentityProblem, parseKeyFile } from '@twamp/control';
import { ConfigError } from '@twamp/errors';
import { ExitCode } from '../io.js';
import { usageError } from '../options/usage-error.js';
import { type CommandContext, writeLine } from './context.js';

/**
 * 32 random octets (256 bits). TWAMP derives a 16-octet AES key from the secret with PBKDF2 (RFC 4656
 * §3.1), so 16 is the least that loses nothing; the same secret is also the HMAC-SHA-256 key of
 * authenticated STAMP, for which RFC 2104 asks at least the hash's length, 32 octets. 32 serves both.
 */
export const KEYGEN_SECRET_OCTETS = 32;

/** A key file is for its owner only: read and write for the owner, nothing for anyone else. */
const KEY_FILE_MODE = 0o600;

export interface RawKeygenOptions {
  readonly user?: string;
  readonly out?: string;
  readonly force?: boolean;
}

export interface KeygenPlan {
  readonly keyId: string;
  /** Where to write; undefined: print the line on stdout. */
  readonly out: string | undefined;
  readonly force: boolean;
}

/** Checks the arguments of `twamp keygen`: the identity as the key-file parser would read it back. Pure. */
export function parseKeygenArguments(raw: RawKeygenOptions): KeygenPlan {
  const keyId = raw.user;
  if (keyId === undefined) throw usageError('--user', 'the key identity (KeyID) the secret is for, e.g. --user alice');
  const problem = keyFileIdentityProblem(keyId);
  if (problem !== undefined) throw usageError('--user', problem, keyId.slice(0, 100));
  if (raw.out === '') throw usageError('--out', 'a file name');
  if (raw.force === true && raw.out === undefined) throw usageError('--force', 'to be used with --out (it lets keygen replace an identity the file already holds)');
  return { keyId, out: raw.out, force: raw.force === true };
}

/** What happened to the key file. */
export type KeygenAction = 'created' | 'appended' | 'replaced';

export interface KeygenWrite {
  readonly action: KeygenAction;
  /** The file's permission bits after the write. */
  readonly mode: number;
}

function systemCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : String(error);
}

/** A file that cannot be read or written is a usage error naming it (exit 2), as for every option's file. */
function fileError(path: string, expected: string, error: unknown): ConfigError {
  return new ConfigError([{ path: '--out', expected, received: `${JSON.stringify(path)} (${systemCode(error)})` }]);
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (systemCode(error) === 'ENOENT') return undefined;
    throw fileError(path, 'a key file this user may read and write', error);
  }
}

/** Writes `text` to a new file with mode 0600: exclusive create, so nothing that appeared meanwhile is overwritten. */
function createFile(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', KEY_FILE_MODE);
  } catch (error) {
    throw fileError(path, 'a file name this user may create', error);
  }
  try {
    // The umask can only take bits away from 0600, but a file created by someone else's rules
    // (an ACL default, say) gets exactly 0600 too.
    fchmodSync(fd, KEY_FILE_MODE);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The line number (0-based) of `keyId`'s entry in a perfSONAR key file's lines. */
function lineOf(lines: readonly string[], keyId: string): number {
  return lines.findIndex((line) => {
    const trimmed = line.trim();
    return !trimmed.startsWith('#') && trimmed.split(/[ \t]+/, 1)[0] === keyId;
  });
}

/**
 * Writes the identity's line to `plan.out` as an operator expects (see the top of this file). Throws a
 * ConfigError (exit 2) for a file that cannot be used: unreadable, not a key file this parser reads, in
 * the plain format (a perfSONAR line cannot join it), or holding the identity already without --force.
 */
export function writeKeyLine(plan: KeygenPlan & { readonly out: string }, line: string): KeygenWrite {
  const path = plan.out;
  const existing = readIfThere(path);
  if (existing === undefined) {
    createFile(path, `${line}\n`);
    return { action: 'created', mode: KEY_FILE_MODE };
  }
  // The file must read back as a key file before and after: its own errors name file:line.
  const parsed = parseKeyFile(existing, path);
  if (parsed.format === 'plain' && parsed.store.size > 0) {
    throw usageError('--out', "a perfSONAR key file (identity hex): this one holds 'identity: passphrase' lines, which a perfSONAR line cannot join", path);
  }
  if (parsed.store.secret(plan.keyId) !== undefined) {
    if (!plan.force) throw usageError('--user', `an identity not yet in ${path} (--force replaces its secret, keeping the other lines)`, plan.keyId);
    const lines = existing.split('\n');
    lines[lineOf(lines, plan.keyId)] = line;
    // A new file beside the old one, renamed over it: never a half-written key file.
    const temporary = join(dirname(path), `.${basename(path)}.twamp-keygen-${process.pid}`);
    createFile(temporary, lines.join('\n'));
    try {
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw fileError(path, 'a key file this user may replace', error);
    }
    return { action: 'replaced', mode: KEY_FILE_MODE };
  }
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw fileError(path, 'a key file this user may append to', error);
  }
  try {
    writeSync(fd, `${existing === '' || existing.endsWith('\n') ? '' : '\n'}${line}\n`);
    return { action: 'appended', mode: fstatSync(fd).mode & 0o777 };
  } finally {
    closeSync(fd);
  }
}

/** Makes the secret and prints or writes its line. Returns the exit code. */
export function runKeygen(plan: KeygenPlan, context: CommandContext): number {
  const secret = randomBytes(KEYGEN_SECRET_OCTETS);
  const line = formatKeyFileLine(plan.keyId, secret);
  secret.fill(0);
  if (plan.out === undefined) {
    // stdout is the command's output: the line, nothing else, so `>> keys.txt` or a pipe takes it as is.
    writeLine(context.io.stdout, line);
    return ExitCode.Ok;
  }
  const { action, mode } = writeKeyLine({ ...plan, out: plan.out }, line);
  const modeText = `0${mode.toString(8)}`;
  writeLine(
    context.io.stderr,
    `twamp keygen: ${action} ${JSON.stringify(plan.keyId)} (a random ${KEYGEN_SECRET_OCTETS}-octet secret) ${action === 'appended' ? 'to' : 'in'} ${plan.out}, mode ${modeText}; use it with --key-file ${plan.out} --user ${plan.keyId}`,
  );
  if ((mode & 0o077) !== 0) {
    writeLine(context.io.stderr, `twamp keygen: warning: ${plan.out} is open to others than its owner (mode ${modeText}): chmod 600 ${plan.out}`);
  }
  return ExitCode.Ok;
}

export function registerKeygen(program: Command, context: CommandContext): void {
  program
    .command('keygen')
    .description(`make a random ${KEYGEN_SECRET_OCTETS}-octet shared secret for --user and print or write it as a perfSONAR key-file line (identity<TAB>hex)`)
    .option('--user <keyid>', 'the key identity (KeyID) the secret is for: 1-80 octets of UTF-8, no whitespace, no ":", not starting with #')
    .option('--out <file>', 'write to this key file instead of stdout: created with mode 0600, or the identity appended to it')
    .option('--force', 'with --out: replace the secret of an identity the file already holds (its other lines stay)')
    .addHelpText(
      'after',
      `\nThe line works as is with twamp server/controller/controlclient --key-file, twamp responder/sender --auth --key-file, twampd's security.keyFile and perfSONAR's twping/twampd (-k). Give the same line to both ends; it is the secret, so keep the file mode 0600.`,
    )
    .action((raw: RawKeygenOptions) => {
      context.exitCode = runKeygen(parseKeygenArguments(raw), context);
    });
}
