// `--auth` for `twamp sender --stamp` and `twamp responder --stamp`: STAMP authenticated mode
// (RFC 8762 §4.3, HMAC-SHA-256). The HMAC key is the shared secret of `--user`, read exactly as the
// control commands read theirs (a key file, an environment variable or the terminal) and used as is,
// the same octets twampd takes from its key file for an authenticated STAMP listener or target. The
// secret is never printed, logged or put in an error.
import type { Command } from 'commander';
import { Mode, StampSecurity } from '@twamp/wire';
import type { CommandContext } from '../commands/context.js';
import { type ControlEngine, PromptInterrupted } from '../control/engine.js';
import { parseClientSecurity, type SecretSource } from '../control/options.js';
import { resolveSecret } from '../control/secret.js';
import { usageError } from './usage-error.js';

/** The options as commander hands them over. */
export interface RawStampAuthOptions {
  readonly auth?: boolean;
  readonly user?: string;
  readonly keyFile?: string;
  readonly passphraseEnv?: string;
}

/** Authenticated STAMP: whose secret is the HMAC key, and where it comes from. */
export interface StampAuthPlan {
  readonly keyId: string;
  readonly secret: SecretSource;
}

/** The `settings.stampSecurity` of the --json object: the STAMP mode, null for other protocols. */
export type StampSecuritySetting = 'open' | 'authenticated' | null;

/**
 * Checks --auth and its secret options; undefined for open mode. Pure. --auth needs --stamp and
 * --user; --user, --key-file and --passphrase-env mean nothing without --auth. The rest (key
 * identity length, one secret source, a valid variable name) is checked as the controller checks it.
 */
export function parseStampAuth(raw: RawStampAuthOptions, stamp: boolean): StampAuthPlan | undefined {
  if (raw.auth === true && !stamp) {
    throw usageError('--auth', 'to be used with --stamp (authenticated mode is STAMP\'s, RFC 8762 §4.3)');
  }
  if (raw.auth !== true) {
    const stray: readonly [string, string | undefined][] = [
      ['--user', raw.user],
      ['--key-file', raw.keyFile],
      ['--passphrase-env', raw.passphraseEnv],
    ];
    for (const [option, value] of stray) {
      if (value !== undefined) throw usageError(option, 'to be used with --stamp --auth (the secret is the STAMP HMAC key)', value);
    }
    return undefined;
  }
  if (raw.user === undefined) {
    throw usageError('--user', 'the key identity whose secret is the HMAC key (--auth), read from --key-file, --passphrase-env or the terminal');
  }
  const client = parseClientSecurity({
    mode: ['auth'],
    user: raw.user,
    ...(raw.keyFile === undefined ? {} : { keyFile: raw.keyFile }),
    ...(raw.passphraseEnv === undefined ? {} : { passphraseEnv: raw.passphraseEnv }),
  });
  // A secured mode always yields a key identity and a source; checked again for the type's sake.
  if (client.keyId === undefined || client.secret.kind === 'none') throw usageError('--user', 'a key identity for --auth', raw.user);
  return { keyId: client.keyId, secret: client.secret };
}

/** The settings field for a protocol and plan. */
export function stampSecuritySetting(protocol: string, auth: StampAuthPlan | undefined): StampSecuritySetting {
  if (protocol !== 'stamp') return null;
  return auth === undefined ? 'open' : 'authenticated';
}

/** `, authenticated (key alice)` for the start and listening lines; empty in open mode. */
export function stampAuthLabel(auth: StampAuthPlan | undefined): string {
  return auth === undefined ? '' : `, authenticated (key ${auth.keyId})`;
}

/** The engine's STAMP security options (sender and reflector name them alike); none in open mode. */
export function stampSecurityOptions(key: Uint8Array | undefined): { readonly stampSecurity?: StampSecurity; readonly stampKey?: Uint8Array } {
  return key === undefined ? {} : { stampSecurity: StampSecurity.Authenticated, stampKey: key };
}

export type StampKeyResult = { readonly kind: 'key'; readonly key: Uint8Array | undefined } | { readonly kind: 'interrupted' };

/**
 * The HMAC key of a plan (undefined in open mode): the secret's octets, unchanged. Ctrl-C at the
 * passphrase prompt is reported here and comes back as `interrupted`; a missing identity, an
 * unset variable or no terminal to ask on are usage errors (exit 2), nothing opened.
 */
export async function resolveStampKey(auth: StampAuthPlan | undefined, control: ControlEngine, context: CommandContext, command: string): Promise<StampKeyResult> {
  if (auth === undefined) return { kind: 'key', key: undefined };
  try {
    const key = await resolveSecret({ allowedModes: Mode.Authenticated, keyId: auth.keyId, secret: auth.secret }, control, context, command);
    if (key === undefined) throw usageError('--user', 'a key identity for --auth', auth.keyId);
    return { kind: 'key', key };
  } catch (error) {
    if (!(error instanceof PromptInterrupted)) throw error;
    context.io.stderr.write(`twamp ${command}: interrupted at the passphrase prompt\n`);
    return { kind: 'interrupted' };
  }
}

/** --auth, --user, --key-file and --passphrase-env: flags and help (sender and responder alike). */
export const STAMP_AUTH_FLAGS = {
  auth: { flags: '--auth', help: 'STAMP authenticated mode (RFC 8762 §4.3, HMAC-SHA-256; with --stamp): the HMAC key is the secret of --user' },
  user: { flags: '--user <keyid>', help: 'key identity (KeyID) whose secret is the --auth HMAC key' },
  keyFile: { flags: '--key-file <file>', help: 'read the secret of --user from this key file (perfSONAR "identity hex", or "identity: passphrase"; twampd\'s key file works)' },
  passphraseEnv: { flags: '--passphrase-env <var>', help: 'read the secret of --user from this environment variable (else: asked on the terminal, not echoed)' },
} as const;

/** Adds --auth, --user, --key-file and --passphrase-env to a command (the responder; the sender gets them from the test-option table). */
export function addStampAuthOptions(command: Command): Command {
  for (const flag of Object.values(STAMP_AUTH_FLAGS)) command.option(flag.flags, flag.help);
  return command;
}
