// `twampd --help` says `kill -HUP $(pidof twampd)`: that only works when the process is named twampd
// rather than node. It is, for pidof, ps and top (the kernel's comm name and the command line).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LOOPBACK } from './configs.js';
import { killAll, scratchDir, startTwampd } from './support.js';

const scratch = scratchDir();

afterAll(() => {
  killAll();
  scratch.remove();
});

describe('the twampd process', () => {
  it('is named twampd: pidof finds it and SIGHUP through pidof reloads it', async () => {
    const daemon = await startTwampd(scratch.write('named.yaml', LOOPBACK));
    const pid = daemon.process.child.pid ?? 0;
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('twampd');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('twampd');
    // Other twampd processes of the parallel test files may be running too: ours is among them.
    const pids = execFileSync('pidof', ['twampd'], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    expect(pids).toContain(pid);
    process.kill(pids.find((found) => found === pid) ?? 0, 'SIGHUP');
    await daemon.waitForEvent('reloaded');
  });
});
