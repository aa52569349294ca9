// loadConfigKeys: the key file a config names, read with @twamp/control's loadKeyFile, and every
// identity the config uses checked against it, so a missing key is a ConfigError at start (or on
// SIGHUP, keeping the old config) rather than a session failing later.
import { type KeyStore, loadKeyFile } from '@twamp/control';
import { ConfigError } from '@twamp/errors';
import type { DaemonConfig } from '../types.js';
import { type ConfigFileIssue, formatPath } from './issues.js';
import { keyUsers } from './resolve.js';

const SECURED: readonly string[] = ['authenticated', 'encrypted', 'mixed'];

/**
 * The KeyStore of `security.keyFile`, or undefined when the config names none (and needs none).
 * Throws a ConfigError naming `security.keyFile` when the file cannot be read or parsed, or naming
 * the reflector or target whose keyId the file does not hold (every such one).
 */
export async function loadConfigKeys(config: DaemonConfig): Promise<KeyStore | undefined> {
  const users = keyUsers(config.listeners, config.agent);
  const keyFile = config.security.keyFile;
  const securedModes = config.security.modes.filter((mode) => SECURED.includes(mode));
  if (keyFile === undefined) {
    const first = users[0];
    if (first === undefined && securedModes.length === 0) return undefined;
    const who = first === undefined ? `the ${securedModes.join(', ')} mode(s) in security.modes` : `keyId "${first.keyId}" of ${formatPath(first.path)}`;
    throw new ConfigError([{ path: 'security.keyFile', expected: `a key file for ${who}`, received: 'nothing' }]);
  }
  let store: KeyStore;
  try {
    store = await loadKeyFile(keyFile);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The key file's own messages name its path and line, never a secret: keep them, under our key.
    throw new ConfigError(
      error.issues.map((issue): ConfigFileIssue => ({
        path: 'security.keyFile',
        expected: `${issue.expected} (${issue.path})`,
        ...(issue.received === undefined ? {} : { received: issue.received }),
      })),
    );
  }
  const issues: ConfigFileIssue[] = [];
  if (store.size === 0 && securedModes.length > 0) {
    issues.push({ path: 'security.keyFile', expected: `a key file with at least one identity for the ${securedModes.join(', ')} mode(s)`, received: `an empty file (${keyFile})` });
  }
  for (const user of users) {
    const secret = store.secret(user.keyId);
    if (secret === undefined) {
      issues.push({ path: formatPath(user.path), expected: `an identity present in the key file ${keyFile}`, received: JSON.stringify(user.keyId) });
    } else {
      // The store hands out copies: wipe this one, it was only needed to learn the identity exists.
      secret.fill(0);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return store;
}
