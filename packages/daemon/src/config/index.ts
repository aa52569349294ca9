// twampd's configuration: YAML → DaemonConfig (zod-checked, defaults applied, durations in ms),
// its keys, and the reference the docs are generated from.
export * from './defaults.js';
export { DURATION_WORDS, formatDuration, parseDuration } from './duration.js';
export { formatConfigError } from './format.js';
export type { ConfigFileIssue } from './issues.js';
export { loadConfigKeys } from './keys.js';
export { loadConfig, parseConfig } from './parse.js';
export { PATH_KEYS } from './paths.js';
export { placeConfigError } from './places.js';
export { CONFIG_REFERENCE, type ConfigKeyDoc } from './reference.js';
export { renderConfigReference, withConfigReference } from './reference-doc.js';
