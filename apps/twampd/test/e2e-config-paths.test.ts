// Relative paths in a config are the config file's neighbours: twampd started from another working
// directory (the test runner starts it in the app's directory, the config lives in a scratch directory)
// finds `keyFile: keys.txt` beside the config, at start and on SIGHUP, writes `agent.output` there,
// and reports a missing key file by the absolute path it tried, at the config's file:line.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from './configs.js';
import { KEY_FILE_TEXT, killAll, runToEnd, scratchDir, startTwampd, TWAMPD } from './support.js';

const scratch = scratchDir();
afterAll(() => {
  killAll();
  scratch.remove();
});

// Line 9 holds keyFile (LOOPBACK is 6 lines); its value starts at column 12.
const WITH_RELATIVE_PATHS = `${LOOPBACK}security:
  modes: [authenticated]
  keyFile: keys.txt
agent:
  output: results.jsonl
`;
const KEY_LINE = 9;

describe('relative paths in a twampd config', () => {
  it('are read beside the config, not in the working directory, at start and on SIGHUP', async () => {
    expect(TWAMPD.dir).not.toBe(scratch.dir);
    scratch.write('keys.txt', KEY_FILE_TEXT);
    const config = scratch.write('config.yaml', WITH_RELATIVE_PATHS);
    const daemon = await startTwampd(config);
    // Before: "keys.txt: ENOENT" from the working directory, and no start.
    expect(existsSync(join(scratch.dir, 'results.jsonl'))).toBe(true);
    expect(existsSync(join(TWAMPD.dir, 'results.jsonl'))).toBe(false);
    // The ready and listener-started lines went to the log (stderr here), nothing to stdout (docs/daemon.md, Logs).
    expect(daemon.events('listener-started').length).toBeGreaterThan(0);
    expect(daemon.process.stdout()).toBe('');

    // SIGHUP reads keys.txt from the config's directory again.
    daemon.process.child.kill('SIGHUP');
    expect((await daemon.waitForEvent('reloaded'))['failed']).toBe(0);

    // Gone: the reload is refused, naming the absolute path and the config's line.
    rmSync(join(scratch.dir, 'keys.txt'));
    daemon.process.child.kill('SIGHUP');
    const failed = await daemon.waitForEvent('reload-failed');
    expect(failed['stage']).toBe('keys');
    expect(failed['mistakes']).toEqual([`${config}:${KEY_LINE}:12: security.keyFile: expected a readable key file (${join(scratch.dir, 'keys.txt')}), got ENOENT`]);
    expect(await daemon.stop()).toBe(0);
  });

  it('a missing key file exits 2 with the absolute path tried and the config file:line of keyFile', async () => {
    const dir = join(scratch.dir, 'no-keys');
    const config = scratch.write('no-keys.yaml', WITH_RELATIVE_PATHS.replace('keys.txt', 'no-keys/keys.txt'));
    const { code, stderr } = await runToEnd(TWAMPD, ['--config', config]);
    expect(code, stderr).toBe(2);
    expect(stderr).toContain(`no-keys.yaml:${KEY_LINE}:12: security.keyFile: expected a readable key file (${join(dir, 'keys.txt')}), got ENOENT`);
    expect(stderr).not.toContain('"event":"ready"');
  });
});
