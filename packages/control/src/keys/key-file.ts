// Key files: perfSONAR's (`identity<TAB or spaces>hex`, the secret being the hex-decoded octets,
// as twampd and twping read it) and a plain one (`identity: passphrase`, the secret being the
// passphrase's UTF-8 octets). Errors name the file, the line and what is expected, never a secret;
// warnings (a secret too short to be strong) are reported, never fatal.
//
// Separators, exactly: perfSONAR lines are `identity`, one or more spaces or TABs (any mix), the hex;
// leading and trailing whitespace (a CR too) is ignored. Plain lines split at the first `:`; one space
// or TAB after it is the separator, further ones belong to the passphrase; trailing whitespace is
// dropped. `#` starts a comment line; blank lines are skipped.
import { readFile } from 'node:fs/promises';
import { ConfigError } from '@twamp/errors';
import type { KeyStore } from '../types.js';
import { createKeyStore, keyIdProblem } from './key-store.js';

/**
 * How a key file is read. 'auto' (the default) looks at the first line that is not blank or a
 * comment: if its first word contains ':' the file is plain, otherwise perfSONAR. The whole file
 * then follows that format, so a mix of the two is reported line by line rather than guessed.
 */
export type KeyFileFormat = 'perfsonar' | 'plain' | 'auto';

/** A key file that parses but holds something an operator should fix (never a secret in it). */
export interface KeyFileWarning {
  /** `short-secret`: fewer than MIN_SECRET_OCTETS octets. */
  readonly code: 'short-secret';
  /** `name:line`, as errors name it. */
  readonly path: string;
  readonly keyId: string;
  /** The secret's length in octets. */
  readonly octets: number;
  /** One line for a person, starting with `path`. */
  readonly message: string;
}

/**
 * The shortest secret that does not warn: 16 octets, the AES-128 key that TWAMP's PBKDF2 derives from
 * the secret (RFC 4656 §3.1). A shorter secret holds less entropy than the key made from it, so the
 * key can be guessed by trying secrets, whatever the iteration count.
 */
export const MIN_SECRET_OCTETS = 16;

export interface KeyFileOptions {
  readonly format?: KeyFileFormat;
  /** Called once per warning as the file is parsed (the warnings are also in ParsedKeyFile.warnings). */
  readonly onWarning?: (warning: KeyFileWarning) => void;
  /**
   * What the caller needs from the file (see requireIdentities): true = at least one identity, a list =
   * each of these identities. Default: nothing, so an empty file parses to a store of size 0, which the
   * caller must check before offering or using a secured mode.
   */
  readonly require?: boolean | readonly string[];
}

export interface ParsedKeyFile {
  readonly format: Exclude<KeyFileFormat, 'auto'>;
  readonly store: KeyStore;
  /** In line order; empty when nothing needs fixing. */
  readonly warnings: readonly KeyFileWarning[];
}

const HEX = /^[0-9a-fA-F]+$/;

function isSkipped(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

function detectFormat(lines: readonly string[]): Exclude<KeyFileFormat, 'auto'> {
  const first = lines.find((line) => !isSkipped(line));
  if (first === undefined) return 'perfsonar';
  const word = first.trim().split(/\s/, 1)[0] ?? '';
  return word.includes(':') ? 'plain' : 'perfsonar';
}

function lineError(name: string, lineNumber: number, expected: string, received?: string): ConfigError {
  return new ConfigError([{ path: `${name}:${lineNumber}`, expected, ...(received === undefined ? {} : { received }) }]);
}

function parsePerfsonarLine(line: string, name: string, lineNumber: number): [string, Uint8Array] {
  const match = /^\s*(\S+)[ \t]+(\S+)\s*$/.exec(line);
  if (match === null) {
    // Report the shape, not the content: the content may be a secret missing its separator.
    const words = line.trim().split(/\s+/).length;
    return fail(lineError(name, lineNumber, 'an identity, then spaces or a tab, then the hex secret', `${words} word${words === 1 ? '' : 's'}`));
  }
  const keyId = match[1] ?? '';
  const hex = match[2] ?? '';
  const problem = keyIdProblem(keyId);
  if (problem !== undefined) fail(lineError(name, lineNumber, problem));
  if (!HEX.test(hex) || hex.length % 2 !== 0) {
    fail(lineError(name, lineNumber, `the secret of ${JSON.stringify(keyId)} as an even number of hex digits`, `${hex.length} characters, not all of them hex pairs`));
  }
  return [keyId, Buffer.from(hex, 'hex')];
}

function parsePlainLine(line: string, name: string, lineNumber: number): [string, Uint8Array] {
  const colon = line.indexOf(':');
  if (colon < 0) fail(lineError(name, lineNumber, "'identity: passphrase'", 'no colon'));
  const keyId = line.slice(0, colon).trim();
  // One space after the colon is the separator; any further characters belong to the passphrase
  // except trailing whitespace (a CR from a Windows editor must never end up in a secret).
  const passphrase = line.slice(colon + 1).replace(/^[ \t]/, '').replace(/[\s]+$/, '');
  const problem = keyIdProblem(keyId);
  if (problem !== undefined) fail(lineError(name, lineNumber, problem));
  if (passphrase.length === 0) fail(lineError(name, lineNumber, `a passphrase after "${keyId}:"`, 'nothing'));
  return [keyId, Buffer.from(passphrase, 'utf8')];
}

function fail(error: ConfigError): never {
  throw error;
}

/**
 * Parse a key file's text. `name` (usually the path) prefixes every error, as `name:line`.
 * Duplicate identities are an error: which of two secrets is meant cannot be guessed.
 */
export function parseKeyFile(text: string, name: string, options: KeyFileOptions = {}): ParsedKeyFile {
  const lines = text.split(/\r?\n/);
  const requested = options.format ?? 'auto';
  const format = requested === 'auto' ? detectFormat(lines) : requested;
  const entries: [string, Uint8Array][] = [];
  const warnings: KeyFileWarning[] = [];
  const seen = new Map<string, number>();
  lines.forEach((line, index) => {
    if (isSkipped(line)) return;
    const lineNumber = index + 1;
    const entry = format === 'perfsonar' ? parsePerfsonarLine(line, name, lineNumber) : parsePlainLine(line, name, lineNumber);
    const earlier = seen.get(entry[0]);
    if (earlier !== undefined) {
      fail(lineError(name, lineNumber, `each identity once (${JSON.stringify(entry[0])} is already on line ${earlier})`));
    }
    seen.set(entry[0], lineNumber);
    entries.push(entry);
    const octets = entry[1].length;
    if (octets < MIN_SECRET_OCTETS) {
      const path = `${name}:${lineNumber}`;
      const message = `${path}: the secret of ${JSON.stringify(entry[0])} is ${octets} octet${octets === 1 ? '' : 's'}, weaker than the ${MIN_SECRET_OCTETS}-octet key derived from it; use a random secret of at least ${MIN_SECRET_OCTETS} octets (twamp keygen makes one)`;
      const warning: KeyFileWarning = { code: 'short-secret', path, keyId: entry[0], octets, message };
      warnings.push(warning);
      options.onWarning?.(warning);
    }
  });
  const store = createKeyStore(entries);
  if (options.require !== undefined && options.require !== false) {
    requireIdentities(store, name, options.require === true ? [] : options.require);
  }
  return { format, store, warnings };
}

/**
 * Why `keyId` cannot be written as the identity of a perfSONAR key-file line that this parser (and
 * perfSONAR's) reads back as written, or undefined when it can: the KeyID rules (1-80 octets of UTF-8,
 * no NUL), no whitespace (it separates the identity from the secret), no leading `#` (a comment), and
 * no `:` (a first identity with one makes `auto` read the file as the plain format).
 */
export function keyFileIdentityProblem(keyId: string): string | undefined {
  const problem = keyIdProblem(keyId);
  if (problem !== undefined) return problem;
  if (/\s/u.test(keyId)) return 'an identity without whitespace (a space or TAB separates it from the secret)';
  if (keyId.startsWith('#')) return 'an identity that does not start with # (a key file reads that line as a comment)';
  if (keyId.includes(':')) return "an identity without ':' (a key file whose first identity has one is read as the plain 'identity: passphrase' format)";
  return undefined;
}

/** A perfSONAR key-file line, `identity<TAB>hex` without a newline; throws a ConfigError for an identity the parser cannot read back. */
export function formatKeyFileLine(keyId: string, secret: Uint8Array): string {
  const problem = keyFileIdentityProblem(keyId);
  if (problem !== undefined) throw new ConfigError([{ path: 'identity', expected: problem, received: JSON.stringify(keyId.slice(0, 100)) }]);
  if (secret.length === 0) throw new ConfigError([{ path: `secret of ${JSON.stringify(keyId)}`, expected: 'a non-empty secret' }]);
  return `${keyId}\t${Buffer.from(secret.buffer, secret.byteOffset, secret.length).toString('hex')}`;
}

/**
 * Check that a key store can serve a secured mode: it holds at least one identity and every one of
 * `keyIds` (the identity a client will use, say). Throws a ConfigError naming `source` (the key
 * file's path) otherwise, so the CLI can exit 2 and twampd report a config error instead of running
 * a server no client can ever authenticate to. Returns the store. Names identities, never secrets.
 */
export function requireIdentities(store: KeyStore, source: string, keyIds: readonly string[] = []): KeyStore {
  if (store.size === 0) {
    throw new ConfigError([{ path: source, expected: 'at least one key identity (an authenticated, encrypted or mixed mode needs one)', received: 'none' }]);
  }
  const missing = keyIds.filter((keyId) => store.secret(keyId) === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((keyId) => ({ path: source, expected: `the identity ${JSON.stringify(keyId)}`, received: 'not in the key file' })));
  }
  return store;
}

/**
 * Read and parse a key file (see parseKeyFile). A file that cannot be read is a ConfigError too.
 * Warnings reach `options.onWarning` (a caller without one does not see them: pass it to log them).
 */
export async function loadKeyFile(path: string, options: KeyFileOptions = {}): Promise<KeyStore> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an I/O error';
    throw new ConfigError([{ path, expected: 'a readable key file', received: code }]);
  }
  return parseKeyFile(text, path, options).store;
}
