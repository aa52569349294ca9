// A key file secret shorter than 16 octets works but is weak: twampd says so (with the key file's
// name:line and never the secret) in --check-config, which still passes, at start and on SIGHUP.
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, runToEnd, scratchDir, startTwampd, TWAMPD } from './support.js';

const scratch = scratchDir();
afterAll(() => {
  killAll();
  scratch.remove();
});

const WEAK_HEX = '0011223344556677'; // 8 octets
const keys = scratch.write('weak.keys', `strong 00112233445566778899aabbccddeeff\nweak ${WEAK_HEX}\n`);
const config = scratch.write(
  'weak.yaml',
  `listeners:
  control: { address: 127.0.0.1, port: 0, reflectorPorts: ephemeral }
security:
  modes: [open, authenticated]
  keyFile: ${keys}
  pbkdf2Count: 1024
metrics: { enabled: false }
logging: { level: info, destination: stderr }
`,
);

describe('a key file with a short secret', () => {
  it('--check-config passes and warns with the file and line', async () => {
    const { code, stdout, stderr } = await runToEnd(TWAMPD, ['--check-config', config]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(': ok (');
    expect(stderr).toMatch(/warning: .*weak\.keys:2\b.*8 octets/);
    expect(stderr).not.toContain(WEAK_HEX);
  });

  it('is logged at start and again on SIGHUP', async () => {
    const daemon = await startTwampd(config);
    const atStart = await daemon.waitForEvent('key-file-weak-secret');
    expect(atStart).toMatchObject({ level: 'warn', keyId: 'weak', octets: 8 });
    expect(String(atStart['keyFile'])).toMatch(/weak\.keys:2$/);
    daemon.process.child.kill('SIGHUP');
    await daemon.waitForEvent('reloaded');
    await daemon.waitForEvent('key-file-weak-secret', 2);
    expect(daemon.process.stderr()).not.toContain(WEAK_HEX);
  });
});
