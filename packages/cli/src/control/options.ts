// Options shared by the TWAMP-Control commands (controller, controlclient, server): the control port,
// security modes, the key identity and where its secret comes from, PBKDF2 count, reflector ports.
// Pure: text in, checked values (or the ConfigError naming the option) out.
import { DEFAULT_SERVER_EXTENSIONS } from '@twamp/control';
import { type PortRange, parsePortRange } from '@twamp/test-session';
import { Mode, modeNames, securityModeWordBits } from '@twamp/wire';
import { parseIntegerOption } from '../options/numbers.js';
import { usageError } from '../options/usage-error.js';

/** TWAMP-Control's registered TCP port (RFC 5357 §3.1, IANA twamp-control). */
export const DEFAULT_CONTROL_PORT = 862;
/** The default PBKDF2 iteration count a server asks for (RFC 4656 §3.1 minimum 1024; perfSONAR 2048). */
export const DEFAULT_PBKDF2_COUNT = 2048;
/** Highest count a server may ask for here: the client default cap is 32 768, so more locks most clients out. */
export const MAX_PBKDF2_COUNT = 1 << 20;
/** How long a control client waits for each step (connect, greeting, each reply). */
export const DEFAULT_CONTROL_TIMEOUT_MS = 10_000;
/** Request-TW-Session Timeout: how long the reflector keeps answering after Stop-Sessions. */
export const DEFAULT_SESSION_TIMEOUT_S = 2;

const ALL_SECURITY_MODES = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;
/** Modes that need a shared secret. */
export const SECURED_MODES = Mode.Authenticated | Mode.Encrypted | Mode.Mixed;

/** Extensions a server offers unless told otherwise: @twamp/control's choice (RFC 5938, 6038, 7750; not RFC 8186). */
export { DEFAULT_SERVER_EXTENSIONS };

const MODE_EXPECTED = 'open, auth (authenticated), encrypted or mixed; repeat the option or separate with commas';

/** `--mode` values (repeatable, each possibly a comma list) as a set of security-mode bits; undefined when absent. */
export function parseModesOption(values: readonly string[] | undefined, path = '--mode'): number | undefined {
  if (values === undefined || values.length === 0) return undefined;
  let modes = 0;
  for (const value of values) {
    for (const word of value.split(',')) {
      const bit = securityModeWordBits(word);
      if (bit === undefined) throw usageError(path, MODE_EXPECTED, value);
      modes |= bit;
    }
  }
  return modes;
}

/** The names of a Modes value, as @twamp/wire names them (stable; unknown bits as numbers). */
export function modeList(modes: number): string {
  const names = modeNames(modes);
  return names.length === 0 ? 'none' : names.join(', ');
}

/** Where a client's shared secret comes from. */
export type SecretSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'key-file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'prompt' };

export interface RawClientSecurityOptions {
  readonly mode?: readonly string[];
  readonly user?: string;
  readonly keyFile?: string;
  readonly passphraseEnv?: string;
}

export interface ClientSecurityPlan {
  /** Security modes the user allows (bits). */
  readonly allowedModes: number;
  readonly keyId: string | undefined;
  readonly secret: SecretSource;
}

/** RFC 4656 §3.1: the KeyID field holds up to 80 octets of UTF-8. */
export function parseKeyId(text: string, path = '--user'): string {
  const octets = Buffer.byteLength(text, 'utf8');
  if (text.length === 0 || octets > 80 || text.includes('\0')) throw usageError(path, 'a key identity of 1 to 80 octets of UTF-8 (no NUL)', text);
  return text;
}

/**
 * The modes a client allows and where its secret comes from. Without `--mode`: every mode when a
 * `--user` is given, else open only. A secured mode needs `--user`; the secret comes from
 * `--key-file` (perfSONAR format), `--passphrase-env`, or a prompt on the terminal.
 */
export function parseClientSecurity(raw: RawClientSecurityOptions): ClientSecurityPlan {
  const keyId = raw.user === undefined ? undefined : parseKeyId(raw.user);
  if (raw.keyFile !== undefined && raw.passphraseEnv !== undefined) {
    throw usageError('--passphrase-env', 'either --key-file or --passphrase-env, not both', raw.passphraseEnv);
  }
  if (keyId === undefined && raw.keyFile !== undefined) throw usageError('--user', 'the key identity (KeyID) to look up in --key-file');
  if (keyId === undefined && raw.passphraseEnv !== undefined) throw usageError('--user', 'the key identity (KeyID) the passphrase belongs to');
  if (raw.passphraseEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw.passphraseEnv)) {
    throw usageError('--passphrase-env', 'the name of an environment variable', raw.passphraseEnv);
  }
  const allowedModes = parseModesOption(raw.mode) ?? (keyId === undefined ? Mode.Unauthenticated : ALL_SECURITY_MODES);
  const secured = (allowedModes & SECURED_MODES) !== 0;
  if (secured && keyId === undefined) {
    throw usageError('--user', `a key identity (KeyID) for the ${modeList(allowedModes & SECURED_MODES)} mode(s) --mode allows`);
  }
  // Open mode only: no key is used, so none is sent (control wants a KeyID only with its secret).
  if (!secured) return { allowedModes, keyId: undefined, secret: { kind: 'none' } };
  let secret: SecretSource = { kind: 'prompt' };
  if (raw.keyFile !== undefined) secret = { kind: 'key-file', path: raw.keyFile };
  else if (raw.passphraseEnv !== undefined) secret = { kind: 'env', name: raw.passphraseEnv };
  return { allowedModes, keyId, secret };
}

export interface RawServerSecurityOptions {
  readonly mode?: readonly string[];
  readonly keyFile?: string;
  readonly count?: string;
  /** Commander's `--no-extensions`: false when given. */
  readonly extensions?: boolean;
}

export interface ServerSecurityPlan {
  /** Modes offered in the Server Greeting (security bits and extension bits). */
  readonly modes: number;
  readonly keyFile: string | undefined;
  readonly pbkdf2Count: number;
}

/**
 * The modes a server offers: `--mode` when given, else every security mode with a key file and
 * open only without one; plus the default extensions unless `--no-extensions`.
 */
export function parseServerSecurity(raw: RawServerSecurityOptions): ServerSecurityPlan {
  const security = parseModesOption(raw.mode) ?? (raw.keyFile === undefined ? Mode.Unauthenticated : ALL_SECURITY_MODES);
  if ((security & SECURED_MODES) !== 0 && raw.keyFile === undefined) {
    throw usageError('--key-file', `a key file (perfSONAR format: identity, whitespace, hex secret per line) for the ${modeList(security & SECURED_MODES)} mode(s) offered`);
  }
  let pbkdf2Count = DEFAULT_PBKDF2_COUNT;
  if (raw.count !== undefined) {
    pbkdf2Count = parseIntegerOption(raw.count, { path: '--count', min: 1024, max: MAX_PBKDF2_COUNT, unit: 'iterations' });
    if ((pbkdf2Count & (pbkdf2Count - 1)) !== 0) throw usageError('--count', `a power of 2 from 1024 to ${MAX_PBKDF2_COUNT} iterations (RFC 4656 §3.1)`, raw.count);
  }
  const extensions = raw.extensions === false ? 0 : DEFAULT_SERVER_EXTENSIONS;
  return { modes: security | extensions, keyFile: raw.keyFile, pbkdf2Count };
}

/** `--port-range A-B`, or `ephemeral` / `0` for ports the system picks. */
export function parseReflectorPorts(text: string | undefined): PortRange | 'ephemeral' | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (value === 'ephemeral' || value === '0') return 'ephemeral';
  try {
    return parsePortRange(value, '--port-range');
  } catch {
    throw usageError('--port-range', 'a port range A-B with 1 ≤ A ≤ B ≤ 65535, or ephemeral (any free port)', text);
  }
}

/** Commander's accumulator for a repeatable option. */
export function collectRepeated(value: string, previous: readonly string[] | undefined): readonly string[] {
  return [...(previous ?? []), value];
}
