#!/usr/bin/env node
// The README's first command (`npm run quickstart`): from a fresh clone on a machine with only Node and
// npm, get pnpm, install the workspace and run the loopback demo. Plain JavaScript with no dependencies,
// because nothing is installed yet when it runs.
//
// pnpm: the one on PATH if there is one (pnpm reads the packageManager pin itself), else the pinned
// version installed with npm into npm's global prefix, the way pnpm's own docs install it; where that
// prefix is not writable (a system Node without sudo), into .tools/pnpm inside the clone instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const PNPM_VERSION = /^pnpm@(\d+\.\d+\.\d+)/.exec(manifest.packageManager)?.[1];
const LOCAL_PREFIX = join(ROOT, '.tools', 'pnpm');
const WINDOWS = process.platform === 'win32';

function say(line) {
  process.stderr.write(`quickstart: ${line}\n`);
}

function fail(line) {
  say(line);
  process.exit(1);
}

/** Runs a command with the terminal attached; returns its exit status. */
function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env, shell: WINDOWS });
  if (result.error !== undefined) return 127;
  return result.status ?? 1;
}

/** The version a pnpm executable reports, or undefined when there is none to run. */
function versionOf(command) {
  const result = spawnSync(command, ['--version'], { cwd: ROOT, encoding: 'utf8', shell: WINDOWS });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Where `npm install --global --prefix PREFIX` puts an executable. */
function binIn(prefix, name) {
  return WINDOWS ? join(prefix, `${name}.cmd`) : join(prefix, 'bin', name);
}

function npmGlobalPrefix() {
  const result = spawnSync('npm', ['prefix', '--global'], { encoding: 'utf8', shell: WINDOWS });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Installs the pinned pnpm with npm; returns the path of its executable, or undefined. */
function installPnpm(prefix) {
  const args = ['install', '--global', '--no-audit', '--no-fund', '--loglevel', 'error', `pnpm@${PNPM_VERSION}`];
  if (prefix !== undefined) args.push('--prefix', prefix);
  say(`installing pnpm ${PNPM_VERSION}: npm ${args.join(' ')}`);
  if (run('npm', args) !== 0) return undefined;
  const installedPrefix = prefix ?? npmGlobalPrefix();
  if (installedPrefix === undefined) return undefined;
  const pnpm = binIn(installedPrefix, 'pnpm');
  return existsSync(pnpm) && versionOf(pnpm) === PNPM_VERSION ? pnpm : undefined;
}

function findOrInstallPnpm() {
  const onPath = versionOf('pnpm');
  if (onPath !== undefined) {
    say(`using pnpm ${onPath} from PATH`);
    return 'pnpm';
  }
  const local = binIn(LOCAL_PREFIX, 'pnpm');
  if (existsSync(local) && versionOf(local) === PNPM_VERSION) {
    say(`using pnpm ${PNPM_VERSION} from ${dirname(local)} (installed by an earlier quickstart)`);
    return local;
  }
  const global = installPnpm(undefined);
  if (global !== undefined) return global;
  say(`npm could not install into its global prefix (not writable?); installing into ${LOCAL_PREFIX} instead`);
  return installPnpm(LOCAL_PREFIX);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) fail(`needs Node.js 20.19 or later, this is ${process.version}`);
if (PNPM_VERSION === undefined) fail(`package.json's packageManager field names no pnpm version: ${manifest.packageManager}`);

const pnpm = findOrInstallPnpm();
if (pnpm === undefined) fail(`could not install pnpm ${PNPM_VERSION}; install it yourself (npm install --global pnpm@${PNPM_VERSION}) and run pnpm install && pnpm demo`);

// The workspace's own scripts call pnpm by name: put the one found first on their PATH.
const env = pnpm === 'pnpm' ? process.env : { ...process.env, PATH: `${dirname(pnpm)}${delimiter}${process.env.PATH ?? ''}` };
const installed = run(pnpm, ['install', '--frozen-lockfile'], env);
if (installed !== 0) fail(`pnpm install failed (exit ${installed})`);
const demo = run(pnpm, ['demo'], env);
if (pnpm !== 'pnpm' && versionOf('pnpm') === undefined) {
  say(`pnpm is not on your PATH; add it for the next commands (pnpm test, pnpm twamp ...):`);
  say(`  export PATH="${dirname(pnpm)}${delimiter}$PATH"`);
}
process.exit(demo);
