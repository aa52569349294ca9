export { createLogger, LOG_SERVICE, type DaemonLogger } from './logger.js';
export { isSecretFieldName, REDACTED, redactSecrets } from './redact.js';
