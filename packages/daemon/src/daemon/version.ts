// The engine's version, for `twampd --version` and logs: read from this package's package.json
// (../../package.json from both src/daemon/ and dist/daemon/), so it never disagrees with the release.
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** @twamp/daemon's version, e.g. `0.1.0`. */
export function daemonVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
