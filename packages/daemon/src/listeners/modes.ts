// Security mode words of the config → the Modes bits of TWAMP-Control (RFC 4656 §3.1, RFC 5618).
import { DEFAULT_SERVER_EXTENSIONS } from '@twamp/control';
import { parseSecurityMode, type SecurityModeWord } from '@twamp/wire';

/** The Modes value the control server offers: the configured security modes, plus the extensions it implements when asked. */
export function offeredModes(words: readonly SecurityModeWord[], extensions: boolean): number {
  let modes = 0;
  for (const word of words) modes |= parseSecurityMode(word);
  return extensions ? modes | DEFAULT_SERVER_EXTENSIONS : modes;
}
