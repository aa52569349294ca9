// Defence in depth against secrets in log lines. The daemon's parts never log keys, passphrases or
// derived keys on purpose; this catches the accident (a config object, an error's details, a child
// logger's bindings) at any depth, by field name, before pino serializes the line.
//
// Why a walk and not pino's `redact` paths alone: paths name fixed positions (`a.secret`, `*.secret`),
// and a secret nested three objects down in something logged whole would slip past them.

/** What a redacted value is replaced with. */
export const REDACTED = '[Redacted]';

/** Deeper than this, values are replaced wholesale: nothing the daemon logs nests this far. */
const MAX_DEPTH = 8;

/**
 * Field names that may carry a secret: `secret`, `passphrase`, `password`, `token` anywhere in the name
 * (any case: `sharedSecret`, `apiToken`), and `key` alone or as a camelCase suffix (`key`, `stampKey`,
 * `derivedKey`, `hmac_key`). Names that only start with "key" (`keyId`, `keyFile`) are identities and
 * paths, which an operator needs in the logs, so they stay.
 */
const SECRET_WORD = /secret|passphrase|password|passwd|token/i;
const KEY_SUFFIX = /(?:^|[a-z0-9_-])(?:key|Key|KEY)s?$/;

export function isSecretFieldName(name: string): boolean {
  return SECRET_WORD.test(name) || KEY_SUFFIX.test(name);
}

/**
 * The object with every secret-named field replaced, at any depth. Returns the same object when there
 * is nothing to replace (no copy on the usual path); never mutates its input.
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function redactValue(value: unknown, depth: number): unknown {
  if (!isPlainContainer(value)) return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const replaced = redactValue(item, depth + 1);
      if (replaced !== item) {
        copy ??= value.slice();
        copy[i] = replaced;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(value)) {
    const item = value[name];
    const replaced = isSecretFieldName(name) && item !== undefined ? REDACTED : redactValue(item, depth + 1);
    if (replaced !== item) {
      copy ??= { ...value };
      copy[name] = replaced;
    }
  }
  return copy ?? value;
}
