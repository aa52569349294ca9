// formatConfigError: a ConfigError as the operator reads it, one mistake per line, in the
// `file:line:col: message` form editors and CI annotate.
import type { ConfigError } from '@twamp/errors';
import type { ConfigFileIssue } from './issues.js';

/** `twampd.yaml:12:7: agent.targets[3].port: expected a port number from 1 to 65535, got 70000`, one line per issue. */
export function formatConfigError(error: ConfigError): string {
  return error.issues
    .map((issue: ConfigFileIssue) => {
      const place = [issue.file, issue.line, issue.column].filter((part) => part !== undefined).join(':');
      const got = issue.received === undefined ? '' : `, got ${issue.received}`;
      return `${place === '' ? '' : `${place}: `}${issue.path}: expected ${issue.expected}${got}`;
    })
    .join('\n');
}
