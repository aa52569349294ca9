// loadConfigKeys: the key file a config names, read with @twamp/control's loadKeyFile, and every
// identity the config uses checked against it, so an unusable key file is a ConfigError at start (or
// on SIGHUP, keeping the old config, or by --check-config) rather than a server no client can ever
// authenticate to. Each mistake is shown where the config says it (file:line:column when the config
// came from a file): the key file at `security.keyFile`, a missing identity at the keyId that asks for it.
import { type KeyFileWarning, type KeyStore, loadKeyFile, requireIdentities } from '@twamp/control';
import { ConfigError } from '@twamp/errors';
import type { DaemonConfig } from '../types.js';
import type { ConfigFileIssue } from './issues.js';
import { placeOf } from './places.js';
import { keyUsers } from './resolve.js';

const SECURED: readonly string[] = ['authenticated', 'encrypted', 'mixed'];
const KEY_FILE = ['security', 'keyFile'] as const;

/**
 * The KeyStore of `security.keyFile`, or undefined when the config names none (and needs none).
 * Throws a ConfigError naming `security.keyFile` when the file cannot be read or parsed, or holds no
 * identity while a secured mode is offered, and naming each reflector or target whose keyId the file
 * does not hold. `onWarning` hears what is usable but weak (a secret shorter than 16 octets), with
 * the key file's name:line; the caller logs it (start, reload) or prints it (--check-config).
 */
export async function loadConfigKeys(config: DaemonConfig, onWarning?: (warning: KeyFileWarning) => void): Promise<KeyStore | undefined> {
  const users = keyUsers(config.listeners, config.agent);
  const keyFile = config.security.keyFile;
  const securedModes = config.security.modes.filter((mode) => SECURED.includes(mode));
  if (keyFile === undefined) {
    const first = users[0];
    if (first === undefined && securedModes.length === 0) return undefined;
    const who = first === undefined ? `the ${securedModes.join(', ')} mode(s) in security.modes` : `keyId "${first.keyId}" of ${placeOf(config, first.path).path}`;
    throw new ConfigError([issueAt(config, KEY_FILE, `a key file for ${who}`, 'nothing')]);
  }
  let store: KeyStore;
  try {
    store = await loadKeyFile(keyFile, onWarning === undefined ? {} : { onWarning });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The key file's own messages name its path and line, never a secret: keep them, under our key.
    throw new ConfigError(error.issues.map((issue) => issueAt(config, KEY_FILE, `${issue.expected} (${issue.path})`, issue.received)));
  }
  const issues: ConfigFileIssue[] = [];
  if (securedModes.length > 0) {
    try {
      requireIdentities(store, keyFile);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(issueAt(config, KEY_FILE, `a key file with at least one identity for the ${securedModes.join(', ')} mode(s) security.modes offers`, `an empty file (${keyFile})`));
    }
  }
  const reported = new Set<string>();
  for (const user of users) {
    const secret = store.secret(user.keyId);
    if (secret !== undefined) {
      // The store hands out copies: wipe this one, it was only needed to learn the identity exists.
      secret.fill(0);
      continue;
    }
    const issue = issueAt(config, user.path, `an identity present in the key file ${keyFile}`, JSON.stringify(user.keyId));
    // Targets that took one keyId from agent.defaults share one place: one mistake, not one per target.
    if (reported.has(issue.path)) continue;
    reported.add(issue.path);
    issues.push(issue);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return store;
}

function issueAt(config: DaemonConfig, path: readonly PropertyKey[], expected: string, received: string | undefined): ConfigFileIssue {
  return { ...placeOf(config, path), expected, ...(received === undefined ? {} : { received }) };
}
