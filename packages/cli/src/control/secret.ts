// The shared secret of a control client, from where the options say: a key file, an environment
// variable, or the terminal (never echoed). The secret is never printed, logged or put in an error.
import { usageError } from '../options/usage-error.js';
import type { CommandContext } from '../commands/context.js';
import { type KeyFileWarning, type KeyStore, requireIdentities } from '@twamp/control';
import { writeLine } from '../commands/context.js';
import type { ControlEngine } from './engine.js';
import { type ClientSecurityPlan, SECURED_MODES } from './options.js';

/** Prints a key file's warnings (a short secret) on stderr, as `twamp <command>: warning: file:line: ...`. */
export function keyFileWarningPrinter(write: (line: string) => void, command: string): (warning: KeyFileWarning) => void {
  return (warning) => {
    write(`twamp ${command}: warning: ${warning.message}`);
  };
}

export async function resolveSecret(plan: ClientSecurityPlan, control: ControlEngine, context: CommandContext, command: string): Promise<Uint8Array | undefined> {
  const { secret, keyId } = plan;
  if (secret.kind === 'none' || keyId === undefined) return undefined;
  switch (secret.kind) {
    case 'key-file': {
      // An empty file names the file; one without this identity names --user, the file and the identity (exit 2 both).
      const warn = keyFileWarningPrinter((line) => {
        writeLine(context.io.stderr, line);
      }, command);
      const store = requireIdentities(await control.loadKeys(secret.path, warn), secret.path);
      const octets = store.secret(keyId);
      if (octets === undefined) throw usageError('--user', `an identity listed in ${secret.path} (it holds ${store.size})`, keyId);
      return octets;
    }
    case 'env': {
      const value = control.env(secret.name);
      if (value === undefined || value === '') throw usageError('--passphrase-env', 'the name of an environment variable set to the passphrase (it is unset or empty)', secret.name);
      return Buffer.from(value, 'utf8');
    }
    case 'prompt': {
      const value = await control.promptSecret(`twamp ${command}: passphrase for ${keyId}: `, context.io.stderr);
      if (value === undefined) {
        throw usageError('--key-file', 'a key file or --passphrase-env: stdin is not a terminal to ask for the passphrase');
      }
      if (value === '') throw usageError('passphrase', 'a passphrase of at least one character');
      return Buffer.from(value, 'utf8');
    }
  }
}

/**
 * A server offering a secured mode needs at least one identity in its key file: with none, every
 * client's Set-Up-Response fails and no secured session can ever start, so it is a usage error
 * (exit 2, naming the file) before anything listens, not a server that runs and refuses everyone.
 */
export function checkServerKeys(store: KeyStore, path: string, modes: number): void {
  if ((modes & SECURED_MODES) !== 0) requireIdentities(store, path);
}
