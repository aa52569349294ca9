import { ConfigError } from '@twamp/errors';

/** The ConfigError for one bad argument or setting, so every value module reports it the same way. */
export function argumentError(path: string, expected: string, received: unknown): ConfigError {
  return new ConfigError([{ path, expected, received: typeof received === 'string' ? JSON.stringify(received) : String(received) }]);
}
