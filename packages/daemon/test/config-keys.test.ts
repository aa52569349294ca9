// loadConfigKeys: the key file named by security.keyFile, read with @twamp/control's loader, and every
// keyId the config uses checked against it; each failure is a ConfigError naming the config path.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@twamp/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfigError, loadConfig, loadConfigKeys, parseConfig } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'twampd-config-keys-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function keyFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfigKeys', () => {
  it('is undefined when no key file is named and none is needed', async () => {
    expect(await loadConfigKeys(parseConfig(''))).toBeUndefined();
  });

  it('loads the store and checks every identity used', async () => {
    const path = keyFile('good.keys', '# fleet keys\nfleet 00112233445566778899aabbccddeeff\nstamp-fleet 0102030405060708\n');
    const config = parseConfig(`
security: {keyFile: ${path}}
listeners: {reflectors: [{name: s, protocol: stamp, security: authenticated, keyId: stamp-fleet}]}
agent: {targets: [{name: t, protocol: twamp, address: 192.0.2.1, keyId: fleet}]}
`);
    const store = await loadConfigKeys(config);
    expect(store?.size).toBe(2);
    expect(Buffer.from(store?.secret('fleet') ?? []).toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });

  it('names security.keyFile when the file cannot be read', async () => {
    const error = await failure(loadConfigKeys(parseConfig(`security: {keyFile: ${join(dir, 'missing.keys')}}`)));
    expect(error.issues).toEqual([{ path: 'security.keyFile', expected: `a readable key file (${join(dir, 'missing.keys')})`, received: 'ENOENT', line: 1, column: 21 }]);
  });

  it('reads a relative keyFile beside the config, and reports a missing one by its absolute path at the key\'s file:line', async () => {
    const site = join(dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'config.yaml'), '# site\nsecurity:\n  modes: [authenticated]\n  keyFile: keys.txt\n');
    const configPath = join(site, 'config.yaml');
    // Missing: the path tried is the absolute one beside the config (not the working directory's keys.txt).
    const error = await failure(loadConfigKeys(await loadConfig(configPath)));
    expect(formatConfigError(error)).toBe(`${configPath}:4:12: security.keyFile: expected a readable key file (${join(site, 'keys.txt')}), got ENOENT`);
    // Present: found wherever the process stands.
    writeFileSync(join(site, 'keys.txt'), 'fleet 00112233445566778899aabbccddeeff\n', { mode: 0o600 });
    expect(process.cwd()).not.toBe(site);
    expect(await loadConfigKeys(await loadConfig(configPath))).toMatchObject({ size: 1 });
  });

  it('names security.keyFile, the file and its line when the file is malformed, never the secret', async () => {
    const path = keyFile('bad.keys', 'fleet 0011\nbroken zz-not-hex-secret\n');
    const error = await failure(loadConfigKeys(parseConfig(`security: {keyFile: ${path}}`)));
    expect(error.issues[0]?.path).toBe('security.keyFile');
    expect(error.issues[0]?.expected).toContain(`${path}:2`);
    expect(JSON.stringify(error.issues)).not.toContain('zz-not-hex-secret');
  });

  it('names every reflector and target whose keyId the file lacks', async () => {
    const path = keyFile('one.keys', 'fleet 0011\n');
    const config = parseConfig(`
security: {keyFile: ${path}}
listeners: {reflectors: [{name: s, protocol: stamp, security: authenticated, keyId: other}]}
agent: {targets: [{name: t, protocol: stamp, address: 192.0.2.1, keyId: fleet}, {name: u, protocol: twamp, address: 192.0.2.2, keyId: nobody}]}
`);
    const error = await failure(loadConfigKeys(config));
    expect(error.issues).toEqual([
      { path: 'listeners.reflectors[0].keyId', expected: `an identity present in the key file ${path}`, received: '"other"', line: 3, column: 85 },
      { path: 'agent.targets[1].keyId', expected: `an identity present in the key file ${path}`, received: '"nobody"', line: 4, column: 135 },
    ]);
  });

  it('shows each mistake at file:line:column, a keyId taken from agent.defaults once, there', async () => {
    const path = keyFile('fleet.keys', 'fleet 0011\n');
    const text = [
      `security: {keyFile: ${path}}`,
      'agent:',
      '  defaults: {protocol: twamp, keyId: gone}',
      '  targets:',
      '    - {name: a, address: 192.0.2.1}',
      '    - {name: b, address: 192.0.2.2}',
      '    - {name: c, address: 192.0.2.3, keyId: fleet}',
      '',
    ].join('\n');
    const error = await failure(loadConfigKeys(parseConfig(text, '/etc/twampd/twampd.yaml')));
    expect(error.issues).toEqual([
      { path: 'agent.defaults.keyId', expected: `an identity present in the key file ${path}`, received: '"gone"', file: '/etc/twampd/twampd.yaml', line: 3, column: 38 },
    ]);
  });

  it('refuses an empty key file when secured modes are offered', async () => {
    const path = keyFile('empty.keys', '# nothing yet\n');
    const error = await failure(loadConfigKeys(parseConfig(`# twampd\nsecurity: {modes: [encrypted], keyFile: ${path}}`, 'twampd.yaml')));
    expect(error.issues).toEqual([
      {
        path: 'security.keyFile',
        expected: 'a key file with at least one identity for the encrypted mode(s) security.modes offers',
        received: `an empty file (${path})`,
        file: 'twampd.yaml',
        line: 2,
        column: 41,
      },
    ]);
    expect(await loadConfigKeys(parseConfig(`security: {keyFile: ${path}, modes: open}`))).toMatchObject({ size: 0 });
  });

  it('refuses a hand-made config that uses keys without a key file', async () => {
    const config = parseConfig('');
    const error = await failure(loadConfigKeys({ ...config, security: { ...config.security, modes: ['open', 'encrypted'] } }));
    expect(error.issues[0]).toMatchObject({ path: 'security.keyFile', expected: 'a key file for the encrypted mode(s) in security.modes' });
  });
});
