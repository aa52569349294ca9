// Where the values that name keys are in a config's file, remembered when the file is parsed: the key
// file is read later (at start, on SIGHUP, by --check-config), and the mistakes found then (an empty
// key file, an identity it lacks) are reported with file:line:column like those parseConfig finds.
// Kept beside the config (a WeakMap, not a field), so DaemonConfig stays plain data; a config built in
// code has no places and its mistakes name paths only.
import { ConfigError } from '@twamp/errors';
import type { DaemonConfig } from '../types.js';
import { type ConfigFileIssue, formatPath } from './issues.js';
import type { Position } from './locate.js';

/** Where a mistake at a config path is shown: the path it is reported at, and its place in the file. */
export interface Place {
  /** `agent.targets[3].keyId`, or `agent.defaults.keyId` when the target took its keyId from there. */
  readonly path: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

interface Places {
  readonly file: string | undefined;
  /** By the formatted path of the resolved config. */
  readonly places: ReadonlyMap<string, Place>;
}

const REMEMBERED = new WeakMap<DaemonConfig, Places>();

/** A path of the resolved config, and the path it is reported at with its position in the file. */
export interface PlacedPath {
  readonly path: readonly PropertyKey[];
  readonly shownAt: readonly PropertyKey[];
  readonly position: Position | undefined;
}

export function rememberPlaces(config: DaemonConfig, file: string | undefined, paths: readonly PlacedPath[]): void {
  const places = new Map<string, Place>();
  for (const { path, shownAt, position } of paths) {
    places.set(formatPath(path), {
      path: formatPath(shownAt),
      ...(file === undefined ? {} : { file }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    });
  }
  REMEMBERED.set(config, { file, places });
}

/** Where to report a mistake at `path` of `config`: its place in the file when the config came from one. */
export function placeOf(config: DaemonConfig, path: readonly PropertyKey[]): Place {
  const formatted = formatPath(path);
  const remembered = REMEMBERED.get(config);
  return remembered?.places.get(formatted) ?? { path: formatted, ...(remembered?.file === undefined ? {} : { file: remembered.file }) };
}

/**
 * A ConfigError raised about `config` outside the parser (a log file or results file that cannot be
 * opened), with each issue the parser remembered a place for shown there: file:line:column, as the
 * parser's own mistakes are. Anything else is returned unchanged.
 */
export function placeConfigError(config: DaemonConfig, error: unknown): unknown {
  if (!(error instanceof ConfigError)) return error;
  const remembered = REMEMBERED.get(config);
  if (remembered === undefined) return error;
  return new ConfigError(error.issues.map((issue: ConfigFileIssue) => (issue.file !== undefined ? issue : { ...issue, ...remembered.places.get(issue.path) })));
}
