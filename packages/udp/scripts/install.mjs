// Builds the native addon at install time. Install must always succeed: when the addon cannot be
// built, @twamp/udp uses its node:dgram fallback, so every failure is one warning line and exit 0.
//
//   node scripts/install.mjs            build unless a loadable prebuild exists
//   node scripts/install.mjs --force    build even then (pnpm build:native)
//   TWAMP_UDP_SKIP_BUILD=1              do nothing
//
// node-gyp runs through its JavaScript entry with this very node binary, against this node's own
// headers (--nodedir): under pnpm it does not see npm's nodedir and would otherwise try to
// download headers, which fails offline.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PREFIX = '@twamp/udp:';
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const require = createRequire(import.meta.url);
const started = Date.now();

function say(line) {
  process.stdout.write(`${PREFIX} ${line}\n`);
}

function warn(reason, log) {
  const where = log === undefined ? '' : ` (log: ${relative(process.cwd(), log) || log})`;
  process.stderr.write(`${PREFIX} warning: native addon not built, the node:dgram fallback will be used: ${reason}${where}\n`);
  process.exit(0);
}

function canLoad(file) {
  if (!existsSync(file)) return false;
  try {
    const addon = require(file);
    return typeof addon === 'object' && addon !== null && typeof addon.UdpSocket === 'function';
  } catch {
    return false;
  }
}

function main() {
  if (process.env.TWAMP_UDP_SKIP_BUILD === '1') {
    say('native build skipped (TWAMP_UDP_SKIP_BUILD=1)');
    return;
  }
  if (process.platform !== 'linux') {
    say(`native addon is Linux-only; ${process.platform} uses the node:dgram fallback`);
    return;
  }
  const prebuild = join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, 'twamp_udp.node');
  if (!force && canLoad(prebuild)) {
    say(`using prebuild ${relative(packageDir, prebuild)}`);
    return;
  }

  let nodeGyp;
  try {
    nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    warn('node-gyp is not installed');
  }
  const args = [nodeGyp, 'rebuild'];
  // Official tarballs and distribution packages put the headers at <prefix>/include/node.
  const nodedir = resolve(process.execPath, '../..');
  if (existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
  // binding.gyp asks `node` for node-addon-api's include path: make it this node.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  const build = spawnSync(process.execPath, args, {
    cwd: packageDir,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60 * 1000,
  });
  const output = `${build.stdout ?? ''}${build.stderr ?? ''}`;
  let log;
  try {
    mkdirSync(join(packageDir, 'build'), { recursive: true });
    log = join(packageDir, 'build', 'install.log');
    writeFileSync(log, `$ ${process.execPath} ${args.join(' ')}\n${output}`);
  } catch {
    log = undefined;
  }
  if (build.error !== undefined) warn(`node-gyp could not run: ${build.error.message}`, log);
  if (build.status !== 0) {
    const last = output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /error/i.test(line) && !/^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(line))
      .at(0);
    warn(`node-gyp exited with ${build.status ?? build.signal}${last === undefined ? '' : `: ${last}`}`, log);
  }
  const built = join(packageDir, 'build', 'Release', 'twamp_udp.node');
  if (!canLoad(built)) warn('the built addon does not load', log);
  say(`native addon built in ${((Date.now() - started) / 1000).toFixed(1)} s (${relative(packageDir, built)})`);
}

try {
  main();
} catch (error) {
  warn(error instanceof Error ? error.message : String(error));
}
