// Finds and loads the compiled addon: the local build first (node-gyp at install, or
// `pnpm build:native`), then a prebuild shipped in the package. Never throws: a failure is
// remembered with its reason, which `nativeStatus()` reports and the fallback decision uses.
// The relative paths are the same from src/native and dist/native.

import { createRequire } from 'node:module';
import type { NativeBinding } from './binding.js';
import { LAYOUT_VERSION } from './layout.js';

export type LoadResult =
  | { readonly ok: true; readonly binding: NativeBinding; readonly path: string }
  | { readonly ok: false; readonly reason: string };

const BUILD_COMMAND = 'pnpm --filter @twamp/udp build:native';

let result: LoadResult | undefined;

/** The addon, loaded once per process (or worker); later calls return the same result. */
export function loadNative(): LoadResult {
  result ??= load();
  return result;
}

function candidates(): string[] {
  return ['../../build/Release/twamp_udp.node', `../../prebuilds/${process.platform}-${process.arch}/twamp_udp.node`];
}

function load(): LoadResult {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `the native UDP socket is Linux-only (this is ${process.platform})` };
  }
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  let missing = 0;
  for (const candidate of candidates()) {
    let loaded: unknown;
    try {
      loaded = require(candidate);
    } catch (error) {
      if (isModuleNotFound(error)) {
        missing++;
        continue;
      }
      failures.push(`${candidate.slice('../../'.length)}: ${describe(error)}`);
      continue;
    }
    const problem = checkShape(loaded);
    if (problem === undefined) return { ok: true, binding: loaded as NativeBinding, path: candidate };
    failures.push(`${candidate.slice('../../'.length)}: ${problem}`);
  }
  if (missing === candidates().length) {
    return {
      ok: false,
      reason: `the addon is not built (no build/Release/twamp_udp.node, no prebuild for ${process.platform}-${process.arch}); build it with \`${BUILD_COMMAND}\``,
    };
  }
  return { ok: false, reason: failures.join('; ') };
}

function checkShape(loaded: unknown): string | undefined {
  if (typeof loaded !== 'object' || loaded === null) return 'not a twamp_udp addon';
  const candidate = loaded as Partial<Record<keyof NativeBinding, unknown>>;
  if (typeof candidate.UdpSocket !== 'function' || typeof candidate.clockStatus !== 'function' || typeof candidate.strerror !== 'function') {
    return 'not a twamp_udp addon (exports missing)';
  }
  if (candidate.layoutVersion !== LAYOUT_VERSION) {
    return `stale build (layout ${String(candidate.layoutVersion)}, expected ${LAYOUT_VERSION}); rebuild with \`${BUILD_COMMAND}\``;
  }
  return undefined;
}

function isModuleNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'MODULE_NOT_FOUND';
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // dlopen messages repeat the absolute path; the first line says what went wrong.
  return message.split('\n')[0] ?? message;
}
