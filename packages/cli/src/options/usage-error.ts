import { ConfigError } from '@twamp/errors';

/**
 * The ConfigError for one bad argument: which argument (`--count`, `remote`), what it accepts (with its
 * range), and what was given. The CLI exits 2 on it before anything starts.
 */
export function usageError(path: string, expected: string, received?: string | number): ConfigError {
  if (received === undefined) return new ConfigError([{ path, expected }]);
  return new ConfigError([{ path, expected, received: typeof received === 'string' ? JSON.stringify(received) : String(received) }]);
}
