// The config keys whose values name files, and what a relative one means. A relative path is read
// from the directory of the config file that holds it, never from the working directory: that is `/`
// under systemd, and wherever the operator happened to stand for `twampd --check-config`, so a key
// file beside its config would be found by one and not the other. Paths are made absolute once, when
// the file is parsed, so start, SIGHUP and --check-config read the same file, and every message about
// it shows the absolute path that was tried.
import { closeSync, openSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { DaemonConfig } from '../types.js';

/** Values of `logging.destination` that name a standard stream rather than a file. */
const LOG_STREAMS: readonly string[] = ['stderr', 'stdout'];
/** The `agent.output` value that means standard output (line-output.ts opens it so). */
const AGENT_STDOUT = '-';

/** The config keys that hold file paths (a test holds this list to the reference's `a file path` keys). */
export const PATH_KEYS = ['security.keyFile', 'agent.output', 'logging.destination'] as const;

/** The file a `logging.destination` names, or undefined for stderr and stdout. */
export function logFileOf(destination: string): string | undefined {
  return LOG_STREAMS.includes(destination) ? undefined : destination;
}

/** The file an `agent.output` names, or undefined for standard output. */
export function agentFileOf(output: string | undefined): string | undefined {
  return output === undefined || output === AGENT_STDOUT ? undefined : output;
}

/** The directory relative paths of a config are read from: its file's, or the working directory for text without a file. */
export function configDirectory(configFile: string | undefined): string {
  return configFile === undefined ? process.cwd() : dirname(resolve(configFile));
}

/** `config` with every relative file path made absolute against `directory` (streams such as `-` and `stderr` untouched). */
export function withAbsolutePaths(config: DaemonConfig, directory: string): DaemonConfig {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(directory, path));
  const keyFile = config.security.keyFile;
  const output = agentFileOf(config.agent.output);
  const logFile = logFileOf(config.logging.destination);
  return {
    ...config,
    security: { ...config.security, keyFile: keyFile === undefined ? undefined : absolute(keyFile) },
    agent: { ...config.agent, output: output === undefined ? config.agent.output : absolute(output) },
    logging: { ...config.logging, destination: logFile === undefined ? config.logging.destination : absolute(logFile) },
  };
}

/**
 * Whether this process may append to `path` (creating it when missing, mode 0640): undefined when it
 * may, else the reason (`ENOENT`, `EACCES`, ...). Files opened for appending later (asynchronously,
 * where a failure is only an event) are tried now, so a wrong path is a mistake named at its key.
 */
export function appendProblem(path: string): string | undefined {
  try {
    closeSync(openSync(path, 'a', 0o640));
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : String(error);
  }
}
