// Security mode names of the config ↔ the Modes bits of TWAMP-Control (RFC 4656 §3.1, RFC 5618).
import { DEFAULT_SERVER_EXTENSIONS } from '@twamp/control';
import { Mode, SECURITY_MODE_MASK } from '@twamp/wire';
import type { SecurityModeName } from '../types.js';

const MODE_BITS: Readonly<Record<SecurityModeName, number>> = {
  open: Mode.Unauthenticated,
  authenticated: Mode.Authenticated,
  encrypted: Mode.Encrypted,
  mixed: Mode.Mixed,
};

/** The Modes value the control server offers: the configured security modes, plus the extensions it implements when asked. */
export function offeredModes(names: readonly SecurityModeName[], extensions: boolean): number {
  let modes = 0;
  for (const name of names) modes |= MODE_BITS[name];
  return extensions ? modes | DEFAULT_SERVER_EXTENSIONS : modes;
}

/** The config's name for the security part of a connection's Modes value; undefined before a mode was chosen. */
export function securityModeName(modes: number): SecurityModeName | undefined {
  const security = modes & SECURITY_MODE_MASK;
  for (const [name, bit] of Object.entries(MODE_BITS) as [SecurityModeName, number][]) {
    if (security === bit) return name;
  }
  return undefined;
}
